"""The contract between the `.wast` driver and the engines it tests.

A runner that can host spec tests returns a `SpecSession` from `open_spec_session()`. The driver
(lab/suites/spec.py) feeds it binary modules and invocations; the session answers in the neutral
values and errors below, so one driver serves every engine.

Values are `(type, payload)` pairs:
  ("i32" | "i64", unsigned int bit pattern)       e.g. ("i32", 0xFFFFFFFF) for -1
  ("f32" | "f64", unsigned int bit pattern)       NaN payloads kept exactly
  ("v128", unsigned 128-bit int, little-endian lanes)
  ("funcref" | "externref", None)                 a null reference
  ("externref", int)                              a host reference made by the script (ref.extern N)
  ("funcref", object)                             a non-null function reference (opaque)
"""

from __future__ import annotations

from typing import Protocol

WasmValue = tuple[str, object]


class SpecError(Exception):
    """Base of the errors a session raises; `str()` is the engine's own message."""


class ModuleRejected(SpecError):
    """The module did not compile, link or instantiate.

    kind: "malformed" (binary decoding failed), "invalid" (validation failed), "rejected" (the
    engine cannot tell those two apart), "unlinkable" (imports do not match), "uninstantiable"
    (a trap during instantiation: segment out of bounds or a trapping start function).
    """

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind


class Trapped(SpecError):
    """Execution trapped; the message should contain the spec's wording where the engine has it."""


class Thrown(SpecError):
    """An uncaught Wasm exception (exception handling: `throw` that no handler caught) reached
    the embedder; what `assert_exception` expects. Only sessions with `reports_exceptions` tell
    it apart from a trap."""


class Exhausted(SpecError):
    """The call stack (or another resource) was exhausted."""


class Unsupported(SpecError):
    """The engine does not implement what the command needs (a skip, with this reason)."""


class SpecSession(Protocol):
    """One engine store in which a `.wast` script's modules live."""

    #: True when ModuleRejected distinguishes "malformed" from "invalid".
    distinguishes_malformed: bool

    #: True when an uncaught Wasm exception raises Thrown (not Trapped): the driver runs
    #: assert_exception only then. Optional; a session without it counts as False.
    reports_exceptions: bool

    def load(self, wasm: bytes, name: str | None) -> None:
        """Compile, link and instantiate; the instance becomes the current one (and `name`)."""

    def check(self, wasm: bytes) -> None:
        """Compile and validate only (assert_invalid / assert_malformed); raise ModuleRejected."""

    def register(self, as_name: str, name: str | None) -> None:
        """Make the named (or current) instance's exports importable under module name `as_name`."""

    def invoke(self, name: str | None, field: str, args: list[WasmValue]) -> list[WasmValue]:
        """Call an exported function of the named (or current) instance."""

    def get(self, name: str | None, field: str) -> WasmValue:
        """Read an exported global of the named (or current) instance."""

    def close(self) -> None:
        """Release the store."""
