"""A module's imports and exports, read straight from its binary without decoding any code:
enough to tell a WASI command (exports `_start`) and a Sightglass benchmark (imports
`bench.start`) apart before any runtime sees the module. Cheap enough for a runner's child."""

from __future__ import annotations

from lab.interp.errors import MalformedError
from lab.interp.leb128 import read_u32, read_unsigned

WASM_MAGIC = b"\0asm"
IMPORT_SECTION, EXPORT_SECTION = 2, 7


class NotWasm(ValueError):
    """The bytes are not a WebAssembly module (or are cut short); the message says which."""


def _name(wasm: bytes, pos: int) -> tuple[str, int]:
    size, pos = read_u32(wasm, pos)
    return wasm[pos:pos + size].decode("utf-8", errors="replace"), pos + size


def _skip_limits(wasm: bytes, pos: int) -> int:
    flags = wasm[pos]  # bit 0: has a maximum; bit 2: 64-bit (memory64); bit 1: shared
    _, pos = read_unsigned(wasm, pos + 1, 64)
    if flags & 1:
        _, pos = read_unsigned(wasm, pos, 64)
    return pos


def _skip_import_desc(wasm: bytes, kind: int, pos: int) -> int:
    if kind == 0:  # function: a type index
        return read_u32(wasm, pos)[1]
    if kind == 1:  # table: reftype, limits
        return _skip_limits(wasm, pos + 1)
    if kind == 2:  # memory: limits
        return _skip_limits(wasm, pos)
    if kind == 3:  # global: valtype, mutability
        return pos + 2
    if kind == 4:  # tag: attribute, type index
        return read_u32(wasm, pos + 1)[1]
    raise MalformedError(f"unknown import kind {kind}")


def module_interface(wasm: bytes) -> tuple[list[tuple[str, str]], list[str]]:
    """((module, name) of every import, names of every export); NotWasm when it is not a module."""
    if wasm[:4] != WASM_MAGIC:
        raise NotWasm("not a WebAssembly module (no \\0asm header)")
    if wasm[4:8] != b"\1\0\0\0":
        raise NotWasm("not a core WebAssembly module of version 1 (a component?)")
    imports: list[tuple[str, str]] = []
    exports: list[str] = []
    pos = 8
    try:
        while pos < len(wasm):
            section, size_pos = wasm[pos], pos + 1
            size, body = read_u32(wasm, size_pos)
            if section == IMPORT_SECTION:
                count, at = read_u32(wasm, body)
                for _ in range(count):
                    module, at = _name(wasm, at)
                    name, at = _name(wasm, at)
                    at = _skip_import_desc(wasm, wasm[at], at + 1)
                    imports.append((module, name))
            elif section == EXPORT_SECTION:
                count, at = read_u32(wasm, body)
                for _ in range(count):
                    name, at = _name(wasm, at)
                    _, at = read_u32(wasm, at + 1)
                    exports.append(name)
            pos = body + size
            if pos > len(wasm):
                raise MalformedError("a section runs past the end of the file")
    except (IndexError, MalformedError) as error:
        raise NotWasm(f"malformed WebAssembly module: {error}") from None
    return imports, exports
