"""The WebAssembly 2.0 instruction set, and the Wasm 3.0 instructions added so far (blocks
marked as such): one table that the decoder, the validator and the executor all read.

Opcode numbers are the ones used in `Code.body` tuples (see lab/interp/module.py): the byte for
one-byte opcodes, `0xFC00 | sub` for the 0xFC prefix, `0xFD000 | sub` for SIMD (0xFD prefix;
relaxed SIMD is sub 0x100-0x113), `0xFE00 | sub` for the threads atomics (0xFE prefix).

Every instruction has an `OpInfo`:
  code     the opcode number as above
  name     its text-format name ("i32.add", "memory.init", ...)
  imm      how its immediates are encoded (one of the IMM_* strings below); the decoder reads
           them and the tuple in `Code.body` is `(code, *immediates)`
  params   operand types popped, bottom first, or None when the validator types the instruction
  results  types pushed, or None (same)            itself (control, variables, select, tables, ...)
  align    for memory accesses: the natural alignment as a power of two (log2 of the access
           width in bytes); None otherwise
  memory   True when the instruction needs memory 0 to exist

Module constants name every opcode: the text name upper-cased with "." turned into "_"
(I32_ADD, LOCAL_GET, MEMORY_INIT, I32_TRUNC_SAT_F32_S, V128_CONST, ...); the typed select (0x1C)
is SELECT_T.
"""

from __future__ import annotations

from .module import F32, F64, FUNCREF, I32, I64, V128
from .record import Record

# Immediate kinds (the tuple layout each produces is given in lab/interp/module.py).
IMM_NONE = ""
IMM_BLOCKTYPE = "blocktype"          # (op, blocktype)
IMM_LABEL = "labelidx"               # (op, labelidx)
IMM_BR_TABLE = "br_table"            # (op, (labels...), default)
IMM_FUNC = "funcidx"                 # (op, funcidx)
IMM_CALL_INDIRECT = "call_indirect"  # (op, typeidx, tableidx)
IMM_LOCAL = "localidx"               # (op, localidx)
IMM_GLOBAL = "globalidx"             # (op, globalidx)
IMM_TABLE = "tableidx"               # (op, tableidx)
IMM_TABLE_COPY = "table_copy"        # (op, dst_table, src_table)
IMM_TABLE_INIT = "table_init"        # (op, elemidx, tableidx)
IMM_ELEM = "elemidx"                 # (op, elemidx)
IMM_MEMARG = "memarg"                # (op, align, offset)
IMM_ZERO = "zero"                    # (op,)  one reserved 0x00 byte (memory.size/grow/fill)
IMM_ZERO2 = "zero2"                  # (op,)  two reserved 0x00 bytes (memory.copy)
IMM_MEMORY_INIT = "memory_init"      # (op, dataidx)  dataidx then a reserved 0x00 byte
# (Wasm 3.0 reads the reserved bytes as memory indices: see module.py for the tuples)
IMM_DATA = "dataidx"                 # (op, dataidx)
IMM_I32 = "i32"                      # (op, signed value)
IMM_I64 = "i64"                      # (op, signed value)
IMM_F32 = "f32"                      # (op, raw bits)
IMM_F64 = "f64"                      # (op, raw bits)
IMM_SELECT_T = "select_t"            # (op, (valtypes...))
IMM_REFTYPE = "reftype"              # (op, reftype)
IMM_V128 = "v128"                    # (op, 128-bit unsigned int, little-endian)
IMM_SHUFFLE = "shuffle"              # (op, (16 lane indices))
IMM_LANE = "lane"                    # (op, laneidx)
IMM_MEMARG_LANE = "memarg_lane"      # (op, align, offset, laneidx)
# exception handling (Wasm 3.0)
IMM_TAG = "tagidx"                   # (op, tagidx)
IMM_TRY_TABLE = "try_table"          # (op, blocktype, ((catch kind, tagidx | None, labelidx)...))

PREFIX_FC = 0xFC
PREFIX_FD = 0xFD
FC_BASE = 0xFC00
FD_BASE = 0xFD000


class OpInfo(Record):
    # A plain class, not a NamedTuple: importing typing costs a few ms of every cold start.
    __slots__ = _fields = ("code", "name", "imm", "params", "results", "align", "memory")

    def __init__(self, code: int, name: str, imm: str, params: tuple[int, ...] | None,
                 results: tuple[int, ...] | None, align: int | None = None,
                 memory: bool = False) -> None:
        self.code = code
        self.name = name
        self.imm = imm
        self.params = params
        self.results = results
        self.align = align
        self.memory = memory


OPCODES: dict[int, OpInfo] = {}
"""Every known instruction by opcode number."""

BY_NAME: dict[str, OpInfo] = {}
"""Every known instruction by text name (the typed select is "select_t" here)."""


def _op(code: int, name: str, imm: str = IMM_NONE, params: tuple[int, ...] | None = (),
        results: tuple[int, ...] | None = (), align: int | None = None,
        memory: bool = False, key: str | None = None) -> int:
    info = OpInfo(code, name, imm, params, results, align, memory)
    assert code not in OPCODES, hex(code)
    OPCODES[code] = info
    BY_NAME[key or name] = info
    return code


def _fc(sub: int, name: str, imm: str = IMM_NONE, params: tuple[int, ...] | None = (),
        results: tuple[int, ...] | None = (), memory: bool = False) -> int:
    return _op(FC_BASE | sub, name, imm, params, results, memory=memory)


_: None = None  # "typed by the validator itself"

# --- control ---------------------------------------------------------------------------------
UNREACHABLE = _op(0x00, "unreachable", IMM_NONE, _, _)
NOP = _op(0x01, "nop")
BLOCK = _op(0x02, "block", IMM_BLOCKTYPE, _, _)
LOOP = _op(0x03, "loop", IMM_BLOCKTYPE, _, _)
IF = _op(0x04, "if", IMM_BLOCKTYPE, _, _)
ELSE = _op(0x05, "else", IMM_NONE, _, _)
END = _op(0x0B, "end", IMM_NONE, _, _)
BR = _op(0x0C, "br", IMM_LABEL, _, _)
BR_IF = _op(0x0D, "br_if", IMM_LABEL, _, _)
BR_TABLE = _op(0x0E, "br_table", IMM_BR_TABLE, _, _)
RETURN = _op(0x0F, "return", IMM_NONE, _, _)
CALL = _op(0x10, "call", IMM_FUNC, _, _)
CALL_INDIRECT = _op(0x11, "call_indirect", IMM_CALL_INDIRECT, _, _)

# --- parametric ------------------------------------------------------------------------------
DROP = _op(0x1A, "drop", IMM_NONE, _, _)
SELECT = _op(0x1B, "select", IMM_NONE, _, _)
SELECT_T = _op(0x1C, "select", IMM_SELECT_T, _, _, key="select_t")

# --- variables -------------------------------------------------------------------------------
LOCAL_GET = _op(0x20, "local.get", IMM_LOCAL, _, _)
LOCAL_SET = _op(0x21, "local.set", IMM_LOCAL, _, _)
LOCAL_TEE = _op(0x22, "local.tee", IMM_LOCAL, _, _)
GLOBAL_GET = _op(0x23, "global.get", IMM_GLOBAL, _, _)
GLOBAL_SET = _op(0x24, "global.set", IMM_GLOBAL, _, _)

# --- tables ----------------------------------------------------------------------------------
TABLE_GET = _op(0x25, "table.get", IMM_TABLE, _, _)
TABLE_SET = _op(0x26, "table.set", IMM_TABLE, _, _)

# --- memory ----------------------------------------------------------------------------------
I32_LOAD = _op(0x28, "i32.load", IMM_MEMARG, (I32,), (I32,), 2, True)
I64_LOAD = _op(0x29, "i64.load", IMM_MEMARG, (I32,), (I64,), 3, True)
F32_LOAD = _op(0x2A, "f32.load", IMM_MEMARG, (I32,), (F32,), 2, True)
F64_LOAD = _op(0x2B, "f64.load", IMM_MEMARG, (I32,), (F64,), 3, True)
I32_LOAD8_S = _op(0x2C, "i32.load8_s", IMM_MEMARG, (I32,), (I32,), 0, True)
I32_LOAD8_U = _op(0x2D, "i32.load8_u", IMM_MEMARG, (I32,), (I32,), 0, True)
I32_LOAD16_S = _op(0x2E, "i32.load16_s", IMM_MEMARG, (I32,), (I32,), 1, True)
I32_LOAD16_U = _op(0x2F, "i32.load16_u", IMM_MEMARG, (I32,), (I32,), 1, True)
I64_LOAD8_S = _op(0x30, "i64.load8_s", IMM_MEMARG, (I32,), (I64,), 0, True)
I64_LOAD8_U = _op(0x31, "i64.load8_u", IMM_MEMARG, (I32,), (I64,), 0, True)
I64_LOAD16_S = _op(0x32, "i64.load16_s", IMM_MEMARG, (I32,), (I64,), 1, True)
I64_LOAD16_U = _op(0x33, "i64.load16_u", IMM_MEMARG, (I32,), (I64,), 1, True)
I64_LOAD32_S = _op(0x34, "i64.load32_s", IMM_MEMARG, (I32,), (I64,), 2, True)
I64_LOAD32_U = _op(0x35, "i64.load32_u", IMM_MEMARG, (I32,), (I64,), 2, True)
I32_STORE = _op(0x36, "i32.store", IMM_MEMARG, (I32, I32), (), 2, True)
I64_STORE = _op(0x37, "i64.store", IMM_MEMARG, (I32, I64), (), 3, True)
F32_STORE = _op(0x38, "f32.store", IMM_MEMARG, (I32, F32), (), 2, True)
F64_STORE = _op(0x39, "f64.store", IMM_MEMARG, (I32, F64), (), 3, True)
I32_STORE8 = _op(0x3A, "i32.store8", IMM_MEMARG, (I32, I32), (), 0, True)
I32_STORE16 = _op(0x3B, "i32.store16", IMM_MEMARG, (I32, I32), (), 1, True)
I64_STORE8 = _op(0x3C, "i64.store8", IMM_MEMARG, (I32, I64), (), 0, True)
I64_STORE16 = _op(0x3D, "i64.store16", IMM_MEMARG, (I32, I64), (), 1, True)
I64_STORE32 = _op(0x3E, "i64.store32", IMM_MEMARG, (I32, I64), (), 2, True)
MEMORY_SIZE = _op(0x3F, "memory.size", IMM_ZERO, (), (I32,), memory=True)
MEMORY_GROW = _op(0x40, "memory.grow", IMM_ZERO, (I32,), (I32,), memory=True)

# --- constants -------------------------------------------------------------------------------
I32_CONST = _op(0x41, "i32.const", IMM_I32, (), (I32,))
I64_CONST = _op(0x42, "i64.const", IMM_I64, (), (I64,))
F32_CONST = _op(0x43, "f32.const", IMM_F32, (), (F32,))
F64_CONST = _op(0x44, "f64.const", IMM_F64, (), (F64,))

# --- numeric ---------------------------------------------------------------------------------
def _numeric(base: int, t: int, names: str, shape: str) -> list[int]:
    """Register consecutive opcodes of one type and shape: "test" [t] -> [i32], "rel"
    [t t] -> [i32], "un" [t] -> [t], "bin" [t t] -> [t]."""
    prefix = {I32: "i32", I64: "i64", F32: "f32", F64: "f64"}[t]
    sig = {"test": ((t,), (I32,)), "rel": ((t, t), (I32,)),
           "un": ((t,), (t,)), "bin": ((t, t), (t,))}[shape]
    return [_op(base + i, f"{prefix}.{n}", IMM_NONE, *sig) for i, n in enumerate(names.split())]


I32_EQZ = _op(0x45, "i32.eqz", IMM_NONE, (I32,), (I32,))
(I32_EQ, I32_NE, I32_LT_S, I32_LT_U, I32_GT_S, I32_GT_U, I32_LE_S, I32_LE_U, I32_GE_S,
 I32_GE_U) = _numeric(0x46, I32, "eq ne lt_s lt_u gt_s gt_u le_s le_u ge_s ge_u", "rel")
I64_EQZ = _op(0x50, "i64.eqz", IMM_NONE, (I64,), (I32,))
(I64_EQ, I64_NE, I64_LT_S, I64_LT_U, I64_GT_S, I64_GT_U, I64_LE_S, I64_LE_U, I64_GE_S,
 I64_GE_U) = _numeric(0x51, I64, "eq ne lt_s lt_u gt_s gt_u le_s le_u ge_s ge_u", "rel")
F32_EQ, F32_NE, F32_LT, F32_GT, F32_LE, F32_GE = _numeric(0x5B, F32, "eq ne lt gt le ge", "rel")
F64_EQ, F64_NE, F64_LT, F64_GT, F64_LE, F64_GE = _numeric(0x61, F64, "eq ne lt gt le ge", "rel")

I32_CLZ, I32_CTZ, I32_POPCNT = _numeric(0x67, I32, "clz ctz popcnt", "un")
(I32_ADD, I32_SUB, I32_MUL, I32_DIV_S, I32_DIV_U, I32_REM_S, I32_REM_U, I32_AND, I32_OR,
 I32_XOR, I32_SHL, I32_SHR_S, I32_SHR_U, I32_ROTL, I32_ROTR) = _numeric(
    0x6A, I32, "add sub mul div_s div_u rem_s rem_u and or xor shl shr_s shr_u rotl rotr", "bin")
I64_CLZ, I64_CTZ, I64_POPCNT = _numeric(0x79, I64, "clz ctz popcnt", "un")
(I64_ADD, I64_SUB, I64_MUL, I64_DIV_S, I64_DIV_U, I64_REM_S, I64_REM_U, I64_AND, I64_OR,
 I64_XOR, I64_SHL, I64_SHR_S, I64_SHR_U, I64_ROTL, I64_ROTR) = _numeric(
    0x7C, I64, "add sub mul div_s div_u rem_s rem_u and or xor shl shr_s shr_u rotl rotr", "bin")
(F32_ABS, F32_NEG, F32_CEIL, F32_FLOOR, F32_TRUNC, F32_NEAREST, F32_SQRT) = _numeric(
    0x8B, F32, "abs neg ceil floor trunc nearest sqrt", "un")
(F32_ADD, F32_SUB, F32_MUL, F32_DIV, F32_MIN, F32_MAX, F32_COPYSIGN) = _numeric(
    0x92, F32, "add sub mul div min max copysign", "bin")
(F64_ABS, F64_NEG, F64_CEIL, F64_FLOOR, F64_TRUNC, F64_NEAREST, F64_SQRT) = _numeric(
    0x99, F64, "abs neg ceil floor trunc nearest sqrt", "un")
(F64_ADD, F64_SUB, F64_MUL, F64_DIV, F64_MIN, F64_MAX, F64_COPYSIGN) = _numeric(
    0xA0, F64, "add sub mul div min max copysign", "bin")

# --- conversions -----------------------------------------------------------------------------
I32_WRAP_I64 = _op(0xA7, "i32.wrap_i64", IMM_NONE, (I64,), (I32,))
I32_TRUNC_F32_S = _op(0xA8, "i32.trunc_f32_s", IMM_NONE, (F32,), (I32,))
I32_TRUNC_F32_U = _op(0xA9, "i32.trunc_f32_u", IMM_NONE, (F32,), (I32,))
I32_TRUNC_F64_S = _op(0xAA, "i32.trunc_f64_s", IMM_NONE, (F64,), (I32,))
I32_TRUNC_F64_U = _op(0xAB, "i32.trunc_f64_u", IMM_NONE, (F64,), (I32,))
I64_EXTEND_I32_S = _op(0xAC, "i64.extend_i32_s", IMM_NONE, (I32,), (I64,))
I64_EXTEND_I32_U = _op(0xAD, "i64.extend_i32_u", IMM_NONE, (I32,), (I64,))
I64_TRUNC_F32_S = _op(0xAE, "i64.trunc_f32_s", IMM_NONE, (F32,), (I64,))
I64_TRUNC_F32_U = _op(0xAF, "i64.trunc_f32_u", IMM_NONE, (F32,), (I64,))
I64_TRUNC_F64_S = _op(0xB0, "i64.trunc_f64_s", IMM_NONE, (F64,), (I64,))
I64_TRUNC_F64_U = _op(0xB1, "i64.trunc_f64_u", IMM_NONE, (F64,), (I64,))
F32_CONVERT_I32_S = _op(0xB2, "f32.convert_i32_s", IMM_NONE, (I32,), (F32,))
F32_CONVERT_I32_U = _op(0xB3, "f32.convert_i32_u", IMM_NONE, (I32,), (F32,))
F32_CONVERT_I64_S = _op(0xB4, "f32.convert_i64_s", IMM_NONE, (I64,), (F32,))
F32_CONVERT_I64_U = _op(0xB5, "f32.convert_i64_u", IMM_NONE, (I64,), (F32,))
F32_DEMOTE_F64 = _op(0xB6, "f32.demote_f64", IMM_NONE, (F64,), (F32,))
F64_CONVERT_I32_S = _op(0xB7, "f64.convert_i32_s", IMM_NONE, (I32,), (F64,))
F64_CONVERT_I32_U = _op(0xB8, "f64.convert_i32_u", IMM_NONE, (I32,), (F64,))
F64_CONVERT_I64_S = _op(0xB9, "f64.convert_i64_s", IMM_NONE, (I64,), (F64,))
F64_CONVERT_I64_U = _op(0xBA, "f64.convert_i64_u", IMM_NONE, (I64,), (F64,))
F64_PROMOTE_F32 = _op(0xBB, "f64.promote_f32", IMM_NONE, (F32,), (F64,))
I32_REINTERPRET_F32 = _op(0xBC, "i32.reinterpret_f32", IMM_NONE, (F32,), (I32,))
I64_REINTERPRET_F64 = _op(0xBD, "i64.reinterpret_f64", IMM_NONE, (F64,), (I64,))
F32_REINTERPRET_I32 = _op(0xBE, "f32.reinterpret_i32", IMM_NONE, (I32,), (F32,))
F64_REINTERPRET_I64 = _op(0xBF, "f64.reinterpret_i64", IMM_NONE, (I64,), (F64,))
I32_EXTEND8_S = _op(0xC0, "i32.extend8_s", IMM_NONE, (I32,), (I32,))
I32_EXTEND16_S = _op(0xC1, "i32.extend16_s", IMM_NONE, (I32,), (I32,))
I64_EXTEND8_S = _op(0xC2, "i64.extend8_s", IMM_NONE, (I64,), (I64,))
I64_EXTEND16_S = _op(0xC3, "i64.extend16_s", IMM_NONE, (I64,), (I64,))
I64_EXTEND32_S = _op(0xC4, "i64.extend32_s", IMM_NONE, (I64,), (I64,))

# --- references ------------------------------------------------------------------------------
REF_NULL = _op(0xD0, "ref.null", IMM_REFTYPE, _, _)
REF_IS_NULL = _op(0xD1, "ref.is_null", IMM_NONE, _, _)
REF_FUNC = _op(0xD2, "ref.func", IMM_FUNC, (), (FUNCREF,))

# --- exception handling (Wasm 3.0; try/catch/catch_all/delegate/rethrow are the legacy form) ----
TRY = _op(0x06, "try", IMM_BLOCKTYPE, _, _)
CATCH = _op(0x07, "catch", IMM_TAG, _, _)
THROW = _op(0x08, "throw", IMM_TAG, _, _)
RETHROW = _op(0x09, "rethrow", IMM_LABEL, _, _)
THROW_REF = _op(0x0A, "throw_ref", IMM_NONE, _, _)
DELEGATE = _op(0x18, "delegate", IMM_LABEL, _, _)
CATCH_ALL = _op(0x19, "catch_all", IMM_NONE, _, _)
TRY_TABLE = _op(0x1F, "try_table", IMM_TRY_TABLE, _, _)
# try_table catch clause kinds (their binary encodings)
CATCH_TAG, CATCH_REF, CATCH_ALL_TAGS, CATCH_ALL_REF = 0, 1, 2, 3
EH_OPS = frozenset({TRY, CATCH, THROW, RETHROW, THROW_REF, DELEGATE, CATCH_ALL, TRY_TABLE})

# --- 0xFC prefix: saturating truncation, bulk memory, tables ---------------------------------
I32_TRUNC_SAT_F32_S = _fc(0x00, "i32.trunc_sat_f32_s", IMM_NONE, (F32,), (I32,))
I32_TRUNC_SAT_F32_U = _fc(0x01, "i32.trunc_sat_f32_u", IMM_NONE, (F32,), (I32,))
I32_TRUNC_SAT_F64_S = _fc(0x02, "i32.trunc_sat_f64_s", IMM_NONE, (F64,), (I32,))
I32_TRUNC_SAT_F64_U = _fc(0x03, "i32.trunc_sat_f64_u", IMM_NONE, (F64,), (I32,))
I64_TRUNC_SAT_F32_S = _fc(0x04, "i64.trunc_sat_f32_s", IMM_NONE, (F32,), (I64,))
I64_TRUNC_SAT_F32_U = _fc(0x05, "i64.trunc_sat_f32_u", IMM_NONE, (F32,), (I64,))
I64_TRUNC_SAT_F64_S = _fc(0x06, "i64.trunc_sat_f64_s", IMM_NONE, (F64,), (I64,))
I64_TRUNC_SAT_F64_U = _fc(0x07, "i64.trunc_sat_f64_u", IMM_NONE, (F64,), (I64,))
MEMORY_INIT = _fc(0x08, "memory.init", IMM_MEMORY_INIT, (I32, I32, I32), (), memory=True)
DATA_DROP = _fc(0x09, "data.drop", IMM_DATA, (), ())
MEMORY_COPY = _fc(0x0A, "memory.copy", IMM_ZERO2, (I32, I32, I32), (), memory=True)
MEMORY_FILL = _fc(0x0B, "memory.fill", IMM_ZERO, (I32, I32, I32), (), memory=True)
TABLE_INIT = _fc(0x0C, "table.init", IMM_TABLE_INIT, (I32, I32, I32), ())
ELEM_DROP = _fc(0x0D, "elem.drop", IMM_ELEM, (), ())
TABLE_COPY = _fc(0x0E, "table.copy", IMM_TABLE_COPY, (I32, I32, I32), ())
TABLE_GROW = _fc(0x0F, "table.grow", IMM_TABLE, _, _)
TABLE_SIZE = _fc(0x10, "table.size", IMM_TABLE, (), (I32,))
TABLE_FILL = _fc(0x11, "table.fill", IMM_TABLE, _, _)

# --- Wasm 3.0 tail calls (return_call_ref belongs to the typed function references) ----------
RETURN_CALL = _op(0x12, "return_call", IMM_FUNC, _, _)
RETURN_CALL_INDIRECT = _op(0x13, "return_call_indirect", IMM_CALL_INDIRECT, _, _)

# --- wide arithmetic (proposal): 128-bit integers as (low, high) pairs of i64 -----------------
I64_ADD128 = _fc(0x13, "i64.add128", IMM_NONE, (I64, I64, I64, I64), (I64, I64))
I64_SUB128 = _fc(0x14, "i64.sub128", IMM_NONE, (I64, I64, I64, I64), (I64, I64))
I64_MUL_WIDE_S = _fc(0x15, "i64.mul_wide_s", IMM_NONE, (I64, I64), (I64, I64))
I64_MUL_WIDE_U = _fc(0x16, "i64.mul_wide_u", IMM_NONE, (I64, I64), (I64, I64))
WIDE_ARITHMETIC = frozenset((I64_ADD128, I64_SUB128, I64_MUL_WIDE_S, I64_MUL_WIDE_U))

# --- 0xFD prefix: SIMD -----------------------------------------------------------------------
_SIMD_LOADS = [  # (sub, name, params, results, align log2, imm)
    (0x00, "v128.load", 4), (0x01, "v128.load8x8_s", 3), (0x02, "v128.load8x8_u", 3),
    (0x03, "v128.load16x4_s", 3), (0x04, "v128.load16x4_u", 3), (0x05, "v128.load32x2_s", 3),
    (0x06, "v128.load32x2_u", 3), (0x07, "v128.load8_splat", 0), (0x08, "v128.load16_splat", 1),
    (0x09, "v128.load32_splat", 2), (0x0A, "v128.load64_splat", 3),
    (0x5C, "v128.load32_zero", 2), (0x5D, "v128.load64_zero", 3),
]
for _sub, _name, _align in _SIMD_LOADS:
    _op(FD_BASE | _sub, _name, IMM_MEMARG, (I32,), (V128,), _align, True)
V128_STORE = _op(FD_BASE | 0x0B, "v128.store", IMM_MEMARG, (I32, V128), (), 4, True)
for _sub, _name, _align in [(0x54, "v128.load8_lane", 0), (0x55, "v128.load16_lane", 1),
                            (0x56, "v128.load32_lane", 2), (0x57, "v128.load64_lane", 3)]:
    _op(FD_BASE | _sub, _name, IMM_MEMARG_LANE, (I32, V128), (V128,), _align, True)
for _sub, _name, _align in [(0x58, "v128.store8_lane", 0), (0x59, "v128.store16_lane", 1),
                            (0x5A, "v128.store32_lane", 2), (0x5B, "v128.store64_lane", 3)]:
    _op(FD_BASE | _sub, _name, IMM_MEMARG_LANE, (I32, V128), (), _align, True)
V128_CONST = _op(FD_BASE | 0x0C, "v128.const", IMM_V128, (), (V128,))
I8X16_SHUFFLE = _op(FD_BASE | 0x0D, "i8x16.shuffle", IMM_SHUFFLE, (V128, V128), (V128,))

_VV_V = ((V128, V128), (V128,))
_V_V = ((V128,), (V128,))
_V_I32 = ((V128,), (I32,))
_VI_V = ((V128, I32), (V128,))
_LANE_SCALAR = {"i8x16": I32, "i16x8": I32, "i32x4": I32, "i64x2": I64, "f32x4": F32,
                "f64x2": F64}
LANE_COUNT = {"i8x16": 16, "i16x8": 8, "i32x4": 4, "i64x2": 2, "f32x4": 4, "f64x2": 2}
"""Lanes per shape, for the lane-index immediates (checked by the validator)."""

_SIMD_PLAIN: list[tuple[int, str, tuple[tuple[int, ...], tuple[int, ...]]]] = [
    (0x0E, "i8x16.swizzle", _VV_V),
]
for _i, _shape in enumerate(("i8x16", "i16x8", "i32x4", "i64x2", "f32x4", "f64x2")):
    _SIMD_PLAIN.append((0x0F + _i, f"{_shape}.splat", ((_LANE_SCALAR[_shape],), (V128,))))
_SIMD_PLAIN += [(_c, _n, _VV_V) for _c, _n in enumerate(
    "i8x16.eq i8x16.ne i8x16.lt_s i8x16.lt_u i8x16.gt_s i8x16.gt_u i8x16.le_s i8x16.le_u "
    "i8x16.ge_s i8x16.ge_u i16x8.eq i16x8.ne i16x8.lt_s i16x8.lt_u i16x8.gt_s i16x8.gt_u "
    "i16x8.le_s i16x8.le_u i16x8.ge_s i16x8.ge_u i32x4.eq i32x4.ne i32x4.lt_s i32x4.lt_u "
    "i32x4.gt_s i32x4.gt_u i32x4.le_s i32x4.le_u i32x4.ge_s i32x4.ge_u f32x4.eq f32x4.ne "
    "f32x4.lt f32x4.gt f32x4.le f32x4.ge f64x2.eq f64x2.ne f64x2.lt f64x2.gt f64x2.le "
    "f64x2.ge".split(), start=0x23)]
_SIMD_PLAIN += [
    (0x4D, "v128.not", _V_V), (0x4E, "v128.and", _VV_V), (0x4F, "v128.andnot", _VV_V),
    (0x50, "v128.or", _VV_V), (0x51, "v128.xor", _VV_V),
    (0x52, "v128.bitselect", ((V128, V128, V128), (V128,))), (0x53, "v128.any_true", _V_I32),
    (0x5E, "f32x4.demote_f64x2_zero", _V_V), (0x5F, "f64x2.promote_low_f32x4", _V_V),
]
_SIMD_TABLE = """
60 i8x16.abs u;61 i8x16.neg u;62 i8x16.popcnt u;63 i8x16.all_true t;64 i8x16.bitmask t
65 i8x16.narrow_i16x8_s b;66 i8x16.narrow_i16x8_u b;67 f32x4.ceil u;68 f32x4.floor u
69 f32x4.trunc u;6a f32x4.nearest u;6b i8x16.shl s;6c i8x16.shr_s s;6d i8x16.shr_u s
6e i8x16.add b;6f i8x16.add_sat_s b;70 i8x16.add_sat_u b;71 i8x16.sub b;72 i8x16.sub_sat_s b
73 i8x16.sub_sat_u b;74 f64x2.ceil u;75 f64x2.floor u;76 i8x16.min_s b;77 i8x16.min_u b
78 i8x16.max_s b;79 i8x16.max_u b;7a f64x2.trunc u;7b i8x16.avgr_u b
7c i16x8.extadd_pairwise_i8x16_s u;7d i16x8.extadd_pairwise_i8x16_u u
7e i32x4.extadd_pairwise_i16x8_s u;7f i32x4.extadd_pairwise_i16x8_u u
80 i16x8.abs u;81 i16x8.neg u;82 i16x8.q15mulr_sat_s b;83 i16x8.all_true t;84 i16x8.bitmask t
85 i16x8.narrow_i32x4_s b;86 i16x8.narrow_i32x4_u b;87 i16x8.extend_low_i8x16_s u
88 i16x8.extend_high_i8x16_s u;89 i16x8.extend_low_i8x16_u u;8a i16x8.extend_high_i8x16_u u
8b i16x8.shl s;8c i16x8.shr_s s;8d i16x8.shr_u s;8e i16x8.add b;8f i16x8.add_sat_s b
90 i16x8.add_sat_u b;91 i16x8.sub b;92 i16x8.sub_sat_s b;93 i16x8.sub_sat_u b
94 f64x2.nearest u;95 i16x8.mul b;96 i16x8.min_s b;97 i16x8.min_u b;98 i16x8.max_s b
99 i16x8.max_u b;9b i16x8.avgr_u b;9c i16x8.extmul_low_i8x16_s b
9d i16x8.extmul_high_i8x16_s b;9e i16x8.extmul_low_i8x16_u b;9f i16x8.extmul_high_i8x16_u b
a0 i32x4.abs u;a1 i32x4.neg u;a3 i32x4.all_true t;a4 i32x4.bitmask t
a7 i32x4.extend_low_i16x8_s u;a8 i32x4.extend_high_i16x8_s u;a9 i32x4.extend_low_i16x8_u u
aa i32x4.extend_high_i16x8_u u;ab i32x4.shl s;ac i32x4.shr_s s;ad i32x4.shr_u s
ae i32x4.add b;b1 i32x4.sub b;b5 i32x4.mul b;b6 i32x4.min_s b;b7 i32x4.min_u b
b8 i32x4.max_s b;b9 i32x4.max_u b;ba i32x4.dot_i16x8_s b;bc i32x4.extmul_low_i16x8_s b
bd i32x4.extmul_high_i16x8_s b;be i32x4.extmul_low_i16x8_u b;bf i32x4.extmul_high_i16x8_u b
c0 i64x2.abs u;c1 i64x2.neg u;c3 i64x2.all_true t;c4 i64x2.bitmask t
c7 i64x2.extend_low_i32x4_s u;c8 i64x2.extend_high_i32x4_s u;c9 i64x2.extend_low_i32x4_u u
ca i64x2.extend_high_i32x4_u u;cb i64x2.shl s;cc i64x2.shr_s s;cd i64x2.shr_u s
ce i64x2.add b;d1 i64x2.sub b;d5 i64x2.mul b;d6 i64x2.eq b;d7 i64x2.ne b;d8 i64x2.lt_s b
d9 i64x2.gt_s b;da i64x2.le_s b;db i64x2.ge_s b;dc i64x2.extmul_low_i32x4_s b
dd i64x2.extmul_high_i32x4_s b;de i64x2.extmul_low_i32x4_u b;df i64x2.extmul_high_i32x4_u b
e0 f32x4.abs u;e1 f32x4.neg u;e3 f32x4.sqrt u;e4 f32x4.add b;e5 f32x4.sub b;e6 f32x4.mul b
e7 f32x4.div b;e8 f32x4.min b;e9 f32x4.max b;ea f32x4.pmin b;eb f32x4.pmax b
ec f64x2.abs u;ed f64x2.neg u;ef f64x2.sqrt u;f0 f64x2.add b;f1 f64x2.sub b;f2 f64x2.mul b
f3 f64x2.div b;f4 f64x2.min b;f5 f64x2.max b;f6 f64x2.pmin b;f7 f64x2.pmax b
f8 i32x4.trunc_sat_f32x4_s u;f9 i32x4.trunc_sat_f32x4_u u;fa f32x4.convert_i32x4_s u
fb f32x4.convert_i32x4_u u;fc i32x4.trunc_sat_f64x2_s_zero u
fd i32x4.trunc_sat_f64x2_u_zero u;fe f64x2.convert_low_i32x4_s u;ff f64x2.convert_low_i32x4_u u
"""
_SIMD_SHAPES = {"u": _V_V, "b": _VV_V, "t": _V_I32, "s": _VI_V}
for _entry in _SIMD_TABLE.replace("\n", ";").split(";"):
    if _entry.strip():
        _hex, _name, _shape_code = _entry.split()
        _SIMD_PLAIN.append((int(_hex, 16), _name, _SIMD_SHAPES[_shape_code]))
for _sub, _name, (_params, _results) in _SIMD_PLAIN:
    _op(FD_BASE | _sub, _name, IMM_NONE, _params, _results)

# Lane access: (sub, name); the signature follows from the shape.
for _sub, _name in [(0x15, "i8x16.extract_lane_s"), (0x16, "i8x16.extract_lane_u"),
                    (0x17, "i8x16.replace_lane"), (0x18, "i16x8.extract_lane_s"),
                    (0x19, "i16x8.extract_lane_u"), (0x1A, "i16x8.replace_lane"),
                    (0x1B, "i32x4.extract_lane"), (0x1C, "i32x4.replace_lane"),
                    (0x1D, "i64x2.extract_lane"), (0x1E, "i64x2.replace_lane"),
                    (0x1F, "f32x4.extract_lane"), (0x20, "f32x4.replace_lane"),
                    (0x21, "f64x2.extract_lane"), (0x22, "f64x2.replace_lane")]:
    _scalar = _LANE_SCALAR[_name[:5]]
    if "extract" in _name:
        _op(FD_BASE | _sub, _name, IMM_LANE, (V128,), (_scalar,))
    else:
        _op(FD_BASE | _sub, _name, IMM_LANE, (V128, _scalar), (V128,))


# --- Wasm 3.0: typed function references and GC (0xFB prefix) --------------------------------
# Typed by the validator itself (params/results None). Immediates: IMM_TYPE (op, typeidx),
# IMM_TYPE2 (op, u32, u32: type+field, type+type, type+count, type+data, type+elem),
# IMM_HEAPTYPE (op, reftype: the heap type, nullable for the `null` variants),
# IMM_BR_ON_CAST (op, labelidx, reftype1, reftype2). ref.null's heap type is read as a
# reference type too (IMM_REFTYPE: a heap type since 3.0).
IMM_TYPE = "typeidx"
IMM_TYPE2 = "typeidx2"
IMM_HEAPTYPE = "heaptype"
IMM_BR_ON_CAST = "br_on_cast"
PREFIX_FB = 0xFB
FB_BASE = 0xFB00


def _fb(sub: int, name: str, imm: str = IMM_NONE) -> int:
    return _op(FB_BASE | sub, name, imm, _, _)


CALL_REF = _op(0x14, "call_ref", IMM_TYPE, _, _)
RETURN_CALL_REF = _op(0x15, "return_call_ref", IMM_TYPE, _, _)
REF_EQ = _op(0xD3, "ref.eq", IMM_NONE, _, _)
REF_AS_NON_NULL = _op(0xD4, "ref.as_non_null", IMM_NONE, _, _)
BR_ON_NULL = _op(0xD5, "br_on_null", IMM_LABEL, _, _)
BR_ON_NON_NULL = _op(0xD6, "br_on_non_null", IMM_LABEL, _, _)
STRUCT_NEW = _fb(0x00, "struct.new", IMM_TYPE)
STRUCT_NEW_DEFAULT = _fb(0x01, "struct.new_default", IMM_TYPE)
STRUCT_GET = _fb(0x02, "struct.get", IMM_TYPE2)
STRUCT_GET_S = _fb(0x03, "struct.get_s", IMM_TYPE2)
STRUCT_GET_U = _fb(0x04, "struct.get_u", IMM_TYPE2)
STRUCT_SET = _fb(0x05, "struct.set", IMM_TYPE2)
ARRAY_NEW = _fb(0x06, "array.new", IMM_TYPE)
ARRAY_NEW_DEFAULT = _fb(0x07, "array.new_default", IMM_TYPE)
ARRAY_NEW_FIXED = _fb(0x08, "array.new_fixed", IMM_TYPE2)
ARRAY_NEW_DATA = _fb(0x09, "array.new_data", IMM_TYPE2)
ARRAY_NEW_ELEM = _fb(0x0A, "array.new_elem", IMM_TYPE2)
ARRAY_GET = _fb(0x0B, "array.get", IMM_TYPE)
ARRAY_GET_S = _fb(0x0C, "array.get_s", IMM_TYPE)
ARRAY_GET_U = _fb(0x0D, "array.get_u", IMM_TYPE)
ARRAY_SET = _fb(0x0E, "array.set", IMM_TYPE)
ARRAY_LEN = _fb(0x0F, "array.len")
ARRAY_FILL = _fb(0x10, "array.fill", IMM_TYPE)
ARRAY_COPY = _fb(0x11, "array.copy", IMM_TYPE2)
ARRAY_INIT_DATA = _fb(0x12, "array.init_data", IMM_TYPE2)
ARRAY_INIT_ELEM = _fb(0x13, "array.init_elem", IMM_TYPE2)
REF_TEST = _fb(0x14, "ref.test", IMM_HEAPTYPE)
REF_TEST_NULL = _fb(0x15, "ref.test_null", IMM_HEAPTYPE)
REF_CAST = _fb(0x16, "ref.cast", IMM_HEAPTYPE)
REF_CAST_NULL = _fb(0x17, "ref.cast_null", IMM_HEAPTYPE)
BR_ON_CAST = _fb(0x18, "br_on_cast", IMM_BR_ON_CAST)
BR_ON_CAST_FAIL = _fb(0x19, "br_on_cast_fail", IMM_BR_ON_CAST)
ANY_CONVERT_EXTERN = _fb(0x1A, "any.convert_extern")
EXTERN_CONVERT_ANY = _fb(0x1B, "extern.convert_any")
REF_I31 = _fb(0x1C, "ref.i31")
I31_GET_S = _fb(0x1D, "i31.get_s")
I31_GET_U = _fb(0x1E, "i31.get_u")
# Instructions allowed in constant expressions besides 2.0's (see validate.const_expr).
GC_CONST_OPS = frozenset({STRUCT_NEW, STRUCT_NEW_DEFAULT, ARRAY_NEW, ARRAY_NEW_DEFAULT,
                          ARRAY_NEW_FIXED, REF_I31, ANY_CONVERT_EXTERN, EXTERN_CONVERT_ANY})
# --- 0xFD prefix, sub 0x100-0x113: relaxed SIMD (semantics: simd.py, "Relaxed SIMD") ----------
_VVV_V = ((V128, V128, V128), (V128,))
for _sub, _name, (_params, _results) in [
        (0x100, "i8x16.relaxed_swizzle", _VV_V),
        (0x101, "i32x4.relaxed_trunc_f32x4_s", _V_V), (0x102, "i32x4.relaxed_trunc_f32x4_u", _V_V),
        (0x103, "i32x4.relaxed_trunc_f64x2_s_zero", _V_V),
        (0x104, "i32x4.relaxed_trunc_f64x2_u_zero", _V_V),
        (0x105, "f32x4.relaxed_madd", _VVV_V), (0x106, "f32x4.relaxed_nmadd", _VVV_V),
        (0x107, "f64x2.relaxed_madd", _VVV_V), (0x108, "f64x2.relaxed_nmadd", _VVV_V),
        (0x109, "i8x16.relaxed_laneselect", _VVV_V), (0x10A, "i16x8.relaxed_laneselect", _VVV_V),
        (0x10B, "i32x4.relaxed_laneselect", _VVV_V), (0x10C, "i64x2.relaxed_laneselect", _VVV_V),
        (0x10D, "f32x4.relaxed_min", _VV_V), (0x10E, "f32x4.relaxed_max", _VV_V),
        (0x10F, "f64x2.relaxed_min", _VV_V), (0x110, "f64x2.relaxed_max", _VV_V),
        (0x111, "i16x8.relaxed_q15mulr_s", _VV_V),
        (0x112, "i16x8.relaxed_dot_i8x16_i7x16_s", _VV_V),
        (0x113, "i32x4.relaxed_dot_i8x16_i7x16_add_s", _VVV_V)]:
    _op(FD_BASE | _sub, _name, IMM_NONE, _params, _results)


# --- 0xFE prefix: threads atomics (a block of its own; see lab/interp/atomics.py) ------------
FE_BASE = 0xFE00  # like FC_BASE: 8 free bits (the last atomic is sub 0x4E); below FD_BASE
PREFIX_FE = 0xFE
ATOMIC_ALIGN: dict[int, int] = {}
"""Atomic memory access -> its natural alignment (OpInfo.align, log2 of the access width in
bytes), which its alignment immediate must equal exactly (the validator's atomic rule)."""


def _fe(sub: int, name: str, imm: str, params: tuple[int, ...], results: tuple[int, ...],
        align: int | None) -> int:
    code = _op(FE_BASE | sub, name, imm, params, results, align, memory=align is not None)
    if align is not None:
        ATOMIC_ALIGN[code] = align
    return code


MEMORY_ATOMIC_NOTIFY = _fe(0x00, "memory.atomic.notify", IMM_MEMARG, (I32, I32), (I32,), 2)
MEMORY_ATOMIC_WAIT32 = _fe(0x01, "memory.atomic.wait32", IMM_MEMARG, (I32, I32, I64), (I32,), 2)
MEMORY_ATOMIC_WAIT64 = _fe(0x02, "memory.atomic.wait64", IMM_MEMARG, (I32, I64, I64), (I32,), 3)
ATOMIC_FENCE = _fe(0x03, "atomic.fence", IMM_ZERO, (), (), None)
# The seven access forms, in encoding order: (value type, its prefix, width suffix, align).
_ATOMIC_FORMS = [(I32, "i32", "", 2), (I64, "i64", "", 3), (I32, "i32", "8", 0),
                 (I32, "i32", "16", 1), (I64, "i64", "8", 0), (I64, "i64", "16", 1),
                 (I64, "i64", "32", 2)]
for _k, (_t, _p, _w, _align) in enumerate(_ATOMIC_FORMS):
    _u = "_u" if _w else ""
    _fe(0x10 + _k, f"{_p}.atomic.load{_w}{_u}", IMM_MEMARG, (I32,), (_t,), _align)
    _fe(0x17 + _k, f"{_p}.atomic.store{_w}", IMM_MEMARG, (I32, _t), (), _align)
    for _j, _rmw in enumerate(("add", "sub", "and", "or", "xor", "xchg")):
        _fe(0x1E + 7 * _j + _k, f"{_p}.atomic.rmw{_w}.{_rmw}{_u}", IMM_MEMARG, (I32, _t), (_t,),
            _align)
    _fe(0x48 + _k, f"{_p}.atomic.rmw{_w}.cmpxchg{_u}", IMM_MEMARG, (I32, _t, _t), (_t,), _align)
for _info in list(OPCODES.values()):
    if FE_BASE <= _info.code < FE_BASE + 0x100:
        globals().setdefault(_info.name.upper().replace(".", "_"), _info.code)
del _k, _t, _p, _w, _u, _j, _rmw


def _constant_name(info: OpInfo) -> str:
    return info.name.upper().replace(".", "_")


# Module constants for the SIMD opcodes registered in loops above (the others are spelled out).
for _info in list(OPCODES.values()):
    if _info.code >= FD_BASE:
        globals().setdefault(_constant_name(_info), _info.code)

OP_NAMES: dict[int, str] = {code: info.name for code, info in OPCODES.items()}
"""Opcode number -> text name."""


def lane_limit(info: OpInfo) -> int:
    """For a lane immediate: the number of lanes it may index (the validator checks < this)."""
    if info.imm == IMM_MEMARG_LANE:
        assert info.align is not None
        return 16 >> info.align
    return LANE_COUNT[info.name[:5]]


def op_name(code: int) -> str:
    """The text name of an opcode number, or a hex rendering for an unknown one."""
    info = OPCODES.get(code)
    if info is not None:
        return info.name
    if code >= FD_BASE:
        return f"0xfd {code - FD_BASE:#x}"
    if code >= FC_BASE:
        return f"0xfc {code - FC_BASE:#x}"
    return f"{code:#04x}"


del _sub, _name, _align, _i, _shape, _entry, _hex, _shape_code, _params, _results
del _scalar, _info
