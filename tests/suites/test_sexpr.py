from __future__ import annotations

import pytest

from lab.suites.sexpr import Atom, List, SexprError, String, decode_string, parse


def test_lists_atoms_and_spans() -> None:
    source = '(module $m\n  (func (export "f")))'
    (module,) = parse(source)
    assert isinstance(module, List)
    assert module.head() == "module"
    assert source[module.start:module.end] == source
    name, func = module.items[1], module.items[2]
    assert isinstance(name, Atom) and name.text == "$m" and name.line == 1
    assert isinstance(func, List) and func.line == 2
    assert source[func.start:func.end] == '(func (export "f"))'


@pytest.mark.parametrize(
    "literal, expected",
    [
        (r"plain", b"plain"),
        (r"\n\t\r\"\'\\", b"\n\t\r\"'\\"),
        (r"\00\ff\7F", b"\x00\xff\x7f"),
        (r"\u{41}\u{e9}\u{1F600}", "Aé😀".encode()),
        ("é", "é".encode()),
    ],
)
def test_string_escapes(literal: str, expected: bytes) -> None:
    assert decode_string(literal, 1) == expected


def test_string_node_keeps_bytes_and_parentheses_inside() -> None:
    (node,) = parse('(data "a)b;;c\\00")')
    string = node.items[1]  # type: ignore[union-attr]
    assert isinstance(string, String)
    assert string.value == b"a)b;;c\x00"


def test_comments_line_and_nested_block() -> None:
    source = ";; a line comment (\n(a (; outer (; inner ;) still comment ) ;) b)\n(c)"
    first, second = parse(source)
    assert [item.text for item in first.items] == ["a", "b"]  # type: ignore[union-attr]
    assert second.line == 3


def test_annotations_are_nodes() -> None:
    (node,) = parse('(module (@custom "x" (after func)) (func))')
    annotation = node.items[1]  # type: ignore[union-attr]
    assert isinstance(annotation, List) and annotation.head() == "@custom"


def test_line_numbers_count_newlines_inside_strings_and_comments() -> None:
    nodes = parse('(a "x\ny")\n(; \n\n ;)\n(b)')
    assert [node.line for node in nodes] == [1, 6]


@pytest.mark.parametrize("source", ["(a", "a)", '(a "open)', "(; never closed", r'("\q")'])
def test_errors(source: str) -> None:
    with pytest.raises(SexprError):
        parse(source)
