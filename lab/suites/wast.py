"""A `.wast` script as a list of typed commands.

Module text is kept as written; `ModuleSource.to_wasm()` turns it into a binary (text goes
through `wasmtime.wat2wasm`). Commands the lab does not know become `UnknownCommand`s, which the
driver reports as skips, so a newer script never breaks parsing.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from lab.suites import sexpr
from lab.suites.legacy_eh_text import has_folded_try, unfold_legacy_try
from lab.suites.sexpr import Atom, List, Node, String
from lab.suites.wast_values import Pattern, WasmValue, parse_argument, parse_expected

# Top-level forms that make up an inline module (a script that is just module fields).
MODULE_FIELDS = frozenset(
    {"type", "rec", "import", "func", "table", "memory", "global", "export", "start", "elem",
     "data", "tag"}
)


class WastSyntaxError(Exception):
    """The script's structure is not what the spec's script grammar allows."""


@dataclass(frozen=True)
class ModuleSource:
    """A module as the script gives it: form is "text", "binary" or "quote"."""

    form: str
    text: str = ""  # the module's WAT (for "text" and "quote")
    data: bytes = b""  # the binary (for "binary")

    def to_wasm(self) -> bytes:
        """The module binary; text goes through wat2wasm, whose errors propagate."""
        if self.form == "binary":
            return self.data
        import wasmtime  # imported here so parsing alone needs no engine

        text = self.text
        if self.form == "text" and has_folded_try(text):  # legacy EH: see legacy_eh_text.py
            text = unfold_legacy_try(text)
        return bytes(wasmtime.wat2wasm(_escape_format_characters(text)))


# wat2wasm (wasm-tools) refuses invisible format characters (bidirectional controls and the
# like, Unicode category Cf) in strings as "likely confusing", although the spec allows them
# (names.wast exports such names). Writing them as \u{...} escapes gives the same bytes.
_STRING_LITERAL = re.compile(r'"(?:[^"\\]|\\.)*"', re.DOTALL)


def _escape_format_characters(text: str) -> str:
    if text.isascii():
        return text

    def escape(string: re.Match[str]) -> str:
        return "".join(f"\\u{{{ord(c):x}}}" if unicodedata.category(c) == "Cf" else c
                       for c in string.group())

    return _STRING_LITERAL.sub(escape, text)


@dataclass(frozen=True)
class Invoke:
    module: str | None
    field: str
    args: tuple[WasmValue, ...]


@dataclass(frozen=True)
class Get:
    module: str | None
    field: str


Action = Invoke | Get


@dataclass(frozen=True)
class Command:
    line: int

    @property
    def kind(self) -> str:
        raise NotImplementedError


@dataclass(frozen=True)
class ModuleCommand(Command):
    """`(module ...)`; `definition` only compiles it for later `module instance` commands."""

    name: str | None
    source: ModuleSource
    definition: bool = False

    @property
    def kind(self) -> str:
        return "module"


@dataclass(frozen=True)
class ModuleInstance(Command):
    """`(module instance $I $M)`: instantiate the definition $M (or the last one) as $I."""

    name: str | None
    definition: str | None

    @property
    def kind(self) -> str:
        return "module"


@dataclass(frozen=True)
class Register(Command):
    as_name: str
    name: str | None

    @property
    def kind(self) -> str:
        return "register"


@dataclass(frozen=True)
class ActionCommand(Command):
    action: Action

    @property
    def kind(self) -> str:
        return "invoke" if isinstance(self.action, Invoke) else "get"


@dataclass(frozen=True)
class AssertReturn(Command):
    action: Action
    expected: tuple[Pattern, ...]

    @property
    def kind(self) -> str:
        return "assert_return"


@dataclass(frozen=True)
class AssertTrap(Command):
    """assert_trap / assert_exhaustion on an action; `exhaustion` tells them apart."""

    action: Action
    message: str
    exhaustion: bool = False

    @property
    def kind(self) -> str:
        return "assert_exhaustion" if self.exhaustion else "assert_trap"


@dataclass(frozen=True)
class AssertModule(Command):
    """A module that must be rejected: expect is "invalid", "malformed", "unlinkable" or
    "uninstantiable" (the last also covers assert_trap on a module)."""

    assertion: str
    source: ModuleSource
    expect: str
    message: str

    @property
    def kind(self) -> str:
        return self.assertion


@dataclass(frozen=True)
class AssertException(Command):
    action: Action

    @property
    def kind(self) -> str:
        return "assert_exception"


@dataclass(frozen=True)
class UnknownCommand(Command):
    head: str

    @property
    def kind(self) -> str:
        return self.head


_MODULE_ASSERTIONS = {
    "assert_invalid": "invalid",
    "assert_malformed": "malformed",
    "assert_unlinkable": "unlinkable",
    "assert_uninstantiable": "uninstantiable",
}


def parse_script(source: str) -> list[Command]:
    """All commands of a script's text, in order."""
    nodes = [_without_annotations(node) for node in sexpr.parse(source)]
    commands: list[Command] = []
    index = 0
    while index < len(nodes):
        node = nodes[index]
        if not isinstance(node, List) or node.head() is None:
            raise WastSyntaxError(f"line {node.line}: expected a command")
        if node.head() in MODULE_FIELDS:
            end = index
            while end < len(nodes) and _head(nodes[end]) in MODULE_FIELDS:
                end += 1
            text = f"(module {source[node.start:nodes[end - 1].end]})"
            commands.append(ModuleCommand(node.line, None, ModuleSource("text", text)))
            index = end
            continue
        commands.append(_command(node, source))
        index += 1
    return commands


def _without_annotations(node: Node) -> Node:
    """The node with annotation lists `(@...)` dropped from its top level (annotations may sit
    anywhere in a script, even around its commands). Spans are kept, so slicing the source
    still gives the text as written, annotations included."""
    if not isinstance(node, List):
        return node
    items = [item for item in node.items if not _is_annotation(item)]
    if len(items) == len(node.items):
        return node
    return List(node.line, node.start, node.end, items)


def _is_annotation(node: Node) -> bool:
    return isinstance(node, List) and bool(node.items) and isinstance(node.items[0], Atom) \
        and node.items[0].text.startswith("@")


def parse_file(path: str) -> list[Command]:
    return parse_script(sexpr.read_source(path))


def _command(node: List, source: str) -> Command:
    head = node.head()
    line = node.line
    if head == "module":
        return _module_command(node, source)
    if head == "register":
        as_name = _string(node.items[1])
        return Register(line, as_name, _optional_name(node.items[2:]))
    if head in ("invoke", "get"):
        return ActionCommand(line, _action(node))
    if head == "assert_return":
        action = _action(_list(node.items[1]))
        expected = tuple(parse_expected(item) for item in node.items[2:])
        return AssertReturn(line, action, expected)
    if head in ("assert_trap", "assert_exhaustion"):
        target = _list(node.items[1])
        message = _string(node.items[2])
        if target.head() == "module":
            return AssertModule(line, "assert_trap", _module_source(target, source),
                                "uninstantiable", message)
        return AssertTrap(line, _action(target), message, exhaustion=head == "assert_exhaustion")
    if head in _MODULE_ASSERTIONS:
        target = _list(node.items[1])
        message = _string(node.items[2]) if len(node.items) > 2 else ""
        return AssertModule(line, head, _module_source(target, source), _MODULE_ASSERTIONS[head],
                            message)
    if head == "assert_exception":
        return AssertException(line, _action(_list(node.items[1])))
    return UnknownCommand(line, head or "?")


def _module_command(node: List, source: str) -> Command:
    items = node.items
    position = 1
    if _atom_text(items, position) == "instance":
        names = [item.text for item in items[2:] if isinstance(item, Atom)]
        instance = names[0] if names else None
        defined = names[1] if len(names) > 1 else None
        return ModuleInstance(node.line, instance, defined)
    definition = _atom_text(items, position) == "definition"
    if definition:
        position += 1
    name = _atom_text(items, position)
    name = name if name and name.startswith("$") else None
    return ModuleCommand(node.line, name, _module_source(node, source), definition)


def _module_source(node: List, source: str) -> ModuleSource:
    """The module in `(module [definition] [$name] [binary|quote] ...)`."""
    items = node.items
    if node.head() != "module":
        raise WastSyntaxError(f"line {node.line}: expected a module")
    position = 1
    definition = _atom_text(items, position) == "definition"
    if definition:
        position += 1
    if (_atom_text(items, position) or "").startswith("$"):
        position += 1
    form = _atom_text(items, position)
    if form == "binary":
        return ModuleSource("binary", data=b"".join(_bytes(item) for item in items[position + 1:]))
    if form == "quote":
        quoted = b"".join(_bytes(item) for item in items[position + 1:])
        return ModuleSource("quote", text=_quoted_module_text(quoted))
    if not definition:
        text = source[node.start:node.end]
    elif position == len(items):
        text = "(module)"
    else:  # drop `definition` (wat2wasm does not know it); the fields stay as written
        text = f"(module {source[items[position].start:node.end]}"
    return ModuleSource("text", text=text)


def _quoted_module_text(raw: bytes) -> str:
    """Quoted text is either a whole `(module ...)` or just its fields."""
    text = raw.decode("utf-8", "surrogateescape")
    try:
        nodes = sexpr.parse(text)
    except sexpr.SexprError:
        nodes = []
    if len(nodes) == 1 and isinstance(nodes[0], List) and nodes[0].head() == "module":
        return text
    return f"(module {text}\n)"


def _action(node: List) -> Action:
    head = node.head()
    items = node.items
    position = 1
    module = None
    first = items[position]
    if isinstance(first, Atom) and first.text.startswith("$"):
        module = first.text
        position += 1
    field_name = _string(items[position])
    if head == "invoke":
        return Invoke(module, field_name, tuple(parse_argument(item) for item in items[position + 1:]))
    if head == "get":
        return Get(module, field_name)
    raise WastSyntaxError(f"line {node.line}: unknown action {head}")


def _head(node: Node) -> str | None:
    """The head of a list node; None for anything else."""
    return node.head() if isinstance(node, List) else None


def _list(node: Node) -> List:
    if not isinstance(node, List):
        raise WastSyntaxError(f"line {node.line}: expected a list")
    return _without_annotations(node)  # type: ignore[return-value]


def _string(node: Node) -> str:
    if not isinstance(node, String):
        raise WastSyntaxError(f"line {node.line}: expected a string")
    return node.value.decode("utf-8", "surrogateescape")


def _bytes(node: Node) -> bytes:
    if not isinstance(node, String):
        raise WastSyntaxError(f"line {node.line}: expected a string")
    return node.value


def _atom_text(items: list[Node], position: int) -> str | None:
    if position < len(items):
        item = items[position]
        if isinstance(item, Atom):
            return item.text
    return None


def _optional_name(items: list[Node]) -> str | None:
    return _atom_text(items, 0)

