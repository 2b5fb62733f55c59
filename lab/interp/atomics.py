"""The threads proposal's atomic instructions (0xFE prefix) on an engine with one thread.

With a single thread every atomic access is an ordinary access of memory 0 plus the proposal's
alignment rule: the effective address must be a multiple of the access width, else the trap
"unaligned atomic" (checked before the bounds, as the reference interpreter does). Read-modify-
write and cmpxchg return the old value, zero-extended for the narrow `_u` forms; cmpxchg compares
with the expected value wrapped to the access width. `atomic.fence` orders nothing here.

Wait and notify, with no other thread that could ever notify:
  * `memory.atomic.notify` checks alignment and bounds and returns 0 (no waiter woken); it works
    on unshared memories too.
  * `memory.atomic.waitN` traps "expected shared memory" on an unshared memory; otherwise it
    returns 1 ("not-equal") when memory holds another value. When the value matches, a finite
    timeout (nanoseconds, i64 >= 0) can only run out: the thread sleeps that long and gets 2
    ("timed-out"). An infinite timeout (negative) could only end by a notify that cannot come,
    so instead of hanging forever it traps (TRAP_WAIT_DEADLOCK), as browsers trap waits where
    blocking is not allowed.

`lower(ins, shared)` turns a decoded atomic instruction into executor steps built from the
executor's existing generic ops (compile.py maps the kinds): LOAD (memory, address) -> value,
STORE (memory, address, value), RMW (memory, address, operand) -> value, and PAIR, a binary
function that packs two operands into one tuple so that three-operand instructions (cmpxchg,
wait) run as PAIR then RMW. No op of the 2.0 executor changes. The translating tier calls the
same functions by name (see helper_name); the operand pair is a tuple there too.
"""

from __future__ import annotations

import struct
import time
from typing import Any, Callable

from . import module as m
from . import opcodes as ops
from .errors import Trap

TRAP_UNALIGNED_ATOMIC = "unaligned atomic"
TRAP_EXPECTED_SHARED = "expected shared memory"
TRAP_WAIT_DEADLOCK = "wait without timeout on the only thread: no notify can ever wake it"

# Executor step kinds (compile.py maps them to VLOAD, VSTORE, VLOAD_LANE, BINOP).
LOAD, STORE, RMW, PAIR = range(4)

Fn = Callable[..., Any]
Step = tuple[int, Fn, int]  # (kind, function, static offset)

_FORMATS = {0: "<B", 1: "<H", 2: "<I", 3: "<Q"}
_NOT_EQUAL, _TIMED_OUT = 1, 2
_INFINITE = 1 << 63  # an i64 timeout at or above this (unsigned) is negative: no timeout

_RMW_OPS: dict[str, Callable[[int, int], int]] = {
    "add": lambda old, v: old + v,
    "sub": lambda old, v: old - v,
    "and": lambda old, v: old & v,
    "or": lambda old, v: old | v,
    "xor": lambda old, v: old ^ v,
    "xchg": lambda old, v: v,
}


def _unaligned() -> Trap:
    return Trap(TRAP_UNALIGNED_ATOMIC)


def _load(align: int) -> Fn:
    unpack, misaligned = struct.Struct(_FORMATS[align]).unpack_from, (1 << align) - 1

    def load(mem: Any, ea: int) -> int:
        if ea & misaligned:
            raise _unaligned()
        return unpack(mem, ea)[0]
    return load


def _store(align: int) -> Fn:
    pack, misaligned = struct.Struct(_FORMATS[align]).pack_into, (1 << align) - 1
    mask = (1 << (8 << align)) - 1

    def store(mem: Any, ea: int, v: int) -> None:
        if ea & misaligned:
            raise _unaligned()
        pack(mem, ea, v & mask)
    return store


def _rmw(align: int, fn: Callable[[int, int], int]) -> Fn:
    s = struct.Struct(_FORMATS[align])
    unpack, pack, misaligned = s.unpack_from, s.pack_into, (1 << align) - 1
    mask = (1 << (8 << align)) - 1

    def rmw(mem: Any, ea: int, v: int) -> int:
        if ea & misaligned:
            raise _unaligned()
        old = unpack(mem, ea)[0]
        pack(mem, ea, fn(old, v) & mask)
        return old
    return rmw


def _cmpxchg(align: int) -> Fn:
    s = struct.Struct(_FORMATS[align])
    unpack, pack, misaligned = s.unpack_from, s.pack_into, (1 << align) - 1
    mask = (1 << (8 << align)) - 1

    def cmpxchg(mem: Any, ea: int, operands: tuple[int, int]) -> int:
        expected, replacement = operands
        if ea & misaligned:
            raise _unaligned()
        old = unpack(mem, ea)[0]
        if old == expected & mask:
            pack(mem, ea, replacement & mask)
        return old
    return cmpxchg


def _wait(align: int, shared: bool) -> Fn:
    unpack, misaligned = struct.Struct(_FORMATS[align]).unpack_from, (1 << align) - 1

    def wait(mem: Any, ea: int, operands: tuple[int, int]) -> int:
        expected, timeout = operands
        if ea & misaligned:
            raise _unaligned()
        if not shared:
            raise Trap(TRAP_EXPECTED_SHARED)
        if unpack(mem, ea)[0] != expected:
            return _NOT_EQUAL
        if timeout >= _INFINITE:
            raise Trap(TRAP_WAIT_DEADLOCK)
        _sleep(timeout)
        return _TIMED_OUT
    return wait


def _sleep(ns: int) -> None:
    """Sleep `ns` nanoseconds, in slices time.sleep accepts (an i64 timeout can be centuries)."""
    deadline = time.monotonic() + ns / 1e9
    while (left := deadline - time.monotonic()) > 0:
        time.sleep(min(left, 86400.0))


def _notify(mem: Any, ea: int, count: int) -> int:
    if ea & 3:
        raise _unaligned()
    struct.unpack_from("<I", mem, ea)  # bounds
    return 0  # nobody waits: waking needs a second thread


def _pair(a: int, b: int) -> tuple[int, int]:
    return a, b


def lower(ins: tuple, shared: bool) -> list[Step]:
    """The executor steps of one decoded atomic instruction; `shared`: memory 0 is shared."""
    op = ins[0]
    if op == ops.ATOMIC_FENCE:
        return []
    align, offset = ops.ATOMIC_ALIGN[op], ins[2]
    name = ops.OPCODES[op].name
    if op == ops.MEMORY_ATOMIC_NOTIFY:
        return [(RMW, _notify, offset)]
    if op == ops.MEMORY_ATOMIC_WAIT32 or op == ops.MEMORY_ATOMIC_WAIT64:
        return [(PAIR, _pair, 0), (RMW, _wait(align, shared), offset)]
    parts = name.split(".")  # e.g. i32.atomic.load8_u, i64.atomic.rmw16.add_u
    if parts[2].startswith("load"):
        return [(LOAD, _load(align), offset)]
    if parts[2].startswith("store"):
        return [(STORE, _store(align), offset)]
    rmw = parts[3].removesuffix("_u")
    if rmw == "cmpxchg":
        return [(PAIR, _pair, 0), (RMW, _cmpxchg(align), offset)]
    return [(RMW, _rmw(align, _RMW_OPS[rmw]), offset)]


# The translating tier (translate.py) calls the same functions from generated code, by name:
# `atomic_<opcode hex>` (wait: with `_shared` or `_unshared`), bound on demand by tier.py.
HELPER_PREFIX = "atomic_"


def helper_name(op: int, shared: bool) -> str:
    """The generated code's name for the function that runs atomic instruction `op`."""
    if op == ops.MEMORY_ATOMIC_WAIT32 or op == ops.MEMORY_ATOMIC_WAIT64:
        return f"{HELPER_PREFIX}{op:x}_{'shared' if shared else 'unshared'}"
    return f"{HELPER_PREFIX}{op:x}"


def helper(name: str) -> Fn | None:
    """The function a helper name stands for (None for another name): its last step's."""
    code, _, sharing = name.removeprefix(HELPER_PREFIX).partition("_")
    try:
        op = int(code, 16)
    except ValueError:
        return None
    if op not in ops.ATOMIC_ALIGN or helper_name(op, sharing == "shared") != name:
        return None
    return lower((op, ops.ATOMIC_ALIGN[op], 0), sharing == "shared")[-1][1]


def memory0_shared(mod: m.Module) -> bool:
    """Whether the module's memory 0 (imported or defined) is shared."""
    for imp in mod.imports:
        if imp.kind == m.KIND_MEMORY:
            return imp.memory_type.shared
    return bool(mod.memories and mod.memories[0].shared)
