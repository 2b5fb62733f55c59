"""The spec-test session of our own engine (lab.interp): implements lab.suites.spec_session.

One session is one store. It provides the standard `spectest` module itself (print functions,
global_i32/i64/f32/f64 = 666 / 666.6, a 10..20 funcref table, a 1..2 page memory) and keeps
registered instances for import resolution. Values cross as (type, unsigned bit pattern).
"""

from __future__ import annotations

from typing import cast

from lab.interp import module as m
from lab.interp import runtime as rt
from lab.interp.errors import TRAP_STACK_EXHAUSTED, InvalidError, LimitError, LinkError, MalformedError, Trap, WasmError
from lab.interp.machine import execute
from lab.interp.numeric import bits_to_f64, f64_to_bits
from lab.suites.spec_session import Exhausted, ModuleRejected, SpecError, Trapped, Unsupported, WasmValue

_TYPE_NAMES = {m.I32: "i32", m.I64: "i64", m.F32: "f32", m.F64: "f64", m.V128: "v128",
               m.FUNCREF: "funcref", m.EXTERNREF: "externref"}


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
        "shared_memory": rt.MemInst(m.MemoryType(m.Limits(1, 2), shared=True),  # threads
                                    store.max_memory_pages),
    }


def _to_internal(t: int, value: WasmValue):
    kind, payload = value
    if kind == "f64":
        return bits_to_f64(cast(int, payload))  # numeric payloads are int bit patterns (spec_session)
    return payload  # i32/i64/f32 bit patterns, v128 as a 128-bit int, references


def _from_internal(t: int, v) -> WasmValue:
    if t == m.F64:
        return ("f64", f64_to_bits(v))
    return (_TYPE_NAMES[t], v)


class InterpSpecSession:
    distinguishes_malformed = True

    def __init__(self, *, max_call_depth: int = rt.DEFAULT_MAX_CALL_DEPTH) -> None:
        self.store = rt.Store(max_call_depth=max_call_depth)
        self.registry: dict[str, dict[str, object]] = {"spectest": _spectest(self.store)}
        self.instances: dict[str, rt.ModuleInst] = {}
        self.current: rt.ModuleInst | None = None

    # -- modules

    def _decode(self, wasm: bytes) -> m.Module:
        from lab.interp.decode import decode_module
        try:
            module = decode_module(wasm)
        except MalformedError as e:
            raise ModuleRejected("malformed", str(e)) from None
        except WasmError as e:
            raise ModuleRejected("malformed", str(e)) from None
        from lab.interp.validate import validate_module
        try:
            validate_module(module)
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
        if len(args) != len(ft.params):
            raise SpecError(f"{field}: expected {len(ft.params)} arguments, got {len(args)}")
        raw = [_to_internal(t, v) for t, v in zip(ft.params, args, strict=True)]
        try:
            results = self._invoke_internal(self.store, f, raw)
        except Trap as e:
            if e.kind == TRAP_STACK_EXHAUSTED:
                raise Exhausted(str(e)) from None
            raise Trapped(str(e)) from None
        except RecursionError:
            raise Exhausted("call stack exhausted (Python recursion)") from None
        except NotImplementedError as e:
            raise Unsupported(str(e)) from None
        return [_from_internal(t, v) for t, v in zip(ft.results, results, strict=True)]

    def get(self, name: str | None, field: str) -> WasmValue:
        inst = self._instance(name)
        g = inst.exports.get(field)
        if not isinstance(g, rt.GlobalInst):
            raise SpecError(f"no exported global {field!r}")
        return _from_internal(g.type.val_type, g.value)

    def close(self) -> None:
        self.registry.clear()
        self.instances.clear()
        self.current = None

