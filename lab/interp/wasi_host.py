"""Our WASI preview 1 (lab.wasi) bound into our own engine (lab.interp.api).

Each `wasi_snapshot_preview1` function the module imports becomes one host Func that reaches
the calling instance's live linear memory through its Caller. `run_command` runs a command
module's `_start` the way the wasmtime CLI does: proc_exit gives the exit code, a trap gives
TRAP_EXIT_CODE and a one-line message for stderr, and the phases (compile = decode + validate +
precompile, instantiate, execute) are timed.
"""

from __future__ import annotations

import mmap
import os
import time

from lab.interp import api
from lab.interp.errors import TRAP_OUT_OF_FUEL, Trap, WasmError
from lab.interp.record import Record
from lab.interp.tier import call_with_room
from lab.protocol.bench import BENCH_MODULE, Region, uses_bench
from lab.protocol.phases import TRAP_EXIT_CODE
from lab.wasi import MODULE_NAME, HostFunction, ProcExit, WasiPreview1

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing; mypy reads it as True
if TYPE_CHECKING:
    from collections.abc import Callable, Mapping, Sequence

    from lab.wasi.stdio import StdioSpec

ERROR_EXIT_CODE = 1      # the module could not be loaded, linked or run
_VALTYPES = {"i32": api.I32, "i64": api.I64}


class GuestError(Exception):
    """The guest could not be run (unreadable, malformed, invalid, unlinkable, no _start...);
    the message is one line for the user."""


def define_wasi(linker: api.Linker, store: api.Store, wasi: WasiPreview1,
                module: api.Module) -> None:
    """Define in `linker` every wasi_snapshot_preview1 function `module` imports, backed by
    `wasi`. Imports WASI lacks are left undefined, so linking names them."""
    table = wasi.table()
    # A module may import the same function twice (AssemblyScript does): define it once.
    wanted = dict.fromkeys(imported.name for imported in module.imports
                           if imported.module == MODULE_NAME and imported.name in table)
    for name in wanted:
        params, results, function = table[name]
        func_type = api.FuncType([_VALTYPES[p] for p in params], [_VALTYPES[r] for r in results])
        # raw: WASI takes and returns plain ints, so skip the API's value conversions.
        linker.define_func(store, MODULE_NAME, name, func_type, _with_memory(function),
                           access_caller=True, raw=True)


def _with_memory(function: HostFunction) -> Callable[..., int | None]:
    """Adapt a WASI table entry to our engine's calling convention (caller first)."""

    def host(caller: api.Caller, *args: int) -> int | None:
        def current_memory() -> bytearray | mmap.mmap:
            # Looked up per call: the buffer is live and grows in place, but a module without a
            # memory must still get an (empty) buffer.
            memory = caller.memory
            return memory.buffer() if memory is not None else bytearray()

        return function(current_memory, *args)

    host.__name__ = getattr(function, "__name__", "wasi")
    return host


class GuestOutcome(Record):
    """How a run ended: the exit code, the trap message if it trapped, the phases timed."""

    __slots__ = _fields = ("exit_code", "trap", "phases")

    def __init__(self, exit_code: int, trap: str | None = None,
                 phases: dict[str, float] | None = None) -> None:
        self.exit_code = exit_code
        self.trap = trap
        self.phases: dict[str, float] = {} if phases is None else phases


def load_module(wasm: bytes, precompile: bool = True) -> api.Module:
    """Decode and validate (and by default compile every body now); GuestError if it fails."""
    try:
        module = api.Module(None, wasm)
        if precompile:
            module.precompile()
    except api.MalformedError as error:
        raise GuestError(f"malformed module: {error}") from None
    except api.InvalidError as error:
        raise GuestError(f"invalid module: {error}") from None
    except WasmError as error:
        raise GuestError(f"cannot compile module: {error}") from None
    return module


def read_module_file(path: str | os.PathLike[str]) -> bytes:
    try:
        with open(path, "rb") as handle:
            return handle.read()
    except OSError as error:
        raise GuestError(f"cannot read {os.fspath(path)}: {error.strerror or error}") from None


def run_command(wasm: bytes, argv: Sequence[str], env: Mapping[str, str] | Sequence[str] = (),
                preopens: Sequence[tuple[str | os.PathLike[str], str]] = (), *,
                stdin: StdioSpec = None, stdout: StdioSpec | str = None,
                stderr: StdioSpec | str = None, fuel: int | None = None,
                max_memory_pages: int | None = None) -> GuestOutcome:
    """Run a WASI command module's `_start` on our engine. `argv` includes the program name.

    Raises GuestError when the module cannot be loaded, linked or started, or a preopen cannot
    be opened. The stdio arguments are as for WasiPreview1 (e.g. 0, 1, 2 for the process's own).
    """
    outcome = GuestOutcome(0)
    with _timed(outcome.phases, "compile"):
        module = load_module(wasm)
    store = api.Store(api.Engine(), fuel=fuel, max_memory_pages=max_memory_pages)
    try:
        wasi = WasiPreview1(args=argv, env=env, preopens=preopens, stdin=stdin, stdout=stdout,
                            stderr=stderr)
    except OSError as error:
        raise GuestError(f"cannot preopen {error.filename}: {error.strerror}") from None
    region = Region() if uses_bench((i.module, i.name) for i in module.imports) else None
    with wasi:
        try:
            with _timed(outcome.phases, "instantiate"):
                instance = _instantiate(store, module, wasi, region)
            start = instance.exports(store).get("_start")
            if not isinstance(start, api.Func):
                raise GuestError("the module exports no _start function: not a WASI command")
            with _timed(outcome.phases, "execute"):
                call_with_room(start, store)
        except ProcExit as exit_request:
            outcome.exit_code = exit_request.code
        except Trap as trap:
            outcome.exit_code, outcome.trap = TRAP_EXIT_CODE, describe_trap(trap, fuel)
        except api.UnknownImport as error:  # one line, worded as every runner of the lab words it
            raise GuestError(f"unknown import {error.module}.{error.name}") from None
        except (api.LinkError, api.LimitError) as error:
            raise GuestError(f"cannot instantiate: {error}") from None
        except WasmError as error:  # e.g. a host function failed; the message says which
            raise GuestError(f"execution failed: {error}") from None
    if region is not None:
        region.report(outcome.phases)
    return outcome


class _timed:
    """`with _timed(phases, name):` records the block's duration, even when it ends by a trap
    or proc_exit (a class: contextlib costs ~2.5 ms of every engine start)."""

    def __init__(self, phases: dict[str, float], name: str) -> None:
        self.phases, self.name = phases, name

    def __enter__(self) -> None:
        self.started = time.perf_counter()

    def __exit__(self, *exc_info: object) -> None:
        self.phases[self.name] = time.perf_counter() - self.started


def _instantiate(store: api.Store, module: api.Module, wasi: WasiPreview1,
                 region: Region | None = None) -> api.Instance:
    linker = api.Linker()
    define_wasi(linker, store, wasi, module)
    if region is not None:  # the Sightglass protocol: bench.start/bench.end time the execute phase
        for name, function in (("start", region.start), ("end", region.end)):
            linker.define_func(store, BENCH_MODULE, name, api.FuncType([], []), function, raw=True)
    return linker.instantiate(store, module)


def describe_trap(trap: Trap, fuel: int | None = None) -> str:
    """One line, as the wasmtime CLI words it ("wasm trap: ...")."""
    if trap.kind == TRAP_OUT_OF_FUEL:
        return f"wasm trap: {trap} (the fuel limit of {fuel} units ran out)"
    return f"wasm trap: {trap}"
