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
  loads/stores         (op, align, offset)          on memory 0
                       (op, align, offset, None, x) on memory x > 0 (multi-memory)
  SIMD lane load/store (op, align, offset, lane), on memory x > 0 (op, align, offset, lane, x)
                       (so `memarg_memory(ins)` is ins[4] for a 5-tuple, else 0; offset up to
                       2**64-1 since Wasm 3.0)
  memory.size/grow     (op,) on memory 0, (op, x) on memory x > 0
  i32/i64.const        (op, value)       value as a signed Python int
  f32/f64.const        (op, bits)        raw IEEE bit pattern as an unsigned int (NaN payloads kept)
  ref.null             (op, reftype)
  ref.func             (op, funcidx)
  table.get/set/size/grow/fill (op, tableidx)
  table.copy           (op, dst_table, src_table)
  table.init           (op, elemidx, tableidx)
  elem.drop            (op, elemidx)
  memory.init          (op, dataidx), (op, dataidx, x) on memory x > 0
  data.drop            (op, dataidx)
  memory.fill          (op,), (op, x) on memory x > 0
  memory.copy          (op,), (op, dst, src) when either is not memory 0
Tables and memories whose limits have `is64` (memory64, table64) take i64 addresses/indices;
the instruction tuples do not change, the type of the memory or table tells.
Wasm 3.0 typed references and GC (opcodes.py; 0xFB-prefixed ops are `0xFB00 | sub`):
  ref.null             (op, reftype)     the heap type read as its nullable reference type
  call_ref/return_call_ref, struct.new(_default), array.new(_default), array.get/set/fill
                       (op, typeidx)
  struct.get/set, array.new_fixed/new_data/new_elem, array.copy/init_data/init_elem
                       (op, u32, u32)
  br_on_null/br_on_non_null (op, labelidx)
  ref.test/ref.cast    (op, reftype)     nullable for the `null` forms
  br_on_cast(_fail)    (op, labelidx, reftype1, reftype2)
Value types are ints; see "Wasm 3.0 reference types" below for how references are encoded.
Exception handling (Wasm 3.0):
  throw / catch        (op, tagidx)      catch, catch_all, try, delegate and rethrow are the legacy
  rethrow / delegate   (op, labelidx)    form; try is (op, blocktype) like block
  throw_ref/catch_all  (op,)
  try_table            (op, blocktype, ((kind, tagidx or None, labelidx), ...))  kind: 0 catch,
                       1 catch_ref, 2 catch_all, 3 catch_all_ref (opcodes.CATCH_*)
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

# --- Wasm 3.0 reference types (typed function references, GC) -------------------------------
# A reference type is one int: the heap type, plus NON_NULL for a non-nullable reference.
# Abstract heap types are their binary codes, so the abbreviated nullable forms keep their
# 2.0 codes (FUNCREF = (ref null func) = 0x70); a concrete heap type (a type index of the
# module) is HT_INDEX + index. These ints are module-relative; lab/interp/gctypes.py
# canonicalises them across modules (iso-recursive types) and decides subtyping.
HT_EXN = 0x69
HT_ARRAY = 0x6A
HT_STRUCT = 0x6B
HT_I31 = 0x6C
HT_EQ = 0x6D
HT_ANY = 0x6E
HT_EXTERN = 0x6F
HT_FUNC = 0x70
HT_NONE = 0x71
HT_NOEXTERN = 0x72
HT_NOFUNC = 0x73
HT_NOEXN = 0x74
ABSTRACT_HEAP_TYPES = frozenset(range(HT_EXN, HT_NOEXN + 1))
HT_INDEX = 0x100
NON_NULL = 1 << 32
ANYREF = HT_ANY
EQREF = HT_EQ
I31REF = HT_I31
STRUCTREF = HT_STRUCT
ARRAYREF = HT_ARRAY
NULLREF = HT_NONE
NULLEXTERNREF = HT_NOEXTERN
NULLFUNCREF = HT_NOFUNC
# Packed storage types of struct fields and array elements.
I8 = 0x78
I16 = 0x77

VALTYPE_NAMES.update({ANYREF: "anyref", EQREF: "eqref", I31REF: "i31ref",
                      STRUCTREF: "structref", ARRAYREF: "arrayref", NULLREF: "nullref",
                      NULLEXTERNREF: "nullexternref", NULLFUNCREF: "nullfuncref",
                      HT_EXN: "exnref", HT_NOEXN: "nullexnref", I8: "i8", I16: "i16"})


def is_ref(t: int) -> bool:
    """Whether a value type (int) is a reference type."""
    return t in ABSTRACT_HEAP_TYPES or t >= HT_INDEX


def ref_type(heap: int, nullable: bool) -> int:
    return heap if nullable else heap | NON_NULL


def heap_of(t: int) -> int:
    return t & ~NON_NULL
# The binary format and validation rules the decoder and validator apply (decode_module,
# validate_module): Wasm 3.0 by default; "2.0" refuses what 3.0 added where the 2.0 spec tests
# check that (memory indices, several memories, 64-bit limits).
WASM_2_0 = "2.0"
WASM_3_0 = "3.0"

PAGE_SIZE = 65536
MAX_PAGES = 65536  # 4 GiB: the spec's limit for 32-bit memories
# This engine never lets a memory reach the full 4 GiB (growing that far fails, which the spec
# allows), so an address that was just accessed plus a small constant cannot wrap past 2**32:
# the translator drops those wraps (see FunctionTranslator.local_tops).
ENGINE_MAX_PAGES = MAX_PAGES - 1

# --- exception handling (Wasm 3.0): exnref, tags ------------------------------------------------
# Abbreviated reference types as ints, like funcref/externref (the gc part owns the general form).
EXNREF = 0x69       # (ref null exn)
NULLEXNREF = 0x74   # (ref null noexn): the type of ref.null noexn, a subtype of exnref
EH_REF_TYPES = frozenset({EXNREF, NULLEXNREF})
REF_TYPES = REF_TYPES | EH_REF_TYPES
VAL_TYPES = VAL_TYPES | EH_REF_TYPES
VALTYPE_NAMES[EXNREF] = "exnref"
VALTYPE_NAMES[NULLEXNREF] = "nullexnref"

# Import/export kinds.
KIND_FUNC = 0
KIND_TABLE = 1
KIND_MEMORY = 2
KIND_GLOBAL = 3
KIND_TAG = 4        # exception handling: desc / index is the tag's function type index


MAX_PAGES_64 = 1 << 48  # the spec's limit for 64-bit memories (256 TiB)


def memarg_memory(ins: tuple) -> int:
    """The memory index of a load/store instruction tuple (see the module docstring)."""
    return ins[4] if len(ins) == 5 else 0


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


class FieldType(FrozenRecord):
    """A struct field or array element: a value type or packed I8/I16, and mutability."""
    __slots__ = _fields = ("storage", "mutable")
    storage: int
    mutable: bool

    def __init__(self, storage: int, mutable: bool) -> None:
        _set(self, "storage", storage)
        _set(self, "mutable", mutable)


class StructType(FrozenRecord):
    __slots__ = _fields = ("fields",)
    fields: tuple[FieldType, ...]

    def __init__(self, fields: tuple[FieldType, ...]) -> None:
        _set(self, "fields", fields)


class ArrayType(FrozenRecord):
    __slots__ = _fields = ("field",)
    field: FieldType

    def __init__(self, field: FieldType) -> None:
        _set(self, "field", field)


CompType = FuncType | StructType | ArrayType


class SubType(FrozenRecord):
    """How a type was declared (GC): final or not, its declared supertypes (type indices) and
    its recursion group (first index and size). Modules without GC types have none."""
    __slots__ = _fields = ("final", "supers", "group", "group_size")
    final: bool
    supers: tuple[int, ...]
    group: int
    group_size: int

    def __init__(self, final: bool, supers: tuple[int, ...], group: int,
                 group_size: int) -> None:
        _set(self, "final", final)
        _set(self, "supers", supers)
        _set(self, "group", group)
        _set(self, "group_size", group_size)


class Limits(FrozenRecord):
    __slots__ = _fields = ("min", "max", "is64")
    min: int
    max: int | None
    is64: bool  # the address/index type is i64 (memory64, table64: limits flag 0x04)

    def __init__(self, min: int, max: int | None = None, is64: bool = False) -> None:
        _set(self, "min", min)
        _set(self, "max", max)
        _set(self, "is64", is64)


class TableType(FrozenRecord):
    __slots__ = _fields = ("elem_type", "limits")
    elem_type: int  # a reference type
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
               "elems", "datas", "data_count", "customs", "subtypes", "table_inits", "tags")

    def __init__(self, types: list[FuncType] | None = None, imports: list[Import] | None = None,
                 funcs: list[Function] | None = None, tables: list[TableType] | None = None,
                 memories: list[MemoryType] | None = None, globals: list[Global] | None = None,
                 exports: list[Export] | None = None, start: int | None = None,
                 elems: list[Elem] | None = None, datas: list[Data] | None = None,
                 data_count: int | None = None, customs: list[CustomSection] | None = None,
                 subtypes: list[SubType] | None = None,
                 table_inits: dict[int, list[tuple]] | None = None) -> None:
        self.types: list = [] if types is None else types  # FuncType (StructType, ArrayType: GC)
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
        # GC: one SubType per type when the type section used rec/sub forms, else empty
        self.subtypes: list[SubType] = [] if subtypes is None else subtypes
        # initialiser expressions of defined tables that have one, by defined-table index
        self.table_inits: dict[int, list[tuple]] = {} if table_inits is None else table_inits
        self.tags: list[int] = []  # exception handling: defined tags' function type indices

    def imports_of(self, kind: int) -> list[Import]:
        return [imp for imp in self.imports if imp.kind == kind]


def memory_types(mod: Module) -> list[MemoryType]:
    """Every memory's type, imports first (the memory index space)."""
    return [imp.memory_type for imp in mod.imports_of(KIND_MEMORY)] + list(mod.memories)


def table_types(mod: Module) -> list[TableType]:
    """Every table's type, imports first (the table index space)."""
    return [imp.table_type for imp in mod.imports_of(KIND_TABLE)] + list(mod.tables)
