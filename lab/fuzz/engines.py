"""The two engines the oracle drives in lockstep, behind one small interface: load, instantiate
with recording stub imports, call an export, and snapshot the observable state (memory, globals,
table). Every outcome is normalised so the two can be compared directly:

    ("ok", values)  ("trap", kind)  ("refused", message)  ("rejected", message)
    ("exhausted", what)   - fuel or stack ran out: the rest of the case is inconclusive
    ("unsupported", why)  - wasmtime-py cannot do this step (v128 values): likewise

Values are unsigned bit patterns, with every NaN written "nan" (the spec lets NaN bits differ).
Our engine's outcomes are additionally checked to be one of the allowed error types.
"""

from __future__ import annotations

import hashlib
import struct
from dataclasses import dataclass, field
from typing import Any

from lab.fuzz.encode import EXTERNREF, F32, F64, FUNCREF, I32, I64, V128

Outcome = tuple[str, Any]

OUR_FUEL = 30_000  # per call; ours counts calls and loop iterations x body size
WASMTIME_FUEL = 20_000_000  # per call; wasmtime counts instructions, so it never runs out first
MAX_PAGES = 64
MAX_TABLE_ELEMENTS = 10_000
MAX_CALL_DEPTH = 1_000

_NAMES = {"i32": I32, "i64": I64, "f32": F32, "f64": F64, "funcref": FUNCREF, "externref": EXTERNREF, "v128": V128}


_KIND_NAMES = {0: "func", 1: "table", 2: "memory", 3: "global"}  # export kinds as the binary numbers them


class EngineBug(Exception):
    """Our engine let something other than its documented errors escape."""


def normalise(t: int, value: Any) -> Any:
    if t == F32 and (value & 0x7F800000) == 0x7F800000 and value & 0x7FFFFF:
        return "nan"
    if t == F64 and (value >> 52 & 0x7FF) == 0x7FF and value & ((1 << 52) - 1):
        return "nan"
    if t in (FUNCREF, EXTERNREF):
        return "null" if value is None else "ref"
    return value


def _f32_bits(x: float) -> int:
    return struct.unpack("<I", struct.pack("<f", x))[0]


def _f64_bits(x: float) -> int:
    return struct.unpack("<Q", struct.pack("<d", x))[0]


def _f32_value(bits: int) -> float:
    return struct.unpack("<f", struct.pack("<I", bits))[0]


def _f64_value(bits: int) -> float:
    return struct.unpack("<d", struct.pack("<Q", bits))[0]


@dataclass
class StubLog:
    """What the module's imported functions saw, in order; both engines' stubs write here."""

    calls: list[tuple[str, tuple]] = field(default_factory=list)

    def record(self, name: str, types: tuple[int, ...], values: list[Any]) -> int:
        self.calls.append((name, tuple(normalise(t, v) for t, v in zip(types, values, strict=False))))
        return len(self.calls)  # what a stub returns: deterministic and different per call


# -- ours ----------------------------------------------------------------------------------------

class OurEngine:
    def __init__(self, fuel: int = OUR_FUEL) -> None:
        from lab.interp import api
        self.api = api
        self.fuel = fuel
        self.log = StubLog()
        self.store = api.Store(max_memory_pages=MAX_PAGES, max_table_elements=MAX_TABLE_ELEMENTS,
                               max_call_depth=MAX_CALL_DEPTH)
        self.module: Any = None  # the engine's Module and Instance once loaded
        self.instance: Any = None

    def _guarded(self, action) -> Outcome:
        api = self.api
        try:
            return action()
        except api.Trap as trap:
            if trap.kind in ("all fuel consumed", "call stack exhausted"):
                return ("exhausted", trap.kind)
            return ("trap", trap.kind)
        except (api.MalformedError, api.InvalidError) as error:
            return ("rejected", str(error))
        except (api.LinkError, api.LimitError) as error:
            return ("refused", str(error))
        except api.UncaughtException:  # exception handling: no handler caught a throw
            return ("exception", None)
        except api.WasmError as error:
            raise EngineBug(f"plain WasmError escaped: {error!r}") from error
        except Exception as error:
            raise EngineBug(f"{type(error).__name__} escaped: {error}") from error

    def load(self, wasm: bytes) -> Outcome:
        def action() -> Outcome:
            self.module = self.api.Module(None, wasm)
            return ("ok", None)
        return self._guarded(action)

    def exports(self) -> list[tuple[str, str, tuple[int, ...], tuple[int, ...]]]:
        """(name, kind, parameter types, result types) of every export, in module order."""
        out = []
        decoded = self.module._module
        for export in decoded.exports:
            params: tuple[int, ...] = ()
            results: tuple[int, ...] = ()
            kind = _KIND_NAMES[export.kind]
            if kind == "func":
                func_type = self._func_type(export.index)
                params, results = tuple(func_type.params), tuple(func_type.results)
            out.append((export.name, kind, params, results))
        return out

    def v128_beyond_wasmtime_py(self) -> bool:
        """Whether the loaded module imports a function with v128 in its type or defines or
        imports a v128 global: wasmtime-py aborts the whole process ("support for v128 is not
        implemented") when it looks at such an import's or global's type."""
        from lab.interp import module as m
        decoded = self.module._module
        for imp in decoded.imports:
            if imp.kind == m.KIND_FUNC:
                ftype = decoded.types[imp.desc]
                if V128 in ftype.params + ftype.results:
                    return True
            elif imp.kind == m.KIND_GLOBAL and imp.desc.val_type == V128:
                return True
        return any(g.type.val_type == V128 for g in decoded.globals)

    def _func_type(self, func_index: int):
        from lab.interp import module as m
        decoded = self.module._module
        imported = [i for i in decoded.imports if i.kind == m.KIND_FUNC]
        if func_index < len(imported):
            return decoded.types[imported[func_index].desc]
        return decoded.types[decoded.funcs[func_index - len(imported)].type_index]

    def _stub(self, imported) -> Any:
        from lab.interp import module as m
        api = self.api
        if imported.kind == m.KIND_FUNC:
            ty = self.module._module.types[imported.desc]
            label = f"{imported.module}.{imported.name}"
            params, results = tuple(ty.params), tuple(ty.results)

            def stub(*args):
                bits = [_f64_bits(a) if t == F64 else a for t, a in zip(params, args, strict=False)]
                count = self.log.record(label, params, bits)
                out = [_stub_result(t, count) for t in results]
                out = [_f64_value(v) if t == F64 else v for t, v in zip(results, out, strict=False)]
                return out[0] if len(out) == 1 else out
            return api.Func(self.store, api.FuncType(params, results), stub, raw=True)
        if imported.kind == m.KIND_MEMORY:
            return api.Memory(self.store, api.MemoryType(imported.desc.limits.min, imported.desc.limits.max))
        if imported.kind == m.KIND_TABLE:
            lim = imported.desc.limits
            return api.Table(self.store, api.TableType(imported.desc.elem_type, lim.min, lim.max))
        return api.Global(self.store, api.GlobalType(imported.desc.val_type, imported.desc.mutable),
                          _stub_global_value(imported.desc.val_type))

    def instantiate(self) -> Outcome:
        def action() -> Outcome:
            self.store.set_fuel(self.fuel)
            stubs = [self._stub(i) for i in self.module._module.imports]
            self.instance = self.api.Instance(self.store, self.module, stubs)
            return ("ok", None)
        return self._guarded(action)

    def call(self, name: str, args: list[int]) -> Outcome:
        func = self.instance.exports(self.store)[name]
        results = tuple(func.type().results)

        def action() -> Outcome:
            self.store.set_fuel(self.fuel)
            values = func.call_bits(self.store, args)
            return ("ok", tuple(normalise(t, v) for t, v in zip(results, values, strict=False)))
        return self._guarded(action)

    def snapshot(self) -> dict[str, Any]:
        state: dict[str, Any] = {}
        for name, extern in self.instance.exports(self.store).items():
            if isinstance(extern, self.api.Memory):
                state[name] = (extern.size(), hashlib.sha1(bytes(extern.buffer())).hexdigest())
            elif isinstance(extern, self.api.Global):
                state[name] = normalise(extern.type().val_type, extern.value_bits())
            elif isinstance(extern, self.api.Table):
                state[name] = tuple(extern.get(self.store, i) is None for i in range(extern.size()))
        return state


def _stub_result(t: int, count: int) -> Any:
    if t == F32:
        return _f32_bits(float(count))
    if t == F64:
        return _f64_bits(float(count))
    if t in (FUNCREF, EXTERNREF):
        return None
    return count


def _stub_global_value(t: int) -> Any:
    if t in (FUNCREF, EXTERNREF):
        return None
    return 0.0 if t in (F32, F64) else 0


# -- wasmtime ------------------------------------------------------------------------------------

_TRAP_KINDS = {  # wasmtime trap code -> the kinds our engine may report for it
    # An out-of-bounds wait/notify that is also unaligned, or a wait on an unshared memory:
    # one trap in the spec; the reference interpreter (and we) report the alignment, then the
    # sharing, before the bounds, wasmtime's wait/notify the bounds first.
    "MEMORY_OUT_OF_BOUNDS": {"out of bounds memory access", "unaligned atomic", "expected shared memory"},
    "HEAP_MISALIGNED": {"out of bounds memory access", "unaligned atomic"},
    "ATOMIC_WAIT_NON_SHARED_MEMORY": {"expected shared memory"},
    "TABLE_OUT_OF_BOUNDS": {"out of bounds table access", "undefined element"},
    "INDIRECT_CALL_TO_NULL": {"uninitialized element"},
    "BAD_SIGNATURE": {"indirect call type mismatch"},
    "INTEGER_OVERFLOW": {"integer overflow"},
    "INTEGER_DIVISION_BY_ZERO": {"integer divide by zero"},
    "BAD_CONVERSION_TO_INTEGER": {"invalid conversion to integer"},
    "UNREACHABLE": {"unreachable"},
    # Wasm 3.0 (the campaign's `wasm3` mode)
    "NULL_REFERENCE": {"null function reference", "null reference", "null structure reference",
                       "null array reference", "null exception reference", "null i31 reference"},
    "ARRAY_OUT_OF_BOUNDS": {"out of bounds array access"},
    "CAST_FAILURE": {"cast failure"},
}
# The Wasm 3.0 features a `wasm3` campaign turns on in wasmtime (lab.fuzz.wasm3 generates them).
WASM3_FEATURES = ("wasm_multi_memory", "wasm_tail_call", "wasm_function_references", "wasm_gc", "wasm_memory64",
                  "wasm_exceptions", "wasm_wide_arithmetic")


def wasmtime_engine_config(wasm3: bool = False):
    """wasmtime restricted to what our engine implements and the generator makes: WebAssembly
    2.0, plus the threads atomics (shared memories stay off: an infinite wait would block
    wasmtime's thread for good, so a shared memory is a known divergence) and relaxed SIMD in
    wasmtime's deterministic mode, whose choices are ours; with `wasm3` also the 3.0 features
    the generator's wasm3 mode uses (WASM3_FEATURES)."""
    import wasmtime
    config = wasmtime.Config()
    config.consume_fuel = True
    # Small reservations: a campaign makes tens of thousands of stores, and the default 4 GiB
    # reservation per memory exhausts the process's mappings long before its memory.
    config.memory_reservation = 1 << 24
    config.memory_guard_size = 1 << 16
    config.wasm_threads = True
    config.wasm_relaxed_simd = True
    config.wasm_relaxed_simd_deterministic = True
    for feature in ("wasm_multi_memory", "wasm_tail_call", "wasm_function_references", "wasm_gc",
                    "wasm_memory64", "wasm_exceptions", "wasm_wide_arithmetic",
                    "wasm_custom_page_sizes", "wasm_stack_switching", "wasm_component_model"):
        try:
            setattr(config, feature, wasm3 and feature in WASM3_FEATURES)
        except Exception:  # a feature this wasmtime cannot switch: it stays at its default
            pass
    config.wasm_exceptions = True  # exception handling: only modules with tags use it
    return config


class WasmtimeEngine:
    _engines: dict[bool, Any] = {}  # one wasmtime Engine per feature set and process, made on first use

    def __init__(self, fuel: int = WASMTIME_FUEL, wasm3: bool = False) -> None:
        import wasmtime
        self.wt = wasmtime
        if wasm3 not in WasmtimeEngine._engines:
            WasmtimeEngine._engines[wasm3] = wasmtime.Engine(wasmtime_engine_config(wasm3))
        self._engine = WasmtimeEngine._engines[wasm3]
        self.fuel = fuel
        self.log = StubLog()
        self.store = wasmtime.Store(self._engine)
        self.store.set_limits(memory_size=MAX_PAGES * 65536, table_elements=MAX_TABLE_ELEMENTS)
        self.module: Any = None  # the engine's Module and Instance once loaded
        self.instance: Any = None

    def _guarded(self, action) -> Outcome:
        wt = self.wt
        try:
            return action()
        except wt.Trap as trap:
            code = trap.trap_code.name if trap.trap_code is not None else "UNKNOWN"
            if trap.trap_code is None and "thrown Wasm exception" in trap.message:
                return ("exception", None)  # exception handling: an uncaught throw
            if code in ("OUT_OF_FUEL", "STACK_OVERFLOW"):
                return ("exhausted", code)
            return ("trap", code)
        except wt.WasmtimeError as error:
            if "thrown Wasm exception" in str(error):  # a start function's uncaught throw
                return ("exception", None)
            return ("refused", str(error).splitlines()[0])
        except Exception as error:  # wasmtime-py cannot express it (v128, anyref...): not our bug
            return ("unsupported", f"{type(error).__name__}: {error}")

    def close(self) -> None:
        """Free the native store now rather than whenever the cycle collector gets to it."""
        self.instance = self.module = None
        self.store.close()

    def load(self, wasm: bytes) -> Outcome:
        try:
            self.module = self.wt.Module(self._engine, wasm)
        except self.wt.WasmtimeError as error:
            return ("rejected", str(error).splitlines()[0])
        return ("ok", None)

    def _stub(self, imported) -> Any:
        wt = self.wt
        ty = imported.type
        if isinstance(ty, wt.FuncType):
            params = tuple(_NAMES[str(p)] for p in ty.params)
            results = tuple(_NAMES[str(r)] for r in ty.results)
            label = f"{imported.module}.{imported.name}"

            def stub(*args):
                bits = [_to_bits(t, a) for t, a in zip(params, args, strict=False)]
                count = self.log.record(label, params, bits)
                out = [_from_bits(t, _stub_result(t, count)) for t in results]
                return out[0] if len(out) == 1 else (out or None)
            return wt.Func(self.store, ty, stub)
        if isinstance(ty, wt.MemoryType):
            return wt.Memory(self.store, ty)
        if isinstance(ty, wt.TableType):
            return wt.Table(self.store, ty, None)
        return wt.Global(self.store, ty, _stub_global_value(_NAMES[str(ty.content)]))

    def instantiate(self) -> Outcome:
        def action() -> Outcome:
            self.store.set_fuel(self.fuel)
            stubs = [self._stub(i) for i in self.module.imports]
            self.instance = self.wt.Instance(self.store, self.module, stubs)
            return ("ok", None)
        return self._guarded(action)

    def call(self, name: str, args: list[int]) -> Outcome:
        def action() -> Outcome:
            func = self.instance.exports(self.store)[name]
            ty = func.type(self.store)
            params = [_NAMES[str(p)] for p in ty.params]
            results = [_NAMES[str(r)] for r in ty.results]
            self.store.set_fuel(self.fuel)
            value = func(self.store, *[_from_bits(t, a) for t, a in zip(params, args, strict=False)])
            # one result comes back bare, so None there is a null reference, not "no results"
            values = [value] if len(results) == 1 else list(value or ())
            return ("ok", tuple(normalise(t, _to_bits(t, v)) for t, v in zip(results, values, strict=False)))
        return self._guarded(action)

    def snapshot(self) -> dict[str, Any]:
        wt = self.wt
        state: dict[str, Any] = {}
        for name, extern in self.instance.exports(self.store).items():
            if isinstance(extern, wt.Memory):
                data = extern.read(self.store, 0, extern.data_len(self.store))
                state[name] = (extern.size(self.store), hashlib.sha1(bytes(data)).hexdigest())
            elif isinstance(extern, wt.Global):
                t = _NAMES[str(extern.type(self.store).content)]
                state[name] = normalise(t, _to_bits(t, extern.value(self.store)))
            elif isinstance(extern, wt.Table):
                # wasmtime-py returns a null funcref as a bare Val, not None
                state[name] = tuple(not isinstance(extern.get(self.store, i), wt.Func)
                                    for i in range(extern.size(self.store)))
        return state


def _to_bits(t: int, value: Any) -> Any:
    if t == I32:
        return value & 0xFFFFFFFF
    if t == I64:
        return value & 0xFFFFFFFFFFFFFFFF
    if t == F32:
        return _f32_bits(value)
    if t == F64:
        return _f64_bits(value)
    return value


def _from_bits(t: int, bits: Any) -> Any:
    import wasmtime
    if t == I32:
        return wasmtime.Val.i32(bits - (1 << 32) if bits >= 1 << 31 else bits)
    if t == I64:
        return wasmtime.Val.i64(bits - (1 << 64) if bits >= 1 << 63 else bits)
    if t == F32:
        return wasmtime.Val.f32(_f32_value(bits))
    if t == F64:
        return wasmtime.Val.f64(_f64_value(bits))
    return bits


def trap_kinds_agree(wasmtime_code: str, our_kind: str) -> bool:
    return our_kind in _TRAP_KINDS.get(wasmtime_code, set())
