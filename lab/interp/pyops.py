"""Python expression templates for every Wasm numeric instruction, for the translating tier.

Each entry maps an opcode to an `Op`: a template over `{x}` (first operand) and `{y}` (second),
in the engine's internal value representation (see numeric.py). Flags say how the translator
may use it:
  cond      the template is a Python condition (bool), not a value: the translator uses it
            directly in `if`/`while` tests and wraps it as `(1 if c else 0)` only when the value
            is needed;
  trapping  evaluating it may raise Trap: it is evaluated at once into a temporary, so traps
            keep their order relative to other side effects;
  atomic    an operand appears more than once, so operands must be plain names or literals.
  wide      the template leaves out the final `& mask` that would make its value canonical: the
            value is congruent to the result modulo 2**32 (or 2**64) but may be negative or too
            big. The translator adds the mask only where the value is used (so a tree of adds
            and xors is masked once, at its root);
  loose     the operands (keys of the template) that may be such wide values, because the
            template only depends on their low bits;
  wide_if   (with wide) "any": the result is canonical unless some operand is wide (or, xor);
            "all": it is canonical unless every operand is (and).
Ops that are not inlined call the function from numeric.UNARY/BINARY, bound in the generated
code's namespace under `helper_name(op)`.
"""

from __future__ import annotations

from typing import NamedTuple

from .numeric import BINARY, COND_BINARY, EXPR_BINARY, EXPR_UNARY, UNARY


class Op(NamedTuple):
    template: str
    cond: bool = False
    trapping: bool = False
    atomic: bool = False
    wide: str = ""
    loose: str = ""
    wide_if: str = ""


# Conversions whose operand may be out of range (non-saturating truncations).
_TRAPPING_UNARY = frozenset(range(0xA8, 0xB2)) - {0xAC, 0xAD}
# Divisions and remainders trap on a zero divisor (and the signed ones on overflow).
_TRAPPING_BINARY = frozenset({0x6D, 0x6E, 0x6F, 0x70, 0x7F, 0x80, 0x81, 0x82})

M32 = "0xFFFFFFFF"
M64 = "0xFFFFFFFFFFFFFFFF"


def helper_name(op: int, binary: bool) -> str:
    return f"{'B' if binary else 'U'}{op:x}"


def _inline_unary() -> dict[int, Op]:
    ops = {op: Op(t) for op, t in EXPR_UNARY.items()}
    ops.update({
        0x45: Op("not {x}", cond=True), 0x50: Op("not {x}", cond=True),
        0x67: Op("32 - ({x}).bit_length()"), 0x79: Op("64 - ({x}).bit_length()"),
        0x69: Op("({x}).bit_count()"), 0x7B: Op("({x}).bit_count()"),
        0xAD: Op("{x}"),
        0x8B: Op("{x} & 0x7FFFFFFF"), 0x8C: Op("{x} ^ 0x80000000"),
        0x99: Op("fabs({x})"), 0x9A: Op("-{x}"),
        0x9F: Op("sqrt({x}) if {x} >= 0.0 else fsqrt({x})", atomic=True),
        0xB7: Op("float(({x} ^ 0x80000000) - 0x80000000)"), 0xB8: Op("float({x})"),
        0xB9: Op("float(({x} ^ 0x8000000000000000) - 0x8000000000000000)"),
        0xBA: Op("float({x})"),
        0xBC: Op("{x}"), 0xBE: Op("{x}"),
        0xA7: Op("{x} & 0xFFFFFFFF", loose="x"),
        0xAC: Op("({x} ^ 0x80000000) - 0x80000000", wide=M64),
        0xC0: Op("(({x} & 0xFF) ^ 0x80) - 0x80", wide=M32, loose="x"),
        0xC1: Op("(({x} & 0xFFFF) ^ 0x8000) - 0x8000", wide=M32, loose="x"),
        0xC2: Op("(({x} & 0xFF) ^ 0x80) - 0x80", wide=M64, loose="x"),
        0xC3: Op("(({x} & 0xFFFF) ^ 0x8000) - 0x8000", wide=M64, loose="x"),
        0xC4: Op("(({x} & 0xFFFFFFFF) ^ 0x80000000) - 0x80000000", wide=M64, loose="x"),
    })
    return ops


def _inline_binary() -> dict[int, Op]:
    ops = {op: Op(t) for op, t in EXPR_BINARY.items()}
    ops.update({op: Op(c, cond=True) for op, c in COND_BINARY.items()})
    ops.update({
        0x98: Op("({x} & 0x7FFFFFFF) | ({y} & 0x80000000)"),
        0xA3: Op("{x} / {y} if {y} else fdiv({x}, {y})", atomic=True),
        0xA6: Op("copysign({x}, {y})"),
        0x6E: Op("{x} // {y} if {y} else div_zero()", trapping=True, atomic=True),
        0x70: Op("{x} % {y} if {y} else div_zero()", trapping=True, atomic=True),
        0x80: Op("{x} // {y} if {y} else div_zero()", trapping=True, atomic=True),
        0x82: Op("{x} % {y} if {y} else div_zero()", trapping=True, atomic=True),
        # Rotations: the two shifted halves of a canonical x share no bit, so `+` (which
        # CPython specializes) gives the same value as `|`.
        0x77: Op("({x} << ({y} & 31)) + ({x} >> (32 - ({y} & 31)))", atomic=True, wide=M32),
        0x78: Op("({x} >> ({y} & 31)) + ({x} << (32 - ({y} & 31)))", atomic=True, wide=M32),
        0x89: Op("({x} << ({y} & 63)) + ({x} >> (64 - ({y} & 63)))", atomic=True, wide=M64),
        0x8A: Op("({x} >> ({y} & 63)) + ({x} << (64 - ({y} & 63)))", atomic=True, wide=M64),
    })
    ops.update(_wide_binary(M32, 0x6A, 31, "0x80000000"))
    ops.update(_wide_binary(M64, 0x7C, 63, "0x8000000000000000"))
    return ops


def _wide_binary(mask: str, add: int, bits: int, sign: str) -> dict[int, Op]:
    """i32 or i64 (add is the opcode of its add) arithmetic that depends only on low bits."""
    sub, mul, and_, or_, xor, shl, shr_s, shr_u = (add + 1, add + 2, add + 7, add + 8, add + 9,
                                                  add + 10, add + 11, add + 12)
    return {
        add: Op("{x} + {y}", wide=mask, loose="xy"),
        sub: Op("{x} - {y}", wide=mask, loose="xy"),
        mul: Op("{x} * {y}", wide=mask),            # canonical operands: products stay small
        and_: Op("{x} & {y}", wide=mask, loose="xy", wide_if="all"),
        or_: Op("{x} | {y}", wide=mask, loose="xy", wide_if="any"),
        xor: Op("{x} ^ {y}", wide=mask, loose="xy", wide_if="any"),
        shl: Op(f"{{x}} << ({{y}} & {bits})", wide=mask, loose="xy"),
        shr_s: Op(f"(({{x}} ^ {sign}) - {sign}) >> ({{y}} & {bits})", wide=mask, loose="y"),
        shr_u: Op(f"{{x}} >> ({{y}} & {bits})", loose="y"),
    }


# Unsigned divisions and remainders by a non-zero constant: they cannot trap.
BY_CONSTANT: dict[int, Op] = {0x6E: Op("{x} // {y}"), 0x70: Op("{x} % {y}"),
                              0x80: Op("{x} // {y}"), 0x82: Op("{x} % {y}")}


def shift_by_constant(op: int, count: int) -> Op | None:
    """`x << count` as `x * 2**count`, the same value for any int x: CPython specializes
    multiplication and has a fast path for one-digit operands, so keep 2**count under 2**30.
    None if `op` is not a left shift or the count does not fit."""
    bits, mask = {0x74: (32, M32), 0x86: (64, M64)}.get(op, (0, ""))
    if not bits or not 0 < count & (bits - 1) < 30:
        return None
    return Op(f"{{x}} * {1 << (count & (bits - 1))}", wide=mask, loose="x")


def _by_call(table: dict, binary: bool, trapping: frozenset) -> dict[int, Op]:
    args = "{x}, {y}" if binary else "{x}"
    return {op: Op(f"{helper_name(op, binary)}({args})", trapping=op in trapping)
            for op in table}


UNARY_OPS: dict[int, Op] = {**_by_call(UNARY, False, _TRAPPING_UNARY), **_inline_unary()}
BINARY_OPS: dict[int, Op] = {**_by_call(BINARY, True, _TRAPPING_BINARY), **_inline_binary()}

# Signed comparisons: opcode -> (bits, relation). Their templates flip both sign bits, two
# xors that allocate; signed_comparison() avoids them where the operands allow.
SIGNED_COMPARISONS = {0x48: (32, "<"), 0x4A: (32, ">"), 0x4C: (32, "<="), 0x4E: (32, ">="),
                      0x53: (64, "<"), 0x55: (64, ">"), 0x57: (64, "<="), 0x59: (64, ">=")}
_MIRRORED = {"<": ">", ">": "<", "<=": ">=", ">=": "<="}


def signed_comparison(op: int, x_top: int | None, y_top: int | None,
                      x_const: int | None, y_const: int | None) -> Op | None:
    """A signed comparison as plain comparisons of canonical (unsigned) values: the unsigned
    one when both operands are known to be below the sign bit, a range test when one is a
    constant (`x <s 5` is `x < 5 or x >= 2**31`). None when neither applies."""
    bits, rel = SIGNED_COMPARISONS[op]
    half = 1 << (bits - 1)
    if x_top is not None and y_top is not None and x_top < half and y_top < half:
        return Op(f"{{x}} {rel} {{y}}", cond=True)
    if y_const is not None:
        v, c = "{x}", y_const
    elif x_const is not None:        # c rel y is y mirrored-rel c
        v, c, rel = "{y}", x_const, _MIRRORED[rel]
    else:
        return None
    minus_one = 2 * half - 1
    sign_test = {(0, "<"): ">=", (minus_one, "<="): ">=", (0, ">="): "<", (minus_one, ">"): "<"}
    if (c, rel) in sign_test:       # x < 0, x <= -1, x >= 0, x > -1: the sign bit alone
        return Op(f"{v} {sign_test[c, rel]} {half}", cond=True)
    if c < half:                     # c >= 0: x below it, or x negative
        template = {"<": f"({v} < {c} or {v} >= {half})", "<=": f"({v} <= {c} or {v} >= {half})",
                    ">": f"{c} < {v} < {half}", ">=": f"{c} <= {v} < {half}"}[rel]
    else:                            # c < 0: x negative and below it, or x above it
        template = {"<": f"{half} <= {v} < {c}", "<=": f"{half} <= {v} <= {c}",
                    ">": f"({v} > {c} or {v} < {half})", ">=": f"({v} >= {c} or {v} < {half})"}[rel]
    return Op(template, cond=True, atomic=True)


# Loads: opcode -> (template over {a} = effective address, natural alignment unused).
LOADS: dict[int, str] = {
    0x28: "ldI(M, {a})[0]", 0x29: "ldQ(M, {a})[0]", 0x2A: "ldI(M, {a})[0]",
    0x2B: "ldd(M, {a})[0]",
    0x2C: "((M[{a}] ^ 0x80) - 0x80) & " + M32, 0x2D: "M[{a}]",
    0x2E: "ldh(M, {a})[0] & " + M32, 0x2F: "ldH(M, {a})[0]",
    0x30: "((M[{a}] ^ 0x80) - 0x80) & " + M64, 0x31: "M[{a}]",
    0x32: "ldh(M, {a})[0] & " + M64, 0x33: "ldH(M, {a})[0]",
    0x34: "ldi(M, {a})[0] & " + M64, 0x35: "ldI(M, {a})[0]",
}
# Stores: opcode -> statement template over {a} (address) and {v} (value).
STORES: dict[int, str] = {
    0x36: "stI(M, {a}, {v})", 0x37: "stQ(M, {a}, {v})", 0x38: "stI(M, {a}, {v})",
    0x39: "std(M, {a}, {v})",
}
# The narrow stores: opcode -> (the bits they keep, template of a value already in range).
# Their STORES template masks {v} itself, so {v} may be a wide value (see Op.wide).
NARROW_STORES: dict[int, tuple[int, str]] = {
    0x3A: (0xFF, "M[{a}] = {v}"), 0x3B: (0xFFFF, "stH(M, {a}, {v})"),
    0x3C: (0xFF, "M[{a}] = {v}"), 0x3D: (0xFFFF, "stH(M, {a}, {v})"),
    0x3E: (0xFFFFFFFF, "stI(M, {a}, {v})"),
}
STORES.update({op: t.replace("{v}", f"{{v}} & {bits:#X}".replace("0X", "0x"))
               for op, (bits, t) in NARROW_STORES.items()})
# Loads whose value has fewer bits than its type: opcode -> its largest value.
LOAD_TOPS = {0x2D: 0xFF, 0x31: 0xFF, 0x2F: 0xFFFF, 0x33: 0xFFFF, 0x35: 0xFFFFFFFF}
STRUCT_FORMATS = {"I": "<I", "Q": "<Q", "d": "<d", "h": "<h", "H": "<H", "i": "<i"}
