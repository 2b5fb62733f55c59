"""The binary decoder: WebAssembly 2.0 module bytes -> `lab.interp.module.Module`.

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

Beyond 2.0: the 0xFE prefix (threads atomics: memargs, fence's zero byte) and the memory limits
flags 0x02/0x03 of a shared memory; relaxed SIMD is in the 0xFD table (opcodes.py).

Decoding is linear in the input size: no slicing except of the bytes a structure keeps (names,
custom payloads, data segments).
"""

from __future__ import annotations

from . import opcodes as ops
from .errors import MalformedError
from .leb128 import UNEXPECTED_END, read_s32, read_s33, read_s64, read_u32, read_unsigned
from .module import (
    EXTERNREF,
    FUNCREF,
    KIND_FUNC,
    KIND_GLOBAL,
    KIND_MEMORY,
    KIND_TABLE,
    MODE_ACTIVE,
    MODE_DECLARATIVE,
    MODE_PASSIVE,
    VAL_TYPES,
    Code,
    CustomSection,
    Data,
    Elem,
    Export,
    Function,
    FuncType,
    Global,
    GlobalType,
    Import,
    Limits,
    MemoryType,
    Module,
    TableType,
    TypeIdx,
)

MAGIC = b"\x00asm"
VERSION = b"\x01\x00\x00\x00"
# The preamble's last two bytes are a layer in the component model: 0 a core module, 1 a
# component (whose version field, bytes 4-5, counts its own drafts, e.g. 0x0d).
COMPONENT_LAYER = b"\x01\x00"
# Type forms of the GC proposal (Wasm 3.0), which this Wasm 2.0 engine does not implement.
GC_TYPE_FORMS = {0x4E: "rec", 0x4F: "sub final", 0x50: "sub", 0x5E: "array", 0x5F: "struct"}

MAX_LOCALS = 50_000
"""An implementation limit on the locals of one function (parameters excluded), like other
engines have (wasmparser and so wasmtime: 50,000): locals are expanded one entry each, so an
absurd declared count must not allocate. The spec's own limit (2^32 - 1) is checked first."""

# Section ids and the order they must come in.
SEC_CUSTOM, SEC_TYPE, SEC_IMPORT, SEC_FUNCTION, SEC_TABLE, SEC_MEMORY = 0, 1, 2, 3, 4, 5
SEC_GLOBAL, SEC_EXPORT, SEC_START, SEC_ELEMENT, SEC_CODE, SEC_DATA, SEC_DATACOUNT = (
    6, 7, 8, 9, 10, 11, 12)
_SECTION_RANK = {1: 1, 2: 2, 3: 3, 4: 4, 5: 5, 6: 6, 7: 7, 8: 8, 9: 9, 12: 10, 10: 11, 11: 12}

_REF_TYPES = (FUNCREF, EXTERNREF)

# Immediate kinds as small ints for the instruction loop.
(_K_NONE, _K_BLOCK, _K_LABEL, _K_BR_TABLE, _K_FUNC, _K_CALL_INDIRECT, _K_LOCAL, _K_GLOBAL,
 _K_TABLE, _K_TABLE_COPY, _K_TABLE_INIT, _K_ELEM, _K_MEMARG, _K_ZERO, _K_ZERO2, _K_MEMORY_INIT,
 _K_DATA, _K_I32, _K_I64, _K_F32, _K_F64, _K_SELECT_T, _K_REFTYPE, _K_V128, _K_SHUFFLE, _K_LANE,
 _K_MEMARG_LANE, _K_ELSE, _K_END, _K_PREFIX_FC, _K_PREFIX_FD) = range(31)
_K_PREFIX_FE = 31  # threads atomics
_K_ILLEGAL = -1

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
_KIND1[ops.PREFIX_FE] = _K_PREFIX_FE
del _code, _info

_BLOCK_VALTYPES = frozenset(VAL_TYPES)
_END_TUPLE = (ops.END,)
_DATA_OPS = frozenset({ops.MEMORY_INIT, ops.DATA_DROP})

# Open-block states while decoding an expression.
_OPEN_BLOCK, _OPEN_THEN, _OPEN_ELSE = 0, 1, 2


def _error(msg: str, pos: int) -> MalformedError:
    return MalformedError(f"{msg} (at byte offset {pos})")


def decode_module(data: bytes | bytearray | memoryview) -> Module:
    """Decode a binary module; MalformedError (and nothing else) when it is not well-formed."""
    try:
        buf = bytes(data)
    except Exception as exc:  # not bytes-like at all
        raise MalformedError(f"module is not a byte string: {exc}") from None
    try:
        return _Decoder(buf).module()
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
    def __init__(self, data: bytes) -> None:
        self.data = data
        self.end = len(data)
        self.pos = 0
        self.uses_data_index = False  # memory.init / data.drop seen in a function body

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
        if b in VAL_TYPES:
            return b
        if b >= 0x80:  # an s7 that continues
            raise _error("integer representation too long", pos + 1)
        raise _error("malformed value type", pos)

    def reftype(self) -> int:
        pos = self.pos
        b = self.byte()
        if b == FUNCREF or b == EXTERNREF:
            return b
        if b >= 0x80:
            raise _error("integer representation too long", pos + 1)
        raise _error("malformed reference type", pos)

    def limits(self) -> Limits:
        flag, self.pos = read_unsigned(self.data, self.pos, 1)
        minimum = self.u32()
        maximum = self.u32() if flag else None
        return Limits(minimum, maximum)

    def memory_type(self) -> MemoryType:
        """Limits flags 0x02/0x03 (threads) mark a shared memory; the validator requires its
        maximum. Other flags are read by limits()."""
        flag = self.data[self.pos] if self.pos < self.end else 0
        if flag != 0x02 and flag != 0x03:
            return MemoryType(self.limits())
        self.pos += 1
        minimum = self.u32()
        return MemoryType(Limits(minimum, self.u32() if flag == 0x03 else None), shared=True)

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
        last_rank = 0
        while self.pos < self.end:
            id_pos = self.pos
            sid = data[id_pos]
            if sid > 12:
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
                m.types = [self.func_type() for _ in range(self.len32())]
            elif sid == SEC_IMPORT:
                m.imports = [self.import_() for _ in range(self.len32())]
            elif sid == SEC_FUNCTION:
                func_types = [self.u32() for _ in range(self.len32())]
            elif sid == SEC_TABLE:
                m.tables = [self.table_type() for _ in range(self.len32())]
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

    def func_type(self) -> FuncType:
        pos = self.pos
        form = self.byte()
        if form != 0x60:
            if form >= 0x80:
                raise _error("integer representation too long", pos + 1)
            if form in GC_TYPE_FORMS:
                raise _error(f"GC types are not supported (type form {form:#04x}"
                             f" {GC_TYPE_FORMS[form]})", pos)
            raise _error("malformed function type", pos)
        params = tuple(self.valtype() for _ in range(self.len32()))
        results = tuple(self.valtype() for _ in range(self.len32()))
        return FuncType(params, results)

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
        if kind > KIND_GLOBAL:
            raise _error("malformed export kind", pos)
        return Export(name, kind, self.u32())

    def elem_kind(self) -> int:
        pos = self.pos
        if self.byte() != 0x00:
            raise _error("malformed element kind", pos)
        return FUNCREF

    def func_indices(self) -> list[list[tuple]]:
        return [[(ops.REF_FUNC, self.u32()), _END_TUPLE] for _ in range(self.len32())]

    def exprs(self) -> list[list[tuple]]:
        return [self.expr() for _ in range(self.len32())]

    def elem(self) -> Elem:
        pos = self.pos
        flags = self.u32()
        if flags == 0:
            offset = self.expr()
            return Elem(FUNCREF, self.func_indices(), MODE_ACTIVE, 0, offset)
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
                    align, pos = read_u32(data, pos)
                    if align >= 32:
                        raise _error("malformed memop flags", pos - 1)
                    offset, pos = read_u32(data, pos)
                    append((op, align, offset))
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
                    if data[pos] != 0:
                        raise _error("zero byte expected", pos)
                    pos += 1
                    append((op,))
                elif kind == _K_SELECT_T:
                    self.pos = pos
                    types = tuple(self.valtype() for _ in range(self.len32()))
                    pos = self.pos
                    append((op, types))
                elif kind == _K_REFTYPE:
                    self.pos = pos
                    t = self.reftype()
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

    def _prefixed(self, op: int, kind: int, pos: int, append) -> int:
        """Immediates of a 0xFC / 0xFD instruction; returns the new position."""
        data = self.data
        if kind == _K_NONE:
            append((op,))
        elif kind in (_K_TABLE, _K_ELEM, _K_DATA):
            x, pos = read_u32(data, pos)
            append((op, x))
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
        elif kind == _K_MEMARG or kind == _K_MEMARG_LANE:
            align, pos = read_u32(data, pos)
            if align >= 32:
                raise _error("malformed memop flags", pos - 1)
            offset, pos = read_u32(data, pos)
            if kind == _K_MEMARG:
                append((op, align, offset))
            else:
                append((op, align, offset, data[pos]))
                pos += 1
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


def _block_type(data: bytes, pos: int) -> tuple[object, int]:
    """A block type: None (empty), a value type, or TypeIdx(n). Tries, like the reference, a
    non-negative s33 type index, then 0x40, then a value type."""
    b = data[pos]
    if b == 0x40:
        return None, pos + 1
    if b in _BLOCK_VALTYPES:
        return b, pos + 1
    try:
        x, new_pos = read_s33(data, pos)
    except MalformedError:
        x = -1
    if x >= 0:
        return TypeIdx(x), new_pos
    if b >= 0x80:
        raise _error("integer representation too long", pos + 1)
    raise _error("malformed value type", pos)
