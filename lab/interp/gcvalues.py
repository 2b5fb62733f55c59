"""GC values and the runtime side of the GC instructions (struct.*, array.*, i31, conversions).

Representation (internal, on the operand stack):
  struct       Struct(type, fields, heap): `type` its canonical type (gctypes), fields a list
  array        Array(type, elems, heap): elems a list (packed i8/i16 elements as masked ints)
  i31          a Python int 0 <= x < 2**31 (nothing else in the any hierarchy is an int)
  internalized an externref as anyref: HostAny(value), unless it was an externalized any value,
               which unwraps (any.convert_extern(extern.convert_any(x)) is x)
  externalized an anyref as externref: ExternAny(value), unless a HostAny, which unwraps
Function references stay FuncInst (runtime.py), their type canonical too.

Memory: every struct and array counts against its store's GcHeap (the store's memory limit,
max_memory_pages * 64 KiB, estimated at 8 bytes a slot plus a header), before the list is made;
objects give their bytes back when Python frees them. An allocation past the limit first runs
Python's cycle collector, then traps (TRAP_GC_OUT_OF_MEMORY): a runaway allocation loop ends in a
trap, not in the machine's RAM running out.

The executor calls the op functions below as `fn(stack, inst, b)` (b: the immediate compile.py
prepared from the module's types); eval_const reuses them for constant expressions.
"""

from __future__ import annotations

import gc
import struct as _struct

from . import gctypes as gt
from . import module as m
from .errors import (
    TRAP_CAST_FAILURE,
    TRAP_GC_OUT_OF_MEMORY,
    TRAP_NULL_ARRAY,
    TRAP_NULL_I31,
    TRAP_NULL_STRUCT,
    TRAP_OOB_ARRAY,
    TRAP_OOB_MEMORY,
    TRAP_OOB_TABLE,
    Trap,
)

M32 = 0xFFFFFFFF
HEADER_BYTES = 64
SLOT_BYTES = 8


class GcHeap:
    """Live GC bytes of one store and their limit."""

    __slots__ = ("live", "limit")

    def __init__(self, limit: int) -> None:
        self.live = 0
        self.limit = limit

    def charge(self, slots: int) -> None:
        size = HEADER_BYTES + SLOT_BYTES * slots
        self.live += size
        if self.live > self.limit:
            gc.collect()
            if self.live > self.limit:
                self.live -= size
                raise Trap(TRAP_GC_OUT_OF_MEMORY, f"{self.limit} bytes")


class Struct:
    __slots__ = ("type", "fields", "heap")

    def __init__(self, type_: object, fields: list, heap: GcHeap) -> None:
        heap.charge(len(fields))
        self.type = type_
        self.fields = fields
        self.heap = heap

    def __del__(self) -> None:
        self.heap.live -= HEADER_BYTES + SLOT_BYTES * len(self.fields)


class Array:
    __slots__ = ("type", "elems", "heap")

    def __init__(self, type_: object, elems: list, heap: GcHeap) -> None:
        self.type = type_
        self.elems = elems
        self.heap = heap

    def __del__(self) -> None:
        self.heap.live -= HEADER_BYTES + SLOT_BYTES * len(self.elems)


def new_array(type_: object, n: int, value, heap: GcHeap) -> Array:
    heap.charge(n)  # before the list exists
    return Array(type_, [value] * n, heap)


def array_of(type_: object, elems: list, heap: GcHeap) -> Array:
    heap.charge(len(elems))
    return Array(type_, elems, heap)


class HostAny:
    """An externref internalized into the any hierarchy."""

    __slots__ = ("value",)

    def __init__(self, value: object) -> None:
        self.value = value

    def __eq__(self, other: object) -> bool:
        return isinstance(other, HostAny) and other.value == self.value

    def __hash__(self) -> int:
        return hash(self.value)


class ExternAny:
    """An anyref externalized into the extern hierarchy."""

    __slots__ = ("value",)

    def __init__(self, value: object) -> None:
        self.value = value


def heap_of(inst) -> GcHeap:
    store = inst.store
    heap = store.gc_heap
    if heap is None:
        heap = store.gc_heap = GcHeap(store.max_memory_pages * m.PAGE_SIZE)
    return heap


# ---------------------------------------------------------------------------------------------
# Casts: a predicate per target reference type (compiled once per instruction)

def cast_predicate(canon: list, rt: int):
    """A function value -> bool: whether a value of rt's hierarchy is in rt."""
    nullable = not rt & m.NON_NULL
    h = rt & ~m.NON_NULL
    if h >= m.HT_INDEX:
        target = canon[h - m.HT_INDEX]

        def concrete(v) -> bool:
            if v is None:
                return nullable
            t = getattr(v, "type", None)
            return t is target or (t is not None and target in gt.canon_chain(t))
        return concrete
    if h in (m.HT_ANY, m.HT_FUNC, m.HT_EXTERN, m.HT_EXN):
        return (lambda v: True) if nullable else (lambda v: v is not None)
    if h in (m.HT_NONE, m.HT_NOFUNC, m.HT_NOEXTERN, m.HT_NOEXN):
        return (lambda v: v is None)
    kinds = {m.HT_EQ: (int, Struct, Array), m.HT_I31: (int,), m.HT_STRUCT: (Struct,),
             m.HT_ARRAY: (Array,)}[h]

    def abstract(v) -> bool:
        if v is None:
            return nullable
        return v.__class__ in kinds
    return abstract


def ref_cast(stack: list, inst, pred) -> None:
    if not pred(stack[-1]):
        raise Trap(TRAP_CAST_FAILURE)


# ---------------------------------------------------------------------------------------------
# Ops: fn(stack, inst, b)

def _sext(v: int, bits: int) -> int:
    sign = 1 << (bits - 1)
    return ((v ^ sign) - sign) & M32


def struct_new(stack: list, inst, b) -> None:
    canon, n, masks = b
    if n:
        fields = stack[-n:]
        del stack[-n:]
        if masks:
            for i, mask in masks:
                fields[i] &= mask
    else:
        fields = []
    stack.append(Struct(canon, fields, heap_of(inst)))


def struct_new_default(stack: list, inst, b) -> None:
    canon, defaults = b
    stack.append(Struct(canon, list(defaults), heap_of(inst)))


def struct_get(stack: list, inst, b) -> None:
    i, bits = b
    s = stack[-1]
    if s is None:
        raise Trap(TRAP_NULL_STRUCT)
    v = s.fields[i]
    stack[-1] = _sext(v, bits) if bits else v


def struct_set(stack: list, inst, b) -> None:
    i, mask = b
    v = stack.pop()
    s = stack.pop()
    if s is None:
        raise Trap(TRAP_NULL_STRUCT)
    s.fields[i] = v & mask if mask else v


def array_new(stack: list, inst, b) -> None:
    canon, mask = b
    n = stack.pop()
    v = stack[-1]
    stack[-1] = new_array(canon, n, v & mask if mask else v, heap_of(inst))


def array_new_default(stack: list, inst, b) -> None:
    canon, default = b
    stack[-1] = new_array(canon, stack[-1], default, heap_of(inst))


def array_new_fixed(stack: list, inst, b) -> None:
    canon, n, mask = b
    if n:
        elems = stack[-n:]
        del stack[-n:]
        if mask:
            elems = [v & mask for v in elems]
    else:
        elems = []
    stack.append(array_of(canon, elems, heap_of(inst)))


_DATA_FORMATS = {m.I8: "B", m.I16: "H", m.I32: "I", m.I64: "Q", m.F32: "I", m.F64: "d"}


def data_reader(storage: int):
    """(element size in bytes, function (bytes, offset, n) -> list of values)."""
    if storage == m.V128:
        return 16, lambda data, off, n: [int.from_bytes(data[off + 16 * k:off + 16 * k + 16],
                                                        "little") for k in range(n)]
    fmt = _DATA_FORMATS[storage]
    size = _struct.calcsize(fmt)
    return size, lambda data, off, n: list(_struct.unpack_from(f"<{n}{fmt}", data, off))


def array_new_data(stack: list, inst, b) -> None:
    canon, d, size, read = b
    n = stack.pop()
    off = stack[-1]
    data = inst.datas[d]
    if off + n * size > len(data):
        raise Trap(TRAP_OOB_MEMORY)
    heap_of(inst).charge(n)
    stack[-1] = Array(canon, read(data, off, n), heap_of(inst))


def array_new_elem(stack: list, inst, b) -> None:
    canon, e = b
    n = stack.pop()
    off = stack[-1]
    seg = inst.elems[e]
    if off + n > len(seg):
        raise Trap(TRAP_OOB_TABLE)
    stack[-1] = array_of(canon, list(seg[off:off + n]), heap_of(inst))


def array_get(stack: list, inst, bits) -> None:
    i = stack.pop()
    a = stack[-1]
    if a is None:
        raise Trap(TRAP_NULL_ARRAY)
    elems = a.elems
    if i >= len(elems):
        raise Trap(TRAP_OOB_ARRAY)
    v = elems[i]
    stack[-1] = _sext(v, bits) if bits else v


def array_set(stack: list, inst, mask) -> None:
    v = stack.pop()
    i = stack.pop()
    a = stack.pop()
    if a is None:
        raise Trap(TRAP_NULL_ARRAY)
    elems = a.elems
    if i >= len(elems):
        raise Trap(TRAP_OOB_ARRAY)
    elems[i] = v & mask if mask else v


def array_len(stack: list, inst, b) -> None:
    a = stack[-1]
    if a is None:
        raise Trap(TRAP_NULL_ARRAY)
    stack[-1] = len(a.elems)


def _pop_array_range(stack: list) -> tuple:
    """The operands (array, d, x, n) of array.fill (x: the value) and array.init_* (x: the source
    offset), with the array checked non-null and d + n within it."""
    n = stack.pop()
    x = stack.pop()
    d = stack.pop()
    a = stack.pop()
    if a is None:
        raise Trap(TRAP_NULL_ARRAY)
    if d + n > len(a.elems):
        raise Trap(TRAP_OOB_ARRAY)
    return a, d, x, n


def array_fill(stack: list, inst, mask) -> None:
    a, d, v, n = _pop_array_range(stack)
    if n:
        a.elems[d:d + n] = [v & mask if mask else v] * n


def array_copy(stack: list, inst, b) -> None:
    n = stack.pop()
    s = stack.pop()
    src = stack.pop()
    d = stack.pop()
    dst = stack.pop()
    if src is None or dst is None:
        raise Trap(TRAP_NULL_ARRAY)
    if s + n > len(src.elems) or d + n > len(dst.elems):
        raise Trap(TRAP_OOB_ARRAY)
    if n:
        dst.elems[d:d + n] = src.elems[s:s + n]


def array_init_data(stack: list, inst, b) -> None:
    dataidx, size, read = b
    a, d, s, n = _pop_array_range(stack)
    data = inst.datas[dataidx]
    if s + n * size > len(data):
        raise Trap(TRAP_OOB_MEMORY)
    if n:
        a.elems[d:d + n] = read(data, s, n)


def array_init_elem(stack: list, inst, e) -> None:
    a, d, s, n = _pop_array_range(stack)
    seg = inst.elems[e]
    if s + n > len(seg):
        raise Trap(TRAP_OOB_TABLE)
    if n:
        a.elems[d:d + n] = seg[s:s + n]


def ref_i31(stack: list, inst, b) -> None:
    stack[-1] &= 0x7FFFFFFF


def i31_get(stack: list, inst, signed) -> None:
    v = stack[-1]
    if v is None:
        raise Trap(TRAP_NULL_I31)
    stack[-1] = _sext(v, 31) if signed else v


def any_convert_extern(stack: list, inst, b) -> None:
    v = stack[-1]
    if v is not None:
        stack[-1] = v.value if isinstance(v, ExternAny) else HostAny(v)


def extern_convert_any(stack: list, inst, b) -> None:
    v = stack[-1]
    if v is not None:
        stack[-1] = v.value if isinstance(v, HostAny) else ExternAny(v)


def default_value(storage: int):
    if storage == m.F64:
        return 0.0
    if m.is_ref(storage):
        return None
    return 0


def mask_of(storage: int) -> int:
    return 0xFF if storage == m.I8 else 0xFFFF if storage == m.I16 else 0


def sign_bits(storage: int, signed: bool) -> int:
    if not signed:
        return 0
    return 8 if storage == m.I8 else 16


def lower(ins: tuple, mod: m.Module, canon: list):
    """(function, immediate) for a GC instruction of the module."""
    from . import opcodes as ops
    op = ins[0]
    if op in (ops.STRUCT_NEW, ops.STRUCT_NEW_DEFAULT):
        st = mod.types[ins[1]]
        if op == ops.STRUCT_NEW:
            masks = tuple((i, mask_of(f.storage)) for i, f in enumerate(st.fields)
                          if mask_of(f.storage))
            return struct_new, (canon[ins[1]], len(st.fields), masks)
        return struct_new_default, (canon[ins[1]],
                                    tuple(default_value(f.storage) for f in st.fields))
    if op in (ops.STRUCT_GET, ops.STRUCT_GET_S, ops.STRUCT_GET_U):
        f = mod.types[ins[1]].fields[ins[2]]
        return struct_get, (ins[2], sign_bits(f.storage, op == ops.STRUCT_GET_S))
    if op == ops.STRUCT_SET:
        f = mod.types[ins[1]].fields[ins[2]]
        return struct_set, (ins[2], mask_of(f.storage))
    if op in (ops.ARRAY_NEW, ops.ARRAY_NEW_DEFAULT, ops.ARRAY_NEW_FIXED, ops.ARRAY_NEW_DATA,
              ops.ARRAY_NEW_ELEM, ops.ARRAY_GET, ops.ARRAY_GET_S, ops.ARRAY_GET_U,
              ops.ARRAY_SET, ops.ARRAY_FILL, ops.ARRAY_INIT_DATA):
        storage = mod.types[ins[1]].field.storage
        c = canon[ins[1]]
        if op == ops.ARRAY_NEW:
            return array_new, (c, mask_of(storage))
        if op == ops.ARRAY_NEW_DEFAULT:
            return array_new_default, (c, default_value(storage))
        if op == ops.ARRAY_NEW_FIXED:
            return array_new_fixed, (c, ins[2], mask_of(storage))
        if op == ops.ARRAY_NEW_DATA:
            return array_new_data, (c, ins[2]) + data_reader(storage)
        if op == ops.ARRAY_NEW_ELEM:
            return array_new_elem, (c, ins[2])
        if op == ops.ARRAY_SET or op == ops.ARRAY_FILL:
            return (array_set if op == ops.ARRAY_SET else array_fill), mask_of(storage)
        if op == ops.ARRAY_INIT_DATA:
            return array_init_data, (ins[2],) + data_reader(storage)
        return array_get, sign_bits(storage, op == ops.ARRAY_GET_S)
    simple = {ops.ARRAY_LEN: (array_len, None), ops.ARRAY_COPY: (array_copy, None),
              ops.ARRAY_INIT_ELEM: (array_init_elem, ins[2] if len(ins) > 2 else None),
              ops.REF_I31: (ref_i31, None), ops.I31_GET_S: (i31_get, True),
              ops.I31_GET_U: (i31_get, False),
              ops.ANY_CONVERT_EXTERN: (any_convert_extern, None),
              ops.EXTERN_CONVERT_ANY: (extern_convert_any, None)}
    if op in simple:
        return simple[op]
    if op in (ops.REF_CAST, ops.REF_CAST_NULL):
        return ref_cast, cast_predicate(canon, ins[1])
    raise NotImplementedError(f"GC opcode {op:#x}")
