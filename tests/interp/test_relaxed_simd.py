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
    assert got[0] & 0x7FFFFFFF == F32_CANON_NAN  # inf * 0: a canonical NaN (the host's sign)
    assert got[1] == 0x80000000               # -0 * 1 + -0 = -0
    assert got[2] == 0                        # half the smallest subnormal: ties to even, 0
    assert got[3] == 0x7F800000               # overflow: inf
    big = simd.join_f64([1e300, -1e300])  # a product past the range, then an infinite addend
    assert simd.f64_lanes(fn("f64x2.relaxed_madd")(big, big, simd.join_f64([-math.inf, math.inf]))) \
        == (-math.inf, math.inf)  # the exact product is finite: no inf - inf NaN


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


def _every_relaxed_instruction() -> str:
    """One exported function per relaxed instruction, its v128 operands given and its result
    returned as i64 halves (wasmtime-py passes no v128 values)."""
    funcs = []
    for info in ops.OPCODES.values():
        if not 0xFD100 <= info.code <= 0xFD113:
            continue
        n = len(info.params or ())
        params = " ".join(["i64 i64"] * n)
        operands = " ".join(f"(i64x2.replace_lane 1 (i64x2.splat (local.get {2 * i}))"
                            f" (local.get {2 * i + 1}))" for i in range(n))
        funcs.append(f'(func (export "{info.name}") (param {params}) (result i64 i64)'
                     f" (local v128) (local.set {2 * n} ({info.name} {operands}))"
                     f" (i64x2.extract_lane 0 (local.get {2 * n}))"
                     f" (i64x2.extract_lane 1 (local.get {2 * n})))")
    return "(module\n" + "\n".join(funcs) + ")"


def _interesting_halves(rng) -> list[int]:
    """64-bit halves of lanes that tell the choices apart: float specials, near-overflow
    products, lane masks and non-masks, out-of-range swizzle indices."""
    f32 = [0.0, -0.0, 1.0, -1.5, 0.1, 3.4e38, -3.4e38, 2 ** -149, math.inf, -math.inf, math.nan,
           1 + 2 ** -12, 3e9, -3e9, 2.5]
    f64 = [0.1, 10.0, -1.0, 1e308, -0.0, math.inf, math.nan, 2 ** -1074, -1e10, 5e9, 1 + 2 ** -30]
    import struct
    halves = []
    for _ in range(24):
        kind = rng.randrange(3)
        if kind == 0:
            halves.append(struct.unpack("<Q", struct.pack("<ff", rng.choice(f32), rng.choice(f32)))[0])
        elif kind == 1:
            halves.append(struct.unpack("<Q", struct.pack("<d", rng.choice(f64)))[0])
        else:
            halves.append(int.from_bytes(bytes(rng.choice([0, 1, 15, 16, 0x7F, 0x80, 0x81, 0xFF])
                                               for _ in range(8)), "little"))
    return halves


def _nan_equal(name: str, halves: list[int]) -> list[int]:
    """The result's lanes with every NaN lane of a float result one value: the spec lets NaN
    bits differ (wasmtime gives x86's, we give the host's float arithmetic's)."""
    if not name.startswith("f"):
        return halves
    width = 32 if name.startswith("f32") else 64
    lanes = simd.lanes(simd.join(halves, 64), width)
    exp = ((1 << (8 if width == 32 else 11)) - 1) << (width - (9 if width == 32 else 12))
    return [-1 if (x & exp) == exp and x & ((1 << (width - (9 if width == 32 else 12))) - 1)
            else x for x in lanes]


@pytest.mark.parametrize("seed", [1, 2])
def test_same_results_as_wasmtimes_deterministic_relaxed_simd(seed: int) -> None:
    """Wasmtime's relaxed_simd_deterministic mode is the spec's deterministic profile, which we
    claim to implement: every relaxed instruction must give its results bit for bit (NaNs too:
    both produce the canonical NaN)."""
    import random

    wasmtime = pytest.importorskip("wasmtime")
    from lab.interp import runtime as rt
    from lab.interp.decode import decode_module
    from lab.interp.machine import execute

    wat = _every_relaxed_instruction()
    config = wasmtime.Config()
    config.wasm_relaxed_simd = True
    config.wasm_relaxed_simd_deterministic = True
    engine = wasmtime.Engine(config)
    wt_store = wasmtime.Store(engine)
    wt_exports = wasmtime.Instance(wt_store, wasmtime.Module(engine, wat), []).exports(wt_store)
    store = rt.Store()
    inst = rt.instantiate(store, decode_module(wasmtime.wat2wasm(wat)), [])
    rng = random.Random(seed)
    halves = _interesting_halves(rng)
    m64 = (1 << 64) - 1
    compared = 0
    for info in ops.OPCODES.values():
        if not 0xFD100 <= info.code <= 0xFD113:
            continue
        for _ in range(40):
            args = [rng.choice(halves) for _ in range(2 * len(info.params or ()))]
            signed = [a - (1 << 64) if a >> 63 else a for a in args]
            want = [x & m64 for x in wt_exports[info.name](wt_store, *signed)]
            got = execute(store, inst.exports[info.name], args)
            assert _nan_equal(info.name, got) == _nan_equal(info.name, want), (info.name, args)
            compared += 1
    assert compared == 20 * 40


def test_relaxed_simd_stays_on_the_interpreter_tier() -> None:
    """As all SIMD: the translating tier hands such functions to the interpreter."""
    wasmtime = pytest.importorskip("wasmtime")
    from lab.interp import translate
    from lab.interp.decode import decode_module

    module = decode_module(wasmtime.wat2wasm(
        '(module (func (param v128 v128) (result v128)'
        ' (i8x16.relaxed_swizzle (local.get 0) (local.get 1))))'))
    with pytest.raises(translate.Untranslatable):
        translate.translate_function(module, [module.types[0]], 0, False)
