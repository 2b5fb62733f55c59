"""The decoded form of a WebAssembly module: what the decoder produces and the validator and
executor consume.

Kept deliberately plain (dataclasses, tuples, ints) so that the decoder, the validator and every
execution tier read the same structure without conversions.

Instruction encoding in `Code.body`: a flat list of tuples `(op, *immediates)`, in binary order,
with the structured `block`/`loop`/`if`, `else` and `end` kept as they appear (the body's final
`end` included). `op` is the opcode byte for one-byte opcodes, `0xFC00 | sub` for the 0xFC
prefix and `0xFD000 | sub` for SIMD. Immediates:
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

from dataclasses import dataclass, field
from typing import NamedTuple

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

# Import/export kinds.
KIND_FUNC = 0
KIND_TABLE = 1
KIND_MEMORY = 2
KIND_GLOBAL = 3


class TypeIdx(NamedTuple):
    """A block type given by a function type index (multi-value blocks)."""

    index: int  # type: ignore[assignment]  # shadows tuple.index(), which nothing calls on it


@dataclass(frozen=True)
class FuncType:
    params: tuple[int, ...]
    results: tuple[int, ...]


@dataclass(frozen=True)
class Limits:
    min: int
    max: int | None = None


@dataclass(frozen=True)
class TableType:
    elem_type: int  # FUNCREF or EXTERNREF
    limits: Limits


@dataclass(frozen=True)
class MemoryType:
    limits: Limits  # in pages


@dataclass(frozen=True)
class GlobalType:
    val_type: int
    mutable: bool


@dataclass
class Import:
    module: str
    name: str
    kind: int  # KIND_*
    desc: int | TableType | MemoryType | GlobalType  # type index for functions

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


@dataclass
class Export:
    name: str
    kind: int
    index: int


@dataclass
class Code:
    locals: list[int]  # expanded: one entry per local (parameters not included)
    body: list[tuple]  # see the module docstring


@dataclass
class Function:
    type_index: int
    code: Code


@dataclass
class Global:
    type: GlobalType
    init: list[tuple]  # constant expression, instruction tuples ending with `end`


# Element segment modes.
MODE_ACTIVE = 0
MODE_PASSIVE = 1
MODE_DECLARATIVE = 2


@dataclass
class Elem:
    elem_type: int
    init: list[list[tuple]]  # one constant expression per element
    mode: int
    table_index: int = 0
    offset: list[tuple] | None = None  # constant expression for active segments


@dataclass
class Data:
    init: bytes
    mode: int  # MODE_ACTIVE or MODE_PASSIVE
    memory_index: int = 0
    offset: list[tuple] | None = None


@dataclass
class CustomSection:
    name: str
    data: bytes


@dataclass
class Module:
    types: list[FuncType] = field(default_factory=list)
    imports: list[Import] = field(default_factory=list)
    funcs: list[Function] = field(default_factory=list)  # defined functions only
    tables: list[TableType] = field(default_factory=list)  # defined tables only
    memories: list[MemoryType] = field(default_factory=list)
    globals: list[Global] = field(default_factory=list)
    exports: list[Export] = field(default_factory=list)
    start: int | None = None
    elems: list[Elem] = field(default_factory=list)
    datas: list[Data] = field(default_factory=list)
    data_count: int | None = None
    customs: list[CustomSection] = field(default_factory=list)

    def imports_of(self, kind: int) -> list[Import]:
        return [imp for imp in self.imports if imp.kind == kind]
