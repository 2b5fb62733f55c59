"""The binary decoder: WebAssembly module bytes -> `lab.interp.module.Module`.

`decode_module(data)` either returns a Module or raises MalformedError; no other exception escapes
for any input. Messages start with the spec's wording (the text the spec tests expect, e.g.
"integer too large", "section size mismatch") and end with the byte offset where it was found.

The decoder follows the reference interpreter closely, so that malformed modules fail with the
same message:
- everything is read from the one input buffer by offset; a section or function body is checked
  against its declared size only after it has been read ("section size mismatch"), so reading
  runs on into the following bytes just like the reference does;
- every vector count and byte length is checked against the bytes remaining before anything is
  allocated ("length out of bounds");
- sections must come in the standard order (custom sections anywhere; data count between
  element and code), each at most once: any other section is "unexpected content after last
  section";
- block types try a type index (s33) first, then the empty type 0x40, then a value type.

`version` picks the binary format: "3.0" (the default) reads multi-memory's memory indices
(memarg flag bit 6, memory.size/grow/fill/copy/init) and memory64/table64's limits flag 0x04
and 64-bit offsets; "2.0" reads those bytes as Wasm 2.0 did (reserved zero bytes, a 1-bit
limits flag), whose spec tests check that they are refused.

Beyond 2.0: the 0xFE prefix (threads atomics: memargs, fence's zero byte) and the memory limits
flags 0x02/0x03 of a shared memory; relaxed SIMD is in the 0xFD table (opcodes.py).

Decoding is linear in the input size: no slicing except of the bytes a structure keeps (names,
custom payloads, data segments).

Wasm 3.0 exception handling is decoded too: the tag section (id 13, between memory and global),
tag imports and exports (kind 4), exnref / nullexnref (0x69 / 0x74) as value and reference types,
throw, throw_ref, try_table with its catch clauses, and the legacy try / catch / catch_all /
delegate / rethrow (`delegate` ends its try block like `end`).
"""

from __future__ import annotations

from . import opcodes as ops
from .errors import MalformedError
from .leb128 import UNEXPECTED_END, read_s32, read_s33, read_s64, read_u32, read_u64, read_unsigned
from .module import (
    ABSTRACT_HEAP_TYPES,
    EXTERNREF,
    FUNCREF,
    HT_INDEX,
    I8,
    I16,
    KIND_FUNC,
    KIND_GLOBAL,
    KIND_MEMORY,
    KIND_TABLE,
    KIND_TAG,
    MODE_ACTIVE,
    MODE_DECLARATIVE,
    MODE_PASSIVE,
    NON_NULL,
    VAL_TYPES,
    WASM_2_0,
    WASM_3_0,
    ArrayType,
    Code,
    CustomSection,
    Data,
    Elem,
    Export,
    FieldType,
    Function,
    FuncType,
    Global,
    GlobalType,
    Import,
    Limits,
    MemoryType,
    Module,
    StructType,
    SubType,
    TableType,
    TypeIdx,
)

MAGIC = b"\x00asm"
VERSION = b"\x01\x00\x00\x00"
# The preamble's last two bytes are a layer in the component model: 0 a core module, 1 a
# component (whose version field, bytes 4-5, counts its own drafts, e.g. 0x0d).
COMPONENT_LAYER = b"\x01\x00"

MAX_LOCALS = 50_000
"""An implementation limit on the locals of one function (parameters excluded), like other
engines have (wasmparser and so wasmtime: 50,000): locals are expanded one entry each, so an
absurd declared count must not allocate. The spec's own limit (2^32 - 1) is checked first."""

# Section ids and the order they must come in.
SEC_CUSTOM, SEC_TYPE, SEC_IMPORT, SEC_FUNCTION, SEC_TABLE, SEC_MEMORY = 0, 1, 2, 3, 4, 5
SEC_GLOBAL, SEC_EXPORT, SEC_START, SEC_ELEMENT, SEC_CODE, SEC_DATA, SEC_DATACOUNT = (
    6, 7, 8, 9, 10, 11, 12)
_SECTION_RANK: dict[int, float] = {1: 1, 2: 2, 3: 3, 4: 4, 5: 5, 6: 6, 7: 7, 8: 8, 9: 9, 12: 10, 10: 11, 11: 12}
# Exception handling (Wasm 3.0): the tag section comes between memory and global.
SEC_TAG = 13
_SECTION_RANK[SEC_TAG] = 5.5

_REF_TYPES = (FUNCREF, EXTERNREF)

# Immediate kinds as small ints for the instruction loop.
(_K_NONE, _K_BLOCK, _K_LABEL, _K_BR_TABLE, _K_FUNC, _K_CALL_INDIRECT, _K_LOCAL, _K_GLOBAL,
 _K_TABLE, _K_TABLE_COPY, _K_TABLE_INIT, _K_ELEM, _K_MEMARG, _K_ZERO, _K_ZERO2, _K_MEMORY_INIT,
 _K_DATA, _K_I32, _K_I64, _K_F32, _K_F64, _K_SELECT_T, _K_REFTYPE, _K_V128, _K_SHUFFLE, _K_LANE,
 _K_MEMARG_LANE, _K_ELSE, _K_END, _K_PREFIX_FC, _K_PREFIX_FD) = range(31)
# Wasm 3.0 typed references / GC immediate kinds (see opcodes.py)
_K_TYPE, _K_TYPE2, _K_HEAPTYPE, _K_BR_ON_CAST, _K_PREFIX_FB = range(31, 36)
_K_PREFIX_FE = 38  # threads atomics
_K_ILLEGAL = -1
_K_TRY_TABLE, _K_DELEGATE = 36, 37  # exception handling

_IMM_KIND = {
    ops.IMM_NONE: _K_NONE, ops.IMM_BLOCKTYPE: _K_BLOCK, ops.IMM_LABEL: _K_LABEL,
    ops.IMM_BR_TABLE: _K_BR_TABLE, ops.IMM_FUNC: _K_FUNC,
    ops.IMM_CALL_INDIRECT: _K_CALL_INDIRECT, ops.IMM_LOCAL: _K_LOCAL,
    ops.IMM_GLOBAL: _K_GLOBAL, ops.IMM_TABLE: _K_TABLE, ops.IMM_TABLE_COPY: _K_TABLE_COPY,
    ops.IMM_TABLE_INIT: _K_TABLE_INIT, ops.IMM_ELEM: _K_ELEM, ops.IMM_MEMARG: _K_MEMARG,
    ops.IMM_ZERO: _K_ZERO, ops.IMM_ZERO2: _K_ZERO2, ops.IMM_MEMORY_INIT: _K_MEMORY_INIT,
    ops.IMM_DATA: _K_DATA, ops.IMM_I32: _K_I32, ops.IMM_I64: _K_I64, ops.IMM_F32: _K_F32,
    ops.IMM_F64: _K_F64, ops.IMM_SELECT_T: _K_SELECT_T, ops.IMM_REFTYPE: _K_REFTYPE,
    ops.IMM_V128: _K_V128, ops.IMM_SHUFFLE: _K_SHUFFLE, ops.IMM_LANE: _K_LANE,
    ops.IMM_MEMARG_LANE: _K_MEMARG_LANE,
    ops.IMM_TYPE: _K_TYPE, ops.IMM_TYPE2: _K_TYPE2, ops.IMM_HEAPTYPE: _K_HEAPTYPE,
    ops.IMM_BR_ON_CAST: _K_BR_ON_CAST,
    ops.IMM_TAG: _K_FUNC, ops.IMM_TRY_TABLE: _K_TRY_TABLE,  # exception handling
}

# One-byte opcodes -> kind (illegal bytes -1); prefixed opcodes by full number.
_KIND1 = [_K_ILLEGAL] * 256
_FC_SUB_LIMIT = 0x100  # FC_BASE = 0xFC00 leaves 8 free bits
_FD_SUB_LIMIT = 0x1000  # FD_BASE = 0xFD000 leaves 12 free bits
_KIND_PREFIXED: dict[int, int] = {}
for _code, _info in ops.OPCODES.items():
    if _code < 0x100:
        _KIND1[_code] = _IMM_KIND[_info.imm]
    else:
        _KIND_PREFIXED[_code] = _IMM_KIND[_info.imm]
_KIND1[ops.ELSE] = _K_ELSE
_KIND1[ops.END] = _K_END
_KIND1[ops.PREFIX_FC] = _K_PREFIX_FC
_KIND1[ops.PREFIX_FD] = _K_PREFIX_FD
_KIND1[ops.PREFIX_FB] = _K_PREFIX_FB
_KIND1[ops.DELEGATE] = _K_DELEGATE  # ends its try block like `end`
_KIND1[ops.PREFIX_FE] = _K_PREFIX_FE
del _code, _info

_BLOCK_VALTYPES = frozenset(VAL_TYPES | ABSTRACT_HEAP_TYPES)
_NUM_VEC_TYPES = frozenset(VAL_TYPES - {FUNCREF, EXTERNREF})
_REF_PREFIXES = (0x63, 0x64)  # (ref null ht), (ref ht)
_END_TUPLE = (ops.END,)
_DATA_OPS = frozenset({ops.MEMORY_INIT, ops.DATA_DROP})

# Open-block states while decoding an expression.
_OPEN_BLOCK, _OPEN_THEN, _OPEN_ELSE = 0, 1, 2


def _error(msg: str, pos: int) -> MalformedError:
    return MalformedError(f"{msg} (at byte offset {pos})")


def decode_module(data: bytes | bytearray | memoryview, version: str = WASM_3_0) -> Module:
    """Decode a binary module; MalformedError (and nothing else) when it is not well-formed."""
    try:
        buf = bytes(data)
    except Exception as exc:  # not bytes-like at all
        raise MalformedError(f"module is not a byte string: {exc}") from None
    try:
        return _Decoder(buf, version == WASM_2_0).module()
    except MalformedError:
        raise
    except IndexError:
        # A byte read past the end of the input (reads index `data[pos]` without a check).
        raise MalformedError(UNEXPECTED_END) from None
    except MemoryError:
        raise MalformedError("module too large to decode (out of memory)") from None
    except RecursionError:
        raise MalformedError("module nested too deeply to decode") from None
    except Exception as exc:  # defensive: the contract is MalformedError only
        raise MalformedError(f"malformed module ({type(exc).__name__}: {exc})") from None


class _Decoder:
    def __init__(self, data: bytes, wasm2: bool = False) -> None:
        self.data = data
        self.wasm2 = wasm2  # the Wasm 2.0 binary format (see the module docstring)
        self.end = len(data)
        self.pos = 0
        self.uses_data_index = False  # memory.init / data.drop seen in a function body
        self.in_function = False  # decoding a function body (not a constant expression)

    # --- primitives ---------------------------------------------------------------------

    def byte(self) -> int:
        pos = self.pos
        if pos >= self.end:
            raise _error(UNEXPECTED_END, pos)
        self.pos = pos + 1
        return self.data[pos]

    def u32(self) -> int:
        value, self.pos = read_u32(self.data, self.pos)
        return value

    def len32(self) -> int:
        """A u32 count or length, which must not exceed the bytes left in the input (counted,
        like the reference interpreter does, from where the count itself starts)."""
        start = self.pos
        n = self.u32()
        if n > self.end - start:
            raise _error("length out of bounds", start)
        return n

    def bytes_(self, n: int) -> bytes:
        pos = self.pos
        if n < 0 or pos + n > self.end:
            raise _error(UNEXPECTED_END, self.end)
        self.pos = pos + n
        return self.data[pos:pos + n]

    def name(self) -> str:
        start = self.pos
        raw = self.bytes_(self.len32())
        try:
            return raw.decode("utf-8")  # strict: no overlongs, surrogates or > U+10FFFF
        except UnicodeDecodeError:
            raise _error("malformed UTF-8 encoding", start) from None

    def valtype(self) -> int:
        pos = self.pos
        b = self.byte()
        if b in _NUM_VEC_TYPES:
            return b
        if b in ABSTRACT_HEAP_TYPES or b in _REF_PREFIXES:
            self.pos = pos
            return self.reftype()
        if b >= 0x80:  # an s7 that continues
            raise _error("integer representation too long", pos + 1)
        raise _error("malformed value type", pos)

    def reftype(self) -> int:
        """A reference type as one int (see module.py): an abbreviation, or 0x63/0x64 and a
        heap type."""
        pos = self.pos
        b = self.byte()
        if b in ABSTRACT_HEAP_TYPES:
            return b
        if b == 0x63:
            return self.heaptype()
        if b == 0x64:
            return self.heaptype() | NON_NULL
        if b >= 0x80:
            raise _error("integer representation too long", pos + 1)
        raise _error("malformed reference type", pos)

    def heaptype(self) -> int:
        """A heap type (s33): an abstract code, or HT_INDEX + a type index."""
        pos = self.pos
        b = self.byte()
        if b in ABSTRACT_HEAP_TYPES:
            return b
        self.pos = pos
        x, self.pos = read_s33(self.data, pos)
        if x < 0:
            raise _error("malformed reference type", pos)
        return HT_INDEX + x

    def storage_type(self) -> int:
        b = self.data[self.pos] if self.pos < self.end else -1
        if b == I8 or b == I16:
            self.pos += 1
            return b
        return self.valtype()

    def field_type(self) -> FieldType:
        t = self.storage_type()
        pos = self.pos
        mut = self.byte()
        if mut > 1:
            raise _error("malformed mutability", pos)
        return FieldType(t, mut == 1)

    def limits(self) -> Limits:
        return self.limits_and_flags(0x05)[0]

    def limits_and_flags(self, allowed: int) -> tuple[Limits, int]:
        """Limits and their flags byte. Wasm 3.0: 0x01 has a maximum, 0x04 64-bit indices
        (memory64, table64), and for memories 0x02 shared (threads); the bounds are u64 for
        every index type (the validator checks their range). Wasm 2.0: a 1-bit flag."""
        if self.wasm2:
            flag, self.pos = read_unsigned(self.data, self.pos, 1)
            minimum = self.u32()
            maximum = self.u32() if flag else None
            return Limits(minimum, maximum), flag
        pos = self.pos
        flags = self.byte()
        if flags & ~allowed & 0xFF:
            raise _error("malformed limits flags", pos)
        minimum, self.pos = read_u64(self.data, self.pos)
        maximum = None
        if flags & 0x01:
            maximum, self.pos = read_u64(self.data, self.pos)
        return Limits(minimum, maximum, bool(flags & 0x04)), flags

    def memory_type(self) -> MemoryType:
        """Limits flag 0x02 (threads) marks a shared memory; the validator requires its maximum."""
        limits, flags = self.limits_and_flags(0x07)
        return MemoryType(limits, shared=bool(flags & 0x02))

    def table_type(self) -> TableType:
        elem_type = self.reftype()
        return TableType(elem_type, self.limits())

    def global_type(self) -> GlobalType:
        t = self.valtype()
        pos = self.pos
        m = self.byte()
        if m > 1:
            raise _error("malformed mutability", pos)
        return GlobalType(t, m == 1)

    # --- module ---------------------------------------------------------------------------

    def module(self) -> Module:
        data = self.data
        if self.end < 4:
            raise _error(UNEXPECTED_END, self.end)
        if data[:4] != MAGIC:
            raise _error("magic header not detected", 0)
        if self.end < 8:
            raise _error(UNEXPECTED_END, self.end)
        if data[4:8] != VERSION:
            if data[6:8] == COMPONENT_LAYER:
                # The spec's wording first, as for every message (binary.wast has layer 1
                # with version 0 among its unknown versions).
                raise _error("unknown binary version: this is a component, not a core module"
                             f" (component model binary, version {data[4] | data[5] << 8:#04x},"
                             " layer 1)", 4)
            raise _error("unknown binary version", 4)
        self.pos = 8

        m = Module()
        func_types: list[int] = []
        codes: list[Code] = []
        last_rank: float = 0  # float: the tag section ranks 5.5
        while self.pos < self.end:
            id_pos = self.pos
            sid = data[id_pos]
            if sid > 12 and sid != SEC_TAG:
                raise _error("malformed section id", id_pos)
            if sid != SEC_CUSTOM:
                rank = _SECTION_RANK[sid]
                if rank <= last_rank:
                    raise _error("unexpected content after last section", id_pos)
                last_rank = rank
            self.pos += 1
            size = self.len32()
            start = self.pos
            if sid == SEC_CUSTOM:
                name = self.name()
                m.customs.append(CustomSection(name, self.bytes_(size - (self.pos - start))))
            elif sid == SEC_TYPE:
                self.type_section(m)
            elif sid == SEC_IMPORT:
                m.imports = [self.import_() for _ in range(self.len32())]
            elif sid == SEC_FUNCTION:
                func_types = [self.u32() for _ in range(self.len32())]
            elif sid == SEC_TABLE:
                m.tables = [self.table(m, i) for i in range(self.len32())]
            elif sid == SEC_MEMORY:
                m.memories = [self.memory_type() for _ in range(self.len32())]
            elif sid == SEC_GLOBAL:
                m.globals = [self.global_() for _ in range(self.len32())]
            elif sid == SEC_EXPORT:
                m.exports = [self.export() for _ in range(self.len32())]
            elif sid == SEC_START:
                m.start = self.u32()
            elif sid == SEC_ELEMENT:
                m.elems = [self.elem() for _ in range(self.len32())]
            elif sid == SEC_DATACOUNT:
                m.data_count = self.u32()
            elif sid == SEC_CODE:
                codes = [self.code() for _ in range(self.len32())]
            elif sid == SEC_TAG:
                m.tags = [self.tag_type() for _ in range(self.len32())]
            else:  # SEC_DATA
                m.datas = [self.data_segment() for _ in range(self.len32())]
            if self.pos != start + size:
                raise _error("section size mismatch", start)

        if len(func_types) != len(codes):
            raise _error("function and code section have inconsistent lengths", self.end)
        if m.data_count is not None and m.data_count != len(m.datas):
            raise _error("data count and data section have inconsistent lengths", self.end)
        if m.data_count is None and self.uses_data_index:
            raise _error("data count section required", self.end)
        m.funcs = [Function(t, c) for t, c in zip(func_types, codes, strict=True)]
        return m

    # --- sections ---------------------------------------------------------------------------

    def type_section(self, m: Module) -> None:
        """Recursion groups of (sub)types; m.subtypes is filled only when a GC form occurs."""
        types: list = []
        subtypes: list[SubType] = []
        gc = False
        for _ in range(self.len32()):
            if self.pos < self.end and self.data[self.pos] == 0x4E:  # rec
                self.pos += 1
                n = self.len32()
                gc = True
            else:
                n = 1
            start = len(types)
            for _ in range(n):
                final, supers, comp, is_plain = self.sub_type()
                gc = gc or not is_plain
                types.append(comp)
                subtypes.append(SubType(final, supers, start, n))
        m.types = types
        if gc:
            m.subtypes = subtypes

    def sub_type(self) -> tuple[bool, tuple[int, ...], object, bool]:
        b = self.data[self.pos] if self.pos < self.end else -1
        if b == 0x50 or b == 0x4F:
            self.pos += 1
            supers = tuple(self.u32() for _ in range(self.len32()))
            return b == 0x4F, supers, self.comp_type(), False
        comp = self.comp_type()
        return True, (), comp, isinstance(comp, FuncType)

    def comp_type(self) -> object:
        pos = self.pos
        form = self.byte()
        if form == 0x60:
            return self.func_type_body()
        if form == 0x5F:
            return StructType(tuple(self.field_type() for _ in range(self.len32())))
        if form == 0x5E:
            return ArrayType(self.field_type())
        if form >= 0x80:
            raise _error("integer representation too long", pos + 1)
        raise _error("malformed function type", pos)

    def func_type(self) -> FuncType:
        pos = self.pos
        form = self.byte()
        if form != 0x60:
            if form >= 0x80:
                raise _error("integer representation too long", pos + 1)
            raise _error("malformed function type", pos)
        return self.func_type_body()

    def func_type_body(self) -> FuncType:
        params = tuple(self.valtype() for _ in range(self.len32()))
        results = tuple(self.valtype() for _ in range(self.len32()))
        return FuncType(params, results)

    def table(self, m: Module, index: int) -> TableType:
        """A table type, or (Wasm 3.0) 0x40 0x00, a table type and an initialiser."""
        if self.pos + 1 < self.end and self.data[self.pos] == 0x40:
            pos = self.pos + 1
            if self.data[pos] != 0x00:
                raise _error("malformed table", pos)
            self.pos += 2
            tt = self.table_type()
            m.table_inits[index] = self.expr()
            return tt
        return self.table_type()

    def import_(self) -> Import:
        module = self.name()
        name = self.name()
        pos = self.pos
        kind = self.byte()
        desc: int | TableType | MemoryType | GlobalType
        if kind == KIND_FUNC:
            desc = self.u32()
        elif kind == KIND_TABLE:
            desc = self.table_type()
        elif kind == KIND_MEMORY:
            desc = self.memory_type()
        elif kind == KIND_GLOBAL:
            desc = self.global_type()
        elif kind == KIND_TAG:
            desc = self.tag_type()
        else:
            raise _error("malformed import kind", pos)
        return Import(module, name, kind, desc)

    def global_(self) -> Global:
        gt = self.global_type()
        return Global(gt, self.expr())

    def export(self) -> Export:
        name = self.name()
        pos = self.pos
        kind = self.byte()
        if kind > KIND_TAG:
            raise _error("malformed export kind", pos)
        return Export(name, kind, self.u32())

    def tag_type(self) -> int:
        """A tag type (exception handling): attribute 0 (exception), then a type index."""
        pos = self.pos
        if self.byte() != 0x00:
            raise _error("malformed tag attribute", pos)
        return self.u32()

    def elem_kind(self) -> int:
        pos = self.pos
        if self.byte() != 0x00:
            raise _error("malformed element kind", pos)
        return FUNCREF | NON_NULL  # a vector of function indices: (ref func) since 3.0

    def func_indices(self) -> list[list[tuple]]:
        return [[(ops.REF_FUNC, self.u32()), _END_TUPLE] for _ in range(self.len32())]

    def exprs(self) -> list[list[tuple]]:
        return [self.expr() for _ in range(self.len32())]

    def elem(self) -> Elem:
        pos = self.pos
        flags = self.u32()
        if flags == 0:
            offset = self.expr()
            return Elem(FUNCREF | NON_NULL, self.func_indices(), MODE_ACTIVE, 0, offset)
        if flags == 1:
            t = self.elem_kind()
            return Elem(t, self.func_indices(), MODE_PASSIVE)
        if flags == 2:
            table = self.u32()
            offset = self.expr()
            t = self.elem_kind()
            return Elem(t, self.func_indices(), MODE_ACTIVE, table, offset)
        if flags == 3:
            t = self.elem_kind()
            return Elem(t, self.func_indices(), MODE_DECLARATIVE)
        if flags == 4:
            offset = self.expr()
            return Elem(FUNCREF, self.exprs(), MODE_ACTIVE, 0, offset)
        if flags == 5:
            t = self.reftype()
            return Elem(t, self.exprs(), MODE_PASSIVE)
        if flags == 6:
            table = self.u32()
            offset = self.expr()
            t = self.reftype()
            return Elem(t, self.exprs(), MODE_ACTIVE, table, offset)
        if flags == 7:
            t = self.reftype()
            return Elem(t, self.exprs(), MODE_DECLARATIVE)
        raise _error("malformed elements segment kind", pos)

    def data_segment(self) -> Data:
        pos = self.pos
        flags = self.u32()
        if flags == 0:
            offset = self.expr()
            return Data(self.bytes_(self.len32()), MODE_ACTIVE, 0, offset)
        if flags == 1:
            return Data(self.bytes_(self.len32()), MODE_PASSIVE)
        if flags == 2:
            memory = self.u32()
            offset = self.expr()
            return Data(self.bytes_(self.len32()), MODE_ACTIVE, memory, offset)
        raise _error("malformed data segment kind", pos)

    def code(self) -> Code:
        size = self.len32()
        start = self.pos
        locals_pos = self.pos
        groups = []
        total = 0
        for _ in range(self.len32()):
            n = self.u32()
            groups.append((n, self.valtype()))
            total += n
        if total >= 1 << 32:
            raise _error("too many locals", locals_pos)
        if total > MAX_LOCALS:
            raise _error(f"too many locals ({total}; this engine allows {MAX_LOCALS})",
                         locals_pos)
        local_types: list[int] = []
        for n, t in groups:
            local_types.extend([t] * n)
        body = self.expr(in_function=True)
        if self.pos != start + size:
            raise _error("section size mismatch", start)
        return Code(local_types, body)

    # --- instructions -----------------------------------------------------------------------

    def expr(self, in_function: bool = False) -> list[tuple]:
        """An instruction sequence up to and including its final `end`, as flat tuples."""
        data = self.data
        end = self.end
        pos = self.pos
        body: list[tuple] = []
        append = body.append
        blocks: list[int] = []
        kind1 = _KIND1
        self.in_function = in_function
        try:
            while True:
                op_pos = pos
                op = data[pos]
                pos += 1
                kind = kind1[op]
                if kind == _K_NONE:
                    append((op,))
                elif kind == _K_LOCAL or kind == _K_GLOBAL or kind == _K_LABEL or kind == _K_FUNC:
                    b = data[pos]
                    if b < 0x80:
                        append((op, b))
                        pos += 1
                    else:
                        x, pos = read_u32(data, pos)
                        append((op, x))
                elif kind == _K_I32:
                    x, pos = read_s32(data, pos)
                    append((op, x))
                elif kind == _K_END:
                    append(_END_TUPLE)
                    if not blocks:
                        self.pos = pos
                        return body
                    blocks.pop()
                elif kind == _K_MEMARG:
                    b = data[pos]
                    if b < 32 and data[pos + 1] < 0x80:  # memory 0, a one-byte offset: the common case
                        append((op, b, data[pos + 1]))
                        pos += 2
                    else:
                        pos = self._memarg(op, pos, None, append)
                elif kind == _K_BLOCK:
                    bt, pos = _block_type(data, pos)
                    append((op, bt))
                    blocks.append(_OPEN_THEN if op == ops.IF else _OPEN_BLOCK)
                elif kind == _K_ELSE:
                    if not blocks or blocks[-1] != _OPEN_THEN:
                        raise _error("END opcode expected", op_pos)
                    blocks[-1] = _OPEN_ELSE
                    append((op,))
                elif kind == _K_I64:
                    x, pos = read_s64(data, pos)
                    append((op, x))
                elif kind == _K_F32:
                    if pos + 4 > end:
                        raise _error(UNEXPECTED_END, end)
                    append((op, int.from_bytes(data[pos:pos + 4], "little")))
                    pos += 4
                elif kind == _K_F64:
                    if pos + 8 > end:
                        raise _error(UNEXPECTED_END, end)
                    append((op, int.from_bytes(data[pos:pos + 8], "little")))
                    pos += 8
                elif kind == _K_BR_TABLE:
                    self.pos = pos
                    labels = tuple(self.u32() for _ in range(self.len32()))
                    default = self.u32()
                    pos = self.pos
                    append((op, labels, default))
                elif kind == _K_CALL_INDIRECT:
                    typeidx, pos = read_u32(data, pos)
                    table, pos = read_u32(data, pos)
                    append((op, typeidx, table))
                elif kind == _K_ZERO:
                    if data[pos] == 0:
                        pos += 1
                        append((op,))
                    elif self.wasm2:
                        raise _error("zero byte expected", pos)
                    else:  # memory.size/grow of memory x (multi-memory)
                        x, pos = read_u32(data, pos)
                        append((op, x) if x else (op,))
                elif kind == _K_SELECT_T:
                    self.pos = pos
                    types = tuple(self.valtype() for _ in range(self.len32()))
                    pos = self.pos
                    append((op, types))
                elif kind == _K_REFTYPE:  # ref.null: a heap type (3.0), as the nullable ref
                    self.pos = pos
                    t = self.heaptype()
                    pos = self.pos
                    append((op, t))
                elif kind == _K_TABLE:
                    x, pos = read_u32(data, pos)
                    append((op, x))
                elif kind == _K_PREFIX_FC or kind == _K_PREFIX_FD:
                    sub, pos = read_u32(data, pos)
                    # A sub-opcode wider than the base's free low bits would OR into another
                    # opcode's code (fc 80 08 is sub 0x400, not trunc_sat): such codes are illegal.
                    limit = _FC_SUB_LIMIT if op == ops.PREFIX_FC else _FD_SUB_LIMIT
                    code = (ops.FC_BASE if op == ops.PREFIX_FC else ops.FD_BASE) | sub if sub < limit else -1
                    kind = _KIND_PREFIXED.get(code, _K_ILLEGAL)
                    if kind == _K_ILLEGAL:
                        if op == ops.PREFIX_FC:
                            raise _error(f"illegal opcode fc {sub:02x}", op_pos)
                        raise _error(f"illegal opcode {sub:02x}", op_pos)
                    if code in _DATA_OPS and in_function:
                        self.uses_data_index = True
                    pos = self._prefixed(code, kind, pos, append)
                elif _K_TYPE <= kind <= _K_PREFIX_FB:  # Wasm 3.0 typed references and GC
                    pos = self._gc_instruction(op, kind, pos, op_pos, append)
                elif kind == _K_TRY_TABLE:  # exception handling
                    bt, pos = _block_type(data, pos)
                    self.pos = pos
                    catches = tuple(self.catch_clause() for _ in range(self.len32()))
                    pos = self.pos
                    append((op, bt, catches))
                    blocks.append(_OPEN_BLOCK)
                elif kind == _K_DELEGATE:
                    x, pos = read_u32(data, pos)
                    append((op, x))
                    if not blocks:
                        raise _error("delegate without try", op_pos)
                    blocks.pop()
                elif kind == _K_PREFIX_FE:  # threads atomics: memargs, or fence's zero byte
                    sub, pos = read_u32(data, pos)
                    code = ops.FE_BASE | sub if sub < 0x100 else -1
                    kind = _KIND_PREFIXED.get(code, _K_ILLEGAL)
                    if kind == _K_ILLEGAL:
                        raise _error(f"illegal opcode fe {sub:02x}", op_pos)
                    pos = self._prefixed(code, kind, pos, append)
                else:  # _K_ILLEGAL
                    raise _error(f"illegal opcode {op:02x}", op_pos)
        except IndexError:
            raise _error(UNEXPECTED_END, end) from None

    def _gc_instruction(self, op: int, kind: int, pos: int, op_pos: int, append) -> int:
        """Immediates of call_ref/return_call_ref and the 0xFB (GC) instructions."""
        data = self.data
        if kind == _K_PREFIX_FB:
            sub, pos = read_u32(data, pos)
            code = ops.FB_BASE | sub if sub < 0x100 else -1
            kind = _KIND_PREFIXED.get(code, _K_ILLEGAL)
            if kind == _K_ILLEGAL:
                raise _error(f"illegal opcode fb {sub:02x}", op_pos)
            op = code
            if kind == _K_NONE:
                append((op,))
                return pos
        if kind == _K_TYPE:
            x, pos = read_u32(data, pos)
            append((op, x))
        elif kind == _K_TYPE2:
            x, pos = read_u32(data, pos)
            y, pos = read_u32(data, pos)
            append((op, x, y))
            if op in (ops.ARRAY_NEW_DATA, ops.ARRAY_INIT_DATA) and self.in_function:
                self.uses_data_index = True
        elif kind == _K_HEAPTYPE:
            self.pos = pos
            ht = self.heaptype()
            nullable = op in (ops.REF_TEST_NULL, ops.REF_CAST_NULL)
            append((op, ht if nullable else ht | NON_NULL))
            pos = self.pos
        elif kind == _K_BR_ON_CAST:
            flags = data[pos]
            if flags > 3:
                raise _error("malformed br_on_cast flags", pos)
            self.pos = pos + 1
            label = self.u32()
            h1 = self.heaptype()
            h2 = self.heaptype()
            append((op, label, h1 if flags & 1 else h1 | NON_NULL,
                    h2 if flags & 2 else h2 | NON_NULL))
            pos = self.pos
        else:  # pragma: no cover
            raise _error(f"unsupported immediate kind for {ops.op_name(op)}", pos)
        return pos
    def catch_clause(self) -> tuple[int, int | None, int]:
        """A try_table clause: (kind, tag index or None, label index)."""
        pos = self.pos
        kind = self.byte()
        if kind > ops.CATCH_ALL_REF:
            raise _error("malformed catch clause", pos)
        tag = self.u32() if kind in (ops.CATCH_TAG, ops.CATCH_REF) else None
        return (kind, tag, self.u32())

    def _prefixed(self, op: int, kind: int, pos: int, append) -> int:
        """Immediates of a 0xFC / 0xFD instruction; returns the new position."""
        data = self.data
        if kind == _K_NONE:
            append((op,))
        elif kind in (_K_TABLE, _K_ELEM, _K_DATA):
            x, pos = read_u32(data, pos)
            append((op, x))
        elif not self.wasm2 and kind in (_K_MEMORY_INIT, _K_ZERO, _K_ZERO2):
            pos = self._memory_indices(op, kind, pos, append)
        elif kind == _K_MEMORY_INIT:
            x, pos = read_u32(data, pos)
            if data[pos] != 0:
                raise _error("zero byte expected", pos)
            append((op, x))
            pos += 1
        elif kind == _K_ZERO:
            if data[pos] != 0:
                raise _error("zero byte expected", pos)
            append((op,))
            pos += 1
        elif kind == _K_ZERO2:
            if data[pos] != 0:
                raise _error("zero byte expected", pos)
            if data[pos + 1] != 0:
                raise _error("zero byte expected", pos + 1)
            append((op,))
            pos += 2
        elif kind == _K_TABLE_INIT or kind == _K_TABLE_COPY:
            x, pos = read_u32(data, pos)
            y, pos = read_u32(data, pos)
            append((op, x, y))
        elif kind == _K_MEMARG:
            pos = self._memarg(op, pos, None, append)
        elif kind == _K_MEMARG_LANE:
            pos = self._memarg(op, pos, True, append)
        elif kind == _K_V128:
            if pos + 16 > self.end:
                raise _error(UNEXPECTED_END, self.end)
            append((op, int.from_bytes(data[pos:pos + 16], "little")))
            pos += 16
        elif kind == _K_SHUFFLE:
            if pos + 16 > self.end:
                raise _error(UNEXPECTED_END, self.end)
            append((op, tuple(data[pos:pos + 16])))
            pos += 16
        elif kind == _K_LANE:
            append((op, data[pos]))
            pos += 1
        else:  # pragma: no cover - every prefixed kind is listed above
            raise _error(f"unsupported immediate kind for {ops.op_name(op)}", pos)
        return pos


    def _memarg(self, op: int, pos: int, lane: bool | None, append) -> int:
        """A memarg (and a lane index when `lane`): (op, align, offset[, lane]) on memory 0,
        (op, align, offset, lane or None, x) on memory x (see module.py)."""
        data = self.data
        flags, pos = read_u32(data, pos)
        if self.wasm2:
            if flags >= 32:
                raise _error("malformed memop flags", pos - 1)
            offset, pos = read_u32(data, pos)
            memory = 0
        else:
            if flags >= 0x80:
                raise _error("malformed memop flags", pos - 1)
            memory = 0
            if flags & 0x40:
                memory, pos = read_u32(data, pos)
            flags &= 0x3F
            offset, pos = read_u64(data, pos)
        lane_index = None
        if lane:
            lane_index = data[pos]
            pos += 1
        if memory:
            append((op, flags, offset, lane_index, memory))
        elif lane:
            append((op, flags, offset, lane_index))
        else:
            append((op, flags, offset))
        return pos

    def _memory_indices(self, op: int, kind: int, pos: int, append) -> int:
        """Wasm 3.0 memory indices of memory.init/fill/copy (see module.py for the tuples)."""
        data = self.data
        if kind == _K_MEMORY_INIT:
            y, pos = read_u32(data, pos)
            x, pos = read_u32(data, pos)
            append((op, y, x) if x else (op, y))
        elif kind == _K_ZERO:
            x, pos = read_u32(data, pos)
            append((op, x) if x else (op,))
        else:
            x, pos = read_u32(data, pos)
            y, pos = read_u32(data, pos)
            append((op, x, y) if x or y else (op,))
        return pos


def _block_type(data: bytes, pos: int) -> tuple[object, int]:
    """A block type: None (empty), a value type, or TypeIdx(n). Tries, like the reference, a
    non-negative s33 type index, then 0x40, then a value type."""
    b = data[pos]
    if b == 0x40:
        return None, pos + 1
    if b in _BLOCK_VALTYPES:
        return b, pos + 1
    if b in _REF_PREFIXES:
        d = _Decoder(data)
        d.pos = pos
        return d.reftype(), d.pos
    try:
        x, new_pos = read_s33(data, pos)
    except MalformedError:
        x = -1
    if x >= 0:
        return TypeIdx(x), new_pos
    if b >= 0x80:
        raise _error("integer representation too long", pos + 1)
    raise _error("malformed value type", pos)
