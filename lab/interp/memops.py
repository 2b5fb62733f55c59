"""Memory and table instructions off the executors' fast paths, for the interpreter tier.

The fast paths (compile.py + machine.py, translate.py) address memory 0 through one local `M`
and rely on struct.error / IndexError past its end, which only holds for 32-bit addresses
(an i64 address can be too large for a C index, and raises OverflowError). Everything else is
compiled here into one closure `fn(inst, stack)` per instruction, which compile.py emits as a
GENERAL op and machine.py calls with the running instance and the operand stack:
  * loads and stores (scalar and SIMD) on a memory other than memory 0 (multi-memory) or on a
    64-bit memory (memory64): the effective address is checked against the memory's size
    before the access, in Python ints, so an address plus offset never wraps;
  * memory.size/grow/fill/copy/init on a memory other than memory 0, memory.grow on a 64-bit
    memory (its -1 is an i64), memory.copy between two memories;
  * table.grow on a 64-bit table (table64: its -1 is an i64).
Modules that use only memory 0 with 32-bit addresses never reach this module.
"""

from __future__ import annotations

from collections.abc import Callable

from . import module as m
from . import opcodes as ops
from . import runtime as rt
from .errors import TRAP_OOB_MEMORY, Trap

M32 = 0xFFFFFFFF
M64 = 0xFFFFFFFFFFFFFFFF

General = Callable[[rt.ModuleInst, list], None]

_MEMORY_OPS = frozenset({ops.MEMORY_SIZE, ops.MEMORY_GROW, ops.MEMORY_FILL, ops.MEMORY_COPY,
                         ops.MEMORY_INIT})
_SCALAR_ACCESS = frozenset(range(0x28, 0x3F))


def memory_indices(ins: tuple) -> tuple[int, ...]:
    """The memories a memory instruction (access or memory.*) uses (see module.py's tuples)."""
    op = ins[0]
    if op == ops.MEMORY_COPY:
        return (ins[1], ins[2]) if len(ins) > 1 else (0, 0)
    if op == ops.MEMORY_INIT:
        return (ins[2] if len(ins) > 2 else 0,)
    if op in _MEMORY_OPS:
        return (ins[1] if len(ins) > 1 else 0,)
    return (m.memarg_memory(ins),)


def general(ins: tuple, mem64: list[bool]) -> General:
    """The closure for one memory instruction off the fast path; mem64[x]: memory x has 64-bit
    addresses."""
    op = ins[0]
    if op in _SCALAR_ACCESS:
        return _scalar_access(op, m.memarg_memory(ins), ins[2])
    if op == ops.MEMORY_SIZE:
        return _memory_size(memory_indices(ins)[0])
    if op == ops.MEMORY_GROW:
        x = memory_indices(ins)[0]
        return _memory_grow(x, M64 if mem64[x] else M32)
    if op == ops.MEMORY_FILL:
        return _memory_fill(memory_indices(ins)[0])
    if op == ops.MEMORY_COPY:
        return _memory_copy(*memory_indices(ins))
    if op == ops.MEMORY_INIT:
        return _memory_init(ins[1], memory_indices(ins)[0])
    return _simd_access(ins)


def table_grow64(x: int) -> General:
    """table.grow on a 64-bit table: -1 (refused) is the i64 all-ones."""
    def grow(inst, stack):
        n = stack.pop()
        stack[-1] = inst.tables[x].grow(n, stack[-1]) & M64
    return grow


# --- loads and stores --------------------------------------------------------------------------

_ACCESS_FACTORIES: dict[int, Callable[[int, int], General]] = {}


def _scalar_access(op: int, x: int, offset: int) -> General:
    """A scalar load or store on memory x: the translating tier's templates (pyops.py) behind
    an explicit bounds check."""
    factory = _ACCESS_FACTORIES.get(op)
    if factory is None:
        from . import tier
        from .pyops import LOADS, STORES
        info = ops.OPCODES[op]
        assert info.align is not None
        size = 1 << info.align
        if op in LOADS:
            take, access = "ea = stack[-1] + offset", f"stack[-1] = {LOADS[op].format(a='ea')}"
        else:
            take = "v = stack.pop()\n        ea = stack.pop() + offset"
            access = STORES[op].format(a="ea", v="v")
        src = (f"def factory(x, offset):\n"
               f"    def access(inst, stack):\n"
               f"        M = inst.mems[x].data\n"
               f"        {take}\n"
               f"        if ea + {size} > len(M):\n"
               f"            raise Trap(TRAP_OOB_MEMORY)\n"
               f"        {access}\n"
               f"    return access\n")
        scope = dict(tier._base_namespace())
        scope["TRAP_OOB_MEMORY"] = TRAP_OOB_MEMORY
        exec(src, scope)
        factory = _ACCESS_FACTORIES[op] = scope["factory"]
    return factory(x, offset)


def _simd_access(ins: tuple) -> General:
    """A SIMD load/store on memory x: simd.py's function behind an explicit bounds check."""
    from . import simd
    info = ops.OPCODES[ins[0]]
    assert info.align is not None
    size = 1 << info.align
    kind, fn, offset = simd.lower(ins)
    x = m.memarg_memory(ins)

    def check(mem, ea: int) -> None:
        if ea + size > len(mem):
            raise Trap(TRAP_OOB_MEMORY)

    if kind == simd.LOAD:
        def load(inst, stack):
            mem = inst.mems[x].data
            ea = stack[-1] + offset
            check(mem, ea)
            stack[-1] = fn(mem, ea)
        return load
    if kind == simd.STORE:
        def store(inst, stack):
            v = stack.pop()
            mem = inst.mems[x].data
            ea = stack.pop() + offset
            check(mem, ea)
            fn(mem, ea, v)
        return store
    assert kind == simd.LOAD_LANE, ins

    def load_lane(inst, stack):
        v = stack.pop()
        mem = inst.mems[x].data
        ea = stack[-1] + offset
        check(mem, ea)
        stack[-1] = fn(mem, ea, v)
    return load_lane


# --- memory.* ----------------------------------------------------------------------------------

def _memory_size(x: int) -> General:
    def size(inst, stack):
        stack.append(len(inst.mems[x].data) >> 16)
    return size


def _memory_grow(x: int, mask: int) -> General:
    def grow(inst, stack):
        stack[-1] = inst.mems[x].grow(stack[-1]) & mask
    return grow


def _memory_fill(x: int) -> General:
    def fill(inst, stack):
        n = stack.pop()
        v = stack.pop()
        rt.memory_fill(inst, stack.pop(), v, n, x)
    return fill


def _memory_copy(dst: int, src: int) -> General:
    def copy(inst, stack):
        n = stack.pop()
        s = stack.pop()
        if dst == src:
            rt.memory_copy(inst, stack.pop(), s, n, dst)
        else:
            rt.memory_copy_across(inst, stack.pop(), s, n, dst, src)
    return copy


def _memory_init(dataidx: int, x: int) -> General:
    def init(inst, stack):
        n = stack.pop()
        s = stack.pop()
        rt.memory_init(inst, dataidx, stack.pop(), s, n, x)
    return init
