"""Relaxed SIMD (lab/interp/simd.py, "Relaxed SIMD"): the spec-3.0 files, and the fixed choice
of each instruction where the files allow several results or do not test at all (the
i32x4_relaxed_trunc.wast of our data holds only its module)."""

from __future__ import annotations

import math

import pytest

from lab.interp import opcodes as ops
from lab.interp import simd
from lab.interp.numeric import F32_CANON_NAN, f32_to_float, float_to_f32

RELAXED_FILES = ["i16x8_relaxed_q15mulr_s.wast", "i32x4_relaxed_trunc.wast",
                 "i8x16_relaxed_swizzle.wast", "relaxed_dot_product.wast",
                 "relaxed_laneselect.wast", "relaxed_madd_nmadd.wast", "relaxed_min_max.wast"]


@pytest.mark.parametrize("name", RELAXED_FILES)
def test_relaxed_spec_files_pass(name: str) -> None:
    pytest.importorskip("wasmtime")
    from lab.runners.interp.spec import InterpSpecSession
    from lab.suites import spec

    (spec_file,) = [f for f in spec.spec_files("spec-3.0") if f.name == name]
    outcomes = spec.run_spec_file(spec_file, InterpSpecSession, spec.Expectations.load("interp"),
                                  command_timeout=60)
    assert outcomes and all(o.outcome == "pass" for o in outcomes), \
        [o for o in outcomes if o.outcome != "pass"][:5]


def fn(name: str):
    kind, f, _ = simd.lower((ops.BY_NAME[name].code,))
    return f


def f32x4(*xs: float) -> int:
    """A v128 of f32 lanes from its first lanes (the rest zero)."""
    return simd.join([float_to_f32(x) for x in xs] + [0] * (4 - len(xs)), 32)


def f32_lanes(v: int) -> list[float]:
    return [f32_to_float(b) for b in simd.lanes(v, 32)]


def test_madd_rounds_once() -> None:
    # (1 + 2**-12)**2 - 1 = 2**-11 + 2**-24: unfused, the product rounds (a tie, to even) to
    # 1 + 2**-11 first and the sum is 2**-11; fused, the exact result is an f32.
    x = 1 + 2 ** -12
    got = f32_lanes(fn("f32x4.relaxed_madd")(f32x4(x, 0.1), f32x4(x, 10), f32x4(-1, -1)))
    assert got[0] == 2 ** -11 + 2 ** -24
    tenth = f32_to_float(float_to_f32(0.1))  # product exact in f64, one rounding to f32
    assert got[1] == f32_to_float(float_to_f32(tenth * 10 - 1)) != 0
    a, b = simd.f64_lanes(fn("f64x2.relaxed_madd")(simd.join_f64([0.1, 1e308]),
                                                    simd.join_f64([10.0, 10.0]),
                                                    simd.join_f64([-1.0, 0.0])))
    assert a == 2 ** -54  # 0.1 * 10 - 1 unfused is 0.0
    assert b == math.inf
    (n0, n1) = simd.f64_lanes(fn("f64x2.relaxed_nmadd")(simd.join_f64([0.1, 2.0]),
                                                        simd.join_f64([10.0, 3.0]),
                                                        simd.join_f64([1.0, 6.0])))
    assert n0 == -(2 ** -54) and n1 == 0.0 and math.copysign(1, n1) == 1  # exact cancel: +0


def test_madd_special_values() -> None:
    got = simd.lanes(fn("f32x4.relaxed_madd")(f32x4(math.inf, -0.0, 2 ** -149, 3.4e38),
                                              f32x4(0.0, 1.0, 0.5, 10.0),
                                              f32x4(1.0, -0.0, 0.0, 0.0)), 32)
    assert got[0] == F32_CANON_NAN            # inf * 0
    assert got[1] == 0x80000000               # -0 * 1 + -0 = -0
    assert got[2] == 0                        # half the smallest subnormal: ties to even, 0
    assert got[3] == 0x7F800000               # overflow: inf


def test_trunc_is_saturating_with_nan_to_zero() -> None:
    got = simd.lanes(fn("i32x4.relaxed_trunc_f32x4_s")(f32x4(math.nan, 3e9, -3e9, -1.5)), 32)
    assert got == (0, 0x7FFFFFFF, 0x80000000, 0xFFFFFFFF)
    got = simd.lanes(fn("i32x4.relaxed_trunc_f32x4_u")(f32x4(math.nan, 5e9, -1.0, 7.9)), 32)
    assert got == (0, 0xFFFFFFFF, 0, 7)
    got = simd.lanes(fn("i32x4.relaxed_trunc_f64x2_s_zero")(simd.join_f64([-1e10, 2.5])), 32)
    assert got == (0x80000000, 2, 0, 0)
    got = simd.lanes(fn("i32x4.relaxed_trunc_f64x2_u_zero")(simd.join_f64([math.nan, 1e10])), 32)
    assert got == (0, 0xFFFFFFFF, 0, 0)


def test_laneselect_is_bitwise_and_swizzle_zeroes_out_of_range() -> None:
    a, b = simd.join([0x1234] * 8, 16), simd.join([0x5678] * 8, 16)
    mask = simd.join([0xFF00] * 8, 16)  # not a lane mask: each bit selects
    for shape in ("i8x16", "i16x8", "i32x4", "i64x2"):
        assert simd.lanes(fn(f"{shape}.relaxed_laneselect")(a, b, mask), 16)[0] == 0x1278
    s = simd.join([1, 16, 0x80, 255] + [0] * 12, 8)
    assert simd.lanes(fn("i8x16.relaxed_swizzle")(simd.join(range(16), 8), s), 8)[:4] == \
        (1, 0, 0, 0)


def test_min_max_q15_and_dot_choices() -> None:
    nan_lane = simd.lanes(fn("f32x4.relaxed_min")(f32x4(math.nan, -0.0), f32x4(1.0, 0.0)), 32)
    assert nan_lane[0] == F32_CANON_NAN and nan_lane[1] == 0x80000000  # as f32x4.min
    assert simd.lanes(fn("f32x4.relaxed_max")(f32x4(-0.0), f32x4(0.0)), 32)[0] == 0
    q = fn("i16x8.relaxed_q15mulr_s")(simd.join([0x8000] * 8, 16), simd.join([0x8000] * 8, 16))
    assert simd.lanes(q, 16)[0] == 0x7FFF  # saturates
    ones = simd.join([0x80] * 16, 8)  # -128 everywhere: signed * signed
    assert simd.lanes(fn("i16x8.relaxed_dot_i8x16_i7x16_s")(ones, ones), 16)[0] == 0x8000  # wraps
    c = simd.join([1, 2, 3, 4], 32)
    got = simd.lanes(fn("i32x4.relaxed_dot_i8x16_i7x16_add_s")(ones, simd.join([0x81] * 16, 8),
                                                               c), 32, True)
    assert got == (4 * 128 * 127 + 1, 4 * 128 * 127 + 2, 4 * 128 * 127 + 3, 4 * 128 * 127 + 4)
