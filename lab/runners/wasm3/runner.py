"""wasm3: the wasm3 interpreter through PyPI `pywasm3`, in a fresh child process per sample
(`python -m lab.runners.wasm3.runner`).

pywasm3 has no WASI of its own, so the child links our engine-independent WASI preview 1
(lab.wasi) into the module, one Python host function per imported WASI function. Before
parsing, call_indirect's padded table index is re-encoded in place (see wasm3_compat: wasm3 0.5.0
cannot decode it). Phases: compile (that re-encoding plus wasm3's parse; wasm3 compiles function
bodies lazily, on first call, so part of compilation lands in execute), instantiate (load into a
runtime and link WASI), execute (_start).
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from lab.model import Detection, Invocation
from lab.protocol.bench import BENCH_MODULE, Region
from lab.protocol.phases import TRAP_EXIT_CODE, write_phases
from lab.runners.base import Runner, detect_python_package, wasi_flags
from lab.runners.bench_protocol import child_flags
from lab.runners.refusals import LINK_ERROR_EXIT_CODE, UNSUPPORTED, UNSUPPORTED_EXIT_CODE, unknown_import

if TYPE_CHECKING:
    import wasm3

    from lab.wasi import WasiPreview1

PROG = "python -m lab.runners.wasm3.runner"
# The value stack of wasm3's runtime, in bytes. wasm3's own CLI uses 64 KiB, too shallow for the
# deep-recursion workloads (ackermann, fib at large sizes); the stack is allocated untouched, so
# only the part a guest uses counts towards peak RSS.
STACK_BYTES = 8 << 20
_SIGNATURE_CHARS = {"i32": "i", "i64": "I"}


class Wasm3Runner(Runner):
    id = "wasm3"
    description = "wasm3 interpreter (PyPI pywasm3) with wasmlab's WASI preview 1"
    install_hint = "pip install pywasm3 (builds from source: needs a C compiler)"
    bench_imports = "host functions linked with Module.link_function (time.perf_counter)"

    def detect(self) -> Detection:
        return detect_python_package(self, "pywasm3", "wasm3", ["interpreter"],
                                     lambda version, wasm3: f"{wasm3.M3_VERSION} (pywasm3 {version})")

    def command(self, invocation: Invocation, mode: str) -> list[str]:
        return [sys.executable, "-m", "lab.runners.wasm3.runner", *wasi_flags(invocation), *child_flags(invocation),
                str(invocation.wasm), *invocation.args]


def wasm3_signature(params: tuple[str, ...], results: tuple[str, ...]) -> str:
    """wasm3's signature notation: result then parameters, e.g. "i(iIi)"; "v" for no result."""
    result = "".join(_SIGNATURE_CHARS[r] for r in results) or "v"
    return f"{result}({''.join(_SIGNATURE_CHARS[p] for p in params)})"


def link_wasi(module: wasm3.Module, runtime: wasm3.Runtime, wasi: WasiPreview1) -> None:
    """Link every wasi_snapshot_preview1 function into `module`; wasm3 skips the ones it does not
    import."""
    from lab.wasi import MODULE_NAME

    def current_memory() -> memoryview | bytearray:
        # Fetched per call: wasm3 reallocates linear memory when it grows.
        memory = runtime.get_memory(0)
        return memory if memory is not None else bytearray()

    for name, (params, results, function) in wasi.table().items():
        module.link_function(MODULE_NAME, name, wasm3_signature(params, results),
                             _bound(function, current_memory))


def _bound(function: Callable[..., int | None], memory: Callable[[], object]) -> Callable[..., int | None]:
    def host(*args: int) -> int | None:
        return function(memory, *args)

    return host


def link_bench(module: wasm3.Module) -> Region:
    """bench.start/bench.end host functions (the Sightglass protocol); the region they time."""
    region = Region()
    module.link_function(BENCH_MODULE, "start", "v()", region.start)
    module.link_function(BENCH_MODULE, "end", "v()", region.end)
    return region


def main(argv: list[str] | None = None) -> int:
    import wasm3

    from lab.runners.guest_args import parse_guest_args
    from lab.runners.wasm3.compat import UnsupportedFeature, UnsupportedModule, narrow_call_indirect_table_index
    from lab.wasi import ProcExit, WasiPreview1

    guest = parse_guest_args(PROG, argv)
    try:
        wasm = Path(guest.module).read_bytes()
    except OSError as error:
        print(f"wasm3: cannot read {guest.module}: {error.strerror}", file=sys.stderr)
        return 1
    phases: dict[str, float] = {}
    environment = wasm3.Environment()
    start = time.perf_counter()
    try:
        module = environment.parse_module(narrow_call_indirect_table_index(wasm))
    except UnsupportedFeature as error:
        print(f"wasm3: {UNSUPPORTED}{error}", file=sys.stderr)
        return UNSUPPORTED_EXIT_CODE
    except (RuntimeError, UnsupportedModule) as error:
        print(f"wasm3: cannot load {guest.module}: {error}", file=sys.stderr)
        return 1
    phases["compile"] = time.perf_counter() - start

    with WasiPreview1(args=guest.argv, env=guest.env, preopens=guest.dirs,
                      stdin=0, stdout=1, stderr=2) as wasi:
        start = time.perf_counter()
        runtime = environment.new_runtime(STACK_BYTES)
        try:
            runtime.load(module)
            link_wasi(module, runtime, wasi)
            region = link_bench(module) if guest.bench else None
            entry = runtime.find_function("_start")
        except RuntimeError as error:
            print(f"wasm3: {unknown_import(str(error)) or f'cannot instantiate {guest.module}: {error}'}",
                  file=sys.stderr)
            return LINK_ERROR_EXIT_CODE
        phases["instantiate"] = time.perf_counter() - start

        start = time.perf_counter()
        code = 0
        try:
            entry()
        except ProcExit as exit_request:
            code = exit_request.code
        except RuntimeError as trap:  # how pywasm3 reports a wasm trap
            print(f"wasm trap: {trap}", file=sys.stderr)
            code = TRAP_EXIT_CODE
        phases["execute"] = time.perf_counter() - start
    if region is not None:
        region.report(phases)
    write_phases(phases)
    return code


if __name__ == "__main__":
    sys.exit(main())
