"""Bit-exact WebAssembly numerics on the engine's internal value representation.

Internal representation of values (shared by every execution tier):
  i32   unsigned Python int in [0, 2**32)
  i64   unsigned Python int in [0, 2**64)
  f32   the raw IEEE-754 single bit pattern as an unsigned int in [0, 2**32). CPython quiets
        signalling NaNs when it turns an f32 into a Python float, so f32 values never live as
        floats: loads, stores, constants, locals, select, abs/neg/copysign and reinterpret keep
        the exact bits; arithmetic unpacks to a double, computes, and rounds back once.
  f64   a Python float (CPython keeps f64 NaN payloads, signalling ones included, through
        struct, negation, fabs and copysign: those are bit operations on x86-64 and Arm64).
  refs  None for null; a function instance (funcref) or any host object (externref).

Every function here takes and returns that representation and raises Trap for the trapping
operations. For + - * / sqrt on f32, computing in double precision and rounding once to single
is exact (double has more than 2*24+2 significand bits), so no double-rounding error occurs.
"""

from __future__ import annotations

import math
import struct

from .errors import TRAP_DIV_ZERO, TRAP_INT_OVERFLOW, TRAP_INVALID_CONVERSION, Trap

M32 = 0xFFFFFFFF
M64 = 0xFFFFFFFFFFFFFFFF
S32 = 0x80000000
S64 = 0x8000000000000000

_S_f = struct.Struct("<f")
_S_I = struct.Struct("<I")
_S_d = struct.Struct("<d")
_S_Q = struct.Struct("<Q")
_pack_f = _S_f.pack
_unpack_f = _S_f.unpack
_pack_I = _S_I.pack
_unpack_I = _S_I.unpack
_pack_d = _S_d.pack
_unpack_d = _S_d.unpack
_pack_Q = _S_Q.pack
_unpack_Q = _S_Q.unpack

F32_CANON_NAN = 0x7FC00000
F32_INF = 0x7F800000
F32_NEG_INF = 0xFF800000
F64_CANON_NAN = _unpack_d(_pack_Q(0x7FF8000000000000))[0]
INF = math.inf

_isnan = math.isnan
_isinf = math.isinf
_copysign = math.copysign
_floor = math.floor
_ceil = math.ceil
_trunc = math.trunc
_sqrt = math.sqrt
_fabs = math.fabs


# ---------------------------------------------------------------------------------------------
# Representation conversions

def f32_to_float(bits: int) -> float:
    """The value of an f32 bit pattern as a double (signalling NaNs come back quieted)."""
    return _unpack_f(_pack_I(bits))[0]


def float_to_f32(x: float) -> int:
    """Round a double to single precision (round to nearest even), as a bit pattern."""
    try:
        return _unpack_I(_pack_f(x))[0]
    except OverflowError:
        # struct refuses results that round to infinity; the correctly rounded result is inf.
        return F32_INF if x > 0 else F32_NEG_INF


def f64_to_bits(x: float) -> int:
    return _unpack_Q(_pack_d(x))[0]


def bits_to_f64(bits: int) -> float:
    return _unpack_d(_pack_Q(bits))[0]


def signed32(x: int) -> int:
    return x - ((x & S32) << 1)


def signed64(x: int) -> int:
    return x - ((x & S64) << 1)


# ---------------------------------------------------------------------------------------------
# Integer operations (operands unsigned; results unsigned)

def i32_div_s(a: int, b: int) -> int:
    if b == 0:
        raise Trap(TRAP_DIV_ZERO)
    if a == S32 and b == M32:
        raise Trap(TRAP_INT_OVERFLOW)
    a = a - ((a & S32) << 1)
    b = b - ((b & S32) << 1)
    q = abs(a) // abs(b)
    if (a < 0) != (b < 0):
        q = -q
    return q & M32


def i32_div_u(a: int, b: int) -> int:
    if b == 0:
        raise Trap(TRAP_DIV_ZERO)
    return a // b


def i32_rem_s(a: int, b: int) -> int:
    if b == 0:
        raise Trap(TRAP_DIV_ZERO)
    a = a - ((a & S32) << 1)
    b = b - ((b & S32) << 1)
    r = abs(a) % abs(b)
    if a < 0:
        r = -r
    return r & M32


def i32_rem_u(a: int, b: int) -> int:
    if b == 0:
        raise Trap(TRAP_DIV_ZERO)
    return a % b


def i64_div_s(a: int, b: int) -> int:
    if b == 0:
        raise Trap(TRAP_DIV_ZERO)
    if a == S64 and b == M64:
        raise Trap(TRAP_INT_OVERFLOW)
    a = a - ((a & S64) << 1)
    b = b - ((b & S64) << 1)
    q = abs(a) // abs(b)
    if (a < 0) != (b < 0):
        q = -q
    return q & M64


def i64_div_u(a: int, b: int) -> int:
    if b == 0:
        raise Trap(TRAP_DIV_ZERO)
    return a // b


def i64_rem_s(a: int, b: int) -> int:
    if b == 0:
        raise Trap(TRAP_DIV_ZERO)
    a = a - ((a & S64) << 1)
    b = b - ((b & S64) << 1)
    r = abs(a) % abs(b)
    if a < 0:
        r = -r
    return r & M64


def i64_rem_u(a: int, b: int) -> int:
    if b == 0:
        raise Trap(TRAP_DIV_ZERO)
    return a % b


def i32_shr_s(a: int, b: int) -> int:
    return ((a - ((a & S32) << 1)) >> (b & 31)) & M32


def i64_shr_s(a: int, b: int) -> int:
    return ((a - ((a & S64) << 1)) >> (b & 63)) & M64


def i32_rotl(a: int, b: int) -> int:
    b &= 31
    return ((a << b) | (a >> (32 - b))) & M32


def i32_rotr(a: int, b: int) -> int:
    b &= 31
    return ((a >> b) | (a << (32 - b))) & M32


def i64_rotl(a: int, b: int) -> int:
    b &= 63
    return ((a << b) | (a >> (64 - b))) & M64


def i64_rotr(a: int, b: int) -> int:
    b &= 63
    return ((a >> b) | (a << (64 - b))) & M64


def i32_clz(a: int) -> int:
    return 32 - a.bit_length()


def i64_clz(a: int) -> int:
    return 64 - a.bit_length()


def i32_ctz(a: int) -> int:
    if a == 0:
        return 32
    return (a & -a).bit_length() - 1


def i64_ctz(a: int) -> int:
    if a == 0:
        return 64
    return (a & -a).bit_length() - 1


def popcnt(a: int) -> int:
    return a.bit_count()


def i32_extend8_s(a: int) -> int:
    a &= 0xFF
    return (a - ((a & 0x80) << 1)) & M32


def i32_extend16_s(a: int) -> int:
    a &= 0xFFFF
    return (a - ((a & 0x8000) << 1)) & M32


def i64_extend8_s(a: int) -> int:
    a &= 0xFF
    return (a - ((a & 0x80) << 1)) & M64


def i64_extend16_s(a: int) -> int:
    a &= 0xFFFF
    return (a - ((a & 0x8000) << 1)) & M64


def i64_extend32_s(a: int) -> int:
    a &= M32
    return (a - ((a & S32) << 1)) & M64


def i64_extend_i32_s(a: int) -> int:
    return (a - ((a & S32) << 1)) & M64


def i32_lt_s(a: int, b: int) -> int:
    return 1 if (a ^ S32) < (b ^ S32) else 0


def i64_lt_s(a: int, b: int) -> int:
    return 1 if (a ^ S64) < (b ^ S64) else 0


# ---------------------------------------------------------------------------------------------
# Float helpers shared by f32 (via doubles) and f64

def fdiv(a: float, b: float) -> float:
    try:
        return a / b
    except ZeroDivisionError:
        if a != a or a == 0.0:
            return F64_CANON_NAN if a == a else a + b  # 0/0 -> NaN; NaN/0 -> NaN (arithmetic)
        # a/±0 = ±inf with the xor of the signs
        neg = (_copysign(1.0, a) < 0) != (_copysign(1.0, b) < 0)
        return -INF if neg else INF


def fsqrt(a: float) -> float:
    if a < 0.0:
        return F64_CANON_NAN
    if a != a:
        return a + a  # quiet the NaN, keep its payload (arithmetic NaN)
    return _sqrt(a)


def fmin(a: float, b: float) -> float:
    if a != a or b != b:
        return a + b  # an arithmetic NaN (propagated, quieted)
    if a == b:
        # -0.0 vs +0.0: min is -0.0
        return a if _copysign(1.0, a) < 0 else b
    return a if a < b else b


def fmax(a: float, b: float) -> float:
    if a != a or b != b:
        return a + b
    if a == b:
        return b if _copysign(1.0, a) < 0 else a
    return a if a > b else b


_TWO52 = 4503599627370496.0


def fceil(a: float) -> float:
    if a != a:
        return a + a
    if not (-_TWO52 < a < _TWO52):
        return a
    r = float(_ceil(a))
    return _copysign(r, a) if r == 0.0 else r


def ffloor(a: float) -> float:
    if a != a:
        return a + a
    if not (-_TWO52 < a < _TWO52):
        return a
    r = float(_floor(a))
    return _copysign(r, a) if r == 0.0 else r


def ftrunc(a: float) -> float:
    if a != a:
        return a + a
    if not (-_TWO52 < a < _TWO52):
        return a
    r = float(_trunc(a))
    return _copysign(r, a) if r == 0.0 else r


def fnearest(a: float) -> float:
    if a != a:
        return a + a
    if not (-_TWO52 < a < _TWO52):
        return a
    r = float(round(a))  # round() on floats is round-half-to-even
    return _copysign(r, a) if r == 0.0 else r


# ---------------------------------------------------------------------------------------------
# f32 operations (bit patterns in, bit patterns out)

def _f32_nan_result(a: int, b: int) -> int:
    """An arithmetic NaN for an operation with a NaN operand: the first NaN operand, quieted."""
    if (a & 0x7F800000) == 0x7F800000 and (a & 0x7FFFFF):
        return a | 0x400000
    return b | 0x400000


def _f32_is_nan(a: int) -> bool:
    return (a & 0x7FFFFFFF) > 0x7F800000


def f32_add(a: int, b: int) -> int:
    return float_to_f32(_unpack_f(_pack_I(a))[0] + _unpack_f(_pack_I(b))[0])


def f32_sub(a: int, b: int) -> int:
    return float_to_f32(_unpack_f(_pack_I(a))[0] - _unpack_f(_pack_I(b))[0])


def f32_mul(a: int, b: int) -> int:
    return float_to_f32(_unpack_f(_pack_I(a))[0] * _unpack_f(_pack_I(b))[0])


def f32_div(a: int, b: int) -> int:
    return float_to_f32(fdiv(_unpack_f(_pack_I(a))[0], _unpack_f(_pack_I(b))[0]))


def f32_sqrt(a: int) -> int:
    return float_to_f32(fsqrt(_unpack_f(_pack_I(a))[0]))


def f32_min(a: int, b: int) -> int:
    if _f32_is_nan(a) or _f32_is_nan(b):
        return _f32_nan_result(a, b)
    return float_to_f32(fmin(_unpack_f(_pack_I(a))[0], _unpack_f(_pack_I(b))[0]))


def f32_max(a: int, b: int) -> int:
    if _f32_is_nan(a) or _f32_is_nan(b):
        return _f32_nan_result(a, b)
    return float_to_f32(fmax(_unpack_f(_pack_I(a))[0], _unpack_f(_pack_I(b))[0]))


def f32_ceil(a: int) -> int:
    if _f32_is_nan(a):
        return a | 0x400000
    return float_to_f32(fceil(_unpack_f(_pack_I(a))[0]))


def f32_floor(a: int) -> int:
    if _f32_is_nan(a):
        return a | 0x400000
    return float_to_f32(ffloor(_unpack_f(_pack_I(a))[0]))


def f32_trunc(a: int) -> int:
    if _f32_is_nan(a):
        return a | 0x400000
    return float_to_f32(ftrunc(_unpack_f(_pack_I(a))[0]))


def f32_nearest(a: int) -> int:
    if _f32_is_nan(a):
        return a | 0x400000
    return float_to_f32(fnearest(_unpack_f(_pack_I(a))[0]))


def f32_abs(a: int) -> int:
    return a & 0x7FFFFFFF


def f32_neg(a: int) -> int:
    return a ^ 0x80000000


def f32_copysign(a: int, b: int) -> int:
    return (a & 0x7FFFFFFF) | (b & 0x80000000)


def f32_eq(a: int, b: int) -> int:
    return 1 if _unpack_f(_pack_I(a))[0] == _unpack_f(_pack_I(b))[0] else 0


def f32_ne(a: int, b: int) -> int:
    return 1 if _unpack_f(_pack_I(a))[0] != _unpack_f(_pack_I(b))[0] else 0


def f32_lt(a: int, b: int) -> int:
    return 1 if _unpack_f(_pack_I(a))[0] < _unpack_f(_pack_I(b))[0] else 0


def f32_gt(a: int, b: int) -> int:
    return 1 if _unpack_f(_pack_I(a))[0] > _unpack_f(_pack_I(b))[0] else 0


def f32_le(a: int, b: int) -> int:
    return 1 if _unpack_f(_pack_I(a))[0] <= _unpack_f(_pack_I(b))[0] else 0


def f32_ge(a: int, b: int) -> int:
    return 1 if _unpack_f(_pack_I(a))[0] >= _unpack_f(_pack_I(b))[0] else 0


# f64 operations that are not a plain Python operator

def f64_min(a: float, b: float) -> float:
    return fmin(a, b)


def f64_max(a: float, b: float) -> float:
    return fmax(a, b)


def f64_copysign(a: float, b: float) -> float:
    return _copysign(a, b)


def f64_abs(a: float) -> float:
    return _fabs(a)


def f64_neg(a: float) -> float:
    return -a


# ---------------------------------------------------------------------------------------------
# Conversions

def _trunc_checked(x: float, lo: int, hi: int) -> int:
    """Truncate toward zero; trap unless lo <= result <= hi. Result as a signed/unsigned int."""
    if x != x:
        raise Trap(TRAP_INVALID_CONVERSION)
    if x == INF or x == -INF:
        raise Trap(TRAP_INT_OVERFLOW)
    t = _trunc(x)
    if t < lo or t > hi:
        raise Trap(TRAP_INT_OVERFLOW)
    return t


def _trunc_sat(x: float, lo: int, hi: int) -> int:
    if x != x:
        return 0
    if x == INF:
        return hi
    if x == -INF:
        return lo
    t = _trunc(x)
    if t < lo:
        return lo
    if t > hi:
        return hi
    return t


_I32_MIN, _I32_MAX = -(1 << 31), (1 << 31) - 1
_I64_MIN, _I64_MAX = -(1 << 63), (1 << 63) - 1
_U32_MAX, _U64_MAX = M32, M64


def i32_trunc_f32_s(a: int) -> int:
    return _trunc_checked(_unpack_f(_pack_I(a))[0], _I32_MIN, _I32_MAX) & M32


def i32_trunc_f32_u(a: int) -> int:
    return _trunc_checked(_unpack_f(_pack_I(a))[0], 0, _U32_MAX)


def i32_trunc_f64_s(a: float) -> int:
    return _trunc_checked(a, _I32_MIN, _I32_MAX) & M32


def i32_trunc_f64_u(a: float) -> int:
    return _trunc_checked(a, 0, _U32_MAX)


def i64_trunc_f32_s(a: int) -> int:
    return _trunc_checked(_unpack_f(_pack_I(a))[0], _I64_MIN, _I64_MAX) & M64


def i64_trunc_f32_u(a: int) -> int:
    return _trunc_checked(_unpack_f(_pack_I(a))[0], 0, _U64_MAX)


def i64_trunc_f64_s(a: float) -> int:
    return _trunc_checked(a, _I64_MIN, _I64_MAX) & M64


def i64_trunc_f64_u(a: float) -> int:
    return _trunc_checked(a, 0, _U64_MAX)


def i32_trunc_sat_f32_s(a: int) -> int:
    return _trunc_sat(_unpack_f(_pack_I(a))[0], _I32_MIN, _I32_MAX) & M32


def i32_trunc_sat_f32_u(a: int) -> int:
    return _trunc_sat(_unpack_f(_pack_I(a))[0], 0, _U32_MAX)


def i32_trunc_sat_f64_s(a: float) -> int:
    return _trunc_sat(a, _I32_MIN, _I32_MAX) & M32


def i32_trunc_sat_f64_u(a: float) -> int:
    return _trunc_sat(a, 0, _U32_MAX)


def i64_trunc_sat_f32_s(a: int) -> int:
    return _trunc_sat(_unpack_f(_pack_I(a))[0], _I64_MIN, _I64_MAX) & M64


def i64_trunc_sat_f32_u(a: int) -> int:
    return _trunc_sat(_unpack_f(_pack_I(a))[0], 0, _U64_MAX)


def i64_trunc_sat_f64_s(a: float) -> int:
    return _trunc_sat(a, _I64_MIN, _I64_MAX) & M64


def i64_trunc_sat_f64_u(a: float) -> int:
    return _trunc_sat(a, 0, _U64_MAX)


def int_to_f32(n: int) -> int:
    """Round an exact integer to the nearest f32 (ties to even) in one step, as bits."""
    m = -n if n < 0 else n
    bl = m.bit_length()
    if bl > 24:
        shift = bl - 24
        q = m >> shift
        r = m & ((1 << shift) - 1)
        half = 1 << (shift - 1)
        if r > half or (r == half and (q & 1)):
            q += 1
        m = q << shift  # exactly representable in f32 (and in a double)
    x = float(m)
    return float_to_f32(-x if n < 0 else x)


def f32_convert_i32_s(a: int) -> int:
    return int_to_f32(a - ((a & S32) << 1))


def f32_convert_i32_u(a: int) -> int:
    return int_to_f32(a)


def f32_convert_i64_s(a: int) -> int:
    return int_to_f32(a - ((a & S64) << 1))


def f32_convert_i64_u(a: int) -> int:
    return int_to_f32(a)


def f64_convert_i32_s(a: int) -> float:
    return float(a - ((a & S32) << 1))


def f64_convert_i32_u(a: int) -> float:
    return float(a)


def f64_convert_i64_s(a: int) -> float:
    return float(a - ((a & S64) << 1))  # int -> float is correctly rounded in CPython


def f64_convert_i64_u(a: int) -> float:
    return float(a)


def f32_demote_f64(a: float) -> int:
    if a != a:
        # keep the payload's top bits, quiet (an arithmetic NaN)
        bits = _unpack_Q(_pack_d(a))[0]
        return ((bits >> 32) & 0x80000000) | 0x7FC00000 | ((bits >> 29) & 0x3FFFFF)
    return float_to_f32(a)


def f64_promote_f32(a: int) -> float:
    if (a & 0x7FFFFFFF) > 0x7F800000:
        # NaN: quieted, payload kept in the top bits
        sign = (a & 0x80000000) << 32
        payload = (a & 0x3FFFFF) << 29
        return _unpack_d(_pack_Q(sign | 0x7FF8000000000000 | payload))[0]
    return _unpack_f(_pack_I(a))[0]


def i32_reinterpret_f32(a: int) -> int:
    return a


def f32_reinterpret_i32(a: int) -> int:
    return a


def i64_reinterpret_f64(a: float) -> int:
    return _unpack_Q(_pack_d(a))[0]


def f64_reinterpret_i64(a: int) -> float:
    return _unpack_d(_pack_Q(a))[0]


# ---------------------------------------------------------------------------------------------
# Opcode tables: every numeric instruction as a function on the internal representation.
# (The executor inlines the hot ones; the rest it calls through these tables.)

def _i32(f):
    return lambda a, b: f(a, b) & M32


def _i64(f):
    return lambda a, b: f(a, b) & M64


def _b(x: bool) -> int:
    return 1 if x else 0


UNARY = {
    0x45: lambda a: _b(a == 0),
    0x50: lambda a: _b(a == 0),
    0x67: i32_clz, 0x68: i32_ctz, 0x69: popcnt,
    0x79: i64_clz, 0x7A: i64_ctz, 0x7B: popcnt,
    0x8B: f32_abs, 0x8C: f32_neg, 0x8D: f32_ceil, 0x8E: f32_floor, 0x8F: f32_trunc,
    0x90: f32_nearest, 0x91: f32_sqrt,
    0x99: f64_abs, 0x9A: f64_neg, 0x9B: fceil, 0x9C: ffloor, 0x9D: ftrunc, 0x9E: fnearest,
    0x9F: fsqrt,
    0xA7: lambda a: a & M32,
    0xA8: i32_trunc_f32_s, 0xA9: i32_trunc_f32_u, 0xAA: i32_trunc_f64_s, 0xAB: i32_trunc_f64_u,
    0xAC: i64_extend_i32_s, 0xAD: lambda a: a,
    0xAE: i64_trunc_f32_s, 0xAF: i64_trunc_f32_u, 0xB0: i64_trunc_f64_s, 0xB1: i64_trunc_f64_u,
    0xB2: f32_convert_i32_s, 0xB3: f32_convert_i32_u, 0xB4: f32_convert_i64_s,
    0xB5: f32_convert_i64_u, 0xB6: f32_demote_f64,
    0xB7: f64_convert_i32_s, 0xB8: f64_convert_i32_u, 0xB9: f64_convert_i64_s,
    0xBA: f64_convert_i64_u, 0xBB: f64_promote_f32,
    0xBC: i32_reinterpret_f32, 0xBD: i64_reinterpret_f64, 0xBE: f32_reinterpret_i32,
    0xBF: f64_reinterpret_i64,
    0xC0: i32_extend8_s, 0xC1: i32_extend16_s,
    0xC2: i64_extend8_s, 0xC3: i64_extend16_s, 0xC4: i64_extend32_s,
    0xFC00: i32_trunc_sat_f32_s, 0xFC01: i32_trunc_sat_f32_u,
    0xFC02: i32_trunc_sat_f64_s, 0xFC03: i32_trunc_sat_f64_u,
    0xFC04: i64_trunc_sat_f32_s, 0xFC05: i64_trunc_sat_f32_u,
    0xFC06: i64_trunc_sat_f64_s, 0xFC07: i64_trunc_sat_f64_u,
}

BINARY = {
    # i32 comparisons
    0x46: lambda a, b: _b(a == b), 0x47: lambda a, b: _b(a != b),
    0x48: i32_lt_s, 0x49: lambda a, b: _b(a < b),
    0x4A: lambda a, b: _b((a ^ S32) > (b ^ S32)), 0x4B: lambda a, b: _b(a > b),
    0x4C: lambda a, b: _b((a ^ S32) <= (b ^ S32)), 0x4D: lambda a, b: _b(a <= b),
    0x4E: lambda a, b: _b((a ^ S32) >= (b ^ S32)), 0x4F: lambda a, b: _b(a >= b),
    # i64 comparisons
    0x51: lambda a, b: _b(a == b), 0x52: lambda a, b: _b(a != b),
    0x53: i64_lt_s, 0x54: lambda a, b: _b(a < b),
    0x55: lambda a, b: _b((a ^ S64) > (b ^ S64)), 0x56: lambda a, b: _b(a > b),
    0x57: lambda a, b: _b((a ^ S64) <= (b ^ S64)), 0x58: lambda a, b: _b(a <= b),
    0x59: lambda a, b: _b((a ^ S64) >= (b ^ S64)), 0x5A: lambda a, b: _b(a >= b),
    # f32 comparisons
    0x5B: f32_eq, 0x5C: f32_ne, 0x5D: f32_lt, 0x5E: f32_gt, 0x5F: f32_le, 0x60: f32_ge,
    # f64 comparisons
    0x61: lambda a, b: _b(a == b), 0x62: lambda a, b: _b(a != b),
    0x63: lambda a, b: _b(a < b), 0x64: lambda a, b: _b(a > b),
    0x65: lambda a, b: _b(a <= b), 0x66: lambda a, b: _b(a >= b),
    # i32 arithmetic
    0x6A: _i32(lambda a, b: a + b), 0x6B: _i32(lambda a, b: a - b),
    0x6C: _i32(lambda a, b: a * b),
    0x6D: i32_div_s, 0x6E: i32_div_u, 0x6F: i32_rem_s, 0x70: i32_rem_u,
    0x71: lambda a, b: a & b, 0x72: lambda a, b: a | b, 0x73: lambda a, b: a ^ b,
    0x74: lambda a, b: (a << (b & 31)) & M32, 0x75: i32_shr_s,
    0x76: lambda a, b: a >> (b & 31), 0x77: i32_rotl, 0x78: i32_rotr,
    # i64 arithmetic
    0x7C: _i64(lambda a, b: a + b), 0x7D: _i64(lambda a, b: a - b),
    0x7E: _i64(lambda a, b: a * b),
    0x7F: i64_div_s, 0x80: i64_div_u, 0x81: i64_rem_s, 0x82: i64_rem_u,
    0x83: lambda a, b: a & b, 0x84: lambda a, b: a | b, 0x85: lambda a, b: a ^ b,
    0x86: lambda a, b: (a << (b & 63)) & M64, 0x87: i64_shr_s,
    0x88: lambda a, b: a >> (b & 63), 0x89: i64_rotl, 0x8A: i64_rotr,
    # f32 arithmetic
    0x92: f32_add, 0x93: f32_sub, 0x94: f32_mul, 0x95: f32_div, 0x96: f32_min, 0x97: f32_max,
    0x98: f32_copysign,
    # f64 arithmetic
    0xA0: lambda a, b: a + b, 0xA1: lambda a, b: a - b, 0xA2: lambda a, b: a * b,
    0xA3: fdiv, 0xA4: fmin, 0xA5: fmax, 0xA6: f64_copysign,
}


# ---------------------------------------------------------------------------------------------
# Python expression templates for the ops executors inline (the interpreter loop generates its
# handlers and fused variants from these; a source-generating tier can reuse them). Operands
# `{x}` (first/left) and `{y}` are in the internal representation; each appears once, so any
# expression can be substituted.

EXPR_BINARY = {
    0x6A: "({x} + {y}) & 0xFFFFFFFF",
    0x6B: "({x} - {y}) & 0xFFFFFFFF",
    0x6C: "({x} * {y}) & 0xFFFFFFFF",
    0x71: "{x} & {y}",
    0x72: "{x} | {y}",
    0x73: "{x} ^ {y}",
    0x74: "({x} << ({y} & 31)) & 0xFFFFFFFF",
    0x75: "((({x} ^ 0x80000000) - 0x80000000) >> ({y} & 31)) & 0xFFFFFFFF",
    0x76: "{x} >> ({y} & 31)",
    0x7C: "({x} + {y}) & 0xFFFFFFFFFFFFFFFF",
    0x7D: "({x} - {y}) & 0xFFFFFFFFFFFFFFFF",
    0x7E: "({x} * {y}) & 0xFFFFFFFFFFFFFFFF",
    0x83: "{x} & {y}",
    0x84: "{x} | {y}",
    0x85: "{x} ^ {y}",
    0x86: "({x} << ({y} & 63)) & 0xFFFFFFFFFFFFFFFF",
    0x87: "((({x} ^ 0x8000000000000000) - 0x8000000000000000) >> ({y} & 63))"
          " & 0xFFFFFFFFFFFFFFFF",
    0x88: "{x} >> ({y} & 63)",
    0xA0: "{x} + {y}",
    0xA1: "{x} - {y}",
    0xA2: "{x} * {y}",
}

COND_BINARY = {
    0x46: "{x} == {y}", 0x47: "{x} != {y}",
    0x48: "({x} ^ 0x80000000) < ({y} ^ 0x80000000)", 0x49: "{x} < {y}",
    0x4A: "({x} ^ 0x80000000) > ({y} ^ 0x80000000)", 0x4B: "{x} > {y}",
    0x4C: "({x} ^ 0x80000000) <= ({y} ^ 0x80000000)", 0x4D: "{x} <= {y}",
    0x4E: "({x} ^ 0x80000000) >= ({y} ^ 0x80000000)", 0x4F: "{x} >= {y}",
    0x51: "{x} == {y}", 0x52: "{x} != {y}",
    0x53: "({x} ^ 0x8000000000000000) < ({y} ^ 0x8000000000000000)", 0x54: "{x} < {y}",
    0x55: "({x} ^ 0x8000000000000000) > ({y} ^ 0x8000000000000000)", 0x56: "{x} > {y}",
    0x57: "({x} ^ 0x8000000000000000) <= ({y} ^ 0x8000000000000000)", 0x58: "{x} <= {y}",
    0x59: "({x} ^ 0x8000000000000000) >= ({y} ^ 0x8000000000000000)", 0x5A: "{x} >= {y}",
    0x61: "{x} == {y}", 0x62: "{x} != {y}", 0x63: "{x} < {y}", 0x64: "{x} > {y}",
    0x65: "{x} <= {y}", 0x66: "{x} >= {y}",
}

EXPR_UNARY = {
    0x45: "0 if {x} else 1",
    0x50: "0 if {x} else 1",
    0xA7: "{x} & 0xFFFFFFFF",
    0xAC: "(({x} ^ 0x80000000) - 0x80000000) & 0xFFFFFFFFFFFFFFFF",
}
