"""Jump threading on the translating tier's generated lines: `br = L` replaced by a copy of
the few statements that run where block L ends, when those leave at once (`continue`,
`break` or `return`).

A branch to the end of a block sets the flag `br` to the block's label; every statement
between there and the block's end is guarded by `if not br:` or tests `br == <other label>`,
so the flag's path runs nothing until the landing clears it (`br = 0`). When the landing's
code is short and straight, ending by leaving the Python loop (or the function), running a
copy of it in place of setting the flag does the same, without the tests in between: in a
bytecode interpreter's dispatch loop, the common cases pass four tests of `br` on the way to
the loop's `continue`.
"""

from __future__ import annotations

import re

MAX_COPY = 8     # statements copied at most: the copies must stay cheap in code size
_SET = re.compile(r"^(?P<head>(?:if .*: )?)br = (?P<label>\d+)$")
_USES_BR = re.compile(r"\bbr\b")
_LEAVES = ("continue", "break", "return")


def thread_jumps(lines: list[str], landings: dict[int, tuple[int, int]]) -> list[str]:
    """`lines` with each `br = L` (or `if ...: br = L`) whose landing can be copied replaced by
    the copy. `landings[L]` is (index of the first line after the landing's `br = 0`, its
    indentation in levels)."""
    copies = {label: _landing_code(lines, *landing) for label, landing in landings.items()}
    if not any(copies.values()):
        return lines
    loops = _loops(lines)
    out: list[str] = []
    for index, line in enumerate(lines):
        text = line.lstrip(" ")
        found = _SET.match(text)
        label = int(found["label"]) if found else 0
        code = copies.get(label)
        landing = landings[label][0] if code else -1
        if code is None or index > landing or loops[index] != loops[landing]:
            out.append(line)      # (a `br` that leaves loops on its way is in another loop)
            continue
        indent = line[:len(line) - len(text)]
        if found and found["head"]:
            out.append(indent + found["head"].rstrip())
            indent += "    "
        out.extend(indent + statement for statement in code)
    return out


def _landing_code(lines: list[str], start: int, level: int) -> list[str] | None:
    """The straight statements from `start` at indentation `level` up to one that leaves;
    None if they fall through, nest, use `br` or are too many."""
    head = "    " * level
    if start < len(lines) and lines[start] == head + "if not br:":   # a guard: the flag is 0
        start, head = start + 1, head + "    "
    code = []
    for line in lines[start:start + MAX_COPY]:
        if not line.startswith(head) or line[len(head)] == " ":   # (an `if x:` nests too)
            return None
        statement = line[len(head):]
        if _USES_BR.search(statement):
            return None
        code.append(statement)
        if statement.split(" ", 1)[0] in _LEAVES:
            return code
    return None


def _loops(lines: list[str]) -> list[int]:
    """For each line, the index of the innermost `while True:` around it (-1: none); one more
    entry, -2, for a landing past the last line."""
    around: list[tuple[int, int]] = []    # (indentation, index) of the enclosing `while` lines
    loops = []
    for index, line in enumerate(lines):
        indent = len(line) - len(line.lstrip(" "))
        while around and around[-1][0] >= indent:
            around.pop()
        loops.append(around[-1][1] if around else -1)
        if line.endswith("while True:"):
            around.append((indent, index))
    return loops + [-2]
