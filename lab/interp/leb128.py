"""LEB128 integers as the WebAssembly binary format uses them.

Readers take the whole input (`bytes`) and a position and return `(value, new_position)`; they
never slice. They apply the spec's length and range rules for an N-bit integer:

- at most ceil(N / 7) bytes, else "integer representation too long";
- the unused bits of the last byte must be zero (unsigned) or copies of the sign bit (signed),
  else "integer too large".

These are checked byte by byte in the same order as the reference interpreter, so that a byte that
both continues and carries stray high bits reports "integer too large", like the spec tests expect.
Reading past the end of the input raises MalformedError("unexpected end ...").
"""

from __future__ import annotations

from .errors import MalformedError

UNEXPECTED_END = "unexpected end of section or function"
TOO_LONG = "integer representation too long"
TOO_LARGE = "integer too large"


def _error(msg: str, pos: int) -> MalformedError:
    return MalformedError(f"{msg} (at byte offset {pos})")


def read_unsigned(data: bytes, pos: int, bits: int) -> tuple[int, int]:
    """An unsigned LEB128 integer of at most `bits` bits."""
    try:
        b = data[pos]
    except IndexError:
        raise _error(UNEXPECTED_END, pos) from None
    if b < 0x80 and (bits >= 7 or b < (1 << bits)):  # the common one-byte case
        return b, pos + 1
    result = 0
    shift = 0
    n = bits
    end = len(data)
    while True:
        if n <= 0:
            raise _error(TOO_LONG, pos)
        if pos >= end:
            raise _error(UNEXPECTED_END, pos)
        b = data[pos]
        pos += 1
        if n < 7 and (b & 0x7F) >= (1 << n):
            raise _error(TOO_LARGE, pos - 1)
        result |= (b & 0x7F) << shift
        if b < 0x80:
            return result, pos
        shift += 7
        n -= 7


def read_signed(data: bytes, pos: int, bits: int) -> tuple[int, int]:
    """A signed LEB128 integer of at most `bits` bits, as a Python int in its signed range."""
    result = 0
    shift = 0
    n = bits
    end = len(data)
    while True:
        if n <= 0:
            raise _error(TOO_LONG, pos)
        if pos >= end:
            raise _error(UNEXPECTED_END, pos)
        b = data[pos]
        pos += 1
        if n < 7:
            mask = (-1 << (n - 1)) & 0x7F
            high = b & mask
            if high != 0 and high != mask:
                raise _error(TOO_LARGE, pos - 1)
        result |= (b & 0x7F) << shift
        shift += 7
        if b < 0x80:
            if b & 0x40:
                result -= 1 << shift
            return result, pos
        n -= 7


def read_u32(data: bytes, pos: int) -> tuple[int, int]:
    try:
        b = data[pos]
    except IndexError:
        raise _error(UNEXPECTED_END, pos) from None
    if b < 0x80:
        return b, pos + 1
    return read_unsigned(data, pos, 32)


def read_u64(data: bytes, pos: int) -> tuple[int, int]:
    return read_unsigned(data, pos, 64)


def read_s32(data: bytes, pos: int) -> tuple[int, int]:
    try:
        b = data[pos]
    except IndexError:
        raise _error(UNEXPECTED_END, pos) from None
    if b < 0x80:
        return (b - 0x80 if b & 0x40 else b), pos + 1
    return read_signed(data, pos, 32)


def read_s33(data: bytes, pos: int) -> tuple[int, int]:
    return read_signed(data, pos, 33)


def read_s64(data: bytes, pos: int) -> tuple[int, int]:
    try:
        b = data[pos]
    except IndexError:
        raise _error(UNEXPECTED_END, pos) from None
    if b < 0x80:
        return (b - 0x80 if b & 0x40 else b), pos + 1
    return read_signed(data, pos, 64)


def encode_unsigned(value: int) -> bytes:
    """The shortest unsigned LEB128 encoding of a non-negative int."""
    if value < 0:
        raise ValueError("encode_unsigned needs a non-negative value")
    out = bytearray()
    while True:
        b = value & 0x7F
        value >>= 7
        if value:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def encode_signed(value: int) -> bytes:
    """The shortest signed LEB128 encoding of an int."""
    out = bytearray()
    while True:
        b = value & 0x7F
        value >>= 7
        if (value == 0 and not b & 0x40) or (value == -1 and b & 0x40):
            out.append(b)
            return bytes(out)
        out.append(b | 0x80)
