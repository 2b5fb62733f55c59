from __future__ import annotations

import struct
from collections import Counter

import pytest

from lab.config import data_set
from lab.suites import wast
from lab.suites.wast_values import EitherPattern, NumPattern, RefPattern, V128Pattern, matches, parse_float, parse_int


def _kind_counts(paths: list) -> Counter:
    counts: Counter = Counter()
    for path in paths:
        for command in wast.parse_file(str(path)):
            kind = command.kind
            if isinstance(command, wast.AssertModule) and command.assertion == "assert_trap":
                kind = "assert_trap(module)"
            counts[kind] += 1
    return counts


# The per-kind counts of the data folders' READMEs (same counting method).
SPEC_2_0_COUNTS = {
    "module": 1599, "assert_return": 45734, "assert_trap": 2408, "assert_trap(module)": 34,
    "assert_exhaustion": 15, "assert_invalid": 2146, "assert_malformed": 1810,
    "assert_unlinkable": 83, "register": 22, "invoke": 155,
}
SPEC_3_0_CORE_COUNTS = {
    "module": 2251, "assert_return": 52636, "assert_trap": 4923, "assert_trap(module)": 54,
    "assert_exhaustion": 15, "assert_invalid": 2712, "assert_malformed": 1940,
    "assert_unlinkable": 200, "assert_exception": 18, "register": 78, "invoke": 357,
}


def test_spec_2_0_command_counts_match_the_readme() -> None:
    paths = sorted(data_set("spec-2.0").glob("*.wast"))
    assert len(paths) == 148
    counts = _kind_counts(paths)
    assert dict(counts) == SPEC_2_0_COUNTS
    assert sum(counts.values()) == 54006


def test_spec_3_0_command_counts_match_the_readme() -> None:
    root = data_set("spec-3.0")
    core = sorted(root.glob("*.wast"))
    assert len(core) == 257
    counts = _kind_counts(core)
    assert dict(counts) == SPEC_3_0_CORE_COUNTS
    assert sum(counts.values()) == 65184
    everything = _kind_counts(sorted(root.rglob("*.wast")))
    assert sum(everything.values()) == 67119
    assert everything["assert_malformed_custom"] == 19  # unknown kinds are kept, not dropped
    assert everything["assert_exception"] == 41


SCRIPT = r'''
(module $M (func (export "f") (param i32) (result i32) (local.get 0)))
(module binary "\00asm" "\01\00\00\00")
(module definition $D (memory 1))
(module instance $I $D)
(register "m" $M)
(assert_return (invoke $M "f" (i32.const -1)) (i32.const 0xffff_ffff))
(assert_trap (invoke "f" (f32.const nan:0x200000)) "unreachable")
(assert_malformed (module quote "(func" " i32.add)") "unexpected token")
(assert_trap (module (func $s unreachable) (start $s)) "unreachable")
(assert_exhaustion (invoke "loop") "call stack exhausted")
(get "g")
(assert_unlinkable (module (import "x" "y" (func))) "unknown import")
(assert_return (invoke "v") (v128.const f32x4 nan:canonical 1 -0 nan:arithmetic))
(assert_return (invoke "r") (either (ref.null func) (ref.extern 7)))
(assert_something_new (invoke "x"))
'''


def test_command_types_and_module_forms() -> None:
    commands = wast.parse_script(SCRIPT)
    kinds = [command.kind for command in commands]
    assert kinds == ["module", "module", "module", "module", "register", "assert_return",
                     "assert_trap", "assert_malformed", "assert_trap", "assert_exhaustion", "get",
                     "assert_unlinkable", "assert_return", "assert_return", "assert_something_new"]
    plain, binary, definition, instance = commands[:4]
    assert plain.name == "$M" and plain.source.form == "text"
    assert plain.source.text.startswith("(module $M (func") and plain.line == 2
    assert binary.source.data == b"\x00asm\x01\x00\x00\x00"
    assert definition.definition and definition.source.text == "(module (memory 1))"
    assert isinstance(instance, wast.ModuleInstance) and instance.definition == "$D"
    invoke = commands[5].action
    assert invoke == wast.Invoke("$M", "f", (("i32", 0xFFFFFFFF),))
    assert commands[5].expected == (NumPattern("i32", 0xFFFFFFFF),)
    assert commands[6].action.args == (("f32", 0x7FA00000),)
    quoted = commands[7].source
    assert quoted.form == "quote" and "(func i32.add)" in quoted.text
    assert commands[8].expect == "uninstantiable"
    assert commands[9].exhaustion
    assert commands[12].expected == (V128Pattern("f32", ("nan:canonical", 0x3F800000,
                                                         0x80000000, "nan:arithmetic")),)
    assert commands[13].expected == (EitherPattern((RefPattern("null", "func"),
                                                    RefPattern("extern", 7))),)
    assert isinstance(commands[14], wast.UnknownCommand)


def test_inline_module_and_annotated_command() -> None:
    commands = wast.parse_script('(func) (memory 0)\n((@a) module (@b) $m (func))')
    assert [c.kind for c in commands] == ["module", "module"]
    assert commands[0].source.text == "(module (func) (memory 0))"
    assert commands[1].name == "$m"


def test_text_modules_convert_to_binary() -> None:
    (command,) = wast.parse_script('(module (func (export "\u202eabc")))')
    wasm = command.source.to_wasm()  # the bidi control survives wat2wasm's lint
    assert "\u202eabc".encode() in wasm


@pytest.mark.parametrize(
    "text, bits, expected",
    [("-1", 32, 0xFFFFFFFF), ("0x8000_0000", 32, 0x80000000), ("-0x8000000000000000", 64, 1 << 63),
     ("+7", 64, 7)],
)
def test_parse_int(text: str, bits: int, expected: int) -> None:
    assert parse_int(text, bits) == expected


def test_parse_int_range() -> None:
    with pytest.raises(ValueError):
        parse_int("0x1_0000_0000", 32)


def _f32_bits(value: float) -> int:
    return struct.unpack("<I", struct.pack("<f", value))[0]


@pytest.mark.parametrize(
    "text, type_name, expected",
    [
        ("1.5", "f32", 0x3FC00000),
        ("-0", "f64", 1 << 63),
        ("0x1p-149", "f32", 1),
        ("0x1.fffffep127", "f32", 0x7F7FFFFF),
        ("inf", "f32", 0x7F800000),
        ("-nan", "f64", 0xFFF8000000000000),
        ("nan:0x1", "f32", 0x7F800001),
        ("1e-46", "f32", 0),  # below half the smallest subnormal
        # A decimal just above an f32 midpoint whose nearest f64 IS the midpoint: rounding
        # through f64 would give the even neighbour (0x3F800000); the exact answer rounds up.
        ("1.000000059604644775390625000000000000001", "f32", 0x3F800001),
        ("0x1.000001p0", "f32", 0x3F800000),  # an exact midpoint: ties to even
        ("0x1.0000011p0", "f32", 0x3F800001),
        ("6.103515625e-05", "f32", _f32_bits(6.103515625e-05)),
    ],
)
def test_parse_float_rounds_exactly(text: str, type_name: str, expected: int) -> None:
    assert parse_float(text, type_name) == expected


def test_nan_patterns() -> None:
    canonical, arithmetic = NumPattern("f32", "nan:canonical"), NumPattern("f32", "nan:arithmetic")
    assert matches(canonical, ("f32", 0x7FC00000)) and matches(canonical, ("f32", 0xFFC00000))
    assert not matches(canonical, ("f32", 0x7FC00001))
    assert matches(arithmetic, ("f32", 0x7FC00001))
    assert not matches(arithmetic, ("f32", 0x7F800001))  # signalling
    assert not matches(NumPattern("f32", 0x7FC00000), ("i32", 0x7FC00000))  # type counts


def test_v128_and_reference_patterns() -> None:
    pattern = V128Pattern("i16", (1, 2, 3, 4, 5, 6, 7, 0xFFFF))
    value = sum(lane << (16 * i) for i, lane in enumerate(pattern.lanes))
    assert matches(pattern, ("v128", value))
    assert not matches(pattern, ("v128", value ^ 1))
    assert matches(RefPattern("null", "func"), ("funcref", None))
    assert not matches(RefPattern("null", "func"), ("externref", None))
    assert matches(RefPattern("null", None), ("externref", None))
    assert matches(RefPattern("extern", 3), ("externref", 3))
    assert not matches(RefPattern("extern", 3), ("externref", 4))
    assert matches(RefPattern("func"), ("funcref", object()))
    assert not matches(RefPattern("func"), ("funcref", None))
    assert matches(RefPattern("eq"), ("i31ref", 5)) and not matches(RefPattern("struct"), ("i31ref", 5))
