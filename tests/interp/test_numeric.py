"""Bit-exact numerics of the interp engine (lab/interp/numeric.py), on the internal
representation: ints unsigned, f32 as bit patterns, f64 as Python floats."""

from __future__ import annotations

import math
import random
import struct

import pytest

from lab.interp import numeric as n
from lab.interp.errors import TRAP_DIV_ZERO, TRAP_INT_OVERFLOW, TRAP_INVALID_CONVERSION, Trap

np = pytest.importorskip("numpy")

M32, M64 = n.M32, n.M64


def f32(x: float) -> int:
    return struct.unpack("<I", struct.pack("<f", x))[0]


def f64b(x: float) -> int:
    return struct.unpack("<Q", struct.pack("<d", x))[0]


def is_f32_nan(bits: int) -> bool:
    return (bits & 0x7FFFFFFF) > 0x7F800000


# ------------------------------------------------------------------ integers

def test_i32_wraparound_and_bits():
    add, sub, mul = n.BINARY[0x6A], n.BINARY[0x6B], n.BINARY[0x6C]
    assert add(M32, 1) == 0
    assert sub(0, 1) == M32
    assert mul(0x10000, 0x10000) == 0
    assert mul(0x7FFFFFFF, 2) == 0xFFFFFFFE
    assert n.BINARY[0x74](1, 33) == 2            # shl mod 32
    assert n.i32_shr_s(0x80000000, 31) == M32
    assert n.BINARY[0x76](0x80000000, 63) == 1   # shr_u by 63 & 31 = 31
    assert n.i32_rotl(0x80000001, 1) == 3
    assert n.i32_rotr(1, 1) == 0x80000000
    assert n.i32_rotl(0x12345678, 32) == 0x12345678
    assert n.i64_rotr(1, 65) == 0x8000000000000000
    assert n.i32_clz(0) == 32 and n.i32_clz(1) == 31 and n.i32_clz(M32) == 0
    assert n.i32_ctz(0) == 32 and n.i32_ctz(0x80000000) == 31
    assert n.i64_clz(0) == 64 and n.i64_ctz(0) == 64 and n.i64_ctz(1 << 63) == 63
    assert n.popcnt(M32) == 32 and n.popcnt(M64) == 64 and n.popcnt(0) == 0


def test_sign_extension():
    assert n.i32_extend8_s(0x80) == 0xFFFFFF80
    assert n.i32_extend8_s(0x7F) == 0x7F
    assert n.i32_extend8_s(0x12345680) == 0xFFFFFF80
    assert n.i32_extend16_s(0x8000) == 0xFFFF8000
    assert n.i64_extend8_s(0xFF) == M64
    assert n.i64_extend16_s(0x7FFF) == 0x7FFF
    assert n.i64_extend32_s(0x80000000) == 0xFFFFFFFF80000000
    assert n.i64_extend_i32_s(M32) == M64
    assert n.signed32(M32) == -1 and n.signed64(1 << 63) == -(1 << 63)


def test_signed_comparisons():
    assert n.i32_lt_s(M32, 0) == 1            # -1 < 0
    assert n.BINARY[0x49](M32, 0) == 0        # lt_u
    assert n.i64_lt_s(1 << 63, 0) == 1
    assert n.BINARY[0x4E](0, 0x80000000) == 1  # ge_s: 0 >= INT_MIN


def test_division_and_traps():
    assert n.i32_div_s(7, (-2) & M32) == (-3) & M32      # truncates toward zero
    assert n.i32_rem_s((-7) & M32, 2) == (-1) & M32       # sign of the dividend
    assert n.i32_rem_s(0x80000000, M32) == 0              # INT_MIN % -1 = 0, no trap
    assert n.i32_div_u(M32, 2) == 0x7FFFFFFF
    assert n.i64_div_s((-7) & M64, 2) == (-3) & M64
    assert n.i64_rem_u(M64, 10) == 5
    for f in (n.i32_div_s, n.i32_div_u, n.i32_rem_s, n.i32_rem_u,
              n.i64_div_s, n.i64_div_u, n.i64_rem_s, n.i64_rem_u):
        with pytest.raises(Trap) as e:
            f(1, 0)
        assert e.value.kind == TRAP_DIV_ZERO
    with pytest.raises(Trap) as e:
        n.i32_div_s(0x80000000, M32)
    assert e.value.kind == TRAP_INT_OVERFLOW
    with pytest.raises(Trap) as e:
        n.i64_div_s(1 << 63, M64)
    assert e.value.kind == TRAP_INT_OVERFLOW


# ------------------------------------------------------------------ f32

def _random_f32(rng: random.Random) -> int:
    kind = rng.random()
    if kind < 0.6:
        return f32(rng.uniform(-1e6, 1e6)) if kind < 0.3 else rng.getrandbits(32)
    return f32(rng.choice([0.0, -0.0, 1.0, -1.0, 3.4028234663852886e38, 1e-45, math.inf,
                           -math.inf, 1.1754943508222875e-38]))


@pytest.mark.parametrize("op,npop", [(n.f32_add, np.add), (n.f32_sub, np.subtract),
                                     (n.f32_mul, np.multiply), (n.f32_div, np.divide)])
def test_f32_arithmetic_matches_ieee_single(op, npop):
    rng = random.Random(1234)
    with np.errstate(all="ignore"):
        for _ in range(3000):
            a, b = _random_f32(rng), _random_f32(rng)
            got = op(a, b)
            want = int(npop(np.uint32(a).view(np.float32),
                            np.uint32(b).view(np.float32)).view(np.uint32))
            if is_f32_nan(want):
                assert is_f32_nan(got) and got & 0x400000, (hex(a), hex(b), hex(got))
            else:
                assert got == want, (hex(a), hex(b), hex(got), hex(want))


def test_f32_overflow_rounds_to_infinity():
    big = f32(3.4028234663852886e38)
    assert n.f32_add(big, big) == n.F32_INF
    assert n.f32_mul(big, f32(-2.0)) == n.F32_NEG_INF
    assert n.float_to_f32(3.4028235e38 * 1.0000000001) in (f32(3.4028234663852886e38), n.F32_INF)


def test_f32_sqrt_and_division_by_zero():
    assert n.f32_sqrt(f32(2.0)) == f32(math.sqrt(2.0))
    assert n.f32_sqrt(f32(-0.0)) == 0x80000000
    assert is_f32_nan(n.f32_sqrt(f32(-1.0)))
    assert n.f32_div(f32(1.0), f32(-0.0)) == n.F32_NEG_INF
    assert n.f32_div(f32(-1.0), f32(-0.0)) == n.F32_INF
    assert is_f32_nan(n.f32_div(0, 0))


def test_f32_bitwise_ops_keep_signalling_nans():
    snan = 0x7F800001
    assert n.f32_abs(0xFF800001) == snan
    assert n.f32_neg(snan) == 0xFF800001
    assert n.f32_copysign(snan, 0x80000000) == 0xFF800001
    assert n.f32_copysign(0xFFA00000, 0) == 0x7FA00000
    assert n.f32_reinterpret_i32(snan) == snan and n.i32_reinterpret_f32(snan) == snan


def test_min_max_zero_signs_and_nan():
    assert n.f32_min(f32(0.0), f32(-0.0)) == 0x80000000
    assert n.f32_min(f32(-0.0), f32(0.0)) == 0x80000000
    assert n.f32_max(f32(-0.0), f32(0.0)) == 0
    assert n.f32_max(f32(0.0), f32(-0.0)) == 0
    assert is_f32_nan(n.f32_min(0x7FA00000, f32(1.0)))
    assert n.f32_min(0x7FA00000, f32(1.0)) & 0x400000  # arithmetic (quiet) NaN
    assert math.copysign(1.0, n.fmin(0.0, -0.0)) == -1.0
    assert math.copysign(1.0, n.fmax(-0.0, 0.0)) == 1.0
    assert math.isnan(n.fmax(math.nan, 1.0)) and math.isnan(n.fmin(1.0, math.nan))


def test_rounding_operations():
    assert n.fnearest(2.5) == 2.0 and n.fnearest(3.5) == 4.0 and n.fnearest(-2.5) == -2.0
    assert math.copysign(1.0, n.fnearest(-0.4)) == -1.0
    assert math.copysign(1.0, n.fceil(-0.5)) == -1.0
    assert math.copysign(1.0, n.ftrunc(-0.9)) == -1.0
    assert n.ffloor(-0.5) == -1.0
    assert n.fnearest(4503599627370497.0) == 4503599627370497.0
    assert n.f32_nearest(f32(0.5)) == 0 and n.f32_nearest(f32(1.5)) == f32(2.0)
    assert n.f32_nearest(f32(-0.5)) == 0x80000000
    assert n.f32_floor(f32(-1.5)) == f32(-2.0) and n.f32_ceil(f32(1.25)) == f32(2.0)
    assert n.f32_trunc(f32(-1.75)) == f32(-1.0)
    assert n.ftrunc(math.inf) == math.inf


# ------------------------------------------------------------------ conversions

def test_trapping_truncations():
    assert n.i32_trunc_f32_s(f32(-1.9)) == M32
    assert n.i32_trunc_f64_u(4294967295.9) == M32
    assert n.i64_trunc_f64_s(-9.223372036854775808e18) == 1 << 63
    cases = [(n.i32_trunc_f32_s, f32(2147483648.0), TRAP_INT_OVERFLOW),
             (n.i32_trunc_f64_u, -1.0, TRAP_INT_OVERFLOW),
             (n.i32_trunc_f64_s, math.nan, TRAP_INVALID_CONVERSION),
             (n.i64_trunc_f64_u, math.inf, TRAP_INT_OVERFLOW),
             (n.i64_trunc_f32_s, 0x7FC00000, TRAP_INVALID_CONVERSION),
             (n.i64_trunc_f64_s, 9.223372036854775808e18, TRAP_INT_OVERFLOW)]
    for f, arg, kind in cases:
        with pytest.raises(Trap) as e:
            f(arg)
        assert e.value.kind == kind
    assert n.i32_trunc_f64_u(-0.9) == 0  # truncates to -0 -> 0, in range


def test_saturating_truncations():
    assert n.i32_trunc_sat_f32_s(f32(3e9)) == 0x7FFFFFFF
    assert n.i32_trunc_sat_f32_s(f32(-3e9)) == 0x80000000
    assert n.i32_trunc_sat_f64_u(-5.0) == 0
    assert n.i32_trunc_sat_f64_u(math.inf) == M32
    assert n.i64_trunc_sat_f64_s(math.nan) == 0
    assert n.i64_trunc_sat_f32_u(f32(1e30)) == M64
    assert n.i64_trunc_sat_f64_s(-math.inf) == 1 << 63


def test_int_to_f32_rounds_once():
    # from conversions.wast: via f64 these would double-round
    assert n.f32_convert_i64_s(9007199791611905) == 0x5A000001
    assert n.f32_convert_i64_s((-9007199791611905) & M64) == 0xDA000001
    assert n.f32_convert_i64_u(0x8000008000000001) == 0x5F000001
    assert n.f32_convert_i64_u(0xFFFFFFFFFFFFFFFF) == f32(18446744073709551616.0)
    assert n.f32_convert_i32_s(16777217) == f32(16777216.0)      # tie to even
    assert n.f32_convert_i32_s(16777219) == f32(16777220.0)
    assert n.f32_convert_i32_u(0xFFFFFF80) == f32(4294967296.0)
    assert n.f64_convert_i64_u(0xFFFFFFFFFFFFFBFF) == 18446744073709549568.0
    assert n.f64_convert_i64_u(0xFFFFFFFFFFFFFC00) == 18446744073709551616.0  # tie to even
    assert n.f64_convert_i64_s(M64) == -1.0


def test_int_to_f32_matches_numpy():
    rng = random.Random(99)
    for _ in range(3000):
        v = rng.getrandbits(rng.choice([8, 25, 40, 53, 54, 63, 64]))
        assert n.f32_convert_i64_u(v) == int(np.uint64(v).astype(np.float32).view(np.uint32))
        s = n.signed64(v)
        assert n.f32_convert_i64_s(v) == int(np.int64(s).astype(np.float32).view(np.uint32))


def test_promote_demote_and_reinterpret():
    assert n.f32_demote_f64(1e300) == n.F32_INF
    assert n.f32_demote_f64(-1e300) == n.F32_NEG_INF
    assert n.f32_demote_f64(1.401298464324817e-45) == 1
    assert n.f32_demote_f64(0.7e-45) == 0        # ties to even: rounds to 0
    d = n.f32_demote_f64(n.bits_to_f64(0x7FF4000000000000))
    assert is_f32_nan(d) and d & 0x400000
    p = n.f64_promote_f32(0x7FA00000)
    assert math.isnan(p) and f64b(p) & (1 << 51)
    assert n.f64_promote_f32(f32(1.5)) == 1.5
    snan64 = 0x7FF0000000000001
    assert n.i64_reinterpret_f64(n.f64_reinterpret_i64(snan64)) == snan64
    assert f64b(n.f64_neg(n.bits_to_f64(snan64))) == 0xFFF0000000000001
    assert f64b(n.f64_abs(n.bits_to_f64(0xFFF0000000000001))) == snan64
    assert f64b(n.f64_copysign(n.bits_to_f64(snan64), -1.0)) == 0xFFF0000000000001


def test_f64_division_by_zero_and_sqrt():
    assert n.fdiv(1.0, 0.0) == math.inf and n.fdiv(1.0, -0.0) == -math.inf
    assert n.fdiv(-1.0, -0.0) == math.inf
    assert math.isnan(n.fdiv(0.0, 0.0)) and math.isnan(n.fdiv(math.nan, 0.0))
    assert math.isnan(n.fsqrt(-1.0)) and n.fsqrt(4.0) == 2.0
    assert math.copysign(1.0, n.fsqrt(-0.0)) == -1.0
