"""The spec-test session of our own engine (lab.interp): implements lab.suites.spec_session.

One session is one store. It provides the standard `spectest` module itself (print functions,
global_i32/i64/f32/f64 = 666 / 666.6, a 10..20 funcref table, a 1..2 page memory) and keeps
registered instances for import resolution. Values cross as (type, unsigned bit pattern).
The engine's binary format and validation rules follow the file's suite: spec-2.0 files are
decoded and validated as Wasm 2.0 (several of them check that 3.0 features are refused),
everything else as Wasm 3.0. Its spectest module also has the 64-bit table "table64" that the
3.0 tests import.
"""

from __future__ import annotations

from typing import Any, cast

from lab.interp import gctypes as gt
from lab.interp import module as m
from lab.interp import runtime as rt
from lab.interp.errors import (
    TRAP_STACK_EXHAUSTED,
    InvalidError,
    LimitError,
    LinkError,
    MalformedError,
    Trap,
    UncaughtException,
    WasmError,
)
from lab.interp.gcvalues import Array, HostAny, Struct
from lab.interp.machine import execute
from lab.interp.numeric import bits_to_f64, f64_to_bits
from lab.suites.spec_session import Exhausted, ModuleRejected, SpecError, Thrown, Trapped, Unsupported, WasmValue

_TYPE_NAMES = {m.I32: "i32", m.I64: "i64", m.F32: "f32", m.F64: "f64", m.V128: "v128",
               m.FUNCREF: "funcref", m.EXTERNREF: "externref",
               m.EXNREF: "exnref", m.NULLEXNREF: "exnref"}


def _spectest(store: rt.Store) -> dict[str, object]:
    def noop(caller, args):
        return ()

    def func(params):
        return rt.FuncInst(m.FuncType(tuple(params), ()), host=noop, name="print")

    return {
        "print": func(()),
        "print_i32": func((m.I32,)),
        "print_i64": func((m.I64,)),
        "print_f32": func((m.F32,)),
        "print_f64": func((m.F64,)),
        "print_i32_f32": func((m.I32, m.F32)),
        "print_f64_f64": func((m.F64, m.F64)),
        "global_i32": rt.GlobalInst(m.GlobalType(m.I32, False), 666),
        "global_i64": rt.GlobalInst(m.GlobalType(m.I64, False), 666),
        "global_f32": rt.GlobalInst(m.GlobalType(m.F32, False), 0x4426A666),  # 666.6f
        "global_f64": rt.GlobalInst(m.GlobalType(m.F64, False), 666.6),
        "table": rt.TableInst(m.TableType(m.FUNCREF, m.Limits(10, 20)), store.max_table_elements),
        "memory": rt.MemInst(m.MemoryType(m.Limits(1, 2)), store.max_memory_pages),
        "table64": rt.TableInst(m.TableType(m.FUNCREF, m.Limits(10, 20, is64=True)),
                                store.max_table_elements),
        "shared_memory": rt.MemInst(m.MemoryType(m.Limits(1, 2), shared=True),  # threads
                                    store.max_memory_pages),
    }


def _to_internal(t: int, value: WasmValue):
    kind, payload = value
    if kind == "f64":
        return bits_to_f64(cast(int, payload))  # numeric payloads are int bit patterns (spec_session)
    if isinstance(payload, tuple) and payload[:1] == ("host",):
        return HostAny(payload[1])  # (ref.host n): host value n in the any hierarchy
    return payload  # i32/i64/f32 bit patterns, v128 as a 128-bit int, references


def _from_internal(t, v) -> WasmValue:
    """A result of value type t: an int, or (for a concrete reference type) a canonical value
    type (gctypes.canon_val)."""
    if t == m.F64:
        return ("f64", f64_to_bits(v))
    name = _TYPE_NAMES.get(t) if isinstance(t, int) else None
    if name is not None and not m.is_ref(t) or v is None and name is not None:
        return (name, v)
    return _ref_value(t, v)


_TOPS = {m.HT_FUNC: "funcref", m.HT_EXTERN: "externref", m.HT_ANY: "anyref", m.HT_EXN: "exnref"}


def _ref_value(t: int, v) -> WasmValue:
    """A reference by what it is (the patterns tell ref.struct from ref.i31 and so on)."""
    if isinstance(v, rt.FuncInst):
        return ("funcref", v)
    if isinstance(v, Struct):
        return ("structref", v)
    if isinstance(v, Array):
        return ("arrayref", v)
    if isinstance(v, HostAny):
        return ("anyref", ("host", v.value))
    if isinstance(t, tuple):  # a concrete type: its kind decides the hierarchy
        top = m.HT_FUNC if gt.canon_kind(t[0]) == "func" else m.HT_ANY
    else:
        top = gt.TOP.get(t & ~m.NON_NULL, m.HT_ANY)
    if v is None:
        return (_TOPS[top], None)
    if top == m.HT_ANY and isinstance(v, int):
        return ("i31ref", v)
    return (_TOPS[top], v)


class InterpSpecSession:
    distinguishes_malformed = True
    reports_exceptions = True

    def __init__(self, *, max_call_depth: int = rt.DEFAULT_MAX_CALL_DEPTH,
                 version: str = m.WASM_3_0) -> None:
        self.version = version
        self.store = rt.Store(max_call_depth=max_call_depth)
        self.registry: dict[str, dict[str, object]] = {"spectest": _spectest(self.store)}
        self.instances: dict[str, rt.ModuleInst] = {}
        self.current: rt.ModuleInst | None = None

    @classmethod
    def for_spec_file(cls, spec_file: Any) -> InterpSpecSession:
        """A session with the Wasm version of the file's suite (see the module doc)."""
        return cls(version=m.WASM_2_0 if spec_file.suite == "spec-2.0" else m.WASM_3_0)

    # -- modules

    def _decode(self, wasm: bytes) -> m.Module:
        from lab.interp.decode import decode_module
        try:
            module = decode_module(wasm, self.version)
        except MalformedError as e:
            raise ModuleRejected("malformed", str(e)) from None
        except WasmError as e:
            raise ModuleRejected("malformed", str(e)) from None
        from lab.interp.validate import validate_module
        try:
            validate_module(module, self.version)
        except InvalidError as e:
            raise ModuleRejected("invalid", str(e)) from None
        except MalformedError as e:
            raise ModuleRejected("malformed", str(e)) from None
        return module

    def check(self, wasm: bytes) -> None:
        self._decode(wasm)

    def load(self, wasm: bytes, name: str | None) -> None:
        module = self._decode(wasm)
        externs = []
        for imp in module.imports:
            exports = self.registry.get(imp.module)
            obj = None if exports is None else exports.get(imp.name)
            if obj is None:
                raise ModuleRejected("unlinkable", f"unknown import {imp.module}.{imp.name}")
            externs.append(obj)
        try:
            inst = rt.instantiate(self.store, module, externs, invoke=self._invoke_internal)
        except LinkError as e:
            raise ModuleRejected("unlinkable", str(e)) from None
        except LimitError as e:
            raise ModuleRejected("uninstantiable", str(e)) from None
        except Trap as e:  # a segment out of bounds or a trapping start function
            raise ModuleRejected("uninstantiable", str(e)) from None
        except UncaughtException as e:  # a start function that throws
            raise ModuleRejected("uninstantiable", str(e)) from None
        except NotImplementedError as e:
            raise Unsupported(str(e)) from None
        self.current = inst
        if name is not None:
            self.instances[name] = inst

    def _invoke_internal(self, store, f, args):
        if f.host is not None:
            return list(f.host(None, args))
        return execute(store, f, args)

    def register(self, as_name: str, name: str | None) -> None:
        self.registry[as_name] = self._instance(name).exports

    def _instance(self, name: str | None) -> rt.ModuleInst:
        inst = self.current if name is None else self.instances.get(name)
        if inst is None:
            raise SpecError(f"no module {name or '(current)'}")
        return inst

    # -- actions

    def invoke(self, name: str | None, field: str, args: list[WasmValue]) -> list[WasmValue]:
        inst = self._instance(name)
        f = inst.exports.get(field)
        if not isinstance(f, rt.FuncInst):
            raise SpecError(f"no exported function {field!r}")
        ft = f.type
        canon: list = []
        if f.inst is not None and f.defined_index >= 0:  # its own module's view of its type
            mod = f.inst.module
            ft = mod.types[mod.funcs[f.defined_index].type_index]
            canon = f.inst.canon
        if len(args) != len(ft.params):
            raise SpecError(f"{field}: expected {len(ft.params)} arguments, got {len(args)}")
        raw = [_to_internal(t, v) for t, v in zip(ft.params, args, strict=True)]
        try:
            results = self._invoke_internal(self.store, f, raw)
        except Trap as e:
            if e.kind == TRAP_STACK_EXHAUSTED:
                raise Exhausted(str(e)) from None
            raise Trapped(str(e)) from None
        except UncaughtException as e:
            raise Thrown(str(e)) from None
        except RecursionError:
            raise Exhausted("call stack exhausted (Python recursion)") from None
        except NotImplementedError as e:
            raise Unsupported(str(e)) from None
        return [_from_internal(gt.canon_val(canon, t) if canon else t, v)
                for t, v in zip(ft.results, results, strict=True)]

    def get(self, name: str | None, field: str) -> WasmValue:
        inst = self._instance(name)
        g = inst.exports.get(field)
        if not isinstance(g, rt.GlobalInst):
            raise SpecError(f"no exported global {field!r}")
        return _from_internal(g.canon_type, g.value)

    def close(self) -> None:
        self.registry.clear()
        self.instances.clear()
        self.current = None

