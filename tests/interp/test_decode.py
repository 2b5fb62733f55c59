"""The binary decoder (lab/interp/decode.py, leb128.py, opcodes.py): the structures it builds, the
spec's malformed-module rules with their messages, robustness on arbitrary bytes, and the spec
testsuite's binary-format files."""

from __future__ import annotations

import random
import struct
from pathlib import Path

import pytest

from lab.interp import opcodes as ops
from lab.interp.decode import MAX_LOCALS, decode_module
from lab.interp.errors import InvalidError, MalformedError
from lab.interp.leb128 import encode_signed, encode_unsigned, read_s32, read_s33, read_s64, read_u32, read_u64
from lab.interp.module import (
    EXTERNREF,
    F32,
    F64,
    FUNCREF,
    I8,
    I32,
    I64,
    KIND_FUNC,
    KIND_GLOBAL,
    KIND_MEMORY,
    KIND_TABLE,
    MODE_ACTIVE,
    MODE_DECLARATIVE,
    MODE_PASSIVE,
    NON_NULL,
    WASM_2_0,
    ArrayType,
    FieldType,
    GlobalType,
    Limits,
    MemoryType,
    StructType,
    SubType,
    TableType,
    TypeIdx,
)
from lab.interp.validate import validate_module
from tests.conftest import spec_2_0_message, spec_file_path

wasmtime = pytest.importorskip("wasmtime")

HEADER = b"\x00asm\x01\x00\x00\x00"
END = (ops.END,)


def wat(text: str) -> bytes:
    return bytes(wasmtime.wat2wasm(text))


def section(sid: int, payload: bytes) -> bytes:
    return bytes([sid]) + encode_unsigned(len(payload)) + payload


def vec(items: list[bytes]) -> bytes:
    return encode_unsigned(len(items)) + b"".join(items)


def name(s: str) -> bytes:
    raw = s.encode()
    return encode_unsigned(len(raw)) + raw


def module_with_body(body: bytes, locals_: bytes = b"\x00", *, memory: bool = False,
                     datacount: int | None = None, extra: bytes = b"") -> bytes:
    """A module with one `[] -> []` function whose code entry is `locals_ + body`."""
    entry = locals_ + body
    out = HEADER + section(1, vec([b"\x60\x00\x00"])) + section(3, vec([b"\x00"]))
    if memory:
        out += section(5, vec([b"\x00\x01"]))
    if datacount is not None:
        out += section(12, encode_unsigned(datacount))
    out += section(10, vec([encode_unsigned(len(entry)) + entry]))
    return out + extra


def malformed(data: bytes) -> str:
    with pytest.raises(MalformedError) as info:
        decode_module(data)
    return str(info.value)


# ---------------------------------------------------------------------------------- LEB128

@pytest.mark.parametrize("reader,data,value", [
    (read_u32, b"\x00", 0),
    (read_u32, b"\x7f", 127),
    (read_u32, b"\x80\x01", 128),
    (read_u32, b"\xff\xff\xff\xff\x0f", 0xFFFF_FFFF),
    (read_u32, b"\x80\x80\x80\x80\x00", 0),            # padded to the full 5 bytes: allowed
    (read_s32, b"\x7f", -1),
    (read_s32, b"\x40", -64),
    (read_s32, b"\x3f", 63),
    (read_s32, b"\x80\x80\x80\x80\x78", -(1 << 31)),
    (read_s32, b"\xff\xff\xff\xff\x07", (1 << 31) - 1),
    (read_s32, b"\xff\xff\xff\xff\x7f", -1),           # padded negative
    (read_u64, b"\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01", (1 << 64) - 1),
    (read_s64, b"\x80\x80\x80\x80\x80\x80\x80\x80\x80\x7f", -(1 << 63)),
    (read_s64, b"\xff\xff\xff\xff\xff\xff\xff\xff\xff\x00", (1 << 63) - 1),
    (read_s33, b"\xff\xff\xff\xff\x0f", 0xFFFF_FFFF),
    (read_s33, b"\x80\x80\x80\x80\x70", -(1 << 32)),
])
def test_leb128_values(reader, data, value):
    assert reader(data, 0) == (value, len(data))


@pytest.mark.parametrize("reader,data,message", [
    (read_u32, b"\x80\x80\x80\x80\x80\x00", "integer representation too long"),
    (read_u32, b"\x80\x80\x80\x80\x10", "integer too large"),
    (read_u32, b"\xff\xff\xff\xff\x1f", "integer too large"),
    (read_u32, b"\x80\x80\x80\x80\x90\x00", "integer too large"),  # stray bits before "too long"
    (read_s32, b"\x80\x80\x80\x80\x08", "integer too large"),      # sign bit not extended
    (read_s32, b"\xff\xff\xff\xff\x77", "integer too large"),
    (read_s32, b"\xff\xff\xff\xff\xff\x7f", "integer representation too long"),
    (read_u64, b"\x80\x80\x80\x80\x80\x80\x80\x80\x80\x02", "integer too large"),
    (read_s64, b"\x80\x80\x80\x80\x80\x80\x80\x80\x80\x41", "integer too large"),
    (read_s64, b"\xff\xff\xff\xff\xff\xff\xff\xff\xff\x3f", "integer too large"),
    (read_s64, b"\x80" * 10 + b"\x00", "integer representation too long"),
    (read_u32, b"\x80\x80", "unexpected end"),
    (read_s64, b"", "unexpected end"),
])
def test_leb128_rejections(reader, data, message):
    with pytest.raises(MalformedError, match=f"^{message}"):
        reader(data, 0)


def test_leb128_roundtrip():
    rng = random.Random(7)
    for _ in range(2000):
        u = rng.getrandbits(rng.choice([7, 14, 32, 64])) & 0xFFFF_FFFF
        assert read_u32(encode_unsigned(u), 0) == (u, len(encode_unsigned(u)))
        s = rng.getrandbits(64) - (1 << 63)
        assert read_s64(encode_signed(s), 0)[0] == s
        s32 = rng.getrandbits(32) - (1 << 31)
        assert read_s32(encode_signed(s32), 0)[0] == s32


# -------------------------------------------------------------------------- opcode table

def test_opcode_table_is_consistent():
    assert ops.OP_NAMES[ops.I32_ADD] == "i32.add"
    assert ops.OPCODES[ops.I32_TRUNC_SAT_F64_U].code == 0xFC03
    assert ops.MEMORY_COPY == 0xFC0A and ops.TABLE_FILL == 0xFC11
    assert ops.OPCODES[ops.SELECT_T].name == "select"
    assert ops.BY_NAME["f64.reinterpret_i64"].code == 0xBF
    assert ops.OPCODES[ops.I64_LOAD32_U].align == 2
    assert sum(1 for c in ops.OPCODES if c >= ops.FD_BASE) == 236 + 20  # 2.0 SIMD, relaxed SIMD
    for code, info in ops.OPCODES.items():
        assert info.code == code
        assert (info.params is None) == (info.results is None), info.name
        assert (info.align is not None) == (info.imm in (ops.IMM_MEMARG, ops.IMM_MEMARG_LANE))


# ------------------------------------------------------------------------ decoded shapes

def test_header_rules():
    assert malformed(b"").startswith("unexpected end")
    assert malformed(b"\x00as").startswith("unexpected end")
    assert malformed(b"\x00asm\x01\x00").startswith("unexpected end")
    assert malformed(b"asm\x00\x01\x00\x00\x00").startswith("magic header not detected")
    assert malformed(b"\x00asm\x02\x00\x00\x00").startswith("unknown binary version")
    assert malformed(b"\x00asm\x00\x00\x00\x01").startswith("unknown binary version")
    m = decode_module(HEADER)
    assert m.types == [] and m.funcs == [] and m.start is None and m.data_count is None


@pytest.mark.parametrize("data", [
    b"\x00asm\x0d\x00\x01\x00",                              # crafted: version 0x0d, layer 1
    wat("(component (core module (func)))"),                    # a real one, from wasm-tools
])
def test_a_component_is_named_as_such(data):
    message = malformed(data)
    assert message.startswith("unknown binary version: this is a component, not a core module"
                              " (component model binary,")
    assert "layer 1" in message and "version 0x0d" in message


def test_gc_type_forms_decode():
    """Wasm 3.0 type forms: struct/array composite types, rec groups and sub types."""
    m = decode_module(HEADER + section(1, vec([b"\x5f\x02\x7f\x00\x78\x01", b"\x5e\x7f\x01",
                                               b"\x4e\x02\x50\x00\x60\x00\x00\x4f\x01\x02\x60\x00\x00"])))
    assert m.types[0] == StructType((FieldType(I32, False), FieldType(I8, True)))
    assert m.types[1] == ArrayType(FieldType(I32, True))
    assert [st.group_size for st in m.subtypes] == [1, 1, 2, 2]
    assert m.subtypes[2] == SubType(False, (), 2, 2)
    assert m.subtypes[3] == SubType(True, (2,), 2, 2)


def test_plain_function_types_record_no_subtypes():
    assert decode_module(wat("(module (type (func)) (type (func (param i32))))")).subtypes == []


def test_module_structure():
    m = decode_module(wat("""
      (module
        (type $t (func (param i32 i64) (result f32)))
        (import "env" "f" (func (type $t)))
        (import "env" "tab" (table 2 10 externref))
        (import "env" "mem" (memory 1 2))
        (import "env" "g" (global (mut f64)))
        (table 3 funcref)
        (global $k i32 (i32.const -7))
        (func $main (export "main") (param i32) (result i32) (local i64 i64 f32)
          (local.get 0))
        (start $s)
        (func $s)
        (export "g" (global 0))
        (data (i32.const 8) "hi")
        (data "passive")
      )"""))
    assert [(t.params, t.results) for t in m.types][0] == ((I32, I64), (F32,))
    assert [(i.module, i.name, i.kind) for i in m.imports] == [
        ("env", "f", KIND_FUNC), ("env", "tab", KIND_TABLE), ("env", "mem", KIND_MEMORY),
        ("env", "g", KIND_GLOBAL)]
    assert m.imports[0].desc == 0
    assert m.imports[1].desc == TableType(EXTERNREF, Limits(2, 10))
    assert m.imports[2].desc == MemoryType(Limits(1, 2))
    assert m.imports[3].desc == GlobalType(F64, True)
    assert m.tables == [TableType(FUNCREF, Limits(3, None))]
    assert m.globals[0].type == GlobalType(I32, False)
    assert m.globals[0].init == [(ops.I32_CONST, -7), END]
    main = m.funcs[0]
    assert m.types[main.type_index].params == (I32,)
    assert main.code.locals == [I64, I64, F32]  # expanded, parameters not included
    assert main.code.body == [(ops.LOCAL_GET, 0), END]
    assert m.start == 2  # one imported function before
    assert [(e.name, e.kind, e.index) for e in m.exports] == [("main", KIND_FUNC, 1),
                                                              ("g", KIND_GLOBAL, 0)]
    assert m.datas[0].mode == MODE_ACTIVE and m.datas[0].init == b"hi"
    assert m.datas[0].offset == [(ops.I32_CONST, 8), END]
    assert m.datas[1].mode == MODE_PASSIVE and m.datas[1].init == b"passive"
    assert m.data_count in (None, 2)  # wat2wasm emits it only when code needs it
    validate_module(m)


def test_instruction_tuples():
    m = decode_module(wat("""
      (module
        (type $pair (func (param i32) (result i32 i32)))
        (memory 1)
        (table $t0 1 funcref) (table $t1 1 funcref)
        (elem $e func 0)
        (data $d "x")
        (func (param i32) (result i32)
          (block (result i32)
            (local.get 0)
            (loop $l (param i32) (result i32 i32) (local.get 0))
            (drop) (i32.const 0) (br_table 0 1 0))
          (drop)
          (if (i32.const 1) (then nop) (else nop))
          (block (br_if 0 (i32.const 0)))
          (call_indirect $t1 (type $pair) (i32.const 0) (i32.const 0))
          (drop) (drop)
          (i64.store32 offset=5 align=4 (i32.const 0) (i64.const -1))
          (memory.size) (memory.grow) (drop)
          (select (result i64) (i64.const 0) (i64.const 1) (i32.const 0)) (drop)
          (select (f32.const nan:0x200000) (f32.const -0.0) (i32.const 1)) (drop)
          (f64.const -0x1p-1074) (drop)
          (ref.null extern) (drop)
          (ref.func 0) (drop)
          (i32.trunc_sat_f64_u (f64.const 0)) (drop)
          (memory.init $d (i32.const 0) (i32.const 0) (i32.const 0))
          (data.drop $d)
          (memory.copy (i32.const 0) (i32.const 0) (i32.const 0))
          (memory.fill (i32.const 0) (i32.const 0) (i32.const 0))
          (table.init $t1 $e (i32.const 0) (i32.const 0) (i32.const 0))
          (elem.drop $e)
          (table.copy $t1 $t0 (i32.const 0) (i32.const 0) (i32.const 0))
          (table.size $t1) (drop)
          (i32.const 2147483647))
      )"""))
    validate_module(m)
    body = m.funcs[0].code.body
    assert body[0] == (ops.BLOCK, I32)
    assert body[1] == (ops.LOCAL_GET, 0)
    assert body[2] == (ops.LOOP, TypeIdx(0))
    assert (ops.BR_TABLE, (0, 1), 0) in body
    assert (ops.IF, None) in body and (ops.ELSE,) in body
    assert (ops.BR_IF, 0) in body
    assert (ops.CALL_INDIRECT, 0, 1) in body          # (typeidx, tableidx)
    assert (ops.I64_STORE32, 2, 5) in body             # (align as log2, offset)
    assert (ops.I64_CONST, -1) in body
    assert (ops.MEMORY_SIZE,) in body and (ops.MEMORY_GROW,) in body
    assert (ops.SELECT_T, (I64,)) in body and (ops.SELECT,) in body
    assert (ops.F32_CONST, 0x7FA00000) in body         # NaN payload kept, raw bits
    assert (ops.F32_CONST, 0x80000000) in body
    assert (ops.F64_CONST, 0x8000000000000001) in body
    assert (ops.REF_NULL, EXTERNREF) in body and (ops.REF_FUNC, 0) in body
    assert (ops.I32_TRUNC_SAT_F64_U,) in body
    assert (ops.MEMORY_INIT, 0) in body and (ops.DATA_DROP, 0) in body
    assert (ops.MEMORY_COPY,) in body and (ops.MEMORY_FILL,) in body
    assert (ops.TABLE_INIT, 0, 1) in body              # (elemidx, tableidx)
    assert (ops.ELEM_DROP, 0) in body
    assert (ops.TABLE_COPY, 1, 0) in body              # (dst, src)
    assert (ops.TABLE_SIZE, 1) in body
    assert body[-2:] == [(ops.I32_CONST, 2147483647), END]
    assert sum(1 for ins in body if ins == END) == 5  # 4 blocks + the body's own end


REF_FUNC = FUNCREF | NON_NULL


def test_element_segment_forms():
    m = decode_module(wat("""
      (module
        (table $t 4 funcref) (table $x 4 externref)
        (func $f) (func $g)
        (elem (i32.const 0) $f $g)                           ;; flags 0
        (elem func $f)                                       ;; flags 1
        (elem (table $t) (i32.const 1) func $g)              ;; flags 2
        (elem declare func $g)                               ;; flags 3
        (elem (i32.const 2) funcref (ref.func $f) (ref.null func))  ;; flags 4
        (elem externref (ref.null extern))                   ;; flags 5
        (elem (table $x) (i32.const 0) externref (ref.null extern))  ;; flags 6
        (elem declare funcref (ref.func $f))                 ;; flags 7
      )"""))
    validate_module(m)
    modes = [(e.mode, e.elem_type, e.table_index) for e in m.elems]
    assert modes == [
        # function-index vectors are (ref func) since Wasm 3.0
        (MODE_ACTIVE, REF_FUNC, 0), (MODE_PASSIVE, REF_FUNC, 0), (MODE_ACTIVE, REF_FUNC, 0),
        (MODE_DECLARATIVE, REF_FUNC, 0), (MODE_ACTIVE, FUNCREF, 0), (MODE_PASSIVE, EXTERNREF, 0),
        (MODE_ACTIVE, EXTERNREF, 1), (MODE_DECLARATIVE, FUNCREF, 0)]
    assert m.elems[0].init == [[(ops.REF_FUNC, 0), END], [(ops.REF_FUNC, 1), END]]
    assert m.elems[0].offset == [(ops.I32_CONST, 0), END]
    assert m.elems[4].init == [[(ops.REF_FUNC, 0), END], [(ops.REF_NULL, FUNCREF), END]]
    assert m.elems[1].offset is None


def test_custom_sections_anywhere_and_data_count():
    payload = name("first") + b"\x01\x02\x03"
    data = (HEADER + section(0, payload) + section(1, vec([b"\x60\x00\x00"]))
            + section(0, name("second")) + section(12, b"\x00") + section(0, name("")))
    m = decode_module(data)
    assert [(c.name, c.data) for c in m.customs] == [("first", b"\x01\x02\x03"),
                                                    ("second", b""), ("", b"")]
    assert m.data_count == 0 and len(m.types) == 1


# ------------------------------------------------------------------- malformed modules

@pytest.mark.parametrize("data,message", [
    (HEADER + section(1, vec([])) + section(1, vec([])), "unexpected content after last section"),
    (HEADER + section(3, vec([])) + section(1, vec([])), "unexpected content after last section"),
    (HEADER + section(10, vec([])) + section(12, b"\x00"),
     "unexpected content after last section"),
    (HEADER + b"\x0e\x00", "malformed section id"),
    (HEADER + b"\x01\x02\x00\x00", "section size mismatch"),
    (HEADER + b"\x01\x06\x01\x60\x00\x00", "length out of bounds"),
    (HEADER + b"\x01\x05\x01\x60\x00\x00", "section size mismatch"),  # reads to the end
    (HEADER + b"\x01\x01\xff\xff\xff\xff\x0f", "length out of bounds"),  # huge count: no alloc
    (HEADER + section(3, vec([b"\x00"])), "function and code section have inconsistent lengths"),
    (HEADER + section(12, b"\x01"), "data count and data section have inconsistent lengths"),
    (module_with_body(b"\xfc\x09\x00\x0b", memory=True),  "data count section required"),
    (module_with_body(b"\x27\x0b"), "illegal opcode 27"),
    (module_with_body(b"\xfc\x12\x0b"), "illegal opcode fc 12"),
    (module_with_body(b"\x05\x0b"), "END opcode expected"),
    (module_with_body(b"\x02\x40\x05\x0b\x0b"), "END opcode expected"),  # else in a block
    (module_with_body(b"\x41"), "unexpected end"),
    (module_with_body(b"\x02\x50\x0b\x0b"), "malformed value type"),
    (module_with_body(b"\x0b", b"\x01\x01\x50"), "malformed value type"),
    (module_with_body(b"\xd0\x7f\x1a\x0b"), "malformed reference type"),
    (module_with_body(b"\x0b", b"\x02\xff\xff\xff\xff\x0f\x7f\x02\x7e"), "too many locals"),
    (module_with_body(b"\x0b", b"\x01" + encode_unsigned(MAX_LOCALS + 1) + b"\x7f"),
     "too many locals"),
    (HEADER + section(2, vec([name("m") + name("f") + b"\x05\x00"])), "malformed import kind"),
    (HEADER + section(6, vec([b"\x7f\x02\x41\x00\x0b"])), "malformed mutability"),
    (HEADER + section(5, vec([b"\x08\x00"])), "malformed limits flags"),  # (0x02: shared, 0x04: i64)
    (HEADER + section(1, vec([b"\x61\x00\x00"])), "malformed function type"),
    (HEADER + section(9, vec([b"\x08"])), "malformed elements segment kind"),
    (HEADER + section(9, vec([b"\x01\x01\x00"])), "malformed element kind"),
    (HEADER + section(11, vec([b"\x03"])), "malformed data segment kind"),
    (HEADER + section(0, name("a") + b"") + b"\x00\x01\x05a", "length out of bounds"),
    (HEADER + section(0, b"\x02\xc0\x80"), "malformed UTF-8 encoding"),       # overlong
    (HEADER + section(0, b"\x03\xed\xa0\x80"), "malformed UTF-8 encoding"),   # surrogate
    (HEADER + section(0, b"\x04\xf4\x90\x80\x80"), "malformed UTF-8 encoding"),  # > U+10FFFF
    (HEADER + section(7, vec([name("x") + b"\x05\x00"])), "malformed export kind"),
    (HEADER + HEADER, "length out of bounds"),
])
def test_malformed_messages(data, message):
    assert malformed(data).startswith(message)


# Wasm 2.0's format where 3.0 gave the bytes a meaning (memory indices, limits flags, align
# fields with bit 6): what each version makes of them.
@pytest.mark.parametrize("data,message2,message3", [
    (module_with_body(b"\x41\x00\x40\x01\x1a\x0b", memory=True), "zero byte expected", None),
    (module_with_body(b"\x41\x00\x40\x80\x00\x1a\x0b", memory=True), "zero byte expected",
     None),
    (module_with_body(b"\xfc\x0a\x00\x01\x0b", memory=True), "zero byte expected", None),
    (module_with_body(b"\x41\x00\x28\x20\x00\x1a\x0b", memory=True), "malformed memop flags",
     None),
    (module_with_body(b"\x41\x00\x28\x80\x01\x00\x1a\x0b", memory=True),
     "malformed memop flags", "malformed memop flags"),
    (HEADER + section(5, vec([b"\x02\x00"])), "integer too large", None),  # 3.0: shared (threads)
    (HEADER + section(5, vec([b"\x08\x00"])), "integer too large", "malformed limits flags"),
])
def test_wasm_2_0_format(data, message2, message3):
    with pytest.raises(MalformedError) as info:
        decode_module(data, WASM_2_0)
    assert str(info.value).startswith(message2)
    if message3 is None:
        decode_module(data)  # Wasm 3.0 reads a memory index or a larger alignment
    else:
        assert malformed(data).startswith(message3)


def test_wasm_3_0_memory_indices_and_64_bit_limits():
    # i32.load with memory index 1 (flag bit 6), offset 2**40; memory.size 1; memory.copy 1 0;
    # memory.init data 0 into memory 1; memory.fill 1; a 64-bit memory with a maximum.
    body = (b"\x41\x00\x28\x42\x01" + encode_unsigned(1 << 40) + b"\x1a"
            b"\x3f\x01\x1a\x40\x00\x1a"
            b"\x41\x00\x41\x00\x41\x00\xfc\x0a\x01\x00"
            b"\x41\x00\x41\x00\x41\x00\xfc\x08\x00\x01"
            b"\x41\x00\x41\x00\x41\x00\xfc\x0b\x01\x0b")
    data = (HEADER + section(1, vec([b"\x60\x00\x00"])) + section(3, vec([b"\x00"]))
            + section(5, vec([b"\x00\x01", b"\x05\x01" + encode_unsigned(1 << 40)]))
            + section(12, b"\x01")
            + section(10, vec([encode_unsigned(len(body) + 1) + b"\x00" + body]))
            + section(11, vec([b"\x01\x00"])))
    mod = decode_module(data)
    assert mod.memories[1].limits == Limits(1, 1 << 40, True)
    code = mod.funcs[0].code.body
    assert code[1] == (0x28, 2, 1 << 40, None, 1)
    assert code[3] == (0x3F, 1) and code[5] == (0x40,)
    assert code[10] == (ops.MEMORY_COPY, 1, 0)
    assert code[14] == (ops.MEMORY_INIT, 0, 1)
    assert code[18] == (ops.MEMORY_FILL, 1)


def test_function_body_reads_on_like_the_reference():
    # A body whose size is one short: the reference reads on into the next entry, then reports
    # the size mismatch; the spec test expects exactly that.
    body = b"\x41\x01\x1a\x0b"
    entry = b"\x00" + body
    data = (HEADER + section(1, vec([b"\x60\x00\x00"])) + section(3, vec([b"\x00"]))
            + section(10, vec([encode_unsigned(len(entry) - 1) + entry])))
    assert malformed(data).startswith("section size mismatch")


def test_never_raises_other_exceptions():
    """Random mutations of real modules: only MalformedError, and never the decoder's
    catch-all (whose message would show an internal exception)."""
    seeds = [
        wat("(module (memory 1) (func (export \"f\") (param i32) (result i32) "
            "(block (result i32) (i32.load offset=4 (local.get 0)) (br_table 0 0 (i32.const 0)))"
            ") (data (i32.const 0) \"abc\") (global f64 (f64.const 1.5)))"),
        wat("(module (table 2 funcref) (elem (i32.const 0) func 0) (func (result i64) "
            "(i64.const -12345678) (if (result i64) (i32.const 1) (then (i64.const 1)) "
            "(else (i64.const 2))) (i64.add)) (elem declare funcref (ref.func 0)))"),
        module_with_body(b"\xfc\x08\x00\x00\x41\x00\x0b", memory=True, datacount=1,
                         extra=section(11, vec([b"\x01\x01z"]))),
    ]
    rng = random.Random(1234)
    for _ in range(20000):
        data = bytearray(rng.choice(seeds))
        for _ in range(rng.randint(1, 3)):
            if not data:
                break
            pos = rng.randrange(len(data))
            action = rng.random()
            if action < 0.5:
                data[pos] = rng.choice([0x00, 0x0B, 0x40, 0x7F, 0x80, 0xFF, rng.randrange(256)])
            elif action < 0.75:
                data.insert(pos, rng.randrange(256))
            elif action < 0.9:
                del data[pos]
            else:
                del data[pos:]
        try:
            module = decode_module(bytes(data))
        except MalformedError as error:
            assert not str(error).startswith("malformed module ("), error
            continue
        try:
            validate_module(module)
        except InvalidError as error:
            assert not str(error).startswith("invalid module ("), error


def test_decoding_is_linear():
    """A large module decodes in time proportional to its size (no quadratic slicing)."""
    import time
    body = b"\x20\x00\x1a" * 20000 + b"\x0b"
    small = module_with_body(body, b"\x01\x01\x7f")
    entry = b"\x01\x01\x7f" + body
    funcs = 40
    big = (HEADER + section(1, vec([b"\x60\x00\x00"])) + section(3, vec([b"\x00"] * funcs))
           + section(10, vec([encode_unsigned(len(entry)) + entry] * funcs)))
    start = time.perf_counter()
    decode_module(small)
    t_small = time.perf_counter() - start
    start = time.perf_counter()
    m = decode_module(big)
    t_big = time.perf_counter() - start
    assert len(m.funcs) == funcs and len(m.funcs[0].code.body) == 40001
    assert t_big < max(t_small, 1e-3) * funcs * 4


# ------------------------------------------------------------------- spec testsuite files

SPEC_FILES = ["binary.wast", "binary-leb128.wast", "custom.wast", "utf8-custom-section-id.wast",
              "utf8-import-field.wast", "utf8-import-module.wast"]




def spec_module_commands(path: Path):
    """(line, expectation, expected message, wasm bytes) for each module the script loads or
    asserts malformed/invalid; text-format tests (module quote) are left out."""
    from lab.suites.wast import AssertModule, ModuleCommand, parse_file
    for command in parse_file(str(path)):
        if isinstance(command, ModuleCommand):
            expect, message, source = "valid", "", command.source
        elif isinstance(command, AssertModule) and command.expect in ("malformed", "invalid"):
            expect, message, source = command.expect, command.message, command.source
        else:
            continue
        if source.form == "quote":
            continue
        yield command.line, expect, message, source.to_wasm()


@pytest.mark.parametrize("filename", SPEC_FILES)
def test_spec_binary_files(filename):
    checked = 0
    for line, expect, message, wasm in spec_module_commands(spec_file_path("spec-2.0", filename)):
        where = f"{filename}:{line}"
        if expect == "valid":
            validate_module(decode_module(wasm, WASM_2_0), WASM_2_0)
        elif expect == "malformed":
            with pytest.raises(MalformedError) as info:
                decode_module(wasm, WASM_2_0)
            assert str(info.value).startswith(spec_2_0_message(filename, line, message)), where
        else:
            with pytest.raises(InvalidError) as info:
                validate_module(decode_module(wasm, WASM_2_0), WASM_2_0)
            assert str(info.value).startswith(message), where
        checked += 1
    assert checked > 0


def test_f32_f64_immediates_are_raw_bits():
    bits32, bits64 = 0x7F800001, 0xFFF0000000000123
    body = (b"\x43" + struct.pack("<I", bits32) + b"\x1a" + b"\x44" + struct.pack("<Q", bits64)
            + b"\x1a\x0b")
    m = decode_module(module_with_body(body))
    assert m.funcs[0].code.body[0] == (ops.F32_CONST, bits32)
    assert m.funcs[0].code.body[2] == (ops.F64_CONST, bits64)
