"""The engine's error types. Callers of lab.interp only ever see these, never a raw Python
exception: every internal failure is mapped to one of them at the API boundary."""

from __future__ import annotations


class WasmError(Exception):
    """Base of every error the engine raises."""


class MalformedError(WasmError):
    """The binary is not a well-formed module; the message names what is wrong and where."""


class InvalidError(WasmError):
    """The module decoded but does not validate (type or index error)."""


class LinkError(WasmError):
    """Instantiation failed because an import is missing or has the wrong type."""


class UnknownImport(LinkError):
    """No definition was given for the import `module`.`name`."""

    def __init__(self, module: str, name: str) -> None:
        super().__init__(f"unknown import: {module}.{name} has not been defined")
        self.module = module
        self.name = name


class LimitError(WasmError):
    """A store limit (memory pages, table elements) refused an allocation."""


class Trap(WasmError):
    """A WebAssembly trap. `kind` is one of the TRAP_* constants; str() reads like the spec's
    messages (e.g. "integer divide by zero")."""

    def __init__(self, kind: str, detail: str = "") -> None:
        super().__init__(f"{kind}: {detail}" if detail else kind)
        self.kind = kind


TRAP_UNREACHABLE = "unreachable"
TRAP_INT_OVERFLOW = "integer overflow"
TRAP_DIV_ZERO = "integer divide by zero"
TRAP_INVALID_CONVERSION = "invalid conversion to integer"
TRAP_OOB_MEMORY = "out of bounds memory access"
TRAP_OOB_TABLE = "out of bounds table access"
TRAP_INDIRECT_MISMATCH = "indirect call type mismatch"
TRAP_UNINITIALIZED_ELEMENT = "uninitialized element"
TRAP_UNDEFINED_ELEMENT = "undefined element"
TRAP_STACK_EXHAUSTED = "call stack exhausted"
TRAP_OUT_OF_FUEL = "all fuel consumed"
# Wasm 3.0 typed references and GC
TRAP_NULL_REFERENCE = "null reference"
TRAP_NULL_FUNCTION = "null function reference"
TRAP_NULL_STRUCT = "null structure reference"
TRAP_NULL_ARRAY = "null array reference"
TRAP_NULL_I31 = "null i31 reference"
TRAP_CAST_FAILURE = "cast failure"
TRAP_OOB_ARRAY = "out of bounds array access"
TRAP_GC_OUT_OF_MEMORY = "out of memory: GC heap limit reached"


# --- exception handling (Wasm 3.0) -------------------------------------------------------------

class UncaughtException(WasmError):
    """A Wasm exception (`throw`, `throw_ref`, legacy `rethrow`). Inside the engine it is the
    carrier that unwinds frames until a handler of the tag catches it; one that reaches the
    embedder was caught by none. `exn` is the exception instance (runtime.ExnInst: `.tag`, the
    TagInst thrown, and `.values`, its payload in the internal representation)."""

    def __init__(self, exn) -> None:
        super().__init__()  # the message is built only when asked for: throws are frequent
        self.exn = exn

    def __str__(self) -> str:
        return f"uncaught exception: {self.exn.describe()}"


TRAP_NULL_EXN = "null exception reference"
TRAP_EXN_MEMORY = "out of memory: live exception payloads exceed the store's memory limit"
