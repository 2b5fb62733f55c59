"""Which callees the translating tier copies into their callers, and the constant folding
that pays for it.

A Python call costs about as much as a 64-bit multiply, and compilers leave small helpers
out of line: compiler-rt's `__multi3` (every `unsigned __int128` product on wasm32), rotates
and mixers under -Os. A callee is inlined when its body is straight-line code of at most
MAX_INSTRUCTIONS plain instructions (numbers, locals, globals, loads, stores, select): no
control flow, no calls, so it cannot recurse, branch or grow memory, and its traps are the
same wherever its code runs. Inlining binds each parameter to its argument; an argument that
is a constant or a caller's local stays that expression until the callee writes the
parameter, so the callee's arithmetic on it folds (`__multi3(a, 0, b, 0)` loses half its
multiplies).
With fuel, the inlined body charges the one unit the call would have, where the callee's
entry would (after the arguments), so fuel runs out at the same point.
"""

from __future__ import annotations

from . import module as m
from .numeric import BINARY
from .pyops import BINARY_OPS, LOADS, STORES, UNARY_OPS

MAX_INSTRUCTIONS = 80
# Inlined instructions per caller at most, so a caller of many helpers stays a sane size.
CALLER_BUDGET = 4000

_PLAIN = (frozenset({0x01, 0x1A, 0x1B, 0x1C, 0x20, 0x21, 0x22, 0x23, 0x24,
                     0x41, 0x42, 0x43, 0x44})
          | frozenset(LOADS) | frozenset(STORES) | frozenset(BINARY_OPS) | frozenset(UNARY_OPS))


def inlinable(func: m.Function, ftype: m.FuncType) -> bool:
    """Straight-line and short: every instruction plain, the one `end` last; no SIMD value
    (the tier leaves SIMD to the interpreter)."""
    body = func.code.body
    if len(body) > MAX_INSTRUCTIONS + 1 or not body or body[-1][0] != 0x0B:
        return False
    if m.V128 in func.code.locals or m.V128 in ftype.params or m.V128 in ftype.results:
        return False
    return all(ins[0] in _PLAIN for ins in body[:-1])


# Integer ops that cannot trap, by which operand value leaves the other unchanged
# ("x + 0", "0 | y") and which absorbs it ("x * 0"): opcode -> (identity sides, absorbing).
_I32_ADD, _I64_ADD = 0x6A, 0x7C
_IDENTITY: dict[int, str] = {}
_ABSORBING: dict[int, str] = {}
for _add in (_I32_ADD, _I64_ADD):
    _sub, _mul, _and, _or, _xor = _add + 1, _add + 2, _add + 7, _add + 8, _add + 9
    _IDENTITY.update({_add: "xy", _sub: "y", _or: "xy", _xor: "xy",
                      _add + 10: "y", _add + 11: "y", _add + 12: "y",    # shifts by 0
                      _add + 13: "y", _add + 14: "y"})                   # rotates by 0
    _ABSORBING.update({_mul: "xy", _and: "xy"})
# Both operands constant: integer comparisons and arithmetic are computed now (divisions
# and remainders, which may trap, are left alone).
_FOLDABLE = (frozenset(range(0x46, 0x5B)) - {0x50}
             | frozenset(range(0x6A, 0x79)) | frozenset(range(0x7C, 0x8B))) - {
    0x6D, 0x6E, 0x6F, 0x70, 0x7F, 0x80, 0x81, 0x82}


def fold(op: int, x: int | None, y: int | None) -> tuple[str, int] | None:
    """How a binary op with constant operand(s) simplifies: ("value", v) when both are
    constants, ("x", 0) or ("y", 0) when the result is that operand, ("zero", 0) when it is
    0 whatever the other operand is (the caller drops that operand only if evaluating it
    has no effect). None otherwise. x and y are the operands' values if constant."""
    if x is not None and y is not None and op in _FOLDABLE and op in BINARY:
        return "value", BINARY[op](x, y)
    if y == 0 and "y" in _IDENTITY.get(op, ""):
        return "x", 0
    if x == 0 and "x" in _IDENTITY.get(op, ""):
        return "y", 0
    if 0 in (x, y) and op in _ABSORBING:
        return "zero", 0
    return None
