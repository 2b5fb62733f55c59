"""wasmtime: the PyPI `wasmtime` embedding, run in a fresh child process per sample.

The child (`python -m lab.runners.wasmtime.embedded ...`) times compile, instantiate and execute
separately, like Sightglass, and reports them through the phases file; a component runs
through the component API (lab.runners.wasmtime.component). Modes: cranelift (native
code) and pulley (wasmtime's portable interpreter).
"""

from __future__ import annotations

import sys
import time

from lab.model import Detection, Invocation
from lab.protocol.bench import BENCH_MODULE, Region, uses_bench
from lab.protocol.phases import write_phases
from lab.runners.base import Runner, detect_python_package, wasi_flags
from lab.runners.guest_args import parse_guest_args
from lab.runners.refusals import LINK_ERROR_EXIT_CODE, unknown_import
from lab.runners.wasmtime.component import COMPONENT_HEADER, run_component, timed_exit_code

MODES = ("cranelift", "pulley")


class WasmtimeEmbeddedRunner(Runner):
    id = "wasmtime"
    description = "Wasmtime embedded in Python (PyPI wasmtime), phases timed separately"
    install_hint = "pip install wasmtime"
    bench_imports = "host functions defined in the embedding's Linker (time.perf_counter)"
    spec_session = ("lab.runners.wasmtime.spec", "WasmtimeSpecSession")
    measured_suites = ("startup", "workloads", "user", "components")  # components: wasmtime.component

    def detect(self) -> Detection:
        return detect_python_package(self, "wasmtime", "wasmtime", MODES)

    def command(self, invocation: Invocation, mode: str) -> list[str]:
        return [sys.executable, "-m", "lab.runners.wasmtime.embedded", "--mode", mode,
                *wasi_flags(invocation), str(invocation.wasm), *invocation.args]



def make_engine(mode: str):
    import wasmtime

    config = wasmtime.Config()
    # The embedding's compiled-code cache is off by default, so every sample compiles cold.
    if mode == "pulley":
        config.target = "pulley64" if sys.maxsize > 2**32 else "pulley32"
    elif mode != "cranelift":
        raise ValueError(f"unknown wasmtime mode {mode!r}; choose from {', '.join(MODES)}")
    return wasmtime.Engine(config)


def bench_region(linker, module) -> Region | None:
    """Host functions for bench.start/bench.end when the module imports them (the Sightglass
    protocol); the region they time, or None."""
    import wasmtime

    if not uses_bench((item.module, item.name) for item in module.imports):
        return None
    region = Region()
    for name, function in (("start", region.start), ("end", region.end)):
        linker.define_func(BENCH_MODULE, name, wasmtime.FuncType([], []), function)
    return region


def main(argv: list[str] | None = None) -> int:
    import wasmtime

    guest = parse_guest_args("python -m lab.runners.wasmtime.embedded", argv, modes=MODES)

    phases: dict[str, float] = {}
    engine = make_engine(guest.mode)
    wasm = open(guest.module, "rb").read()
    wasi = wasmtime.WasiConfig()
    wasi.argv = guest.argv
    wasi.env = list(guest.env.items())
    for host, guest_path in guest.dirs:
        wasi.preopen_dir(host, guest_path)
    wasi.inherit_stdout()
    wasi.inherit_stderr()
    wasi.inherit_stdin()
    if wasm[:8] == COMPONENT_HEADER:
        code = run_component(engine, wasm, wasi, phases)
        write_phases(phases)
        return code

    start = time.perf_counter()
    module = wasmtime.Module(engine, wasm)
    phases["compile"] = time.perf_counter() - start

    store = wasmtime.Store(engine)
    store.set_wasi(wasi)
    linker = wasmtime.Linker(engine)
    linker.define_wasi()
    region = bench_region(linker, module)

    start = time.perf_counter()
    try:
        instance = linker.instantiate(store, module)
    except wasmtime.WasmtimeError as error:
        missing = unknown_import(str(error))
        if not missing:
            raise
        print(f"wasmtime: {missing}", file=sys.stderr)
        return LINK_ERROR_EXIT_CODE
    phases["instantiate"] = time.perf_counter() - start

    def run_start() -> int:
        start_function = instance.exports(store)["_start"]
        if not isinstance(start_function, wasmtime.Func):
            raise TypeError(f"_start is a {type(start_function).__name__}, not a function")
        start_function(store)
        return 0

    code = timed_exit_code(run_start, phases)
    if region is not None:
        region.report(phases)  # the bench.start..bench.end region, when the module has one
    write_phases(phases)
    return code


if __name__ == "__main__":
    sys.exit(main())
