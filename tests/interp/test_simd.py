"""Fixed-width SIMD (lab/interp/simd.py): lane semantics that are easy to get wrong, checked on
the module's functions directly and through small modules run by the executor."""

from __future__ import annotations

import struct

import pytest

from lab.interp import opcodes as ops
from lab.interp import runtime as rt
from lab.interp import simd
from lab.interp.errors import TRAP_OOB_MEMORY, Trap
from lab.interp.machine import execute
from lab.interp.numeric import f64_to_bits


def fn(name: str):
    """The lane function of a SIMD instruction without lane immediates."""
    kind, f, _ = simd.lower((ops.BY_NAME[name].code,))
    return f


def v(width: int, *vals: int) -> int:
    """A v128 from its first lanes (the rest zero)."""
    return simd.join(vals + (0,) * (128 // width - len(vals)), width)


def f32x4(*bits: int) -> int:
    return v(32, *bits)


def f64x2(*vals: float) -> int:
    return simd.join_f64(vals)


def test_every_simd_instruction_is_lowered():
    for info in ops.OPCODES.values():
        if info.code < ops.FD_BASE or info.code == ops.V128_CONST:
            continue
        imm = {ops.IMM_NONE: (), ops.IMM_MEMARG: (0, 0), ops.IMM_SHUFFLE: (tuple(range(16)),),
               ops.IMM_LANE: (0,), ops.IMM_MEMARG_LANE: (0, 0, 0)}[info.imm]
        kind, f, _ = simd.lower((info.code, *imm))
        assert callable(f), info.name


def test_saturating_arithmetic():
    assert simd.lanes(fn("i8x16.add_sat_s")(v(8, 0x7F, 0x80, 1), v(8, 1, 0xFF, 1)), 8)[:3] == \
        (0x7F, 0x80, 2)
    assert simd.lanes(fn("i8x16.add_sat_u")(v(8, 0xFF, 3), v(8, 1, 4)), 8)[:2] == (0xFF, 7)
    assert simd.lanes(fn("i16x8.sub_sat_u")(v(16, 1, 10), v(16, 2, 3)), 16)[:2] == (0, 7)
    assert simd.lanes(fn("i16x8.sub_sat_s")(v(16, 0x8000), v(16, 1)), 16)[0] == 0x8000


def test_narrow_saturates_signed_input():
    a = v(16, 0x7FFF, 0x8000, 0xFFFF, 0x0080, 0, 0, 0, 0)  # 32767, -32768, -1, 128
    s = simd.lanes(fn("i8x16.narrow_i16x8_s")(a, 0), 8)
    u = simd.lanes(fn("i8x16.narrow_i16x8_u")(a, 0), 8)
    assert s[:4] == (0x7F, 0x80, 0xFF, 0x7F)
    assert u[:4] == (0xFF, 0x00, 0x00, 0x80)


def test_q15mulr_sat_overflow_and_rounding():
    r = fn("i16x8.q15mulr_sat_s")(v(16, 0x8000, 0x4000, 0xFFFF), v(16, 0x8000, 0x4000, 0x0001))
    assert simd.lanes(r, 16)[:3] == (0x7FFF, 0x2000, 0)  # -1*-1 saturates; -1*1 rounds to 0


def test_shuffle_and_swizzle_indices():
    a = int.from_bytes(bytes(range(16)), "little")
    b = int.from_bytes(bytes(range(16, 32)), "little")
    shuffled = simd.shuffle((31, 0, 16, 15) + (1,) * 12)(a, b)
    assert shuffled.to_bytes(16, "little")[:4] == bytes([31, 0, 16, 15])
    s = int.from_bytes(bytes([15, 16, 255, 0x80, 3] + [0] * 11), "little")
    assert simd.swizzle(a, s).to_bytes(16, "little")[:5] == bytes([15, 0, 0, 0, 3])


def test_shift_counts_are_modulo_lane_width():
    shl = fn("i32x4.shl")
    assert simd.lanes(shl(v(32, 1, 2, 3, 4), 33), 32) == (2, 4, 6, 8)
    assert simd.lanes(fn("i8x16.shr_s")(v(8, 0x80), 9), 8)[0] == 0xC0
    assert simd.lanes(fn("i64x2.shr_u")(v(64, 1 << 63), 64), 64)[0] == 1 << 63


def test_pmin_pmax_are_not_ieee_min_max():
    nan = float("nan")
    pmin, pmax = fn("f64x2.pmin"), fn("f64x2.pmax")
    # pmin(a, b) = b < a ? b : a: a NaN first operand wins, a NaN second operand loses
    r = simd.f64_lanes(pmin(f64x2(nan, 1.0), f64x2(1.0, nan)))
    assert r[0] != r[0] and r[1] == 1.0
    # signed zeros compare equal: the first operand is kept
    assert [f64_to_bits(x) for x in simd.f64_lanes(pmin(f64x2(0.0, -0.0), f64x2(-0.0, 0.0)))] \
        == [0, 1 << 63]
    assert [f64_to_bits(x) for x in simd.f64_lanes(pmax(f64x2(-0.0, 0.0), f64x2(0.0, -0.0)))] \
        == [1 << 63, 0]
    f32_nan = 0x7FC00001
    r32 = simd.lanes(fn("f32x4.pmax")(f32x4(0x3F800000, f32_nan), f32x4(f32_nan, 0x3F800000)), 32)
    assert r32[:2] == (0x3F800000, f32_nan)


def test_trunc_sat_nan_and_out_of_range():
    r = fn("i32x4.trunc_sat_f32x4_s")(f32x4(0x7FC00000, 0x7F800000, 0xFF800000, 0xBFC00000))
    assert simd.lanes(r, 32) == (0, 0x7FFFFFFF, 0x80000000, 0xFFFFFFFF)  # NaN, inf, -inf, -1.5
    r = fn("i32x4.trunc_sat_f64x2_u_zero")(f64x2(-3.0, 1e20))
    assert simd.lanes(r, 32) == (0, 0xFFFFFFFF, 0, 0)


def test_f32_nan_payload_kept_through_lanes():
    snan = 0x7FA00001  # a signalling NaN: a Python float would quiet it
    replaced = simd.replace_lane("f32x4", 2)(0, snan)
    assert simd.extract_lane("f32x4", 2)(replaced) == snan
    assert simd.lanes(fn("f32x4.neg")(replaced), 32)[2] == snan ^ 0x80000000
    assert simd.lanes(fn("f32x4.splat")(snan), 32) == (snan,) * 4


def test_extract_lane_sign_extension():
    x = v(8, 0x80, 0x7F)
    assert simd.extract_lane("i8x16", 0, True)(x) == 0xFFFFFF80
    assert simd.extract_lane("i8x16", 0)(x) == 0x80
    assert simd.extract_lane("i16x8", 0, True)(v(16, 0x8001)) == 0xFFFF8001


def test_bitmask_all_true_popcnt():
    assert fn("i8x16.bitmask")(v(8, 0x80, 0, 0xFF)) == 0b101
    assert fn("i32x4.all_true")(v(32, 1, 2, 3, 0)) == 0
    assert fn("i32x4.all_true")(v(32, 1, 2, 3, 4)) == 1
    assert simd.lanes(fn("i8x16.popcnt")(v(8, 0xFF, 0x81)), 8)[:2] == (8, 2)


# -------------------------------------------------------------------- through the executor

def load(wat: str) -> tuple[rt.Store, rt.ModuleInst]:
    wasmtime = pytest.importorskip("wasmtime")
    from lab.interp.decode import decode_module
    store = rt.Store()
    return store, rt.instantiate(store, decode_module(wasmtime.wat2wasm(wat)), [])


MODULE = """
(module
  (memory 1)
  (global $g (mut v128) (v128.const i32x4 1 2 3 4))
  (func (export "load_lane") (param i32) (result v128)
    (v128.load32_lane 3 (local.get 0) (v128.const i64x2 0 0)))
  (func (export "store_lane") (param i32 v128)
    (v128.store64_lane 1 (local.get 0) (local.get 1)))
  (func (export "roundtrip") (param v128) (result v128)
    (v128.store offset=16 (i32.const 0) (local.get 0))
    (v128.load offset=16 (i32.const 0)))
  (func (export "bitselect") (param v128 v128 v128) (result v128)
    (v128.bitselect (local.get 0) (local.get 1) (local.get 2)))
  (func (export "global") (result v128) (i32x4.add (global.get $g) (global.get $g)))
)
"""


def test_simd_memory_access_and_bounds():
    store, inst = load(MODULE)
    data = inst.M
    struct.pack_into("<I", data, 100, 0xDEADBEEF)
    out = execute(store, inst.exports["load_lane"], [100])[0]
    assert simd.lanes(out, 32) == (0, 0, 0, 0xDEADBEEF)
    with pytest.raises(Trap) as e:
        execute(store, inst.exports["load_lane"], [65533])  # 4 bytes from 65533 cross the end
    assert e.value.kind == TRAP_OOB_MEMORY
    value = v(64, 1, 0x1122334455667788)
    execute(store, inst.exports["store_lane"], [8, value])
    assert struct.unpack_from("<Q", data, 8)[0] == 0x1122334455667788
    with pytest.raises(Trap) as e:
        execute(store, inst.exports["store_lane"], [65529, value])
    assert e.value.kind == TRAP_OOB_MEMORY
    x = (1 << 128) - 12345
    assert execute(store, inst.exports["roundtrip"], [x]) == [x]


def test_bitselect_and_v128_globals():
    store, inst = load(MODULE)
    ones = (1 << 128) - 1
    mask = (1 << 64) - 1
    assert execute(store, inst.exports["bitselect"], [ones, 0, mask]) == [mask]
    assert simd.lanes(execute(store, inst.exports["global"], [])[0], 32) == (2, 4, 6, 8)


def test_v128_at_the_embedding_api():
    wasmtime = pytest.importorskip("wasmtime")
    from lab.interp import api
    wasm = wasmtime.wat2wasm('(module (func (export "neg") (param v128) (result v128)'
                             ' (i64x2.neg (local.get 0))))')
    store = api.Store()
    neg = api.Instance(store, api.Module(None, bytes(wasm)), []).exports(store)["neg"]
    assert neg(store, 1) == v(64, (1 << 64) - 1)
    assert neg.call_bits(store, [-1 & ((1 << 128) - 1)]) == [v(64, 1, 1)]


# Whole spec-2.0 SIMD files through the spec driver: every command passes (none skipped), on the
# files where lane semantics are easiest to get wrong (NaN lanes, saturation, lane memory access).
SIMD_SPEC_FILES = ["simd_f32x4.wast", "simd_f64x2_pmin_pmax.wast", "simd_i16x8_q15mulr_sat_s.wast",
                   "simd_i8x16_sat_arith.wast", "simd_conversions.wast", "simd_load8_lane.wast",
                   "simd_store64_lane.wast", "simd_linking.wast", "simd_lane.wast"]


@pytest.mark.slow
@pytest.mark.parametrize("name", SIMD_SPEC_FILES)
def test_whole_simd_spec_files_pass(name: str) -> None:
    from lab.runners.interp.spec import InterpSpecSession
    from lab.suites import spec

    (spec_file,) = [f for f in spec.spec_files("spec-2.0") if f.name == name]  # renamed or missing: fails
    outcomes = spec.run_spec_file(spec_file, InterpSpecSession, spec.Expectations.load("interp"),
                                  command_timeout=60)
    engine = [o for o in outcomes if o.group == "simd"]
    assert engine and all(o.outcome == "pass" for o in engine), [o for o in engine if o.outcome != "pass"][:5]
