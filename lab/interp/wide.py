"""Wide arithmetic (the wide-arithmetic proposal): i64.add128, i64.sub128, i64.mul_wide_s and
i64.mul_wide_u, as expression templates both tiers inline.

A 128-bit integer is a pair of i64 operands, low half first (deeper on the stack). Every op
computes one intermediate `t` from its operands `{x0}`..`{x3}` (internal representation:
unsigned ints, see numeric.py), then pushes `t & M64` (the low half) and the high half, an
expression of `t` and the operands:
  add128: the carry out of the low halves is `t >> 64` (0 or 1);
  sub128: the borrow is `t >> 64` (0 or -1, t being negative when the low halves borrow);
  mul_wide_u/s: the exact product of the (signed) operands; its high half is `t >> 64`.
The templates read their operands before anything is written, so a tier may put their
results over the operands' own slots.
"""

from __future__ import annotations

from .opcodes import I64_ADD128, I64_MUL_WIDE_S, I64_MUL_WIDE_U, I64_SUB128

M64 = 0xFFFFFFFFFFFFFFFF


def _signed(x: str) -> str:
    return f"({x} - (({x} & 0x8000000000000000) << 1))"


# opcode -> (number of operands, template of t, template of the high half)
TEMPLATES: dict[int, tuple[int, str, str]] = {
    I64_ADD128: (4, "{x0} + {x2}", f"({{x1}} + {{x3}} + ({{t}} >> 64)) & {M64:#x}"),
    I64_SUB128: (4, "{x0} - {x2}", f"({{x1}} - {{x3}} + ({{t}} >> 64)) & {M64:#x}"),
    I64_MUL_WIDE_U: (2, "{x0} * {x1}", "{t} >> 64"),
    I64_MUL_WIDE_S: (2, f"{_signed('{x0}')} * {_signed('{x1}')}", f"({{t}} >> 64) & {M64:#x}"),
}


def statements(op: int, operands: list[str], t: str, lo: str, hi: str) -> list[str]:
    """Python statements computing `op` on the operand expressions into the variables `lo` and
    `hi`, with the scratch variable `t` (the operands are read before lo/hi are written)."""
    _, t_template, hi_template = TEMPLATES[op]
    names = {f"x{i}": e for i, e in enumerate(operands)}
    return [f"{t} = {t_template.format(**names)}",
            f"{lo}, {hi} = {t} & {M64:#x}, {hi_template.format(t=t, **names)}"]
