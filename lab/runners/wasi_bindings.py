"""Our WASI preview 1 (lab.wasi) bound into the `wasmtime` embedding as host functions.

This runs real WASI programs through our implementation before our own engine can, and it is
an independent cross-check of it against the wasmtime CLI's built-in WASI.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

import wasmtime

from lab.protocol.phases import TRAP_EXIT_CODE
from lab.wasi import MODULE_NAME, HostFunction, ProcExit, WasiPreview1
from lab.wasi.stdio import StdioSpec

_VALTYPES = {"i32": wasmtime.ValType.i32, "i64": wasmtime.ValType.i64}


def define_wasi(linker: wasmtime.Linker, wasi: WasiPreview1) -> None:
    """Define every wasi_snapshot_preview1 import in `linker`, backed by `wasi`."""
    for name, (params, results, function) in wasi.table().items():
        func_type = wasmtime.FuncType([_VALTYPES[p]() for p in params],
                                      [_VALTYPES[r]() for r in results])
        linker.define_func(MODULE_NAME, name, func_type, _with_memory(function),
                           access_caller=True)


def _with_memory(function: HostFunction) -> Callable[..., int | None]:
    """Adapt a WASI table entry to wasmtime's calling convention (caller first)."""

    def host(caller: wasmtime.Caller, *args: int) -> int | None:
        memory = caller.get("memory")

        def current_memory() -> object:
            # A ctypes array over the live linear memory: writes land in the guest directly.
            if not isinstance(memory, wasmtime.Memory):
                return bytearray()
            return memory.get_buffer_ptr(caller)

        return function(current_memory, *args)

    return host


def run_with_wasmtime_embedded(
    wasm_path: str | os.PathLike[str],
    args: Sequence[str] = (),
    env: Mapping[str, str] | None = None,
    preopens: Sequence[tuple[str | os.PathLike[str], str]] = (),
    stdin: StdioSpec = None,
    program_name: str | None = None,
) -> tuple[int, bytes, bytes]:
    """Run a WASI command module's `_start` in the wasmtime embedding with our WASI.

    `args` follow the program name (default: the file's name). Returns (exit code, stdout,
    stderr); a trap gives TRAP_EXIT_CODE with the trap message appended to stderr.
    """
    engine = wasmtime.Engine()
    store = wasmtime.Store(engine)
    module = wasmtime.Module.from_file(engine, str(wasm_path))
    argv = [program_name or Path(wasm_path).name, *args]
    with WasiPreview1(args=argv, env=dict(env or {}), preopens=preopens, stdin=stdin) as wasi:
        linker = wasmtime.Linker(engine)
        define_wasi(linker, wasi)
        instance = linker.instantiate(store, module)
        start = instance.exports(store)["_start"]
        assert isinstance(start, wasmtime.Func)
        trap_message = b""
        try:
            start(store)
            exit_code = 0
        except ProcExit as exit_request:
            exit_code = exit_request.code
        except wasmtime.Trap as trap:
            exit_code = TRAP_EXIT_CODE
            trap_message = f"\nwasm trap: {trap.message}\n".encode()
        return exit_code, wasi.stdout_bytes, wasi.stderr_bytes + trap_message
