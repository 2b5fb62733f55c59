"""Exception handling in generated modules (the fuzzer's Wasm 3.0 feature "exceptions",
lab.fuzz.wasm3): tags,
and statements that throw, catch (try_table with catch / catch_ref / catch_all) and rethrow
(throw_ref of a caught exnref). Valid by construction like the rest of generate.py; an
exception no handler catches ends the call as an "exception" outcome on both engines."""

from __future__ import annotations

from typing import Any

from lab.fuzz.choices import Choices, chance, pick
from lab.fuzz.encode import NUM_TYPES, ModuleSpec, sleb, uleb

EXNREF = 0x69
_NULL_EXN = b"\xd0\x69"  # ref.null exn


def add_tags(choices: Choices, spec: ModuleSpec) -> None:
    """One or two tags with 0-2 numeric parameters."""
    for _ in range(choices.integer(1, 2)):
        params = tuple(pick(choices, NUM_TYPES) for _ in range(choices.integer(0, 2)))
        spec.types.append((params, ()))
        spec.tags.append(len(spec.types) - 1)


def statement_makers(writer: Any) -> list:
    """The exception statements a _FunctionWriter may pick (none without tags)."""
    if not writer.spec.tags:
        return []
    return [lambda depth: throw_if(writer, depth), lambda depth: try_catch(writer, depth)]


def _tag_params(writer: Any, tag: int) -> tuple[int, ...]:
    return writer.spec.types[writer.spec.tags[tag]][0]


def throw_if(writer: Any, depth: int) -> bytes:
    """`if (cond) throw $tag args end`: a throw that only sometimes happens."""
    tag = writer.c.integer(0, len(writer.spec.tags) - 1)
    cond = writer.expr(0x7F, depth - 1)
    writer.labels.append(None)
    args = b"".join(writer.expr(t, depth - 1) for t in _tag_params(writer, tag))
    writer.labels.pop()
    return cond + b"\x04\x40" + args + b"\x08" + uleb(tag) + b"\x0b"


def _block_type(spec: ModuleSpec, results: tuple[int, ...]) -> bytes:
    if not results:
        return b"\x40"
    if len(results) == 1:
        return bytes([results[0]])
    spec.types.append(((), results))
    return sleb(len(spec.types) - 1)  # a type index as a block type is an s33


def try_catch(writer: Any, depth: int) -> bytes:
    """block $h (result P [exnref])  try_table (catch[_ref|_all] .. $h) body end  P-values
    [ref.null exn]  end, then the delivered values are dropped (a caught exnref may be
    rethrown with throw_ref)."""
    c = writer.c
    tag = c.integer(0, len(writer.spec.tags) - 1)
    params = _tag_params(writer, tag)
    kind = pick(c, (0, 0, 1, 2) if not params else (0, 0, 1))  # catch, catch_ref, catch_all
    delivered = () if kind == 2 else params
    with_ref = kind == 1
    results = delivered + ((EXNREF,) if with_ref else ())
    clause = bytes([kind]) + (uleb(tag) if kind != 2 else b"") + b"\x00"
    block_type = _block_type(writer.spec, results)
    writer.labels.append(-1)  # block $h: takes values, not a target of random branches
    writer.labels.append(None)
    body = writer.statements(depth - 1, 3)
    writer.labels.pop()
    normal = b"".join(writer.expr(t, depth - 1) for t in delivered) + (_NULL_EXN if with_ref else b"")
    writer.labels.pop()
    code = b"\x02" + block_type + b"\x1f\x40\x01" + clause + body + b"\x0b" + normal + b"\x0b"
    if with_ref:
        held = writer._new_local(EXNREF)
        writer.reserved.add(held)  # random statements only write numeric locals
        code += b"\x21" + uleb(held)
        if chance(c, 50):  # rethrow what was caught (null on the normal path: left alone)
            code += (b"\x20" + uleb(held) + b"\xd1\x45\x04\x40" + b"\x20" + uleb(held) + b"\x0a\x0b")
    code += b"\x1a" * len(delivered)
    return code
