"""Wasm 2.0 fixed-width SIMD (v128) semantics on the engine's internal representation.

A v128 value is an unsigned Python int in [0, 2**128), lanes little-endian (lane 0 holds the
lowest bits), as in lab.suites.spec_session. Lanes are read and written through struct:
integer lanes as unsigned ints (signed where an operation needs it), f32 lanes as bit patterns
(unsigned 32-bit ints, so NaN payloads survive, as for scalar f32 in numeric.py) and f64 lanes
as Python floats (struct keeps f64 NaN payloads).

Nothing here is written per instruction: the semantics are built from the instruction names in
opcodes.py and a few tables, and float lanes reuse numeric.py's scalar functions (looked up by
the scalar instruction's name), so every lane follows the scalar NaN and rounding rules.

`lower(ins)` turns one decoded SIMD instruction into what the executor runs (see compile.py):
a kind (UN, BIN, TERN, LOAD, STORE, LOAD_LANE), a function and the static memory offset.
Memory functions take the memory buffer and an effective address and use struct's *_from /
pack_into, which raise struct.error past the end of memory; the executor turns that into the
"out of bounds memory access" trap, as for scalar loads and stores.

Relaxed SIMD (Wasm 3.0, 0xFD 0x100-0x113) lets an engine pick among a few results per
instruction; we pick one, always the same, and it is the spec's deterministic profile (what the
reference interpreter does) and also what AArch64's instructions give, consistently:
  relaxed_swizzle        = i8x16.swizzle (index >= 16 gives 0; Arm TBL)
  relaxed_trunc*         = i32x4.trunc_sat* (NaN gives 0, out of range saturates; Arm FCVTZS/U)
  relaxed_madd / nmadd   fused: a * b + c (nmadd -(a * b) + c) rounded once (Arm FMLA/FMLS);
                         exact rational arithmetic, then one round-to-nearest-even to the lane
                         format (NaNs as in the scalar float ops)
  relaxed_laneselect     = v128.bitselect, bit by bit whatever the mask (Arm BSL)
  relaxed_min / max      = f32x4/f64x2.min / max (NaN and -0 < +0 as Wasm; Arm FMIN/FMAX)
  relaxed_q15mulr_s      = i16x8.q15mulr_sat_s (saturates; Arm SQRDMULH)
  relaxed_dot_i8x16_i7x16(_add)_s   signed * signed byte products, pairs summed into i16 lanes
                         (wrapping; Arm SMULL + ADDP) or four into i32 lanes plus c (Arm SDOT)
x86 differs in several of these (PSHUFB, unfused mul+add without FMA, BLENDV by the top bit,
MINPS operand order, PMULHRSW overflow, PMADDUBSW unsigned * signed), so it is not the model.
The spec tests' `(either ...)` accept each of these choices.
"""

from __future__ import annotations

import math
import re
import struct
from functools import lru_cache
from typing import TYPE_CHECKING, Any, Callable, Iterable

from . import opcodes as ops
from .numeric import BINARY as SCALAR_BINARY
from .numeric import UNARY as SCALAR_UNARY
from .numeric import bits_to_f64, f32_to_float, f64_to_bits, float_to_f32

if TYPE_CHECKING:
    from fractions import Fraction

M128 = (1 << 128) - 1

Fn = Callable[..., Any]

# Executor kinds of a lowered instruction (compile.py maps them to executor ops).
UN, BIN, TERN, LOAD, STORE, LOAD_LANE = range(6)

INT_SHAPES = {"i8x16": 8, "i16x8": 16, "i32x4": 32, "i64x2": 64}
"""Integer shapes and their lane width in bits."""

_FMT = {8: "B", 16: "H", 32: "I", 64: "Q"}
_UNSIGNED = {w: struct.Struct(f"<{128 // w}{c}") for w, c in _FMT.items()}
_SIGNED = {w: struct.Struct(f"<{128 // w}{c.lower()}") for w, c in _FMT.items()}
_F64 = struct.Struct("<2d")
_BYTES = struct.Struct("<16s")


# ---------------------------------------------------------------------------------------------
# Lane access

def lanes(v: int, width: int, signed: bool = False) -> tuple[int, ...]:
    """The integer lanes of `v` (lane 0 first), `width` bits each."""
    return (_SIGNED if signed else _UNSIGNED)[width].unpack(v.to_bytes(16, "little"))


def join(vals: Iterable[int], width: int) -> int:
    """A v128 from integer lanes (lane 0 first), each wrapped to `width` bits."""
    mask = (1 << width) - 1
    return int.from_bytes(_UNSIGNED[width].pack(*[x & mask for x in vals]), "little")


def f64_lanes(v: int) -> tuple[float, float]:
    """The two f64 lanes of `v` as Python floats (NaN payloads kept)."""
    return _F64.unpack(v.to_bytes(16, "little"))


def join_f64(vals: Iterable[float]) -> int:
    """A v128 from two f64 lanes."""
    return int.from_bytes(_F64.pack(*vals), "little")


def _int_codec(width: int) -> tuple[Callable[[int], tuple], Callable[[Iterable], int]]:
    return (lambda v: lanes(v, width)), (lambda vals: join(vals, width))


# Lane codecs by scalar lane type: (read, write). f32 lanes are bit patterns.
_CODEC: dict[str, tuple[Callable[[int], tuple], Callable[[Iterable], int]]] = {
    f"i{w}": _int_codec(w) for w in _FMT}
_CODEC["f32"] = _CODEC["i32"]
_CODEC["f64"] = (f64_lanes, join_f64)


def _pairs(read: Callable[[int], tuple], a: int, b: int) -> Iterable[tuple]:
    """Corresponding lanes of a and b."""
    return zip(read(a), read(b), strict=True)


def _lane_type(shape: str) -> str:
    return shape.split("x")[0]


def _bounds(width: int, signed: bool) -> tuple[int, int]:
    if signed:
        return -(1 << (width - 1)), (1 << (width - 1)) - 1
    return 0, (1 << width) - 1


def _scalar(name: str, table: dict[int, Fn]) -> Fn:
    """numeric.py's function for the scalar instruction `name` (e.g. "f32.add")."""
    return table[ops.BY_NAME[name].code]


# ---------------------------------------------------------------------------------------------
# Integer lane operations

def _mask_of(pred: Callable[[int, int], bool]) -> Callable[[int, int], int]:
    """A comparison giving an all-ones lane (-1, wrapped by `join`) for true, 0 for false."""
    return lambda a, b: -1 if pred(a, b) else 0


_INT_BINARY: dict[str, tuple[bool, Callable[[int, int], int], bool]] = {
    # name: (operands read as signed, lane function, saturate to the lane range)
    "add": (False, lambda a, b: a + b, False),
    "sub": (False, lambda a, b: a - b, False),
    "mul": (False, lambda a, b: a * b, False),
    "add_sat_s": (True, lambda a, b: a + b, True),
    "add_sat_u": (False, lambda a, b: a + b, True),
    "sub_sat_s": (True, lambda a, b: a - b, True),
    "sub_sat_u": (False, lambda a, b: a - b, True),
    "min_s": (True, min, False),
    "min_u": (False, min, False),
    "max_s": (True, max, False),
    "max_u": (False, max, False),
    "avgr_u": (False, lambda a, b: (a + b + 1) >> 1, False),
    "q15mulr_sat_s": (True, lambda a, b: (a * b + 0x4000) >> 15, True),
    "eq": (False, _mask_of(lambda a, b: a == b), False),
    "ne": (False, _mask_of(lambda a, b: a != b), False),
}
for _sfx, _signed in (("_s", True), ("_u", False)):
    for _cmp, _pred in (("lt", lambda a, b: a < b), ("gt", lambda a, b: a > b),
                        ("le", lambda a, b: a <= b), ("ge", lambda a, b: a >= b)):
        _INT_BINARY[_cmp + _sfx] = (_signed, _mask_of(_pred), False)
del _sfx, _signed, _cmp, _pred

_INT_UNARY: dict[str, tuple[bool, Callable[[int], int]]] = {
    "abs": (True, abs),
    "neg": (False, lambda a: -a),
    "popcnt": (False, lambda a: a.bit_count()),
}

_SHIFTS: dict[str, tuple[bool, bool]] = {  # name: (signed lanes, left)
    "shl": (False, True), "shr_s": (True, False), "shr_u": (False, False),
}


def _int_binary(width: int, signed: bool, fn: Callable[[int, int], int], sat: bool) -> Fn:
    def read(v: int) -> tuple[int, ...]:
        return lanes(v, width, signed)
    if not sat:
        return lambda a, b: join([fn(x, y) for x, y in _pairs(read, a, b)], width)
    lo, hi = _bounds(width, signed)
    return lambda a, b: join([min(max(fn(x, y), lo), hi) for x, y in _pairs(read, a, b)], width)


def _int_unary(width: int, signed: bool, fn: Callable[[int], int]) -> Fn:
    return lambda a: join(map(fn, lanes(a, width, signed)), width)


def _shift(width: int, signed: bool, left: bool) -> Fn:
    def op(a: int, n: int) -> int:
        n %= width
        if left:
            return join([x << n for x in lanes(a, width)], width)
        return join([x >> n for x in lanes(a, width, signed)], width)
    return op


def _all_true(width: int) -> Fn:
    return lambda a: 1 if all(lanes(a, width)) else 0


def _bitmask(width: int) -> Fn:
    return lambda a: sum(1 << i for i, x in enumerate(lanes(a, width, True)) if x < 0)


def _splat(lane_type: str) -> Fn:
    write = _CODEC[lane_type][1]
    n = 128 // int(lane_type[1:])
    return lambda x: write([x] * n)


_WIDEN = re.compile(r"(extend|extmul)_(low|high)_i(\d+)x\d+_([su])$|"
                    r"extadd_pairwise_i(\d+)x\d+_([su])$|narrow_i(\d+)x\d+_([su])$")


def _signed16(v: int) -> tuple[int, ...]:
    return lanes(v, 16, True)


def _widening(name: str) -> tuple[int, Fn] | None:
    """extend/extmul (low or high half), extadd_pairwise and narrow, from the op name."""
    mt = _WIDEN.match(name)
    if mt is None:
        if name == "dot_i16x8_s":
            def dot(a: int, b: int) -> int:
                p = [x * y for x, y in _pairs(_signed16, a, b)]
                return join([p[i] + p[i + 1] for i in range(0, 8, 2)], 32)
            return BIN, dot
        return None
    kind, half, src, sx, psrc, psx, nsrc, nsx = mt.groups()
    if kind is not None:
        w = int(src)
        n = 64 // w  # lanes in one half
        start = 0 if half == "low" else n
        signed = sx == "s"
        if kind == "extend":
            return UN, lambda a: join(lanes(a, w, signed)[start:start + n], 2 * w)

        def extmul(a: int, b: int) -> int:
            la = lanes(a, w, signed)[start:start + n]
            lb = lanes(b, w, signed)[start:start + n]
            return join([x * y for x, y in zip(la, lb, strict=True)], 2 * w)
        return BIN, extmul
    if psrc is not None:
        w, signed = int(psrc), psx == "s"

        def pairwise(a: int) -> int:
            s = lanes(a, w, signed)
            return join([s[i] + s[i + 1] for i in range(0, len(s), 2)], 2 * w)
        return UN, pairwise
    w = int(nsrc)
    lo, hi = _bounds(w // 2, nsx == "s")

    def narrow(a: int, b: int) -> int:
        return join([min(max(x, lo), hi) for x in lanes(a, w, True) + lanes(b, w, True)],
                    w // 2)
    return BIN, narrow


def _int_op(shape: str, name: str) -> tuple[int, Fn] | None:
    w = INT_SHAPES[shape]
    if name in _INT_BINARY:
        signed, fn, sat = _INT_BINARY[name]
        return BIN, _int_binary(w, signed, fn, sat)
    if name in _INT_UNARY:
        signed, fn1 = _INT_UNARY[name]
        return UN, _int_unary(w, signed, fn1)
    if name in _SHIFTS:
        return BIN, _shift(w, *_SHIFTS[name])
    if name == "all_true":
        return UN, _all_true(w)
    if name == "bitmask":
        return UN, _bitmask(w)
    return _widening(name)


# ---------------------------------------------------------------------------------------------
# Float lane operations (numeric.py's scalar functions, lane by lane)

_FLOAT_UNARY = ("abs", "neg", "sqrt", "ceil", "floor", "trunc", "nearest")
_FLOAT_BINARY = ("add", "sub", "mul", "div", "min", "max")
_FLOAT_COMPARE = ("eq", "ne", "lt", "gt", "le", "ge")

_CONVERSIONS = {  # SIMD name: (scalar instruction, source lane type, result lane type)
    "f32x4.convert_i32x4_s": ("f32.convert_i32_s", "i32", "f32"),
    "f32x4.convert_i32x4_u": ("f32.convert_i32_u", "i32", "f32"),
    "i32x4.trunc_sat_f32x4_s": ("i32.trunc_sat_f32_s", "f32", "i32"),
    "i32x4.trunc_sat_f32x4_u": ("i32.trunc_sat_f32_u", "f32", "i32"),
    "i32x4.trunc_sat_f64x2_s_zero": ("i32.trunc_sat_f64_s", "f64", "i32"),
    "i32x4.trunc_sat_f64x2_u_zero": ("i32.trunc_sat_f64_u", "f64", "i32"),
    "f64x2.convert_low_i32x4_s": ("f64.convert_i32_s", "i32", "f64"),
    "f64x2.convert_low_i32x4_u": ("f64.convert_i32_u", "i32", "f64"),
    "f32x4.demote_f64x2_zero": ("f32.demote_f64", "f64", "f32"),
    "f64x2.promote_low_f32x4": ("f64.promote_f32", "f32", "f64"),
}


def _float_op(shape: str, name: str) -> tuple[int, Fn] | None:
    t = _lane_type(shape)
    read, write = _CODEC[t]
    if name in _FLOAT_UNARY:
        f1 = _scalar(f"{t}.{name}", SCALAR_UNARY)
        return UN, lambda a: write(map(f1, read(a)))
    if name in _FLOAT_BINARY:
        f2 = _scalar(f"{t}.{name}", SCALAR_BINARY)
        return BIN, lambda a, b: write([f2(x, y) for x, y in _pairs(read, a, b)])
    if name in _FLOAT_COMPARE:
        cmp = _scalar(f"{t}.{name}", SCALAR_BINARY)  # 1 or 0; negated: all ones or 0
        iwrite = _CODEC["i" + t[1:]][1]
        return BIN, lambda a, b: iwrite([-cmp(x, y) for x, y in _pairs(read, a, b)])
    if name in ("pmin", "pmax"):
        lt = _scalar(f"{t}.lt", SCALAR_BINARY)
        if name == "pmin":  # b < a ? b : a
            return BIN, lambda a, b: write([y if lt(y, x) else x for x, y in _pairs(read, a, b)])
        return BIN, lambda a, b: write([y if lt(x, y) else x for x, y in _pairs(read, a, b)])
    return None


def _conversion(scalar: str, src: str, dst: str) -> Fn:
    """A lane-wise conversion; when the lane count changes, the low lanes convert and the
    result's remaining lanes are zero."""
    fn = _scalar(scalar, SCALAR_UNARY)
    read, write = _CODEC[src][0], _CODEC[dst][1]
    n_src, n_dst = 128 // int(src[1:]), 128 // int(dst[1:])
    n = min(n_src, n_dst)
    pad = [0.0 if dst == "f64" else 0] * (n_dst - n)
    return lambda a: write([fn(x) for x in read(a)[:n]] + pad)


# ---------------------------------------------------------------------------------------------
# Bitwise v128 operations, shuffles

def _bitselect(a: int, b: int, c: int) -> int:
    return (a & c) | (b & ~c & M128)


_V128: dict[str, tuple[int, Fn]] = {
    "not": (UN, lambda a: a ^ M128),
    "and": (BIN, lambda a, b: a & b),
    "andnot": (BIN, lambda a, b: a & (b ^ M128)),
    "or": (BIN, lambda a, b: a | b),
    "xor": (BIN, lambda a, b: a ^ b),
    "bitselect": (TERN, _bitselect),
    "any_true": (UN, lambda a: 1 if a else 0),
}


def swizzle(a: int, s: int) -> int:
    """i8x16.swizzle: byte i of the result is byte s[i] of a, or 0 when s[i] >= 16."""
    ab = a.to_bytes(16, "little")
    return int.from_bytes(bytes(ab[i] if i < 16 else 0 for i in s.to_bytes(16, "little")),
                          "little")


@lru_cache(maxsize=None)
def shuffle(indices: tuple[int, ...]) -> Fn:
    """i8x16.shuffle with its 16 immediate lane indices (into the 32 bytes of a then b)."""
    def op(a: int, b: int) -> int:
        ab = a.to_bytes(16, "little") + b.to_bytes(16, "little")
        return int.from_bytes(bytes(ab[i] for i in indices), "little")
    return op


# ---------------------------------------------------------------------------------------------
# Lane immediates: extract_lane, replace_lane

def _lane_width(shape: str) -> int:
    return int(_lane_type(shape)[1:])


@lru_cache(maxsize=None)
def extract_lane(shape: str, lane: int, signed: bool = False) -> Fn:
    """`shape`.extract_lane(_s) of lane `lane`: to the scalar's internal representation."""
    w = _lane_width(shape)
    shift, mask = lane * w, (1 << w) - 1
    if shape == "f64x2":
        return lambda v: bits_to_f64((v >> shift) & mask)
    if signed:
        sign = 1 << (w - 1)
        return lambda v: (((v >> shift) & mask) - (((v >> shift) & sign) << 1)) & 0xFFFFFFFF
    return lambda v: (v >> shift) & mask


@lru_cache(maxsize=None)
def replace_lane(shape: str, lane: int) -> Fn:
    """`shape`.replace_lane of lane `lane`: (v128, scalar) -> v128."""
    w = _lane_width(shape)
    shift, mask = lane * w, (1 << w) - 1
    keep = M128 ^ (mask << shift)
    if shape == "f64x2":
        return lambda v, x: (v & keep) | (f64_to_bits(x) << shift)
    return lambda v, x: (v & keep) | ((x & mask) << shift)


# ---------------------------------------------------------------------------------------------
# Memory

def _loader(name: str) -> Fn | None:
    """The plain loads: function (memory, address) -> v128."""
    if name == "load":
        unpack16 = _BYTES.unpack_from
        return lambda mem, ea: int.from_bytes(unpack16(mem, ea)[0], "little")
    mt = re.match(r"load(\d+)(x\d+_([su])|_splat|_zero)$", name)
    if mt is None:
        return None
    w = int(mt.group(1))
    if mt.group(3):  # extending: 8 bytes of w-bit lanes to 2w-bit lanes
        read = struct.Struct(f"<{64 // w}{_FMT[w].lower() if mt.group(3) == 's' else _FMT[w]}")
        return lambda mem, ea: join(read.unpack_from(mem, ea), 2 * w)
    one = struct.Struct("<" + _FMT[w]).unpack_from
    if mt.group(2) == "_zero":
        return lambda mem, ea: one(mem, ea)[0]
    n = 128 // w
    return lambda mem, ea: join([one(mem, ea)[0]] * n, w)


@lru_cache(maxsize=None)
def load_lane(width: int, lane: int) -> Fn:
    """v128.load{width}_lane: (memory, address, v128) -> v128 with lane `lane` loaded."""
    one = struct.Struct("<" + _FMT[width]).unpack_from
    shift = lane * width
    keep = M128 ^ (((1 << width) - 1) << shift)
    return lambda mem, ea, v: (v & keep) | (one(mem, ea)[0] << shift)


@lru_cache(maxsize=None)
def store_lane(width: int, lane: int) -> Fn:
    """v128.store{width}_lane: (memory, address, v128) stores lane `lane`."""
    put = struct.Struct("<" + _FMT[width]).pack_into
    shift, mask = lane * width, (1 << width) - 1
    return lambda mem, ea, v: put(mem, ea, (v >> shift) & mask)


def _store128(mem: Any, ea: int, v: int) -> None:
    _BYTES.pack_into(mem, ea, v.to_bytes(16, "little"))


# ---------------------------------------------------------------------------------------------
# The lowering table

def _build() -> dict[int, tuple[int, Fn]]:
    """(kind, function) of every SIMD instruction without immediates other than a memarg."""
    table: dict[int, tuple[int, Fn]] = {}
    for info in ops.OPCODES.values():
        if info.code < ops.FD_BASE or info.imm not in (ops.IMM_NONE, ops.IMM_MEMARG):
            continue
        shape, _, name = info.name.partition(".")
        entry: tuple[int, Fn] | None = None
        if info.name in _CONVERSIONS:
            entry = UN, _conversion(*_CONVERSIONS[info.name])
        elif name == "splat":
            entry = UN, _splat(_lane_type(shape))
        elif shape == "v128" and info.imm == ops.IMM_MEMARG:
            loader = _loader(name)
            entry = (LOAD, loader) if loader is not None else \
                (STORE, _store128) if name == "store" else None
        elif shape == "v128":
            entry = _V128.get(name)
        elif info.name == "i8x16.swizzle":
            entry = BIN, swizzle
        elif shape in INT_SHAPES:
            entry = _int_op(shape, name)
        else:
            entry = _float_op(shape, name)
        if entry is not None:
            table[info.code] = entry
    return table


TABLE: dict[int, tuple[int, Fn]] = _build()
"""SIMD opcode -> (kind, function) for the instructions whose only immediate is a memarg."""


# ---------------------------------------------------------------------------------------------
# Relaxed SIMD: one fixed choice per instruction (see the module docstring)

_RELAXED_AS = {  # relaxed instruction: the deterministic instruction it runs as
    "i8x16.relaxed_swizzle": "i8x16.swizzle",
    "i32x4.relaxed_trunc_f32x4_s": "i32x4.trunc_sat_f32x4_s",
    "i32x4.relaxed_trunc_f32x4_u": "i32x4.trunc_sat_f32x4_u",
    "i32x4.relaxed_trunc_f64x2_s_zero": "i32x4.trunc_sat_f64x2_s_zero",
    "i32x4.relaxed_trunc_f64x2_u_zero": "i32x4.trunc_sat_f64x2_u_zero",
    "i8x16.relaxed_laneselect": "v128.bitselect", "i16x8.relaxed_laneselect": "v128.bitselect",
    "i32x4.relaxed_laneselect": "v128.bitselect", "i64x2.relaxed_laneselect": "v128.bitselect",
    "f32x4.relaxed_min": "f32x4.min", "f32x4.relaxed_max": "f32x4.max",
    "f64x2.relaxed_min": "f64x2.min", "f64x2.relaxed_max": "f64x2.max",
    "i16x8.relaxed_q15mulr_s": "i16x8.q15mulr_sat_s",
}

# (precision in bits, minimum normal exponent) of the two float formats
_F32_FORMAT, _F64_FORMAT = (24, -126), (53, -1022)


def _round_exact(q: Fraction, precision: int, emin: int) -> float:
    """The nonzero rational `q` rounded to nearest-even in a binary format (subnormals
    included); inf past its range. The result is exact as a Python float."""
    n, d = abs(q.numerator), q.denominator
    e = n.bit_length() - d.bit_length()  # 2**e <= |q| < 2**(e+1), after the correction
    if (n << -e if e < 0 else n) < (d << e if e > 0 else d):
        e -= 1
    shift = precision - 1 - max(e, emin)  # the quantum is 2**-shift
    m = round(abs(q) * (q.__class__(2) ** shift))  # Fraction rounds half to even
    try:
        r = math.ldexp(m, -shift)
    except OverflowError:
        r = math.inf
    return -r if q < 0 else r


def _fma(a: float, b: float, c: float, fmt: tuple[int, int]) -> float:
    """a * b + c with one rounding (the fused multiply-add), in the format `fmt`."""
    if not (math.isfinite(a) and math.isfinite(b)) or a == 0 or b == 0:
        return a * b + c  # inf/NaN operands, or an exact (signed) zero product: IEEE is exact
    if not math.isfinite(c):
        return c  # the exact product is finite even where a * b would overflow
    from fractions import Fraction  # only here: it imports decimal, a cold-start cost

    exact = Fraction(a) * Fraction(b) + Fraction(c)
    if exact == 0:
        return 0.0  # nonzero terms cancelling exactly: +0 when rounding to nearest
    return _round_exact(exact, *fmt)


# NaN results come from the host's float arithmetic, as for the scalar ops (numeric.py): a NaN
# operand propagates quieted, inf * 0 and inf - inf give the host's default NaN.
def _fma_f32(a: int, b: int, c: int) -> int:
    return float_to_f32(_fma(f32_to_float(a), f32_to_float(b), f32_to_float(c), _F32_FORMAT))


def _fma_f64(a: float, b: float, c: float) -> float:
    return _fma(a, b, c, _F64_FORMAT)


def _madd(lane_type: str, negate: bool) -> Fn:
    """relaxed_madd (a * b + c) and relaxed_nmadd (-(a * b) + c), fused."""
    read, write = _CODEC[lane_type]
    fma = _fma_f32 if lane_type == "f32" else _fma_f64
    if negate:
        neg = _scalar(f"{lane_type}.neg", SCALAR_UNARY)
        return lambda a, b, c: write([fma(neg(x), y, z) for x, y, z in
                                      zip(read(a), read(b), read(c), strict=True)])
    return lambda a, b, c: write([fma(x, y, z) for x, y, z in
                                  zip(read(a), read(b), read(c), strict=True)])


def _signed8(v: int) -> tuple[int, ...]:
    return lanes(v, 8, True)


def _dot_i8x16_i7x16(a: int, b: int) -> int:
    """Adjacent pairs of signed 8-bit products, summed into 16-bit lanes (wrapping)."""
    p = [x * y for x, y in _pairs(_signed8, a, b)]
    return join([p[i] + p[i + 1] for i in range(0, 16, 2)], 16)


def _dot_i8x16_i7x16_add(a: int, b: int, c: int) -> int:
    """Four adjacent signed 8-bit products summed, plus the i32 lanes of c (wrapping)."""
    p = [x * y for x, y in _pairs(_signed8, a, b)]
    return join([sum(p[4 * i:4 * i + 4]) + z for i, z in enumerate(lanes(c, 32))], 32)


def _add_relaxed(table: dict[int, tuple[int, Fn]]) -> None:
    for name, same in _RELAXED_AS.items():
        table[ops.BY_NAME[name].code] = table[ops.BY_NAME[same].code]
    for lane_type, shape in (("f32", "f32x4"), ("f64", "f64x2")):
        table[ops.BY_NAME[f"{shape}.relaxed_madd"].code] = TERN, _madd(lane_type, False)
        table[ops.BY_NAME[f"{shape}.relaxed_nmadd"].code] = TERN, _madd(lane_type, True)
    table[ops.BY_NAME["i16x8.relaxed_dot_i8x16_i7x16_s"].code] = BIN, _dot_i8x16_i7x16
    table[ops.BY_NAME["i32x4.relaxed_dot_i8x16_i7x16_add_s"].code] = TERN, _dot_i8x16_i7x16_add


_add_relaxed(TABLE)


def lower(ins: tuple) -> tuple[int, Fn, int]:
    """One decoded SIMD instruction (not v128.const) -> (kind, function, static offset).

    Raises NotImplementedError for an instruction this module does not implement."""
    op = ins[0]
    entry = TABLE.get(op)
    if entry is not None:
        return entry[0], entry[1], ins[2] if len(ins) > 2 else 0
    info = ops.OPCODES.get(op)
    if info is not None:
        if info.imm == ops.IMM_SHUFFLE:
            return BIN, shuffle(tuple(ins[1])), 0
        if info.imm == ops.IMM_LANE:
            shape, _, name = info.name.partition(".")
            if name.startswith("extract_lane"):
                return UN, extract_lane(shape, ins[1], name.endswith("_s")), 0
            return BIN, replace_lane(shape, ins[1]), 0
        if info.imm == ops.IMM_MEMARG_LANE:
            width = 8 << info.align if info.align is not None else 8
            if "load" in info.name:
                return LOAD_LANE, load_lane(width, ins[3]), ins[2]
            return STORE, store_lane(width, ins[3]), ins[2]
    raise NotImplementedError(f"SIMD opcode {ops.op_name(op)} is not supported by the executor")
