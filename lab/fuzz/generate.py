"""Random structured modules: types, host-function imports, functions whose bodies are built
type-directed (so they are valid by construction), a table, a memory, globals, data and element
segments, a start function and exports. `generate_module(choices)` returns the spec and its bytes;
with features (lab.fuzz.wasm3) also Wasm 3.0 parts. Feature "threads": the atomics, on the
(unshared) memory, mostly at aligned addresses, so most run and some trap.

Floats: the spec lets NaN bits differ between engines, so the generator never lets NaN bits
reach an observable integer (no float reinterpret to int, no float stores, copysign only with a
constant sign) and results are compared with every NaN equal.
"""

from __future__ import annotations

import struct
from typing import Callable

from lab.fuzz import wasm3
from lab.fuzz.choices import Choices, chance, pick, sized_bytes
from lab.fuzz.encode import (
    F32,
    F64,
    FUNCREF,
    I32,
    I64,
    KIND_FUNC,
    KIND_GLOBAL,
    KIND_MEMORY,
    KIND_TABLE,
    NUM_TYPES,
    FuncBody,
    ModuleSpec,
    encode_module,
    sleb,
    uleb,
)

HOST_MODULE = "host"
# Imports a generated module may use; the oracle gives both engines the same recording stubs.
HOST_FUNCS: dict[str, tuple[tuple[int, ...], tuple[int, ...]]] = {
    "log_i32": ((I32,), ()), "log_i64": ((I64,), ()), "log_f32": ((F32,), ()), "log_f64": ((F64,), ()),
    "next_i32": ((), (I32,)),
}

INTERESTING_I32 = (0, 1, 2, 7, 31, 32, 255, 0x7FFF, 0x8000, 0xFFFF, 0x10000, 0x7FFFFFFF, 0x80000000,
                   0xFFFFFFFF, 0xFFFFFFFE, 65536 * 1 - 4)
INTERESTING_I64 = (0, 1, 63, 64, 0x7FFFFFFF, 0x80000000, 0xFFFFFFFF, 0x100000000, 0x7FFFFFFFFFFFFFFF,
                   0x8000000000000000, 0xFFFFFFFFFFFFFFFF)
INTERESTING_F32 = (0x00000000, 0x80000000, 0x3F800000, 0xBF800000, 0x7F800000, 0xFF800000, 0x7FC00000,
                   0x00000001, 0x7F7FFFFF, 0x4F000000, 0xCF000000, 0x4F800000, 0x3F000000, 0x5F000000)
INTERESTING_F64 = (0x0000000000000000, 0x8000000000000000, 0x3FF0000000000000, 0xBFF0000000000000,
                   0x7FF0000000000000, 0xFFF0000000000000, 0x7FF8000000000000, 0x0000000000000001,
                   0x41E0000000000000, 0xC1E0000000000000, 0x43E0000000000000, 0x41F0000000000000,
                   0x3FE0000000000000, 0x4330000000000000)

# Operators by result type: (opcode bytes, operand types).
_UNARY = {I32: (b"\x67", b"\x68", b"\x69", b"\xc0", b"\xc1"),
          I64: (b"\x79", b"\x7a", b"\x7b", b"\xc2", b"\xc3", b"\xc4"),
          F32: tuple(bytes([o]) for o in range(0x8B, 0x92)), F64: tuple(bytes([o]) for o in range(0x99, 0xA0))}
_BINARY = {I32: tuple(bytes([o]) for o in range(0x6A, 0x79)), I64: tuple(bytes([o]) for o in range(0x7C, 0x8B)),
           F32: tuple(bytes([o]) for o in range(0x92, 0x98)), F64: tuple(bytes([o]) for o in range(0xA0, 0xA6))}
_COPYSIGN = {F32: b"\x98", F64: b"\xa6"}
_COMPARE = {I32: (b"\x45", range(0x46, 0x50)), I64: (b"\x50", range(0x51, 0x5B)),
            F32: (None, range(0x5B, 0x61)), F64: (None, range(0x61, 0x67))}
_CONVERT = {  # result type -> (opcode, operand type)
    I32: ((b"\xa7", I64), (b"\xa8", F32), (b"\xa9", F32), (b"\xaa", F64), (b"\xab", F64),
          (b"\xfc\x00", F32), (b"\xfc\x01", F32), (b"\xfc\x02", F64), (b"\xfc\x03", F64)),
    I64: ((b"\xac", I32), (b"\xad", I32), (b"\xae", F32), (b"\xaf", F32), (b"\xb0", F64), (b"\xb1", F64),
          (b"\xfc\x04", F32), (b"\xfc\x05", F32), (b"\xfc\x06", F64), (b"\xfc\x07", F64)),
    F32: ((b"\xb2", I32), (b"\xb3", I32), (b"\xb4", I64), (b"\xb5", I64), (b"\xb6", F64), (b"\xbe", I32)),
    F64: ((b"\xb7", I32), (b"\xb8", I32), (b"\xb9", I64), (b"\xba", I64), (b"\xbb", F32), (b"\xbf", I64)),
}
_LOADS = {I32: ((0x28, 2), (0x2C, 0), (0x2D, 0), (0x2E, 1), (0x2F, 1)),
          I64: ((0x29, 3), (0x30, 0), (0x31, 0), (0x32, 1), (0x33, 1), (0x34, 2), (0x35, 2)),
          F32: ((0x2A, 2),), F64: ((0x2B, 3),)}
_STORES = {I32: ((0x36, 2), (0x3A, 0), (0x3B, 1)), I64: ((0x37, 3), (0x3C, 0), (0x3D, 1), (0x3E, 2))}

# Threads atomics (0xFE prefix) by value type: (sub-opcode, natural alignment), which their
# memarg must give exactly. The generated memories are unshared: wait traps there.
_ATOMIC_FORMS = {I32: ((0, 2), (2, 0), (3, 1)), I64: ((1, 3), (4, 0), (5, 1), (6, 2))}
_ATOMIC_LOADS = {t: tuple((0x10 + k, a) for k, a in forms) for t, forms in _ATOMIC_FORMS.items()}
_ATOMIC_STORES = {t: tuple((0x17 + k, a) for k, a in forms) for t, forms in _ATOMIC_FORMS.items()}
_ATOMIC_RMWS = {t: tuple((base + k, a) for base in (0x1E, 0x25, 0x2C, 0x33, 0x3A, 0x41, 0x48)
                         for k, a in forms) for t, forms in _ATOMIC_FORMS.items()}  # 0x48: cmpxchg


def const(choices: Choices, t: int) -> bytes:
    """A constant instruction, mostly an edge value."""
    if t == I32:
        v = pick(choices, INTERESTING_I32) if chance(choices, 70) else choices.integer(0, 0xFFFFFFFF)
        return b"\x41" + sleb(v - (1 << 32) if v >= 1 << 31 else v)
    if t == I64:
        v = pick(choices, INTERESTING_I64) if chance(choices, 70) else choices.integer(0, (1 << 64) - 1)
        return b"\x42" + sleb(v - (1 << 64) if v >= 1 << 63 else v)
    if t == F32:
        bits = pick(choices, INTERESTING_F32) if chance(choices, 70) else choices.integer(0, 0xFFFFFFFF)
        return b"\x43" + struct.pack("<I", bits)
    bits = pick(choices, INTERESTING_F64) if chance(choices, 70) else choices.integer(0, (1 << 64) - 1)
    return b"\x44" + struct.pack("<Q", bits)


def argument(choices: Choices, t: int) -> int:
    """An argument for an exported function, as an unsigned bit pattern."""
    pool = {I32: INTERESTING_I32, I64: INTERESTING_I64, F32: INTERESTING_F32, F64: INTERESTING_F64}[t]
    bits = 32 if t in (I32, F32) else 64
    return pick(choices, pool) if chance(choices, 75) else choices.integer(0, (1 << bits) - 1)


class _FunctionWriter:
    """Writes one function body; every helper returns instruction bytes with a known stack effect."""

    def __init__(self, choices: Choices, spec: ModuleSpec, params: tuple[int, ...], results: tuple[int, ...],
                 budget: int, callable_funcs: list[int], features: frozenset[str] = frozenset()) -> None:
        self.c = choices
        self.features = features  # Wasm 3.0 features whose instructions it may use (lab.fuzz.wasm3)
        self.spec = spec
        self.locals = list(params)
        self.nparams = len(params)
        self.results = results
        self.budget = budget
        self.callable = callable_funcs
        self.reserved: set[int] = set()  # loop counters: never written by random statements
        self.labels: list[int | None] = []  # innermost last: None for a label that takes no value

    # -- helpers -------------------------------------------------------------------------------
    def _spend(self) -> bool:
        self.budget -= 1
        return self.budget > 0

    def _new_local(self, t: int) -> int:
        self.locals.append(t)
        return len(self.locals) - 1

    def _memarg(self, natural_align: int) -> bytes:
        align = self.c.integer(0, natural_align)
        offset = self.c.integer(0, 64) if chance(self.c, 85) else pick(self.c, (65532, 65536, 0xFFFFFFFF, 1 << 20))
        return uleb(align) + uleb(offset)

    def _address(self, depth: int) -> bytes:
        if chance(self.c, 60):  # mostly in bounds of a one-page memory
            return b"\x41" + sleb(self.c.integer(0, 65540))
        return self.expr(I32, depth - 1)

    def _funcs_returning(self, t: int) -> list[int]:
        return [f for f in self.callable if self.spec.func_type(f)[1] == (t,)]

    def _call_args(self, func_type: tuple[tuple[int, ...], tuple[int, ...]], depth: int) -> bytes:
        return b"".join(self.expr(p, depth - 1) for p in func_type[0])

    def _types_returning(self, t: int) -> list[int]:
        return [i for i, ty in enumerate(self.spec.types) if ty[1] == (t,)]

    # -- values --------------------------------------------------------------------------------
    def expr(self, t: int, depth: int) -> bytes:
        """Instructions that push exactly one value of type t."""
        if depth <= 0 or not self._spend() or chance(self.c, 25):
            return self._leaf(t)
        makers: list[Callable[[int, int], bytes]] = [
            self._unary, self._binary, self._convert, self._select, self._if_value, self._block_value, self._tee]
        if t == I32:
            makers += [self._compare, self._compare, self._memory_size_grow, self._ref_test, self._table_size]
        if self.spec.memories:
            makers += [self._load, self._load]
            if t in _ATOMIC_FORMS and "threads" in self.features:
                makers.append(self._atomic)
        if self._funcs_returning(t):
            makers += [self._call]
        if self.spec.tables and self._types_returning(t):
            makers += [self._call_indirect]
        if self.features:
            makers += wasm3.expr_makers(self, t)
        return pick(self.c, makers)(t, depth)

    def _leaf(self, t: int) -> bytes:
        local_options = [i for i, lt in enumerate(self.locals) if lt == t]
        global_options = [i for i, g in enumerate(self.spec.globals) if g[0] == t]
        roll = self.c.integer(0, 9)
        if roll < 4 and local_options:
            return b"\x20" + uleb(pick(self.c, local_options))
        if roll < 5 and global_options:
            return b"\x23" + uleb(pick(self.c, global_options))
        return const(self.c, t)

    def _unary(self, t: int, depth: int) -> bytes:
        return self.expr(t, depth - 1) + pick(self.c, _UNARY[t])

    def _binary(self, t: int, depth: int) -> bytes:
        if t in _COPYSIGN and chance(self.c, 15):  # the sign operand is a constant: NaN signs vary by engine
            return self.expr(t, depth - 1) + const(self.c, t) + _COPYSIGN[t]
        return self.expr(t, depth - 1) + self.expr(t, depth - 1) + pick(self.c, _BINARY[t])

    def _compare(self, t: int, depth: int) -> bytes:
        operand = pick(self.c, NUM_TYPES)
        test, binary = _COMPARE[operand]
        if test is not None and chance(self.c, 25):
            return self.expr(operand, depth - 1) + test
        return self.expr(operand, depth - 1) + self.expr(operand, depth - 1) + bytes([pick(self.c, binary)])

    def _convert(self, t: int, depth: int) -> bytes:
        opcode, operand = pick(self.c, _CONVERT[t])
        return self.expr(operand, depth - 1) + opcode

    def _select(self, t: int, depth: int) -> bytes:
        typed = chance(self.c, 30)
        return (self.expr(t, depth - 1) + self.expr(t, depth - 1) + self.expr(I32, depth - 1)
                + (b"\x1c\x01" + bytes([t]) if typed else b"\x1b"))

    def _if_value(self, t: int, depth: int) -> bytes:
        cond = self.expr(I32, depth - 1)
        self.labels.append(t)
        then = self.statements(depth - 1, 2) + self.expr(t, depth - 1)
        other = self.statements(depth - 1, 2) + self.expr(t, depth - 1)
        self.labels.pop()
        return cond + b"\x04" + bytes([t]) + then + b"\x05" + other + b"\x0b"

    def _block_value(self, t: int, depth: int) -> bytes:
        self.labels.append(t)
        body = self.statements(depth - 1, 3)
        if chance(self.c, 50):  # leave early with a value
            body += self.expr(t, depth - 1) + self.expr(I32, depth - 1) + b"\x0d\x00" + b"\x1a"
        body += self.expr(t, depth - 1)
        self.labels.pop()
        return b"\x02" + bytes([t]) + body + b"\x0b"

    def _tee(self, t: int, depth: int) -> bytes:
        options = [i for i, lt in enumerate(self.locals) if lt == t and i not in self.reserved]
        if not options:
            return self._leaf(t)
        return self.expr(t, depth - 1) + b"\x22" + uleb(pick(self.c, options))

    def _load(self, t: int, depth: int) -> bytes:
        opcode, natural = pick(self.c, _LOADS[t])
        return self._address(depth) + bytes([opcode]) + self._memarg(natural)

    def _atomic_memarg(self, natural_align: int) -> bytes:
        """Exact alignment and a small offset that keeps an aligned address aligned."""
        return uleb(natural_align) + uleb(self.c.integer(0, 8) << natural_align)

    def _atomic_address(self, natural_align: int, depth: int) -> bytes:
        """Mostly an aligned address in the first page, so that most atomics do not trap."""
        if chance(self.c, 75):
            return b"\x41" + sleb(self.c.integer(0, 65536 >> natural_align) << natural_align)
        return self._address(depth)

    def _atomic(self, t: int, depth: int) -> bytes:
        """An atomic load, read-modify-write or cmpxchg; for i32 also notify and wait."""
        roll = self.c.integer(0, 9)
        if t == I32 and roll == 9:
            if chance(self.c, 50):
                return (self._atomic_address(2, depth) + self.expr(I32, depth - 1) + b"\xfe\x00"
                        + self._atomic_memarg(2))
            value, sub, natural = pick(self.c, ((I32, 1, 2), (I64, 2, 3)))  # wait32, wait64
            return (self._atomic_address(natural, depth) + self.expr(value, depth - 1) + b"\x42\x00"
                    + b"\xfe" + bytes([sub]) + self._atomic_memarg(natural))
        if roll < 3:
            sub, natural = pick(self.c, _ATOMIC_LOADS[t])
            return self._atomic_address(natural, depth) + b"\xfe" + bytes([sub]) + self._atomic_memarg(natural)
        sub, natural = pick(self.c, _ATOMIC_RMWS[t])
        operands = self.expr(t, depth - 1) + (self.expr(t, depth - 1) if sub >= 0x48 else b"")
        return (self._atomic_address(natural, depth) + operands + b"\xfe" + bytes([sub])
                + self._atomic_memarg(natural))

    def _atomic_store(self, depth: int) -> bytes:
        if chance(self.c, 10):
            return b"\xfe\x03\x00"  # atomic.fence
        t = pick(self.c, (I32, I64))
        sub, natural = pick(self.c, _ATOMIC_STORES[t])
        return (self._atomic_address(natural, depth) + self.expr(t, depth - 1) + b"\xfe" + bytes([sub])
                + self._atomic_memarg(natural))

    def _memory_size_grow(self, t: int, depth: int) -> bytes:
        if not self.spec.memories:
            return self._leaf(t)
        if chance(self.c, 50):
            return b"\x3f\x00"
        delta = b"\x41" + sleb(self.c.integer(0, 3)) if chance(self.c, 80) else self.expr(I32, depth - 1)
        return delta + b"\x40\x00"

    def _ref_test(self, t: int, depth: int) -> bytes:
        return self._reference(depth) + b"\xd1"

    def _reference(self, depth: int) -> bytes:
        roll = self.c.integer(0, 2)
        if roll == 0 and self.spec.tables:
            return self.expr(I32, depth - 1) + b"\x25\x00"
        if roll == 1 and self.spec.func_count:
            return b"\xd2" + uleb(self.c.integer(0, self.spec.func_count - 1))
        return b"\xd0" + bytes([FUNCREF])

    def _table_size(self, t: int, depth: int) -> bytes:
        if not self.spec.tables:
            return self._leaf(t)
        if chance(self.c, 50):
            return b"\xfc\x10\x00"
        return self._reference(depth) + self.expr(I32, depth - 1) + b"\xfc\x0f\x00"  # table.grow

    def _call(self, t: int, depth: int) -> bytes:
        func = pick(self.c, self._funcs_returning(t))
        return self._call_args(self.spec.func_type(func), depth) + b"\x10" + uleb(func)

    def _call_indirect(self, t: int, depth: int) -> bytes:
        type_index = pick(self.c, self._types_returning(t))
        return (self._call_args(self.spec.types[type_index], depth) + self.expr(I32, depth - 1)
                + b"\x11" + uleb(type_index) + b"\x00")

    # -- statements ----------------------------------------------------------------------------
    def statements(self, depth: int, most: int) -> bytes:
        """Instructions with no net stack effect."""
        out = b""
        for _ in range(self.c.integer(0, most)):
            if depth <= 0 or not self._spend():
                break
            out += self.statement(depth)
        return out

    def statement(self, depth: int) -> bytes:
        makers: list[Callable[[int], bytes]] = [
            self._set_local, self._drop, self._if_void, self._block_void, self._counted_loop]
        if any(g[1] for g in self.spec.globals):
            makers.append(self._set_global)
        if self.spec.memories:
            makers += [self._store, self._store, self._bulk_memory]
            if "threads" in self.features:
                makers.append(self._atomic_store)
        if self.spec.tables:
            makers.append(self._table_op)
        if self.callable:
            makers.append(self._call_void)
        if any(label is None for label in self.labels):
            makers.append(self._branch)
        makers.append(self._early_return)
        if self.features:
            makers += wasm3.statement_makers(self)
        return pick(self.c, makers)(depth)

    def _set_local(self, depth: int) -> bytes:
        options = [i for i in range(len(self.locals)) if i not in self.reserved]
        if not options:
            return b"\x01"
        index = pick(self.c, options)
        return self.expr(self.locals[index], depth - 1) + b"\x21" + uleb(index)

    def _set_global(self, depth: int) -> bytes:
        index = pick(self.c, [i for i, g in enumerate(self.spec.globals) if g[1]])
        return self.expr(self.spec.globals[index][0], depth - 1) + b"\x24" + uleb(index)

    def _drop(self, depth: int) -> bytes:
        return self.expr(pick(self.c, NUM_TYPES), depth - 1) + b"\x1a"

    def _store(self, depth: int) -> bytes:
        t = pick(self.c, (I32, I64))
        opcode, natural = pick(self.c, _STORES[t])
        return self._address(depth) + self.expr(t, depth - 1) + bytes([opcode]) + self._memarg(natural)

    def _bulk_memory(self, depth: int) -> bytes:
        length = b"\x41" + sleb(self.c.integer(0, 70)) if chance(self.c, 80) else self.expr(I32, depth - 1)
        roll = self.c.integer(0, 3)
        if roll == 0:
            return self._address(depth) + self.expr(I32, depth - 1) + length + b"\xfc\x0b\x00"  # fill
        if roll == 1 or not self.spec.passive_datas:
            return self._address(depth) + self._address(depth) + length + b"\xfc\x0a\x00\x00"  # copy
        segment = len(self.spec.datas) + self.c.integer(0, len(self.spec.passive_datas) - 1)
        if roll == 2:
            target = self._address(depth)
            source = b"\x41" + sleb(self.c.integer(0, 8))
            return target + source + length + b"\xfc\x08" + uleb(segment) + b"\x00"  # memory.init
        return b"\xfc\x09" + uleb(segment)  # data.drop

    def _table_op(self, depth: int) -> bytes:
        roll = self.c.integer(0, 4)
        index = b"\x41" + sleb(self.c.integer(0, 10)) if chance(self.c, 80) else self.expr(I32, depth - 1)
        if roll == 0:
            return index + self._reference(depth) + b"\x26\x00"  # table.set
        if roll == 1:
            return index + self._reference(depth) + b"\x41" + sleb(self.c.integer(0, 4)) + b"\xfc\x11\x00"  # fill
        if roll == 2:
            source, length = b"\x41" + sleb(self.c.integer(0, 8)), b"\x41" + sleb(self.c.integer(0, 4))
            return index + source + length + b"\xfc\x0e\x00\x00"  # table.copy
        if not self.spec.passive_elems:
            return b"\x01"
        segment = len(self.spec.elems) + self.c.integer(0, len(self.spec.passive_elems) - 1)
        if roll == 3:  # table.init
            return index + b"\x41" + sleb(self.c.integer(0, 3)) + b"\x41" + sleb(self.c.integer(0, 3)) + \
                b"\xfc\x0c" + uleb(segment) + b"\x00"
        return b"\xfc\x0d" + uleb(segment)  # elem.drop

    def _call_void(self, depth: int) -> bytes:
        func = pick(self.c, self.callable)
        func_type = self.spec.func_type(func)
        return self._call_args(func_type, depth) + b"\x10" + uleb(func) + b"\x1a" * len(func_type[1])

    def _if_void(self, depth: int) -> bytes:
        cond = self.expr(I32, depth - 1)
        self.labels.append(None)
        then = self.statements(depth - 1, 3)
        other = self.statements(depth - 1, 3) if chance(self.c, 50) else None
        self.labels.pop()
        return cond + b"\x04\x40" + then + (b"\x05" + other if other is not None else b"") + b"\x0b"

    def _block_void(self, depth: int) -> bytes:
        self.labels.append(None)
        body = self.statements(depth - 1, 3)
        if chance(self.c, 30):  # a br_table over the enclosing value-less labels
            void = [i for i, label in enumerate(reversed(self.labels)) if label is None]
            targets = [pick(self.c, void) for _ in range(self.c.integer(0, 3))]
            body += self.expr(I32, depth - 1) + b"\x0e" + uleb(len(targets)) + b"".join(uleb(x) for x in targets) \
                + uleb(pick(self.c, void))
        self.labels.pop()
        return b"\x02\x40" + body + b"\x0b"

    def _counted_loop(self, depth: int) -> bytes:
        counter = self._new_local(I32)
        self.reserved.add(counter)
        self.labels.append(None)
        body = self.statements(depth - 1, 3)
        self.labels.pop()
        start = b"\x41" + sleb(self.c.integer(1, 6)) + b"\x21" + uleb(counter)
        step = b"\x20" + uleb(counter) + b"\x41\x01\x6b\x22" + uleb(counter) + b"\x0d\x00"
        if chance(self.c, 3):  # an endless loop: fuel must stop it
            step = b"\x0c\x00"
        return start + b"\x03\x40" + body + step + b"\x0b"

    def _branch(self, depth: int) -> bytes:
        void = [i for i, label in enumerate(reversed(self.labels)) if label is None]
        return self.expr(I32, depth - 1) + b"\x0d" + uleb(pick(self.c, void))

    def _early_return(self, depth: int) -> bytes:
        if chance(self.c, 90):
            return b"\x01"
        values = b"".join(self.expr(t, depth - 1) for t in self.results)
        body = b"\x00" if chance(self.c, 30) else values + b"\x0f"  # unreachable or return
        return self.expr(I32, depth - 1) + b"\x04\x40" + body + b"\x0b"

    def body(self, depth: int) -> FuncBody:
        code = self.statements(depth, 5) + b"".join(self.expr(t, depth) for t in self.results)
        return FuncBody(0, self.locals[self.nparams:], code)


def _offset(choices: Choices, bound: int) -> bytes:
    if chance(choices, 90):
        return b"\x41" + sleb(choices.integer(0, bound))
    return b"\x41" + sleb(pick(choices, (bound + 1, 65536, -1)))


def generate_spec(choices: Choices, max_funcs: int = 6, depth: int = 4, budget: int = 60,
                  features: frozenset[str] = frozenset()) -> ModuleSpec:
    """A random module; `features` adds Wasm 3.0 parts and instructions (lab.fuzz.wasm3.FEATURES)."""
    wasm3.check_features(features)
    spec = ModuleSpec()
    for _ in range(choices.integer(1, 5)):
        params = tuple(pick(choices, NUM_TYPES) for _ in range(choices.integer(0, 3)))
        results = tuple(pick(choices, NUM_TYPES) for _ in range(pick(choices, (0, 1, 1, 1, 2))))
        spec.types.append((params, results))
    for host_name in sorted(HOST_FUNCS):
        if chance(choices, 40):
            spec.types.append(HOST_FUNCS[host_name])
            spec.func_imports.append((HOST_MODULE, host_name, len(spec.types) - 1))
    defined_types = [choices.integer(0, len(spec.types) - 1) for _ in range(choices.integer(1, max_funcs))]
    spec.funcs = [FuncBody(t, [], b"") for t in defined_types]
    if chance(choices, 70):
        minimum = choices.integer(0, 2) if chance(choices, 95) else pick(choices, (17, 65536))
        spec.memories.append((minimum, pick(choices, (None, minimum, minimum + 1, 8))))
    if chance(choices, 50):
        minimum = choices.integer(0, 8)
        spec.tables.append((FUNCREF, minimum, pick(choices, (None, minimum, 20))))
    for _ in range(choices.integer(0, 4)):
        t = pick(choices, NUM_TYPES)
        mutable = chance(choices, 70)
        init = const(choices, t)
        if "extended-const" in features:
            init = wasm3.extended_const(choices, spec, t, init, defined_globals="gc" in features)
        spec.globals.append((t, mutable, init))
    if spec.memories:
        room = max(0, spec.memories[0][0] * 65536 - 12)  # mostly in bounds, so most modules instantiate
        for _ in range(choices.integer(0, 2)):
            offset = _offset(choices, room)
            if "extended-const" in features and chance(choices, 30):
                offset = wasm3.extended_const(choices, spec, I32, offset, defined_globals="gc" in features)
            spec.datas.append((offset, sized_bytes(choices, 12)))
        for _ in range(choices.integer(0, 2)):
            spec.passive_datas.append(sized_bytes(choices, 12))
    if spec.tables:
        funcs = range(spec.func_count)
        for _ in range(choices.integer(0, 2)):
            offset = _offset(choices, max(0, spec.tables[0][1] - 3))
            spec.elems.append((offset, [pick(choices, funcs) for _ in range(choices.integer(0, 3))]))
        if chance(choices, 40):
            spec.passive_elems.append([pick(choices, funcs) for _ in range(choices.integer(0, 3))])
    if features:
        wasm3.extend_spec(choices, spec, features)
    first_defined = len(spec.func_imports)
    for position, func in enumerate(spec.funcs):
        index = first_defined + position
        # Calls go to earlier functions (always terminates); now and then anywhere (recursion).
        callable_funcs = list(range(index)) if chance(choices, 90) else list(range(spec.func_count))
        params, results = spec.types[func.type_index]
        writer = _FunctionWriter(choices, spec, params, results, budget, callable_funcs, features)
        written = writer.body(depth)
        unused = [pick(choices, NUM_TYPES) for _ in range(choices.integer(0, 2))]
        func.locals, func.code = written.locals + unused, written.code
    for index in range(spec.func_count):
        spec.exports.append((f"f{index}", KIND_FUNC, index))
    if spec.memories:
        spec.exports.append(("mem", KIND_MEMORY, 0))
    if spec.tables:
        spec.exports.append(("tab", KIND_TABLE, 0))
    for index in range(len(spec.globals)):
        spec.exports.append((f"g{index}", KIND_GLOBAL, index))
    void_funcs = [first_defined + i for i, f in enumerate(spec.funcs) if spec.types[f.type_index] == ((), ())]
    if void_funcs and chance(choices, 20):
        spec.start = pick(choices, void_funcs)
    return spec


def generate_module(choices: Choices, features: frozenset[str] = frozenset(),
                    **options: int) -> tuple[ModuleSpec, bytes]:
    spec = generate_spec(choices, features=features, **options)
    return spec, encode_module(spec)

