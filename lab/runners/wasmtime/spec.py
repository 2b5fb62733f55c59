"""Spec session over the embedded `wasmtime` package (wasmtime-py).

Values cross the boundary as bit patterns: calls go through the C API's `wasmtime_func_call`
with the raw value unions filled in directly, because wasmtime-py's own `Func.__call__` turns
f32/f64 into Python floats (a signalling NaN argument would come back quieted) and has no v128.
Reference values (externref, funcref) still use wasmtime-py's `Val`, which keeps the host
number of `ref.extern N` in its own table.

Features follow the suite: spec-2.0 files run on exactly the Wasm 2.0 feature set (several 2.0
tests check that 3.0 features are rejected), spec-3.0 files on Wasm 3.0, and proposal folders
additionally turn on their proposal where wasmtime has it.
"""

from __future__ import annotations

import ctypes
from functools import lru_cache
from typing import Any, cast

import wasmtime
from wasmtime import _ffi as ffi
from wasmtime._func import enter_wasm

from lab.suites.spec_session import Exhausted, ModuleRejected, Thrown, Trapped, Unsupported, WasmValue

# Value kinds of the wasmtime C API (wasmtime/val.h); wasmtime-py names only the first seven.
_KIND_I32, _KIND_I64, _KIND_F32, _KIND_F64, _KIND_V128 = 0, 1, 2, 3, 4
_KIND_FUNCREF, _KIND_EXTERNREF, _KIND_ANYREF, _KIND_EXNREF = 5, 6, 7, 8
_NUMERIC_KINDS = {"i32": _KIND_I32, "i64": _KIND_I64, "f32": _KIND_F32, "f64": _KIND_F64}

_WASM_2_0 = ("reference_types", "simd", "bulk_memory", "multi_value")
_WASM_3_0 = _WASM_2_0 + ("multi_memory", "memory64", "tail_call", "relaxed_simd", "exceptions",
                         "function_references", "gc")
_ALL_OPTIONAL = _WASM_3_0 + ("threads", "wide_arithmetic", "custom_page_sizes", "stack_switching")
_PROPOSAL_FEATURES = {
    "proposals/threads": ("threads",),
    "proposals/wide-arithmetic": ("wide_arithmetic",),
    "proposals/custom-page-sizes": ("custom_page_sizes",),
}

_SPECTEST_WAT = """(module
  (func (export "print"))
  (func (export "print_i32") (param i32))
  (func (export "print_i64") (param i64))
  (func (export "print_f32") (param f32))
  (func (export "print_f64") (param f64))
  (func (export "print_i32_f32") (param i32 f32))
  (func (export "print_f64_f64") (param f64 f64))
  (global (export "global_i32") i32 (i32.const 666))
  (global (export "global_i64") i64 (i64.const 666))
  (global (export "global_f32") f32 (f32.const 666.6))
  (global (export "global_f64") f64 (f64.const 666.6))
  (table (export "table") 10 20 funcref)
  (memory (export "memory") 1 2)
  EXTRA)"""


@lru_cache(maxsize=None)
def _engine(features: frozenset[str]) -> wasmtime.Engine:
    config = wasmtime.Config()
    for feature in _ALL_OPTIONAL:  # set every flag: wasmtime's defaults change between releases
        setattr(config, f"wasm_{feature}", feature in features)
    if "gc" in features or "function_references" in features:
        config.gc_support = True
    if "threads" in features:
        config.shared_memory = True
    return wasmtime.Engine(config)


@lru_cache(maxsize=None)
def _spectest_module(features: frozenset[str]) -> wasmtime.Module:
    extra = ""
    if "memory64" in features:
        extra += '(table (export "table64") i64 10 20 funcref)'
    if "threads" in features:
        extra += '(memory (export "shared_memory") 1 2 shared)'
    wasm = wasmtime.wat2wasm(_SPECTEST_WAT.replace("EXTRA", extra))
    return wasmtime.Module(_engine(features), bytes(wasm))  # wat2wasm gives a bytearray; Module is typed for bytes


def features_for(suite: str, group: str) -> frozenset[str]:
    """The wasmtime features a spec file needs (see the module doc)."""
    base = _WASM_2_0 if suite == "spec-2.0" else _WASM_3_0
    return frozenset(base + _PROPOSAL_FEATURES.get(group, ()))


def _classify_trap(trap: wasmtime.Trap) -> Trapped | Exhausted | Thrown:
    if trap.trap_code == wasmtime.TrapCode.STACK_OVERFLOW:
        return Exhausted(trap.message)
    if _UNCAUGHT_EXCEPTION in trap.message:  # wasmtime's cause line for an uncaught throw
        return Thrown(_one_line(trap))
    return Trapped(trap.message)


_UNCAUGHT_EXCEPTION = "thrown Wasm exception"
# wasmtime-py's Config has no switch for the legacy exception instructions (try/catch/delegate/
# rethrow), so modules using them are unsupported here rather than failures.
_LEGACY_EH_REFUSED = "legacy_exceptions feature required"


def _one_line(error: Exception) -> str:
    """The error on one line: wasmtime's first line is generic ("failed to compile: ..."), the
    cause ("type mismatch ...") follows on later lines."""
    text = " ".join(str(error).split())
    return text[:400] if text else type(error).__name__


class WasmtimeSpecSession:
    """A wasmtime Store and Linker holding one script's modules (see lab.suites.spec_session)."""

    distinguishes_malformed = False
    # wasmtime names an uncaught Wasm exception in the error ("thrown Wasm exception").
    reports_exceptions = True

    def __init__(self, features: frozenset[str] | None = None) -> None:
        self.engine_features = features if features is not None else frozenset(_WASM_3_0)
        self.engine = _engine(self.engine_features)
        self.store = wasmtime.Store(self.engine)
        self.linker = wasmtime.Linker(self.engine)
        self.linker.allow_shadowing = True
        self.instances: dict[str, wasmtime.Instance] = {}
        self.current: wasmtime.Instance | None = None
        self._define_spectest()

    @classmethod
    def for_spec_file(cls, spec_file: Any) -> WasmtimeSpecSession:
        """A session with the features of the file's suite and group."""
        return cls(features_for(spec_file.suite, spec_file.group))

    def _define_spectest(self) -> None:
        """Register the `spectest` module the scripts import from. It is a Wasm module itself,
        so constants are exact (666.6 rounded by the text parser) and a 64-bit table or a
        shared memory need no host API."""
        instance = wasmtime.Instance(self.store, _spectest_module(self.engine_features), [])
        self.linker.define_instance(self.store, "spectest", instance)

    # ---- modules

    def _compile(self, wasm: bytes) -> wasmtime.Module:
        try:
            return wasmtime.Module(self.engine, wasm)
        except wasmtime.WasmtimeError as error:
            message = _one_line(error)
            if _LEGACY_EH_REFUSED in message:
                raise Unsupported("legacy exception handling: wasmtime-py has no Config flag "
                                  f"for it ({message})") from None
            raise ModuleRejected("rejected", message) from None

    def check(self, wasm: bytes) -> None:
        self._compile(wasm)

    def load(self, wasm: bytes, name: str | None) -> None:
        module = self._compile(wasm)
        try:
            instance = self.linker.instantiate(self.store, module)
        except wasmtime.Trap as trap:
            raise ModuleRejected("uninstantiable", trap.message) from None
        except wasmtime.WasmtimeError as error:
            raise ModuleRejected("unlinkable", _one_line(error)) from None
        self.current = instance
        if name:
            self.instances[name] = instance

    def register(self, as_name: str, name: str | None) -> None:
        self.linker.define_instance(self.store, as_name, self._instance(name))

    def _instance(self, name: str | None) -> wasmtime.Instance:
        instance = self.instances.get(name) if name else self.current
        if instance is None:
            raise Unsupported(f"no module instance {name or '(current)'}")
        return instance

    def _export(self, name: str | None, field: str) -> Any:
        exports = self._instance(name).exports(self.store)
        try:
            return exports[field]
        except KeyError:
            raise Unsupported(f"no export {field!r}") from None

    # ---- values

    def _raw_argument(self, value: WasmValue, slot: Any) -> None:
        value_type, payload = value
        if value_type in _NUMERIC_KINDS:
            slot.kind = _NUMERIC_KINDS[value_type]
            # Write the bit pattern through the integer view of the union: floats stay exact.
            if value_type in ("i32", "f32"):
                slot.of.i32 = ctypes.c_int32(payload).value  # type: ignore[arg-type]
            else:
                slot.of.i64 = ctypes.c_int64(payload).value  # type: ignore[arg-type]
        elif value_type == "v128":
            slot.kind = _KIND_V128
            # A v128 payload is an unsigned 128-bit int (lab.suites.spec_session).
            slot.of.v128 = ffi.wasmtime_v128(*cast(int, payload).to_bytes(16, "little"))
        elif value_type == "externref" and (payload is None or isinstance(payload, int)):
            raw = wasmtime.Val.externref(payload)._new_raw(self.store)
            ctypes.memmove(ctypes.byref(slot), ctypes.byref(raw), ctypes.sizeof(slot))
        elif payload is None:
            kinds = {"funcref": _KIND_FUNCREF, "anyref": _KIND_ANYREF, "exnref": _KIND_EXNREF}
            if value_type not in kinds:
                raise Unsupported(f"cannot pass a null {value_type}")
            ctypes.memset(ctypes.byref(slot), 0, ctypes.sizeof(slot))  # store_id 0 = null
            slot.kind = kinds[value_type]
        else:
            raise Unsupported(f"cannot pass {value_type} {payload!r} through the C API")

    def _result(self, raw: Any) -> WasmValue:
        kind = raw.kind
        if kind in (_KIND_I32, _KIND_F32):
            return ("i32" if kind == _KIND_I32 else "f32"), raw.of.i32 & 0xFFFFFFFF
        if kind in (_KIND_I64, _KIND_F64):
            return ("i64" if kind == _KIND_I64 else "f64"), raw.of.i64 & 0xFFFFFFFFFFFFFFFF
        if kind == _KIND_V128:
            return "v128", int.from_bytes(bytes(raw.of.v128), "little")
        if kind == _KIND_FUNCREF:
            null = raw.of.funcref.store_id == 0
            return "funcref", None if null else wasmtime.Func._from_raw(raw.of.funcref)
        if kind == _KIND_EXTERNREF:
            if raw.of.externref.store_id == 0:
                return "externref", None
            host = wasmtime.Val._from_raw(self.store, raw, owned=False).value
            return "externref", host if host is not None else ("internal",)
        if kind == _KIND_ANYREF:
            return self._anyref_result(raw.of.anyref)
        if kind == _KIND_EXNREF:
            return "exnref", None if raw.of.exnref.store_id == 0 else ("exception",)
        raise Unsupported(f"unknown value kind {kind}")

    def _anyref_result(self, anyref: Any) -> WasmValue:
        if anyref.store_id == 0:
            return "anyref", None
        context, pointer = self.store._context(), ctypes.byref(anyref)
        # Struct and array first: wasmtime_anyref_is_i31 answers True for every anyref in
        # wasmtime 50, so i31 is what remains of the eq hierarchy.
        if ffi.wasmtime_anyref_is_struct(context, pointer):
            return "structref", ("struct",)
        if ffi.wasmtime_anyref_is_array(context, pointer):
            return "arrayref", ("array",)
        if ffi.wasmtime_anyref_is_eqref(context, pointer):
            value = ctypes.c_uint32()
            ffi.wasmtime_anyref_i31_get_u(context, pointer, ctypes.byref(value))
            return "i31ref", value.value
        return "anyref", ("any",)

    # ---- actions

    def invoke(self, name: str | None, field: str, args: list[WasmValue]) -> list[WasmValue]:
        func = self._export(name, field)
        if not isinstance(func, wasmtime.Func):
            raise Unsupported(f"export {field!r} is not a function")
        functype = func.type(self.store)
        result_count = len(functype.results)
        if len(args) != len(functype.params):
            raise Unsupported(f"{field!r} takes {len(functype.params)} arguments, got {len(args)}")
        params = (ffi.wasmtime_val_t * max(len(args), 1))()
        results = (ffi.wasmtime_val_t * max(result_count, 1))()
        for slot, value in zip(params, args, strict=False):  # params has a spare slot when args is empty
            self._raw_argument(value, slot)
        try:
            with enter_wasm(self.store) as trap:
                error = ffi.wasmtime_func_call(self.store._context(), ctypes.byref(func._func),
                                               params, len(args), results, result_count, trap)
                if error:
                    raise wasmtime.WasmtimeError._from_ptr(error)
        except wasmtime.Trap as trap:
            raise _classify_trap(trap) from None
        except wasmtime.WasmtimeError as error:
            message = _one_line(error)
            if "exception" in message:  # an uncaught Wasm exception reaching the host
                raise Thrown(message) from None
            raise  # anything else is unexpected: the driver records it as an error
        values = [self._result(results[index]) for index in range(result_count)]
        for index in range(result_count):
            ffi.wasmtime_val_unroot(ctypes.byref(results[index]))
        return values

    def get(self, name: str | None, field: str) -> WasmValue:
        item = self._export(name, field)
        if not isinstance(item, wasmtime.Global):
            raise Unsupported(f"export {field!r} is not a global")
        raw = ffi.wasmtime_val_t()
        ffi.wasmtime_global_get(self.store._context(), ctypes.byref(item._global), ctypes.byref(raw))
        value = self._result(raw)
        ffi.wasmtime_val_unroot(ctypes.byref(raw))
        return value

    def close(self) -> None:
        self.instances.clear()
        self.current = None
        self.linker = None  # type: ignore[assignment]
        self.store = None  # type: ignore[assignment]
