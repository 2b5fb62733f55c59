"""Constants of `.wast` scripts: arguments (exact values) and expected results (patterns).

Values follow lab.suites.spec_session: `(type, payload)` with numbers as unsigned bit patterns
and v128 as one 128-bit little-endian integer. Expected results are patterns:

  NumPattern("f32", bits)  |  NumPattern("f32", "nan:canonical" | "nan:arithmetic")
  V128Pattern("f32", (lane, ...))   one pattern per lane (bits or a NaN class)
  RefPattern(kind, payload)         kind: "null", "extern", "host", "func", "i31", "struct",
                                    "array", "eq", "any", "exn", ...; payload: a heap type for
                                    "null" (None = any null), the host number for "extern"/"host"
  EitherPattern((pattern, ...))     any alternative
"""

from __future__ import annotations

import math
import re
import struct
from dataclasses import dataclass
from fractions import Fraction

from lab.suites.sexpr import Atom, List, Node

WasmValue = tuple[str, object]

_INT_BITS = {"i8": 8, "i16": 16, "i32": 32, "i64": 64}
_FLOAT_FORMATS = {"f32": (23, 8), "f64": (52, 11)}  # mantissa bits, exponent bits
_LANES = {"i8x16": ("i8", 16), "i16x8": ("i16", 8), "i32x4": ("i32", 4), "i64x2": ("i64", 2),
          "f32x4": ("f32", 4), "f64x2": ("f64", 2)}
_LANE_WIDTH = {"i8": 8, "i16": 16, "i32": 32, "i64": 64, "f32": 32, "f64": 64}
NAN_CLASSES = ("nan:canonical", "nan:arithmetic")

# Heap types of `ref.null` grouped by hierarchy: a null of one hierarchy never passes for another.
_HEAP_TOP = {
    "func": "func", "nofunc": "func", "funcref": "func", "nullfuncref": "func",
    "extern": "extern", "noextern": "extern", "externref": "extern", "nullexternref": "extern",
    "exn": "exn", "noexn": "exn", "exnref": "exn", "nullexnref": "exn",
    "any": "any", "none": "any", "eq": "any", "i31": "any", "struct": "any", "array": "any",
    "anyref": "any", "nullref": "any", "eqref": "any", "i31ref": "any", "structref": "any",
    "arrayref": "any",
}


class ValueSyntaxError(ValueError):
    """A constant the script uses cannot be read."""


@dataclass(frozen=True)
class NumPattern:
    type: str
    value: int | str  # bit pattern or a NaN class


@dataclass(frozen=True)
class V128Pattern:
    lane_type: str
    lanes: tuple[int | str, ...]


@dataclass(frozen=True)
class RefPattern:
    kind: str
    payload: object = None


@dataclass(frozen=True)
class EitherPattern:
    alternatives: tuple[Pattern, ...]


Pattern = NumPattern | V128Pattern | RefPattern | EitherPattern


def heap_top(heap_type: str | None) -> str | None:
    """The hierarchy (func, extern, any, exn) of a heap or reference type name; None if unknown
    (an indexed type `$t` or a number, whose hierarchy only the module knows)."""
    if heap_type is None:
        return None
    return _HEAP_TOP.get(heap_type)


# ---------------------------------------------------------------- numbers

def parse_int(text: str, bits: int) -> int:
    """A wat integer literal (signed or unsigned, decimal or hex) as an unsigned bit pattern."""
    clean = text.replace("_", "")
    negative = clean.startswith("-")
    digits = clean.lstrip("+-")
    try:
        magnitude = int(digits, 16) if digits.lower().startswith("0x") else int(digits, 10)
    except ValueError:
        raise ValueSyntaxError(f"bad integer literal {text!r}") from None
    value = -magnitude if negative else magnitude
    if not -(1 << (bits - 1)) <= value < (1 << bits):
        raise ValueSyntaxError(f"integer literal {text!r} out of range for {bits} bits")
    return value & ((1 << bits) - 1)


def parse_float(text: str, type_name: str) -> int:
    """A wat float literal as the bit pattern of f32/f64, correctly rounded (nearest, even)."""
    mantissa_bits, exponent_bits = _FLOAT_FORMATS[type_name]
    width = 1 + mantissa_bits + exponent_bits
    clean = text.replace("_", "")
    sign = 1 if clean.startswith("-") else 0
    body = clean.lstrip("+-")
    exponent_all_ones = ((1 << exponent_bits) - 1) << mantissa_bits
    if body == "inf":
        magnitude = exponent_all_ones
    elif body == "nan":
        magnitude = exponent_all_ones | (1 << (mantissa_bits - 1))
    elif body.startswith("nan:0x"):
        payload = int(body[6:], 16)
        if not 0 < payload < (1 << mantissa_bits):
            raise ValueSyntaxError(f"NaN payload out of range in {text!r}")
        magnitude = exponent_all_ones | payload
    else:
        magnitude = _round_magnitude(body, type_name)
    return (sign << (width - 1)) | magnitude


def _round_magnitude(body: str, type_name: str) -> int:
    try:
        if body.lower().startswith("0x"):
            approx = float.fromhex(body)
        else:
            approx = float(body)
    except (ValueError, OverflowError):
        raise ValueSyntaxError(f"bad float literal {body!r}") from None
    if type_name == "f64" and not math.isinf(approx):
        return struct.unpack("<Q", struct.pack("<d", approx))[0]  # Python rounds f64 exactly
    if type_name == "f32" and not math.isinf(approx) and not _is_f32_midpoint(approx):
        # Rounding the correctly rounded f64 again to f32 is exact unless it hit an f32 midpoint.
        try:
            return struct.unpack("<I", struct.pack("<f", approx))[0]
        except OverflowError:
            pass
    return _round_exact(_exact_fraction(body), *_FLOAT_FORMATS[type_name])


def _is_f32_midpoint(value: float) -> bool:
    bits = struct.unpack("<Q", struct.pack("<d", value))[0]
    return bits & ((1 << 29) - 1) == 1 << 28


def _exact_fraction(body: str) -> Fraction:
    if not body.lower().startswith("0x"):
        return Fraction(body)
    match = re.fullmatch(r"0[xX]([0-9a-fA-F]*)(?:\.([0-9a-fA-F]*))?(?:[pP]([+-]?\d+))?", body)
    if match is None:
        raise ValueSyntaxError(f"bad hex float literal {body!r}")
    whole, frac, exponent = match.group(1), match.group(2) or "", match.group(3) or "0"
    significand = int(whole + frac or "0", 16)
    return Fraction(significand) * Fraction(2) ** (int(exponent) - 4 * len(frac))


def _round_exact(value: Fraction, mantissa_bits: int, exponent_bits: int) -> int:
    """Round a non-negative exact value to the nearest float, ties to even; huge values -> inf."""
    if value == 0:
        return 0
    bias = (1 << (exponent_bits - 1)) - 1
    exponent = value.numerator.bit_length() - value.denominator.bit_length()
    if Fraction(2) ** exponent > value:
        exponent -= 1
    exponent = max(exponent, 1 - bias)
    scaled = value / Fraction(2) ** (exponent - mantissa_bits)
    significand = round(scaled)  # Fraction rounds half to even
    if significand == 1 << (mantissa_bits + 1):
        significand >>= 1
        exponent += 1
    if exponent > bias:
        return ((1 << exponent_bits) - 1) << mantissa_bits
    if significand < 1 << mantissa_bits:  # subnormal
        return significand
    return ((exponent + bias) << mantissa_bits) | (significand - (1 << mantissa_bits))


# ---------------------------------------------------------------- script constants

def _atoms(node: List, start: int) -> list[str]:
    texts = []
    for item in node.items[start:]:
        if not isinstance(item, Atom):
            raise ValueSyntaxError(f"line {node.line}: expected a literal, found a list")
        texts.append(item.text)
    return texts


def _lane_value(text: str, lane_type: str) -> int:
    if lane_type in _INT_BITS:
        return parse_int(text, _INT_BITS[lane_type])
    return parse_float(text, lane_type)


def _v128_lanes(node: List) -> tuple[str, list[str]]:
    texts = _atoms(node, 1)
    if not texts or texts[0] not in _LANES:
        raise ValueSyntaxError(f"line {node.line}: v128.const needs a lane shape")
    lane_type, count = _LANES[texts[0]]
    if len(texts) != count + 1:
        raise ValueSyntaxError(f"line {node.line}: {texts[0]} needs {count} lanes")
    return lane_type, texts[1:]


def pack_lanes(lane_type: str, lane_bits: list[int]) -> int:
    """Lanes (lowest first) as one little-endian 128-bit integer."""
    width = _LANE_WIDTH[lane_type]
    return sum(bits << (width * index) for index, bits in enumerate(lane_bits))


def unpack_lanes(lane_type: str, value: int) -> list[int]:
    width = _LANE_WIDTH[lane_type]
    mask = (1 << width) - 1
    return [(value >> (width * index)) & mask for index in range(128 // width)]


def parse_argument(node: Node) -> WasmValue:
    """An argument constant: `(i32.const 1)`, `(v128.const i8x16 ...)`, `(ref.null func)`,
    `(ref.extern 1)`, `(ref.host 1)`."""
    if not isinstance(node, List) or node.head() is None:
        raise ValueSyntaxError(f"line {node.line}: expected a constant")
    head = node.head()
    if head in ("i32.const", "i64.const"):
        (text,) = _atoms(node, 1)
        return head[:3], parse_int(text, _INT_BITS[head[:3]])
    if head in ("f32.const", "f64.const"):
        (text,) = _atoms(node, 1)
        return head[:3], parse_float(text, head[:3])
    if head == "v128.const":
        lane_type, texts = _v128_lanes(node)
        return "v128", pack_lanes(lane_type, [_lane_value(t, lane_type) for t in texts])
    if head == "ref.null":
        heap = _atoms(node, 1)
        top = heap_top(heap[0]) if heap else None
        return (f"{top}ref" if top else "anyref"), None
    if head == "ref.extern":
        (text,) = _atoms(node, 1)
        return "externref", int(text)
    if head == "ref.host":
        (text,) = _atoms(node, 1)
        return "anyref", ("host", int(text))
    raise ValueSyntaxError(f"line {node.line}: unknown argument constant {head}")


def parse_expected(node: Node) -> Pattern:
    """An expected result: a constant, a NaN class, a per-lane v128 pattern, a reference
    pattern, or `(either ...)`."""
    if not isinstance(node, List) or node.head() is None:
        raise ValueSyntaxError(f"line {node.line}: expected a result pattern")
    head = node.head()
    assert head is not None
    if head == "either":
        return EitherPattern(tuple(parse_expected(item) for item in node.items[1:]))
    if head in ("i32.const", "i64.const"):
        (text,) = _atoms(node, 1)
        return NumPattern(head[:3], parse_int(text, _INT_BITS[head[:3]]))
    if head in ("f32.const", "f64.const"):
        (text,) = _atoms(node, 1)
        value = text if text in NAN_CLASSES else parse_float(text, head[:3])
        return NumPattern(head[:3], value)
    if head == "v128.const":
        lane_type, texts = _v128_lanes(node)
        lanes = tuple(t if t in NAN_CLASSES else _lane_value(t, lane_type) for t in texts)
        return V128Pattern(lane_type, lanes)
    if head.startswith("ref."):
        rest = _atoms(node, 1)
        kind = head[4:]
        if kind == "null":
            return RefPattern("null", rest[0] if rest else None)
        if kind in ("extern", "host") and rest:
            return RefPattern(kind, int(rest[0]))
        return RefPattern(kind, None)  # ref.func $f, ref.i31, ref.struct ...: only the kind counts
    raise ValueSyntaxError(f"line {node.line}: unknown result pattern {head}")


# ---------------------------------------------------------------- matching results

# Non-null reference kinds a session may report for the GC hierarchy, and which result
# patterns each satisfies (ref.any accepts any of them, ref.eq the eq subtypes).
_ANY_KINDS = {"anyref", "eqref", "i31ref", "structref", "arrayref"}
_EQ_KINDS = {"eqref", "i31ref", "structref", "arrayref"}


def _float_matches(lane_type: str, expected: int | str, bits: int) -> bool:
    if isinstance(expected, int):
        return expected == bits
    mantissa_bits, exponent_bits = _FLOAT_FORMATS[lane_type]
    exponent_mask = ((1 << exponent_bits) - 1) << mantissa_bits
    quiet = 1 << (mantissa_bits - 1)
    magnitude = bits & ((1 << (mantissa_bits + exponent_bits)) - 1)
    if expected == "nan:canonical":
        return magnitude == exponent_mask | quiet
    return magnitude & (exponent_mask | quiet) == exponent_mask | quiet  # nan:arithmetic


def _lane_matches(lane_type: str, expected: int | str, bits: int) -> bool:
    if lane_type in _FLOAT_FORMATS:
        return _float_matches(lane_type, expected, bits)
    return expected == bits


def _ref_matches(pattern: RefPattern, value: WasmValue) -> bool:
    value_type, payload = value
    if not value_type.endswith("ref"):
        return False
    if pattern.kind == "null":
        if payload is not None:
            return False
        expected_top, actual_top = heap_top(pattern.payload), heap_top(value_type)  # type: ignore[arg-type]
        return expected_top is None or actual_top is None or expected_top == actual_top
    if payload is None:
        return False
    if pattern.kind == "extern":
        return value_type == "externref" and (pattern.payload is None or payload == pattern.payload)
    if pattern.kind == "host":
        return payload == ("host", pattern.payload)
    if pattern.kind == "any":
        return value_type in _ANY_KINDS or (isinstance(payload, tuple) and payload[0] == "host")
    if pattern.kind == "eq":
        return value_type in _EQ_KINDS
    return value_type == f"{pattern.kind}ref"


def matches(pattern: Pattern, value: WasmValue) -> bool:
    """Whether a result satisfies an expected pattern, bit-exactly (floats by bit pattern,
    v128 lane by lane)."""
    if isinstance(pattern, EitherPattern):
        return any(matches(alternative, value) for alternative in pattern.alternatives)
    if isinstance(pattern, NumPattern):
        if value[0] != pattern.type or not isinstance(value[1], int):
            return False
        return _lane_matches(pattern.type, pattern.value, value[1])
    if isinstance(pattern, V128Pattern):
        if value[0] != "v128" or not isinstance(value[1], int):
            return False
        lanes = unpack_lanes(pattern.lane_type, value[1])
        return all(_lane_matches(pattern.lane_type, expected, bits)
                   for expected, bits in zip(pattern.lanes, lanes, strict=True))
    return _ref_matches(pattern, value)


def describe_value(value: WasmValue) -> str:
    """A value for a failure reason: numbers in hex bit patterns."""
    value_type, payload = value
    if isinstance(payload, int) and value_type in ("i32", "i64", "f32", "f64", "v128"):
        digits = {"i32": 8, "f32": 8, "i64": 16, "f64": 16, "v128": 32}[value_type]
        return f"{value_type}:0x{payload:0{digits}x}"
    if payload is None:
        return f"{value_type}:null"
    return f"{value_type}:{payload!r}" if isinstance(payload, (int, tuple)) else f"{value_type}:ref"


def describe_pattern(pattern: Pattern) -> str:
    if isinstance(pattern, EitherPattern):
        return "either(" + " | ".join(describe_pattern(p) for p in pattern.alternatives) + ")"
    if isinstance(pattern, NumPattern):
        if isinstance(pattern.value, str):
            return f"{pattern.type}:{pattern.value}"
        return describe_value((pattern.type, pattern.value))
    if isinstance(pattern, V128Pattern):
        lanes = " ".join(lane if isinstance(lane, str) else hex(lane) for lane in pattern.lanes)
        return f"v128:{pattern.lane_type}[{lanes}]"
    suffix = "" if pattern.payload is None else f" {pattern.payload}"
    return f"ref.{pattern.kind}{suffix}"
