"""The Wasm 3.0 instructions the generator adds when asked (`generate_module(..., features=...)`).

Each feature contributes module parts (`extend_spec`, before the bodies are written) and makers of
values or statements (`expr_makers`, `statement_makers`) that a function writer (generate.py)
mixes in with the 2.0 ones. Everything stays valid by construction and deterministic, so the
oracle can hold our engine to wasmtime's results:

  tail-call            return_call / return_call_indirect in a guarded arm
  wide-arithmetic      i64.add128, i64.sub128, i64.mul_wide_s/u, both results used
  extended-const       i32/i64 add, sub, mul and global.get in global initializers and offsets
  multi-memory         a second memory: loads, stores, size, grow, fill, copy between the two
  memory64             ... that second memory has 64-bit addresses (needs multi-memory)
  exceptions           tags, throws, try_table with catch / catch_ref / catch_all, throw_ref
                       (lab/fuzz/exceptions.py); an uncaught throw is an outcome both report
  function-references  call_ref of ref.func, ref.as_non_null, br_on_null on a typed null
  gc                   i31 refs, ref.eq, ref.test, struct and array new/get/len, extern conversions
  threads              atomic loads, stores, read-modify-writes, cmpxchg, wait, notify, fence
                       (generate.py's _atomic; memories stay unshared, see engines.py)

Relaxed SIMD is left out: the generator makes no v128 values (wasmtime-py cannot pass them).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Callable

from lab.fuzz import exceptions
from lab.fuzz.choices import Choices, chance, pick
from lab.fuzz.encode import F32, F64, GC_TYPE, I32, I64, KIND_MEMORY, ModuleSpec, sleb, uleb

if TYPE_CHECKING:
    from lab.fuzz.generate import _FunctionWriter

FEATURES = ("tail-call", "wide-arithmetic", "extended-const", "multi-memory", "memory64", "exceptions",
            "function-references", "gc", "threads")

I31_HEAP, EQ_HEAP, ANY_HEAP, STRUCT_HEAP = 0x6C, 0x6D, 0x6E, 0x6B
I8, I16 = 0x78, 0x77  # packed storage types of struct and array fields
_GC = b"\xfb"
_WIDE = {"add128": (19, 4), "sub128": (20, 4), "mul_wide_s": (21, 2), "mul_wide_u": (22, 2)}
_CONST_OPS = {I32: (0x6A, 0x6B, 0x6C), I64: (0x7C, 0x7D, 0x7E)}  # add, sub, mul
# Loads and stores by value type: (opcode, natural alignment), as generate.py's for memory 0.
_LOADS = {I32: ((0x28, 2), (0x2C, 0), (0x2D, 0), (0x2E, 1), (0x2F, 1)),
          I64: ((0x29, 3), (0x30, 0), (0x31, 0), (0x32, 1), (0x33, 1), (0x34, 2), (0x35, 2))}
_STORES = {I32: ((0x36, 2), (0x3A, 0), (0x3B, 1)), I64: ((0x37, 3), (0x3C, 0), (0x3D, 1), (0x3E, 2))}

Maker = Callable[[int, int], bytes]


def check_features(features: frozenset[str]) -> None:
    unknown = features - set(FEATURES)
    if unknown:
        raise ValueError(f"unknown generator features {sorted(unknown)}; known: {', '.join(FEATURES)}")
    if "memory64" in features and "multi-memory" not in features:
        raise ValueError("memory64 applies to the second memory: add multi-memory")


# -- module parts --------------------------------------------------------------------------------

def extend_spec(choices: Choices, spec: ModuleSpec, features: frozenset[str]) -> None:
    """Add the memories, tags and GC types the features' instructions use (before bodies are written)."""
    if "multi-memory" in features and spec.memories:
        is64 = "memory64" in features and chance(choices, 70)
        minimum = choices.integer(0, 2)
        spec.memories.append((minimum, pick(choices, (None, minimum + 1, 4))))
        if is64:
            spec.memory64.add(1)
        spec.exports.append(("mem1", KIND_MEMORY, 1))
    if "exceptions" in features:
        exceptions.add_tags(choices, spec)
    if "gc" in features:
        fields = [(pick(choices, (I32, I64, F32, F64, I8, I16)), chance(choices, 50))
                  for _ in range(choices.integer(1, 4))]
        _add_gc_type(spec, b"\x5f" + uleb(len(fields)) + b"".join(bytes([t, int(m)]) for t, m in fields), fields)
        element = (pick(choices, (I32, I64, I8, I16)), True)
        _add_gc_type(spec, b"\x5e" + bytes([element[0], 1]), [element])


def _add_gc_type(spec: ModuleSpec, encoded: bytes, fields: list[tuple[int, bool]]) -> None:
    spec.types.append(GC_TYPE)
    spec.gc_types[len(spec.types) - 1] = encoded
    spec.gc_fields[len(spec.types) - 1] = fields


def extended_const(choices: Choices, spec: ModuleSpec, t: int, plain: bytes, defined_globals: bool) -> bytes:
    """An extended constant expression of type t (i32/i64) built around `plain` (a t.const):
    arithmetic with constants and, with `defined_globals` (a GC-era rule: 3.0 lets a constant
    expression read any earlier immutable global, not only imported ones), global.get."""
    if t not in _CONST_OPS or not chance(choices, 60):
        return plain
    earlier = [i for i, (gt, mutable, _) in enumerate(spec.globals) if gt == t and not mutable] \
        if defined_globals else []
    operand = (b"\x23" + uleb(pick(choices, earlier)) if earlier and chance(choices, 50)
               else (b"\x41" if t == I32 else b"\x42") + sleb(choices.integer(-1000, 1000)))
    return plain + operand + bytes([pick(choices, _CONST_OPS[t])])


# -- function-body makers ------------------------------------------------------------------------

def expr_makers(w: _FunctionWriter, t: int) -> list[Maker]:
    f = w.features
    makers: list[Maker] = []
    if "wide-arithmetic" in f and t == I64:
        makers += [lambda t, d: _wide(w, d)]
    if "multi-memory" in f and len(w.spec.memories) > 1:
        makers += [lambda t, d: _load1(w, t, d)]
        if t == _index_type(w):
            makers += [lambda t, d: _size_grow1(w, d)]
    if "function-references" in f and w._funcs_returning(t):
        makers += [lambda t, d: _call_ref(w, t, d)]
    if "gc" in f:
        if t == I32:
            makers += [lambda t, d: _i31(w, d), lambda t, d: _ref_eq(w, d), lambda t, d: _ref_test(w, d),
                       lambda t, d: _array_len(w, d)]
        if any(_unpacked(ft) == t for ft, _ in w.spec.gc_fields[_struct_index(w)]):
            makers += [lambda t, d: _struct_get(w, t, d)]
        if _unpacked(w.spec.gc_fields[_struct_index(w) + 1][0][0]) == t:
            makers += [lambda t, d: _array_get(w, t, d)]
    return makers


def statement_makers(w: _FunctionWriter) -> list[Callable[[int], bytes]]:
    f = w.features
    makers: list[Callable[[int], bytes]] = []
    if "tail-call" in f:
        makers += [lambda d: _return_call(w, d)]
    if "multi-memory" in f and len(w.spec.memories) > 1:
        makers += [lambda d: _store1(w, d), lambda d: _bulk1(w, d)]
    if "exceptions" in f:
        makers += exceptions.statement_makers(w)
    if "function-references" in f:
        makers += [lambda d: _br_on_null_call(w, d)]
    return makers


def _unpacked(storage: int) -> int:
    return I32 if storage in (I8, I16) else storage


def _wide(w: _FunctionWriter, depth: int) -> bytes:
    name = pick(w.c, sorted(_WIDE))
    sub, operands = _WIDE[name]
    code = b"".join(w.expr(I64, depth - 1) for _ in range(operands)) + b"\xfc" + uleb(sub)
    roll = w.c.integer(0, 2)
    if roll == 0:
        return code + b"\x85"  # i64.xor: both halves reach the value
    if roll == 1:
        return code + b"\x21" + uleb(w._new_local(I64))  # the high half to a local, the low one stays
    return code + b"\x1a"  # the low half


# multi-memory / memory64: the second memory, index 1

def _index_type(w: _FunctionWriter) -> int:
    return I64 if 1 in w.spec.memory64 else I32


def _address1(w: _FunctionWriter, depth: int) -> bytes:
    t = _index_type(w)
    if chance(w.c, 60):
        return (b"\x41" if t == I32 else b"\x42") + sleb(w.c.integer(0, 65540))
    return w.expr(t, depth - 1)


def _memarg1(w: _FunctionWriter, natural: int) -> bytes:
    offset = w.c.integer(0, 64) if chance(w.c, 90) else pick(w.c, (65532, 65536, 0xFFFFFFFF))
    return uleb(w.c.integer(0, natural) | 0x40) + uleb(1) + uleb(offset)  # bit 6: a memory index follows


def _load1(w: _FunctionWriter, t: int, depth: int) -> bytes:
    if t not in _LOADS:
        return w._leaf(t)
    opcode, natural = pick(w.c, _LOADS[t])
    return _address1(w, depth) + bytes([opcode]) + _memarg1(w, natural)


def _store1(w: _FunctionWriter, depth: int) -> bytes:
    t = pick(w.c, (I32, I64))
    opcode, natural = pick(w.c, _STORES[t])
    return _address1(w, depth) + w.expr(t, depth - 1) + bytes([opcode]) + _memarg1(w, natural)


def _size_grow1(w: _FunctionWriter, depth: int) -> bytes:
    if chance(w.c, 50):
        return b"\x3f\x01"
    t = _index_type(w)
    return (b"\x41" if t == I32 else b"\x42") + sleb(w.c.integer(0, 2)) + b"\x40\x01"


def _bulk1(w: _FunctionWriter, depth: int) -> bytes:
    t1 = _index_type(w)
    length_type = I64 if t1 == I64 and 0 in w.spec.memory64 else I32  # i64 only between two 64-bit memories
    length = (b"\x41" if length_type == I32 else b"\x42") + sleb(w.c.integer(0, 70))
    if chance(w.c, 40):  # memory.fill on memory 1
        return _address1(w, depth) + w.expr(I32, depth - 1) + (b"\x41" if t1 == I32 else b"\x42") \
            + sleb(w.c.integer(0, 70)) + b"\xfc\x0b\x01"
    if chance(w.c, 50):  # memory.copy 1 <- 0
        return _address1(w, depth) + w._address(depth) + length + b"\xfc\x0a\x01\x00"
    return w._address(depth) + _address1(w, depth) + length + b"\xfc\x0a\x00\x01"  # 0 <- 1


# tail calls and typed function references

def _return_call(w: _FunctionWriter, depth: int) -> bytes:
    funcs = [f for f in w.callable if w.spec.func_type(f)[1] == w.results]
    types = [i for i, ty in enumerate(w.spec.types) if ty[1] == w.results] if w.spec.tables else []
    if not funcs and not types:
        return b"\x01"
    if funcs and (not types or chance(w.c, 60)):
        func = pick(w.c, funcs)
        call = w._call_args(w.spec.func_type(func), depth) + b"\x12" + uleb(func)
    else:
        type_index = pick(w.c, types)
        call = (w._call_args(w.spec.types[type_index], depth) + w.expr(I32, depth - 1)
                + b"\x13" + uleb(type_index) + b"\x00")
    return w.expr(I32, depth - 1) + b"\x04\x40" + call + b"\x0b"


def _call_ref(w: _FunctionWriter, t: int, depth: int) -> bytes:
    func = pick(w.c, w._funcs_returning(t))
    type_index = w.spec.func_type_index(func)
    non_null = b"\xd4" if chance(w.c, 30) else b""  # ref.as_non_null on a non-null ref: no trap
    return (w._call_args(w.spec.func_type(func), depth) + b"\xd2" + uleb(func) + non_null
            + b"\x14" + uleb(type_index))


def _br_on_null_call(w: _FunctionWriter, depth: int) -> bytes:
    """block: args, a typed function ref or a typed null, br_on_null 0, call_ref, drop the results."""
    if not w.callable:
        return b"\x01"
    func = pick(w.c, w.callable)
    type_index = w.spec.func_type_index(func)
    params, results = w.spec.func_type(func)
    w.labels.append(None)
    args = w._call_args((params, results), depth)
    w.labels.pop()
    ref = b"\xd0" + sleb(type_index) if chance(w.c, 40) else b"\xd2" + uleb(func)
    return (b"\x02\x40" + args + ref + b"\xd5\x00" + b"\x14" + uleb(type_index)
            + b"\x1a" * len(results) + b"\x0b")


# gc

def _i31(w: _FunctionWriter, depth: int) -> bytes:
    get = pick(w.c, (b"\x1d", b"\x1e"))  # i31.get_s / i31.get_u
    if chance(w.c, 30):  # through externref and back
        return (w.expr(I32, depth - 1) + _GC + b"\x1c" + _GC + b"\x1b" + _GC + b"\x1a"
                + _GC + b"\x16" + bytes([I31_HEAP]) + _GC + get)  # ref.cast (ref i31)
    return w.expr(I32, depth - 1) + _GC + b"\x1c" + _GC + get


def _ref_eq(w: _FunctionWriter, depth: int) -> bytes:
    return w.expr(I32, depth - 1) + _GC + b"\x1c" + w.expr(I32, depth - 1) + _GC + b"\x1c" + b"\xd3"


def _struct_index(w: _FunctionWriter) -> int:
    return min(w.spec.gc_types)  # extend_spec's struct type; its array type follows it


def _new_struct(w: _FunctionWriter, depth: int) -> bytes:
    index = _struct_index(w)
    if chance(w.c, 30):
        return _GC + b"\x01" + uleb(index)  # struct.new_default
    values = b"".join(w.expr(_unpacked(ft), depth - 1) for ft, _ in w.spec.gc_fields[_struct_index(w)])
    return values + _GC + b"\x00" + uleb(index)


def _struct_get(w: _FunctionWriter, t: int, depth: int) -> bytes:
    fields = [i for i, (ft, _) in enumerate(w.spec.gc_fields[_struct_index(w)]) if _unpacked(ft) == t]
    field = pick(w.c, fields)
    packed = w.spec.gc_fields[_struct_index(w)][field][0] in (I8, I16)
    get = pick(w.c, (b"\x03", b"\x04")) if packed else b"\x02"  # get_s / get_u / get
    return _new_struct(w, depth) + _GC + get + uleb(_struct_index(w)) + uleb(field)


def _new_array(w: _FunctionWriter, depth: int) -> bytes:
    index = _struct_index(w) + 1
    element = _unpacked(w.spec.gc_fields[_struct_index(w) + 1][0][0])
    roll = w.c.integer(0, 2)
    if roll == 0:  # array.new: value, length
        return w.expr(element, depth - 1) + b"\x41" + sleb(w.c.integer(0, 6)) + _GC + b"\x06" + uleb(index)
    if roll == 1:  # array.new_default
        return b"\x41" + sleb(w.c.integer(0, 6)) + _GC + b"\x07" + uleb(index)
    count = w.c.integer(0, 3)
    values = b"".join(w.expr(element, depth - 1) for _ in range(count))
    return values + _GC + b"\x08" + uleb(index) + uleb(count)  # array.new_fixed


def _array_get(w: _FunctionWriter, t: int, depth: int) -> bytes:
    index = _struct_index(w) + 1
    packed = w.spec.gc_fields[_struct_index(w) + 1][0][0] in (I8, I16)
    get = pick(w.c, (b"\x0c", b"\x0d")) if packed else b"\x0b"
    position = b"\x41" + sleb(w.c.integer(0, 7))  # past the end now and then: a trap
    return _new_array(w, depth) + position + _GC + get + uleb(index)


def _array_len(w: _FunctionWriter, depth: int) -> bytes:
    return _new_array(w, depth) + _GC + b"\x0f"


def _ref_test(w: _FunctionWriter, depth: int) -> bytes:
    """ref.test of a struct, an array or an i31 against a heap type it may or may not have."""
    roll = w.c.integer(0, 2)
    value = (_new_struct(w, depth) if roll == 0 else _new_array(w, depth) if roll == 1
             else w.expr(I32, depth - 1) + _GC + b"\x1c")
    heap = pick(w.c, (I31_HEAP, EQ_HEAP, ANY_HEAP, STRUCT_HEAP, _struct_index(w), _struct_index(w) + 1))
    test = b"\x14" if chance(w.c, 60) else b"\x15"  # ref.test / ref.test null
    return value + _GC + test + (sleb(heap) if heap < 0x40 else bytes([heap]))
