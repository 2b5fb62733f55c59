"""The decoded form of a WebAssembly module: what the decoder produces and the validator and
executor consume.

Kept deliberately plain (tuples, ints, record classes) so that the decoder, the validator and every
execution tier read the same structure without conversions. The records are plain classes
(lab/interp/record.py), not dataclasses: importing dataclasses costs ~10 ms of every cold start.

Instruction encoding in `Code.body`: a flat list of tuples `(op, *immediates)`, in binary order,
with the structured `block`/`loop`/`if`, `else` and `end` kept as they appear (the body's final
`end` included). `op` is the opcode byte for one-byte opcodes, `0xFC00 | sub` for the 0xFC
prefix, `0xFD000 | sub` for SIMD and `0xFE00 | sub` for the threads atomics. Immediates:
  block/loop/if        (op, blocktype)   blocktype: None (empty), a ValType int, or a type index
                                         wrapped as TypeIdx(n) (multi-value)
  br/br_if             (op, labelidx)
  br_table             (op, (labels...), default)
  call                 (op, funcidx)
  call_indirect        (op, typeidx, tableidx)
  local/global.*       (op, index)
  select with types    (op, (valtypes...))   plain select has no immediate
  loads/stores         (op, align, offset)
  memory.size/grow     (op,)             (the reserved zero byte is checked by the decoder)
  i32/i64.const        (op, value)       value as a signed Python int
  f32/f64.const        (op, bits)        raw IEEE bit pattern as an unsigned int (NaN payloads kept)
  ref.null             (op, reftype)
  ref.func             (op, funcidx)
  table.get/set/size/grow/fill (op, tableidx)
  table.copy           (op, dst_table, src_table)
  table.init           (op, elemidx, tableidx)
  elem.drop            (op, elemidx)
  memory.init          (op, dataidx)
  data.drop            (op, dataidx)
  memory.copy/fill     (op,)
"""

from __future__ import annotations

from .record import FrozenRecord, Record

# Value types (their binary encodings).
I32 = 0x7F
I64 = 0x7E
F32 = 0x7D
F64 = 0x7C
V128 = 0x7B
FUNCREF = 0x70
EXTERNREF = 0x6F

NUM_TYPES = frozenset({I32, I64, F32, F64})
REF_TYPES = frozenset({FUNCREF, EXTERNREF})
VAL_TYPES = NUM_TYPES | REF_TYPES | {V128}

VALTYPE_NAMES = {I32: "i32", I64: "i64", F32: "f32", F64: "f64", V128: "v128",
                 FUNCREF: "funcref", EXTERNREF: "externref"}

PAGE_SIZE = 65536
MAX_PAGES = 65536  # 4 GiB: the spec's limit for 32-bit memories
# This engine never lets a memory reach the full 4 GiB (growing that far fails, which the spec
# allows), so an address that was just accessed plus a small constant cannot wrap past 2**32:
# the translator drops those wraps (see FunctionTranslator.local_tops).
ENGINE_MAX_PAGES = MAX_PAGES - 1

# Import/export kinds.
KIND_FUNC = 0
KIND_TABLE = 1
KIND_MEMORY = 2
KIND_GLOBAL = 3


class TypeIdx(tuple):
    """A block type given by a function type index (multi-value blocks): a one-element tuple,
    `(index,)`, read as `.index`."""

    __slots__ = ()

    def __new__(cls, index: int) -> TypeIdx:
        return tuple.__new__(cls, (index,))

    def __getnewargs__(self) -> tuple[int]:  # for copy and pickle
        return (self[0],)

    @property
    def index(self) -> int:  # type: ignore[override]  # shadows tuple.index(), which nothing calls on it
        return self[0]

    def __repr__(self) -> str:
        return f"TypeIdx(index={self[0]!r})"


# Types: hashed and compared (call_indirect canonicalises FuncType through a dict), so frozen.
_set = object.__setattr__


class FuncType(FrozenRecord):
    __slots__ = _fields = ("params", "results")
    params: tuple[int, ...]
    results: tuple[int, ...]

    def __init__(self, params: tuple[int, ...], results: tuple[int, ...]) -> None:
        _set(self, "params", params)
        _set(self, "results", results)


class Limits(FrozenRecord):
    __slots__ = _fields = ("min", "max")
    min: int
    max: int | None

    def __init__(self, min: int, max: int | None = None) -> None:
        _set(self, "min", min)
        _set(self, "max", max)


class TableType(FrozenRecord):
    __slots__ = _fields = ("elem_type", "limits")
    elem_type: int  # FUNCREF or EXTERNREF
    limits: Limits

    def __init__(self, elem_type: int, limits: Limits) -> None:
        _set(self, "elem_type", elem_type)
        _set(self, "limits", limits)


class MemoryType(FrozenRecord):
    __slots__ = _fields = ("limits",
                           "shared")  # threads: limits flag 0x02, a maximum is required
    limits: Limits  # in pages
    shared: bool

    def __init__(self, limits: Limits,
                 shared: bool = False) -> None:
        _set(self, "limits", limits)
        _set(self, "shared", shared)


class GlobalType(FrozenRecord):
    __slots__ = _fields = ("val_type", "mutable")
    val_type: int
    mutable: bool

    def __init__(self, val_type: int, mutable: bool) -> None:
        _set(self, "val_type", val_type)
        _set(self, "mutable", mutable)


# The module's parts: mutable records.

class Import(Record):
    __slots__ = _fields = ("module", "name", "kind", "desc")

    def __init__(self, module: str, name: str, kind: int,
                 desc: int | TableType | MemoryType | GlobalType) -> None:
        self.module = module
        self.name = name
        self.kind = kind  # KIND_*
        self.desc = desc  # type index for functions

    # Typed views of `desc` for code that has already dispatched on `kind`.
    @property
    def type_index(self) -> int:
        assert isinstance(self.desc, int), self
        return self.desc

    @property
    def table_type(self) -> TableType:
        assert isinstance(self.desc, TableType), self
        return self.desc

    @property
    def memory_type(self) -> MemoryType:
        assert isinstance(self.desc, MemoryType), self
        return self.desc

    @property
    def global_type(self) -> GlobalType:
        assert isinstance(self.desc, GlobalType), self
        return self.desc


class Export(Record):
    __slots__ = _fields = ("name", "kind", "index")

    def __init__(self, name: str, kind: int, index: int) -> None:
        self.name = name
        self.kind = kind
        self.index = index


class Code(Record):
    __slots__ = _fields = ("locals", "body")

    def __init__(self, locals: list[int], body: list[tuple]) -> None:
        self.locals = locals  # expanded: one entry per local (parameters not included)
        self.body = body  # see the module docstring


class Function(Record):
    __slots__ = _fields = ("type_index", "code")

    def __init__(self, type_index: int, code: Code) -> None:
        self.type_index = type_index
        self.code = code


class Global(Record):
    __slots__ = _fields = ("type", "init")

    def __init__(self, type: GlobalType, init: list[tuple]) -> None:
        self.type = type
        self.init = init  # constant expression, instruction tuples ending with `end`


# Element segment modes.
MODE_ACTIVE = 0
MODE_PASSIVE = 1
MODE_DECLARATIVE = 2


class Elem(Record):
    __slots__ = _fields = ("elem_type", "init", "mode", "table_index", "offset")

    def __init__(self, elem_type: int, init: list[list[tuple]], mode: int, table_index: int = 0,
                 offset: list[tuple] | None = None) -> None:
        self.elem_type = elem_type
        self.init = init  # one constant expression per element
        self.mode = mode
        self.table_index = table_index
        self.offset = offset  # constant expression for active segments


class Data(Record):
    __slots__ = _fields = ("init", "mode", "memory_index", "offset")

    def __init__(self, init: bytes, mode: int, memory_index: int = 0,
                 offset: list[tuple] | None = None) -> None:
        self.init = init
        self.mode = mode  # MODE_ACTIVE or MODE_PASSIVE
        self.memory_index = memory_index
        self.offset = offset


class CustomSection(Record):
    __slots__ = _fields = ("name", "data")

    def __init__(self, name: str, data: bytes) -> None:
        self.name = name
        self.data = data


class Module(Record):
    # No __slots__: the tiers keep per-module caches in its __dict__ (_interp_pycode, _interp_caches).
    _fields = ("types", "imports", "funcs", "tables", "memories", "globals", "exports", "start",
               "elems", "datas", "data_count", "customs")

    def __init__(self, types: list[FuncType] | None = None, imports: list[Import] | None = None,
                 funcs: list[Function] | None = None, tables: list[TableType] | None = None,
                 memories: list[MemoryType] | None = None, globals: list[Global] | None = None,
                 exports: list[Export] | None = None, start: int | None = None,
                 elems: list[Elem] | None = None, datas: list[Data] | None = None,
                 data_count: int | None = None, customs: list[CustomSection] | None = None) -> None:
        self.types: list[FuncType] = [] if types is None else types
        self.imports: list[Import] = [] if imports is None else imports
        self.funcs: list[Function] = [] if funcs is None else funcs  # defined functions only
        self.tables: list[TableType] = [] if tables is None else tables  # defined tables only
        self.memories: list[MemoryType] = [] if memories is None else memories
        self.globals: list[Global] = [] if globals is None else globals
        self.exports: list[Export] = [] if exports is None else exports
        self.start = start
        self.elems: list[Elem] = [] if elems is None else elems
        self.datas: list[Data] = [] if datas is None else datas
        self.data_count = data_count
        self.customs: list[CustomSection] = [] if customs is None else customs

    def imports_of(self, kind: int) -> list[Import]:
        return [imp for imp in self.imports if imp.kind == kind]
