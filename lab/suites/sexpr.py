"""A reader for the s-expressions of `.wast` scripts.

It knows just enough of the WebAssembly text lexer to find the shape of a script: parentheses,
atoms (keywords, numbers, `$ids`), strings, `;;` line comments and nested `(; ;)` block comments.
Annotations `(@name ...)` are ordinary lists whose head atom starts with `@`. Every node keeps its
line and its character span, so a module's text can be sliced from the source exactly as written
and handed to `wasmtime.wat2wasm`.

Sources are decoded as UTF-8 with surrogateescape, so a file with stray invalid bytes still reads
and `String.value` gives the original bytes back.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass, field

# One regex finds the next token start; strings are matched whole (escapes included) because
# a `)` or `;;` inside a string must not count.
_TOKEN = re.compile(
    r"""
    (?P<space>[\s]+)
  | (?P<line_comment>;;[^\n]*)
  | (?P<block_comment>\(;)
  | (?P<open>\()
  | (?P<close>\))
  | (?P<string>"(?:[^"\\]|\\.)*")
  | (?P<atom>[^\s()";]+|;)
    """,
    re.VERBOSE | re.DOTALL,
)
_BLOCK_DELIMITER = re.compile(r"\(;|;\)")
_SIMPLE_ESCAPES = {"n": b"\n", "t": b"\t", "r": b"\r", '"': b'"', "'": b"'", "\\": b"\\"}


class SexprError(Exception):
    """The text is not a well-formed s-expression script; the message gives the line."""


@dataclass(eq=False)
class Node:
    line: int
    start: int  # character offset of the first character
    end: int  # character offset just past the last character


@dataclass(eq=False)
class Atom(Node):
    text: str


@dataclass(eq=False)
class String(Node):
    value: bytes

    def text(self) -> str:
        """The value as UTF-8 text (names, field names); undecodable bytes raise ValueError."""
        return self.value.decode("utf-8")


@dataclass(eq=False)
class List(Node):
    items: list[Node] = field(default_factory=list)

    def head(self) -> str | None:
        """The keyword this list starts with, if its first item is an atom."""
        if self.items and isinstance(self.items[0], Atom):
            return self.items[0].text
        return None


def decode_string(body: str, line: int) -> bytes:
    """The bytes a string literal denotes (`body` is without the quotes)."""
    out = bytearray()
    i = 0
    while i < len(body):
        char = body[i]
        if char != "\\":
            j = body.find("\\", i)
            j = len(body) if j < 0 else j
            out += body[i:j].encode("utf-8", "surrogateescape")
            i = j
            continue
        escape = body[i + 1 : i + 2]
        if escape in _SIMPLE_ESCAPES:
            out += _SIMPLE_ESCAPES[escape]
            i += 2
        elif escape == "u" and body[i + 2 : i + 3] == "{":
            close = body.find("}", i + 3)
            if close < 0:
                raise SexprError(f"line {line}: unterminated \\u{{...}} escape")
            code = int(body[i + 3 : close].replace("_", ""), 16)
            out += chr(code).encode("utf-8", "surrogatepass")
            i = close + 1
        elif re.fullmatch(r"[0-9a-fA-F]{2}", body[i + 1 : i + 3]):
            out.append(int(body[i + 1 : i + 3], 16))
            i += 3
        else:
            raise SexprError(f"line {line}: unknown escape \\{escape}")
    return bytes(out)


class _LineIndex:
    def __init__(self, source: str) -> None:
        self._starts = [m.end() for m in re.finditer("\n", source)]

    def line_of(self, offset: int) -> int:
        return bisect.bisect_right(self._starts, offset) + 1


def parse(source: str) -> list[Node]:
    """All top-level nodes of a script, in order."""
    lines = _LineIndex(source)
    top: list[Node] = []
    stack: list[List] = []
    pos = 0
    while pos < len(source):
        match = _TOKEN.match(source, pos)
        if match is None:  # an unterminated string: the only way the alternatives all fail
            raise SexprError(f"line {lines.line_of(pos)}: unterminated string")
        kind = match.lastgroup
        if kind == "block_comment":
            pos = _skip_block_comment(source, match.end(), lines)
            continue
        pos = match.end()
        if kind in ("space", "line_comment"):
            continue
        start = match.start()
        if kind == "open":
            stack.append(List(lines.line_of(start), start, -1))
            continue
        if kind == "close":
            if not stack:
                raise SexprError(f"line {lines.line_of(start)}: unbalanced ')'")
            node: Node = stack.pop()
            node.end = pos
        elif kind == "string":
            line = lines.line_of(start)
            node = String(line, start, pos, decode_string(match.group()[1:-1], line))
        else:
            node = Atom(lines.line_of(start), start, pos, match.group())
        (stack[-1].items if stack else top).append(node)
    if stack:
        raise SexprError(f"line {stack[-1].line}: '(' is never closed")
    return top


def _skip_block_comment(source: str, pos: int, lines: _LineIndex) -> int:
    depth = 1
    opened_at = pos - 2
    while depth:
        match = _BLOCK_DELIMITER.search(source, pos)
        if match is None:
            raise SexprError(f"line {lines.line_of(opened_at)}: unterminated block comment")
        depth += 1 if match.group() == "(;" else -1
        pos = match.end()
    return pos


def read_source(path: str) -> str:
    """A script's text, decoded so that every byte survives (see module doc)."""
    with open(path, "rb") as handle:
        return handle.read().decode("utf-8", "surrogateescape")
