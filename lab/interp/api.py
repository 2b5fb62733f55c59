"""The embedding API of the pure-Python engine, shaped like wasmtime-py.

    engine = Engine()
    store = Store(engine, fuel=None, max_memory_pages=16384, max_table_elements=10_000_000,
                  max_call_depth=20_000)
    module = Module(engine, wasm_bytes)              # decodes and validates
    log = Func(store, FuncType([I32], []), print)
    instance = Instance(store, module, [log])        # one extern per import, in import order
    run = instance.exports(store)["run"]
    run(store, 42)

Value convention at this API (as wasmtime-py): i32 and i64 are Python ints, returned *signed*
(arguments may be given signed or unsigned); f32 and f64 are Python floats (an f32 argument is
rounded to single precision); funcref is a Func or None; externref is any Python object, None
being the null reference; v128 is a Python int, the 128-bit value with lane 0 in the low bits
(given signed or unsigned, returned unsigned). Wasm 3.0 references (value types are ints, see
lab/interp/module.py: e.g. ANYREF, or ref_type(HT_INDEX + i, nullable)): a function reference of
any type is a Func, an i31 a Python int, a struct or array the engine's opaque object
(lab.interp.gcvalues.Struct/Array), an internalized externref a gcvalues.HostAny.
A call returns None for no result, the value for one, a list for several.

Bits-level path: `Func.call_bits(store, args)` takes and returns lists of raw values: i32/i64/f32/
f64 (and v128) as *unsigned bit patterns* (NaN payloads, signalling ones included, kept exactly), references
as above. Host functions made with `Func(..., raw=True)` receive and return the engine's internal
representation (see lab/interp/numeric.py: ints unsigned, f32 as bits, f64 as float).

Host functions can reach the calling instance: with `access_caller=True` the callable gets a
`Caller` first, whose `get(name)` / `caller["memory"]` returns the calling instance's export
(e.g. its memory, for WASI).

Errors: only lab.interp.errors types leave this module: MalformedError/InvalidError from Module,
LinkError/LimitError/Trap from Instance, Trap (with a TRAP_* kind) from calls, and
UncaughtException for a Wasm exception no handler caught (`exn.tag`, `exn.values`; exnref values
are the engine's ExnInst objects). An exception
raised by a host function that is not a WasmError reaches the caller as a WasmError whose
__cause__ is the original exception.
"""

from __future__ import annotations

import mmap

from . import module as _m
from . import runtime as _rt
from .errors import (
    TRAP_OOB_MEMORY,
    TRAP_OOB_TABLE,
    TRAP_STACK_EXHAUSTED,
    InvalidError,
    LimitError,
    LinkError,
    MalformedError,
    Trap,
    UncaughtException,
    UnknownImport,
    WasmError,
)
from .module import EXTERNREF, F32, F64, FUNCREF, I32, I64, V128, Limits
from .record import Record
from .tier import execute as _execute

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (~8 ms); mypy reads it as True
if TYPE_CHECKING:
    from collections.abc import Callable, Iterable
    from typing import Any

M32 = 0xFFFFFFFF
M64 = 0xFFFFFFFFFFFFFFFF
M128 = (1 << 128) - 1


def _numeric():
    """numeric.py, imported on first use of a float conversion (keeps cold starts short)."""
    from . import numeric
    return numeric

__all__ = [
    "Engine", "Store", "StoreLimits", "Module", "Instance", "Func", "Memory", "Table", "Global",
    "Caller", "Linker", "Tag", "FuncType", "TableType", "MemoryType", "GlobalType", "Limits",
    "I32", "I64", "F32", "F64", "V128", "FUNCREF", "EXTERNREF",
    "WasmError", "Trap", "UncaughtException", "LinkError", "UnknownImport", "LimitError", "MalformedError",
    "InvalidError",
]


# ---------------------------------------------------------------------------------------------
# Types (accept lists, store tuples)

def FuncType(params: Iterable[int], results: Iterable[int]) -> _m.FuncType:
    return _m.FuncType(tuple(params), tuple(results))


def TableType(elem_type: int, minimum: int, maximum: int | None = None, *,
              is64: bool = False) -> _m.TableType:
    """is64: a table64 table (i64 indices)."""
    return _m.TableType(elem_type, _m.Limits(minimum, maximum, is64))


def MemoryType(minimum: int, maximum: int | None = None, shared: bool = False, *,
               is64: bool = False) -> _m.MemoryType:
    """shared: a threads memory (needs a maximum); is64: a memory64 memory (i64 addresses)."""
    return _m.MemoryType(_m.Limits(minimum, maximum, is64), shared)


def GlobalType(val_type: int, mutable: bool = False) -> _m.GlobalType:
    return _m.GlobalType(val_type, mutable)


# ---------------------------------------------------------------------------------------------
# Value conversions

def _to_internal(t: int, v: Any, store: Store | None = None):
    if t == I32:
        return int(v) & M32
    if t == I64:
        return int(v) & M64
    if t == F32:
        return _numeric().float_to_f32(float(v))
    if t == F64:
        return float(v)
    if t == V128:
        return int(v) & M128
    if t == FUNCREF:
        if v is None:
            return None
        if isinstance(v, Func):
            return v._inst
        if isinstance(v, _rt.FuncInst):
            return v
        raise TypeError(f"expected a Func or None for funcref, got {v!r}")
    if isinstance(v, Func):  # a typed function reference (Wasm 3.0)
        return v._inst
    return v  # externref: any object, None = null; GC references as the engine made them


def _from_internal(t: int, v: Any, store: Store):
    if t == I32:
        return v - ((v & 0x80000000) << 1)
    if t == I64:
        return v - ((v & 0x8000000000000000) << 1)
    if t == F32:
        return _numeric().f32_to_float(v)
    if t == F64:
        return v
    if t == FUNCREF or isinstance(v, _rt.FuncInst):
        return None if v is None else Func._wrap(store, v)
    return v


def _bits_to_internal(t: int, v: Any):
    if t == F64:
        return _numeric().bits_to_f64(v)
    if t == I32 or t == F32:
        return v & M32
    if t == I64:
        return v & M64
    if t == V128:
        return v & M128
    if t == FUNCREF and isinstance(v, Func):
        return v._inst
    return v


def _internal_to_bits(t: int, v: Any):
    if t == F64:
        return _numeric().f64_to_bits(v)
    return v


# ---------------------------------------------------------------------------------------------

class Engine:
    """Compilation settings (none yet); kept for wasmtime-py compatibility."""

    def __init__(self, config: Any = None) -> None:
        self.config = config


class StoreLimits(Record):
    __slots__ = _fields = ("max_memory_pages", "max_table_elements", "max_call_depth")

    def __init__(self, max_memory_pages: int = _rt.DEFAULT_MAX_MEMORY_PAGES,
                 max_table_elements: int = _rt.DEFAULT_MAX_TABLE_ELEMENTS,
                 max_call_depth: int = _rt.DEFAULT_MAX_CALL_DEPTH) -> None:
        self.max_memory_pages = max_memory_pages
        self.max_table_elements = max_table_elements
        self.max_call_depth = max_call_depth


class Store:
    """Holds all runtime objects, the limits and the fuel.

    fuel: None for unlimited, else the number of units execution may consume (one per call, and
    per loop iteration the size of the loop body) before trapping with TRAP_OUT_OF_FUEL.
    A memory or table whose declared minimum exceeds the limits is refused with LimitError;
    growing past them fails (memory.grow / table.grow return -1)."""

    def __init__(self, engine: Engine | None = None, *, fuel: int | None = None,
                 max_memory_pages: int | None = None, max_table_elements: int | None = None,
                 max_call_depth: int | None = None, limits: StoreLimits | None = None) -> None:
        limits = limits or StoreLimits()
        self.engine = engine or Engine()
        self._store = _rt.Store(
            fuel=fuel,
            max_memory_pages=limits.max_memory_pages if max_memory_pages is None
            else max_memory_pages,
            max_table_elements=limits.max_table_elements if max_table_elements is None
            else max_table_elements,
            max_call_depth=limits.max_call_depth if max_call_depth is None else max_call_depth,
        )

    @property
    def limits(self) -> StoreLimits:
        s = self._store
        return StoreLimits(s.max_memory_pages, s.max_table_elements, s.max_call_depth)

    def set_fuel(self, fuel: int | None) -> None:
        self._store.fuel = fuel

    def get_fuel(self) -> int | None:
        return self._store.fuel

    def add_fuel(self, fuel: int) -> None:
        self._store.fuel = (self._store.fuel or 0) + fuel


class Module:
    """A decoded and validated module."""

    def __init__(self, engine: Engine | None, wasm: bytes | bytearray | memoryview) -> None:
        self.engine = engine
        wasm = bytes(wasm)
        from .tier import attach_disk_cache, cached_code
        path, entries = cached_code(wasm)
        # code cached for these exact bytes was translated from a validated module
        self._module = _decode_validate(wasm, validate=entries is None)
        attach_disk_cache(self._module, path, entries)

    @classmethod
    def from_decoded(cls, engine: Engine | None, module: _m.Module) -> Module:
        """Wrap an already decoded (and validated) lab.interp.module.Module."""
        self = cls.__new__(cls)
        self.engine = engine
        self._module = module
        return self

    @staticmethod
    def validate(engine: Engine | None, wasm: bytes) -> None:
        """Raise MalformedError or InvalidError unless `wasm` is a valid module."""
        _decode_validate(bytes(wasm))

    @property
    def imports(self) -> list[_m.Import]:
        return list(self._module.imports)

    @property
    def exports(self) -> list[_m.Export]:
        return list(self._module.exports)

    def precompile(self) -> None:
        """Compile every function body now instead of at its first call (for the default
        tier: see runtime.default_tier)."""
        _rt.precompile(self._module, _rt.default_tier())


def _decode_validate(wasm: bytes, validate: bool = True) -> _m.Module:
    from .decode import decode_module
    try:
        module = decode_module(wasm)
    except WasmError:
        raise
    except Exception as exc:  # a decoder bug must not escape as a raw Python error
        raise MalformedError(f"decoder failed: {exc!r}") from exc
    if not validate:
        return module
    from .validate import validate_module
    try:
        validate_module(module)
    except WasmError:
        raise
    except Exception as exc:
        raise InvalidError(f"validator failed: {exc!r}") from exc
    return module


def _guard(exc: BaseException) -> WasmError:
    """Map a stray Python exception from inside the engine to a WasmError."""
    if isinstance(exc, RecursionError):
        return Trap(TRAP_STACK_EXHAUSTED)
    if isinstance(exc, MemoryError):
        return LimitError("out of memory")
    return WasmError(f"internal error: {exc!r}")


def _call_internal(store: Store, f: _rt.FuncInst, args: list) -> list:
    try:
        if f.host is not None:
            return list(f.host(None, args))
        return _execute(store._store, f, args)
    except WasmError:
        raise
    except Exception as exc:
        raise _guard(exc) from exc


class Func:
    """A function: exported from an instance, or defined by the host.

    Func(store, ty, fn, access_caller=False, raw=False): fn(*args) -> result(s), or
    fn(caller, *args) with access_caller. With raw=True, arguments and results are in the
    internal representation (see the module docstring)."""

    def __init__(self, store: Store, ty: _m.FuncType, fn: Callable, access_caller: bool = False,
                 raw: bool = False) -> None:
        ty = _m.FuncType(tuple(ty.params), tuple(ty.results))
        self._inst = _rt.FuncInst(ty, host=_make_host(store, ty, fn, access_caller, raw),
                                  name=getattr(fn, "__name__", "host"))

    @classmethod
    def _wrap(cls, store: Store, inst: _rt.FuncInst) -> Func:
        self = cls.__new__(cls)
        self._inst = inst
        return self

    def type(self, store: Store | None = None) -> _m.FuncType:
        return self._inst.type

    def __call__(self, store: Store, *args: Any) -> Any:
        ft = self._inst.type
        if len(args) != len(ft.params):
            raise WasmError(f"expected {len(ft.params)} arguments, got {len(args)}")
        try:
            raw = [_to_internal(t, v) for t, v in zip(ft.params, args, strict=True)]
        except (TypeError, ValueError) as exc:
            raise WasmError(f"bad argument: {exc}") from exc
        results = _call_internal(store, self._inst, raw)
        out = [_from_internal(t, v, store) for t, v in zip(ft.results, results, strict=True)]
        if not out:
            return None
        return out[0] if len(out) == 1 else out

    def call_bits(self, store: Store, args: list) -> list:
        """Call with raw values: numbers as unsigned bit patterns, refs as objects/None."""
        ft = self._inst.type
        if len(args) != len(ft.params):
            raise WasmError(f"expected {len(ft.params)} arguments, got {len(args)}")
        raw = [_bits_to_internal(t, v) for t, v in zip(ft.params, args, strict=True)]
        results = _call_internal(store, self._inst, raw)
        return [_internal_to_bits(t, v) for t, v in zip(ft.results, results, strict=True)]

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Func) and other._inst is self._inst

    def __hash__(self) -> int:
        return id(self._inst)

    def __repr__(self) -> str:
        return f"Func({self._inst.name!r}, {self._inst.type})"


class Caller:
    """What a host function made with access_caller=True receives first: the calling instance's
    exports (None when the host function was called directly from Python)."""

    def __init__(self, store: Store, inst: _rt.ModuleInst | None) -> None:
        self.store = store
        self._inst = inst

    def get(self, name: str):
        if self._inst is None:
            return None
        obj = self._inst.exports.get(name)
        return None if obj is None else _wrap_extern(self.store, obj)

    def __getitem__(self, name: str):
        obj = self.get(name)
        if obj is None:
            raise KeyError(name)
        return obj

    @property
    def memory(self) -> Memory | None:
        """The calling instance's memory 0 (exported or not)."""
        if self._inst is None or self._inst.mem0 is None:
            return None
        return Memory._wrap(self._inst.mem0)


def _make_host(store: Store, ty: _m.FuncType, fn: Callable, access_caller: bool, raw: bool):
    params = ty.params
    results = ty.results
    nres = len(results)

    def host(caller_inst, args):
        try:
            if raw:
                pyargs = args
            else:
                pyargs = [_from_internal(t, v, store) for t, v in zip(params, args, strict=True)]
            if access_caller:
                r = fn(Caller(store, caller_inst), *pyargs)
            else:
                r = fn(*pyargs)
            if nres == 0:
                return ()
            if nres == 1:
                r = (r,) if raw or not isinstance(r, (list, tuple)) else r
            if raw:
                return r
            return [_to_internal(t, v) for t, v in zip(results, r, strict=True)]
        except WasmError:
            raise
        except RecursionError:
            # The Python stack ran out inside the host function because the guest recursed to
            # the limit: that is the guest's call stack exhausted, not a host failure.
            raise Trap(TRAP_STACK_EXHAUSTED) from None
        except Exception as exc:
            raise WasmError(f"host function {getattr(fn, '__name__', fn)!r} raised "
                            f"{type(exc).__name__}: {exc}") from exc

    return host


class Memory:
    """A linear memory. `buffer(store)` is the live buffer, a bytearray or an anonymous mmap (it
    grows in place; do not hold a memoryview of it across calls that may grow the memory)."""

    def __init__(self, store: Store, ty: _m.MemoryType) -> None:
        self._inst = _rt.MemInst(ty, store._store.max_memory_pages)

    @classmethod
    def _wrap(cls, inst: _rt.MemInst) -> Memory:
        self = cls.__new__(cls)
        self._inst = inst
        return self

    def type(self, store: Store | None = None) -> _m.MemoryType:
        return self._inst.type

    def size(self, store: Store | None = None) -> int:
        """Size in pages."""
        return self._inst.pages

    def data_len(self, store: Store | None = None) -> int:
        return len(self._inst.data)

    def grow(self, store: Store | None, delta: int) -> int:
        """Grow by `delta` pages; the previous size. LimitError when refused."""
        old = self._inst.grow(delta)
        if old < 0:
            raise LimitError(f"failed to grow memory by {delta} pages")
        return old

    def buffer(self, store: Store | None = None) -> bytearray | mmap.mmap:
        return self._inst.data

    def read(self, store: Store | None, start: int, stop: int) -> bytes:
        data = self._inst.data
        if start < 0 or stop > len(data) or start > stop:
            raise Trap(TRAP_OOB_MEMORY)
        return bytes(data[start:stop])

    def write(self, store: Store | None, value: bytes, start: int = 0) -> int:
        data = self._inst.data
        end = start + len(value)
        if start < 0 or end > len(data):
            raise Trap(TRAP_OOB_MEMORY)
        data[start:end] = value
        return len(value)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Memory) and other._inst is self._inst

    def __hash__(self) -> int:
        return id(self._inst)


class Table:
    def __init__(self, store: Store, ty: _m.TableType, init: Any = None) -> None:
        self._inst = _rt.TableInst(ty, store._store.max_table_elements,
                                   _to_internal(ty.elem_type, init))

    @classmethod
    def _wrap(cls, inst: _rt.TableInst) -> Table:
        self = cls.__new__(cls)
        self._inst = inst
        return self

    def type(self, store: Store | None = None) -> _m.TableType:
        return self._inst.type

    def size(self, store: Store | None = None) -> int:
        return len(self._inst.elems)

    def get(self, store: Store, idx: int) -> Any:
        elems = self._inst.elems
        if not 0 <= idx < len(elems):
            raise Trap(TRAP_OOB_TABLE)
        return _from_internal(self._inst.elem_type, elems[idx], store)

    def set(self, store: Store, idx: int, value: Any) -> None:
        elems = self._inst.elems
        if not 0 <= idx < len(elems):
            raise Trap(TRAP_OOB_TABLE)
        elems[idx] = _to_internal(self._inst.elem_type, value)

    def grow(self, store: Store, delta: int, init: Any = None) -> int:
        old = self._inst.grow(delta, _to_internal(self._inst.elem_type, init))
        if old < 0:
            raise LimitError(f"failed to grow table by {delta} elements")
        return old

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Table) and other._inst is self._inst

    def __hash__(self) -> int:
        return id(self._inst)


class Global:
    def __init__(self, store: Store, ty: _m.GlobalType, value: Any) -> None:
        self._inst = _rt.GlobalInst(ty, _to_internal(ty.val_type, value))

    @classmethod
    def _wrap(cls, inst: _rt.GlobalInst) -> Global:
        self = cls.__new__(cls)
        self._inst = inst
        return self

    def type(self, store: Store | None = None) -> _m.GlobalType:
        return self._inst.type

    def value(self, store: Store) -> Any:
        return _from_internal(self._inst.type.val_type, self._inst.value, store)

    def value_bits(self, store: Store | None = None) -> Any:
        return _internal_to_bits(self._inst.type.val_type, self._inst.value)

    def set_value(self, store: Store, value: Any) -> None:
        if not self._inst.type.mutable:
            raise WasmError("global is immutable")
        self._inst.value = _to_internal(self._inst.type.val_type, value)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Global) and other._inst is self._inst

    def __hash__(self) -> int:
        return id(self._inst)


class Tag:
    """An exception tag (exception handling): exported by an instance, or made by the host to
    be imported (`Tag(store, FuncType([I32], []))`); identity is the tag. An uncaught exception
    reaches the caller as UncaughtException, whose `exn.tag` is the TagInst a Tag wraps."""

    def __init__(self, store: Store, ty: _m.FuncType) -> None:
        from .eh import TagInst
        if ty.results:
            raise WasmError("a tag's type must have no results")
        self._inst = TagInst(_rt.canonical_type(ty))

    @classmethod
    def _wrap(cls, inst: Any) -> Tag:
        self = cls.__new__(cls)
        self._inst = inst
        return self

    def type(self, store: Store | None = None) -> _m.FuncType:
        return self._inst.type

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Tag) and other._inst is self._inst

    def __hash__(self) -> int:
        return id(self._inst)


Extern = Func | Memory | Table | Global | Tag


def _wrap_extern(store: Store, obj: Any) -> Extern:
    if isinstance(obj, _rt.FuncInst):
        return Func._wrap(store, obj)
    if isinstance(obj, _rt.MemInst):
        return Memory._wrap(obj)
    if isinstance(obj, _rt.TableInst):
        return Table._wrap(obj)
    if isinstance(obj, _rt.GlobalInst):
        return Global._wrap(obj)
    from .eh import TagInst
    if isinstance(obj, TagInst):
        return Tag._wrap(obj)
    raise TypeError(f"not an extern: {obj!r}")


def _unwrap_extern(obj: Any):
    if isinstance(obj, (Func, Memory, Table, Global, Tag)):
        return obj._inst
    raise LinkError(f"not a Func, Memory, Table, Global or Tag: {obj!r}")


class Instance:
    """An instantiated module. `imports`: one Func/Memory/Table/Global per module import, in
    the module's import order."""

    def __init__(self, store: Store, module: Module, imports: Iterable[Extern]) -> None:
        externs = [_unwrap_extern(x) for x in imports]
        try:
            self._inst = _rt.instantiate(store._store, module._module, externs,
                                         invoke=lambda st, f, a: _call_internal(store, f, a))
        except WasmError:
            raise
        except Exception as exc:
            raise _guard(exc) from exc
        self._store = store

    def exports(self, store: Store | None = None) -> dict[str, Extern]:
        st = store or self._store
        return {name: _wrap_extern(st, obj) for name, obj in self._inst.exports.items()}


class Linker:
    """Name-based import resolution: define externs under (module, name), then instantiate."""

    def __init__(self, engine: Engine | None = None) -> None:
        self.engine = engine
        self.allow_shadowing = False
        self._defs: dict[tuple[str, str], Extern] = {}

    def define(self, store: Store | None, module: str, name: str, item: Extern) -> None:
        key = (module, name)
        if key in self._defs and not self.allow_shadowing:
            raise LinkError(f"import {module}.{name} defined twice")
        self._defs[key] = item

    def define_func(self, store: Store, module: str, name: str, ty: _m.FuncType, fn: Callable,
                    access_caller: bool = False, raw: bool = False) -> None:
        self.define(store, module, name, Func(store, ty, fn, access_caller, raw))

    def define_instance(self, store: Store, name: str, instance: Instance) -> None:
        for field, item in instance.exports(store).items():
            self.define(store, name, field, item)

    def get(self, store: Store | None, module: str, name: str) -> Extern | None:
        return self._defs.get((module, name))

    def instantiate(self, store: Store, module: Module) -> Instance:
        items = []
        for imp in module._module.imports:
            item = self._defs.get((imp.module, imp.name))
            if item is None:
                raise UnknownImport(imp.module, imp.name)
            items.append(item)
        return Instance(store, module, items)
