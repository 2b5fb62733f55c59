"""Re-encode one immediate that wasm3 0.5.0 (the release pywasm3 bundles) cannot decode.

Since reference types became a default of LLVM-based toolchains (clang, zig, rustc), every
`call_indirect` carries its table index as a relocatable, zero-padded 5-byte LEB128 (80 80 80 80 00).
wasm3 0.5.0 reads that immediate as a one-byte "reserved" field and fails the function with "LEB
encoded value overflow", so no libc-based WASI program would run. The fix here is the same
instruction with the same meaning at the same length: table index 0 as the single byte 00,
followed by `nop`s for the padding bytes. No offset, body size or section size changes, so
nothing else in the module needs touching. Instructions are walked properly, never pattern-matched.
"""

from __future__ import annotations

from lab.interp import opcodes as ops
from lab.interp.errors import MalformedError
from lab.interp.leb128 import read_u32

CODE_SECTION = 10
NOP = 0x01
_HEADER = 8  # magic and version

# Immediates as a list of fields: "leb" (one LEB128), an int (that many raw bytes), or "vec_leb" /
# "vec_byte" (a count, then that many LEBs / bytes; br_table has one LEB more for its default).
_FIELDS: dict[str, tuple] = {
    ops.IMM_NONE: (), ops.IMM_BLOCKTYPE: ("leb",), ops.IMM_LABEL: ("leb",), ops.IMM_FUNC: ("leb",),
    ops.IMM_LOCAL: ("leb",), ops.IMM_GLOBAL: ("leb",), ops.IMM_TABLE: ("leb",), ops.IMM_ELEM: ("leb",),
    ops.IMM_DATA: ("leb",), ops.IMM_I32: ("leb",), ops.IMM_I64: ("leb",), ops.IMM_REFTYPE: (1,),
    ops.IMM_LANE: (1,), ops.IMM_F32: (4,), ops.IMM_F64: (8,), ops.IMM_V128: (16,), ops.IMM_SHUFFLE: (16,),
    ops.IMM_ZERO: (1,), ops.IMM_ZERO2: (2,), ops.IMM_MEMORY_INIT: ("leb", 1),
    ops.IMM_TABLE_COPY: ("leb", "leb"), ops.IMM_TABLE_INIT: ("leb", "leb"), ops.IMM_MEMARG: ("leb", "leb"),
    ops.IMM_MEMARG_LANE: ("leb", "leb", 1), ops.IMM_BR_TABLE: ("vec_leb", "leb"),
    ops.IMM_SELECT_T: ("vec_byte",),
}


V128 = 0x7B  # the value type of fixed-width SIMD


class UnsupportedModule(ValueError):
    """The module could not be walked (malformed, or an opcode this table does not know)."""


class UnsupportedFeature(UnsupportedModule):
    """The module uses a feature wasm3 0.5.0 lacks. Found on the walk that every run makes
    anyway, so wasm3 says so up front: left to itself it fails at parse time for a v128 in a
    signature, at instantiation for SIMD in _start, and as a 'trap' for SIMD in a later call."""


def narrow_call_indirect_table_index(wasm: bytes) -> bytes:
    """The module with every padded `call_indirect` table index 0 re-encoded as one byte plus nops;
    the input itself when there is nothing to change."""
    patched = bytearray(wasm)
    changed = False
    pos = _HEADER
    try:
        while pos < len(wasm):
            section_id = wasm[pos]
            size, body_start = read_u32(wasm, pos + 1)
            if section_id == CODE_SECTION:
                changed = _patch_code_section(wasm, body_start, patched)
            pos = body_start + size
    except (IndexError, MalformedError) as error:
        raise UnsupportedModule(f"cannot walk the module's code: {error}") from None
    return bytes(patched) if changed else wasm


def _patch_code_section(wasm: bytes, pos: int, patched: bytearray) -> bool:
    changed = False
    count, pos = read_u32(wasm, pos)
    for _ in range(count):
        size, pos = read_u32(wasm, pos)
        end = pos + size
        groups, cursor = read_u32(wasm, pos)
        for _ in range(groups):
            _, cursor = read_u32(wasm, cursor)   # how many locals
            if wasm[cursor] == V128:             # of which value type
                raise UnsupportedFeature(f"fixed-width SIMD (a v128 local at byte {cursor})")
            cursor += 1
        changed |= _patch_instructions(wasm, cursor, end, patched)
        pos = end
    return changed


def _patch_instructions(wasm: bytes, pos: int, end: int, patched: bytearray) -> bool:
    changed = False
    while pos < end:
        op = wasm[pos]
        pos += 1
        if op == ops.PREFIX_FD:
            raise UnsupportedFeature(f"fixed-width SIMD (a v128 instruction at byte {pos - 1})")
        if op == ops.PREFIX_FC:
            sub, pos = read_u32(wasm, pos)
            op = ops.FC_BASE | sub
        info = ops.OPCODES.get(op)
        if info is None:
            raise UnsupportedModule(f"unknown opcode {op:#x} at byte {pos}")
        if info.imm == ops.IMM_CALL_INDIRECT:
            _, pos = read_u32(wasm, pos)
            table, after = read_u32(wasm, pos)
            if table == 0 and after - pos > 1:
                patched[pos:after] = bytes([0]) + bytes([NOP]) * (after - pos - 1)
                changed = True
            pos = after
            continue
        pos = _skip(wasm, pos, _FIELDS[info.imm])
    return changed


def _skip(wasm: bytes, pos: int, fields: tuple) -> int:
    for field in fields:
        if field == "leb":
            pos = _skip_leb(wasm, pos)
        elif field == "vec_leb":
            count, pos = read_u32(wasm, pos)
            for _ in range(count):
                pos = _skip_leb(wasm, pos)
        elif field == "vec_byte":
            count, pos = read_u32(wasm, pos)
            pos += count
        else:
            pos += field
    return pos


def _skip_leb(wasm: bytes, pos: int) -> int:
    while wasm[pos] & 0x80:
        pos += 1
    return pos + 1
