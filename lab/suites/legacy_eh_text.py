"""Folded legacy exception-handling syntax -> the flat form the lab's text tool reads.

The legacy EH tests (spec-3.0 legacy/) write `try` folded:

    (try $l (result i32) (do instr*) (catch $e instr*) (catch_all instr*))
    (try (do instr*) (delegate $l))

wasmtime.wat2wasm (wasm-tools) parses the flat `try ... catch ... end` / `... delegate l` but not
this folded form ("unknown operator or unexpected token"), so without a rewrite every legacy
module would be skipped for every runtime. `unfold_legacy_try` rewrites each folded `try` into
the flat instructions it stands for (the text format defines it as that abbreviation); all other
text, comments included, stays exactly as written. Only modules whose text contains a folded
`(try` are touched.
"""

from __future__ import annotations

import re

from lab.suites.sexpr import Atom, List, Node, parse

_FOLDED_TRY = re.compile(r"\(try[\s)]")
_BLOCK_TYPE_HEADS = ("type", "param", "result")


def has_folded_try(text: str) -> bool:
    return _FOLDED_TRY.search(text) is not None


def unfold_legacy_try(text: str) -> str:
    """`text` with every folded legacy `try` written flat (unchanged when it has none)."""
    if not has_folded_try(text):
        return text
    try:
        return "".join(_render(node, text) for node in parse(text))
    except RecursionError:  # nested beyond Python's limit: leave the text to the tool as it is
        return text


def _render(node: Node, text: str) -> str:
    if not isinstance(node, List):
        return text[node.start:node.end]
    if node.head() == "try":
        return _flat_try(node, text)
    # Rebuild the list from its own text, rendering each child: what lies between children
    # (spaces, comments) is kept.
    out = []
    pos = node.start
    for item in node.items:
        out.append(text[pos:item.start])
        out.append(_render(item, text))
        pos = item.end
    out.append(text[pos:node.end])
    return "".join(out)


def _flat_try(node: List, text: str) -> str:
    items = node.items[1:]
    head: list[str] = ["try"]
    k = 0
    first = items[0] if items else None
    if isinstance(first, Atom) and first.text.startswith("$"):
        head.append(first.text)
        k = 1
    while k < len(items):
        item = items[k]
        if not (isinstance(item, List) and item.head() in _BLOCK_TYPE_HEADS):
            break
        head.append(_render(item, text))
        k += 1
    parts = [" ".join(head)]
    delegated = False
    for clause in items[k:]:
        if not isinstance(clause, List):  # not the folded form after all: leave it to the tool
            return text[node.start:node.end]
        keyword = clause.head()
        body = clause.items[1:]
        if keyword == "do":
            parts.extend(_render(item, text) for item in body)
        elif keyword == "catch" and body:
            parts.append(f"catch {_render(body[0], text)}")
            parts.extend(_render(item, text) for item in body[1:])
        elif keyword == "catch_all":
            parts.append("catch_all")
            parts.extend(_render(item, text) for item in body)
        elif keyword == "delegate" and len(body) == 1:
            parts.append(f"delegate {_render(body[0], text)}")
            delegated = True
        else:
            return text[node.start:node.end]
    if not delegated:
        parts.append("end")
    return " ".join(parts)
