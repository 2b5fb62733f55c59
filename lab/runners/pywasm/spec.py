"""Spec session over PyPI `pywasm` (a pure-Python interpreter; the lab's reference point).

pywasm keeps every value as 16 raw bytes (`ValInst.data`), so arguments and results cross as
exact bit patterns. It signals errors with plain Python exceptions, mostly `assert`, so the
mapping is necessarily coarse and kept honest:
  - decoding fails                         -> ModuleRejected("rejected"); pywasm does not
    validate, so invalid modules are accepted and assert_invalid fails;
  - a missing import, or any failure while instantiating -> ModuleRejected("rejected") (it
    cannot tell linking from a trapping start function);
  - AssertionError / ZeroDivisionError during a call -> Trapped (its trap mechanism);
  - the call depth limit below                         -> Exhausted;
  - any other exception escapes to the driver, which records "error".
"""

from __future__ import annotations

import io
from typing import cast

import pywasm
from pywasm import core

from lab.suites.spec_session import Exhausted, ModuleRejected, Trapped, Unsupported, WasmValue

_CALL_DEPTH_LIMIT = 1000  # below pywasm's own `assert len(frames) < 1024`, which would read as a trap

_VALUE_TYPES = {"i32": 0x7F, "i64": 0x7E, "f32": 0x7D, "f64": 0x7C, "v128": 0x7B,
                "funcref": 0x70, "externref": 0x6F}
_TYPE_NAMES = {code: name for name, code in _VALUE_TYPES.items()}
_WIDTH = {"i32": 4, "f32": 4, "i64": 8, "f64": 8, "v128": 16}


class _CallStackExhausted(Exception):
    pass


class _DepthLimitedMachine(core.Machine):
    """pywasm's machine with a call-depth check that says "exhausted" rather than asserting."""

    def evaluate_call(self, addr: int) -> None:
        if len(self.stack.frame) >= _CALL_DEPTH_LIMIT:
            raise _CallStackExhausted(f"call stack exhausted (depth {_CALL_DEPTH_LIMIT})")
        super().evaluate_call(addr)


def _to_valinst(value: WasmValue) -> core.ValInst:
    value_type, payload = value
    if value_type not in _VALUE_TYPES:
        raise Unsupported(f"pywasm has no {value_type} values")
    code = core.ValType(_VALUE_TYPES[value_type])
    if value_type in _WIDTH:
        # A v128 payload is an unsigned 128-bit int (lab.suites.spec_session).
        return core.ValInst(code, bytearray(cast(int, payload).to_bytes(16, "little")))
    if payload is None:
        return core.ValInst.zero(code)
    if isinstance(payload, int):
        return core.ValInst.from_ref(code, payload)
    raise Unsupported(f"cannot pass {value_type} {payload!r} to pywasm")


def _from_valinst(value: core.ValInst) -> WasmValue:
    name = _TYPE_NAMES.get(value.type.data)
    if name is None:
        raise Unsupported(f"unknown pywasm value type {value.type.data:#x}")
    if name in _WIDTH:
        return name, int.from_bytes(value.data[: _WIDTH[name]], "little")
    if value.data[4] == 0:
        return name, None
    reference = value.into_ref()
    return name, reference if name == "externref" else ("func", reference)


class PywasmSpecSession:
    """A pywasm Runtime holding one script's modules (see lab.suites.spec_session)."""

    distinguishes_malformed = False

    def __init__(self) -> None:
        self.runtime = pywasm.core.Runtime()
        self.runtime.machine = _DepthLimitedMachine()
        self.instances: dict[str, core.ModuleInst] = {}
        self.current: core.ModuleInst | None = None
        self._define_spectest()

    def _define_spectest(self) -> None:
        runtime, vt = self.runtime, core.ValType
        prints = {"print": [], "print_i32": [vt.i32()], "print_i64": [vt.i64()],
                  "print_f32": [vt.f32()], "print_f64": [vt.f64()],
                  "print_i32_f32": [vt.i32(), vt.f32()], "print_f64_f64": [vt.f64(), vt.f64()]}
        items: dict[str, core.Extern] = {
            name: runtime.allocate_func_host(core.FuncType(params, []), lambda machine, args: [])
            for name, params in prints.items()
        }
        # Bit patterns of 666 and 666.6 (f32 0x4426a666, f64 0x4084d4cccccccccd).
        for name, value in (("global_i32", core.ValInst.from_i32(666)),
                            ("global_i64", core.ValInst.from_i64(666)),
                            ("global_f32", core.ValInst.from_f32_u32(0x4426A666)),
                            ("global_f64", core.ValInst.from_f64_u64(0x4084D4CCCCCCCCCD))):
            items[name] = runtime.allocate_global(core.GlobalType(value.type, 0), value)
        items["table"] = runtime.allocate_table(core.TableType(vt.ref_func(), core.Limits(10, 20)))
        items["memory"] = runtime.allocate_memory(core.MemType(core.Limits(1, 2)))
        runtime.imports["spectest"] = items

    def _decode(self, wasm: bytes) -> core.ModuleDesc:
        try:
            return core.ModuleDesc.from_reader(io.BytesIO(wasm))
        except Exception as error:  # pywasm reports decoding problems as assorted exceptions
            raise ModuleRejected("rejected", f"decoding failed: {type(error).__name__}: {error}") \
                from None

    def check(self, wasm: bytes) -> None:
        self._decode(wasm)

    def load(self, wasm: bytes, name: str | None) -> None:
        module = self._decode(wasm)
        for item in module.imps:
            if item.name not in self.runtime.imports.get(item.module, {}):
                raise ModuleRejected("unlinkable", f"unknown import {item.module}.{item.name}")
        try:
            instance = self.runtime.instance(module)
        except (AssertionError, ZeroDivisionError, IndexError, _CallStackExhausted) as error:
            self._reset_stack()
            raise ModuleRejected("rejected", f"instantiation failed: {type(error).__name__} "
                                             f"{error}".strip()) from None
        self.current = instance
        if name:
            self.instances[name] = instance

    def register(self, as_name: str, name: str | None) -> None:
        instance = self._instance(name)
        self.runtime.imports[as_name] = {export.name: export.data for export in instance.exps}

    def _instance(self, name: str | None) -> core.ModuleInst:
        instance = self.instances.get(name) if name else self.current
        if instance is None:
            raise Unsupported(f"no module instance {name or '(current)'}")
        return instance

    def _export(self, name: str | None, field: str, kind: int) -> int:
        for export in self._instance(name).exps:
            if export.name == field and export.data.kind == kind:
                return export.data.data
        raise Unsupported(f"no export {field!r} of kind {kind}")

    def _reset_stack(self) -> None:
        """A trap leaves pywasm's stacks half-unwound; the next call needs them empty."""
        stack = self.runtime.machine.stack
        stack.frame.clear()
        stack.label.clear()
        stack.value.clear()

    def invoke(self, name: str | None, field: str, args: list[WasmValue]) -> list[WasmValue]:
        address = self._export(name, field, 0x00)
        arguments = [_to_valinst(value) for value in args]
        try:
            results = self.runtime.machine.invocate(address, arguments)
        except _CallStackExhausted as error:
            self._reset_stack()
            raise Exhausted(str(error)) from None
        except (AssertionError, ZeroDivisionError) as error:
            self._reset_stack()
            raise Trapped(f"{type(error).__name__} {error}".strip()) from None
        except BaseException:
            self._reset_stack()
            raise
        return [_from_valinst(value) for value in results]

    def get(self, name: str | None, field: str) -> WasmValue:
        address = self._export(name, field, 0x03)
        return _from_valinst(self.runtime.machine.store.glob[address].data)

    def close(self) -> None:
        self.instances.clear()
        self.current = None
