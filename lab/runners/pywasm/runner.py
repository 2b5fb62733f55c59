"""pywasm: the pure-Python interpreter from PyPI, run through its own WASI preview 1, in a fresh
child process per sample (`python -m lab.runners.pywasm.runner`). The reference point for our
own engine's speed and conformance."""

from __future__ import annotations

import sys
import time

from lab.model import Detection, Invocation
from lab.protocol.bench import BENCH_MODULE, Region
from lab.protocol.phases import TRAP_EXIT_CODE, write_phases
from lab.runners.base import Runner, detect_python_package, wasi_flags
from lab.runners.bench_protocol import child_flags
from lab.runners.guest_args import parse_guest_args
from lab.runners.refusals import LINK_ERROR_EXIT_CODE, first_missing


class PywasmRunner(Runner):
    id = "pywasm"
    description = "pywasm, a pure-Python WebAssembly interpreter (PyPI)"
    install_hint = "pip install pywasm"
    bench_imports = "host functions in the Runtime's imports (time.perf_counter)"
    spec_session = ("lab.runners.pywasm.spec", "PywasmSpecSession")

    def detect(self) -> Detection:
        return detect_python_package(self, "pywasm", "pywasm", ["interpreter"])

    def command(self, invocation: Invocation, mode: str) -> list[str]:
        return [sys.executable, "-m", "lab.runners.pywasm.runner", *wasi_flags(invocation), *child_flags(invocation),
                str(invocation.wasm), *invocation.args]


def bind_bench(runtime) -> Region:
    """bench.start/bench.end host functions (the Sightglass protocol); the region they time."""
    import pywasm

    region = Region()
    kind = pywasm.core.FuncType([], [])

    def host(function):
        def call(_machine, _args: list[int]) -> list[int]:
            function()
            return []
        return call

    runtime.imports[BENCH_MODULE] = {name: runtime.allocate_func_host(kind, host(function))
                                     for name, function in (("start", region.start), ("end", region.end))}
    return region


def main(argv: list[str] | None = None) -> int:
    import pywasm

    guest = parse_guest_args("python -m lab.runners.pywasm.runner", argv)
    dirs = {guest_path: host for host, guest_path in guest.dirs}  # pywasm maps guest path -> host path
    runtime = pywasm.core.Runtime()
    wasi = pywasm.wasi.Preview1(guest.argv, dirs, guest.env)
    wasi.bind(runtime)
    region = bind_bench(runtime) if guest.bench else None
    start = time.perf_counter()
    try:
        with open(guest.module, "rb") as handle:
            module = pywasm.core.ModuleDesc.from_reader(handle)
        # pywasm's own error for an import nobody supplies is a bare KeyError of the module name.
        missing = first_missing(((i.module, i.name) for i in module.imps), runtime.imports)
        if missing:
            print(f"pywasm: {missing}", file=sys.stderr)
            return LINK_ERROR_EXIT_CODE
        instance = runtime.instance(module)
    except Exception as error:  # pywasm raises plain exceptions for bad modules
        print(f"pywasm: cannot load {guest.module}: {error}", file=sys.stderr)
        return 1
    phases = {"instantiate": time.perf_counter() - start}
    start = time.perf_counter()
    try:
        code = wasi.main(runtime, instance)
    except Exception as error:  # a trap, in pywasm's terms
        print(f"wasm trap: {error}", file=sys.stderr)
        code = TRAP_EXIT_CODE
    phases["execute"] = time.perf_counter() - start
    if region is not None:
        region.report(phases)
    write_phases(phases)
    return code


if __name__ == "__main__":
    sys.exit(main())
