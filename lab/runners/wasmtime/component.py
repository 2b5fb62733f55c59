"""The wasmtime embedding's component path: a WASI 0.2 command component run through
`wasmtime.component` (add_wasip2, then the component's wasi:cli/run export), in the runner's
child process, with compile, instantiate and execute timed like a core module's."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable

from lab.protocol.phases import TRAP_EXIT_CODE

COMPONENT_HEADER = b"\0asm\x0d\x00\x01\x00"  # version 0xd, layer 1: the component encoding
RUN_INTERFACE = "wasi:cli/run@"


def run_component(engine, wasm: bytes, wasi, phases: dict[str, float]) -> int:
    """Run the command component's wasi:cli/run with `wasi` as its WASI context; returns its
    exit code (WASI 0.2 exits carry only success or failure: 0 or 1)."""
    import wasmtime
    from wasmtime import component

    start = time.perf_counter()
    compiled = component.Component(engine, wasm)
    phases["compile"] = time.perf_counter() - start

    store = wasmtime.Store(engine)
    store.set_wasi(wasi)
    linker = component.Linker(engine)
    linker.add_wasip2()
    start = time.perf_counter()
    instance = linker.instantiate(store, compiled)
    exports = [name for name in compiled.type.exports(engine) if name.startswith(RUN_INTERFACE)]
    if not exports:
        print(f"wasmtime: the component exports no {RUN_INTERFACE}*: not a WASI command", file=sys.stderr)
        return 1
    interface = instance.get_export_index(store, exports[0])
    run_index = instance.get_export_index(store, "run", interface) if interface else None
    run = instance.get_func(store, run_index) if run_index else None
    phases["instantiate"] = time.perf_counter() - start
    if run is None:
        print(f"wasmtime: {exports[0]} has no run function", file=sys.stderr)
        return 1

    def run_command() -> int:
        return 0 if getattr(run(store), "tag", "ok") == "ok" else 1

    return timed_exit_code(run_command, phases)


def timed_exit_code(call: Callable[[], int], phases: dict[str, float]) -> int:
    """The guest's exit code from `call` (its exit or trap included), timed as phase "execute"."""
    import wasmtime

    start = time.perf_counter()
    try:
        code = call()
    except wasmtime.ExitTrap as exit_trap:
        code = exit_trap.code
    except wasmtime.Trap as trap:
        print(f"wasm trap: {trap}", file=sys.stderr)
        code = TRAP_EXIT_CODE
    phases["execute"] = time.perf_counter() - start
    return code
