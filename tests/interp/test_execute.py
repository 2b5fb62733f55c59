"""The interp engine's compile step and executor (lab/interp/compile.py, machine.py) and
instantiation (runtime.py), driven through small modules."""

from __future__ import annotations

import math
import struct

import pytest

from lab.interp import module as m
from lab.interp import runtime as rt
from lab.interp.compile import compile_function
from lab.interp.errors import (
    TRAP_DIV_ZERO,
    TRAP_INDIRECT_MISMATCH,
    TRAP_OOB_MEMORY,
    TRAP_OOB_TABLE,
    TRAP_OUT_OF_FUEL,
    TRAP_STACK_EXHAUSTED,
    TRAP_UNDEFINED_ELEMENT,
    TRAP_UNINITIALIZED_ELEMENT,
    TRAP_UNREACHABLE,
    LimitError,
    LinkError,
    Trap,
)
from lab.interp.machine import execute

wasmtime = pytest.importorskip("wasmtime")


def load(wat: str, store: rt.Store | None = None, externs=()) -> tuple[rt.Store, rt.ModuleInst]:
    from lab.interp.decode import decode_module
    store = store or rt.Store()
    module = decode_module(wasmtime.wat2wasm(wat))
    return store, rt.instantiate(store, module, list(externs))


def call(store, inst, name, *args):
    return execute(store, inst.exports[name], list(args))


def trap_kind(store, inst, name, *args) -> str:
    with pytest.raises(Trap) as e:
        call(store, inst, name, *args)
    return e.value.kind


def test_hand_built_module_without_decoder():
    # (func (param i32 i32) (result i32) local.get 0 local.get 1 i32.add)
    mod = m.Module(
        types=[m.FuncType((m.I32, m.I32), (m.I32,))],
        funcs=[m.Function(0, m.Code([], [(0x20, 0), (0x20, 1), (0x6A,), (0x0B,)]))],
        exports=[m.Export("add", m.KIND_FUNC, 0)],
    )
    store = rt.Store()
    inst = rt.instantiate(store, mod, [])
    assert call(store, inst, "add", 0xFFFFFFFF, 2) == [1]
    code = compile_function(mod, [mod.types[0]], 0)
    assert code.nparams == 2 and code.nresults == 1


def test_control_flow_and_multivalue():
    store, inst = load("""
    (module
      (func (export "sum") (param $n i32) (result i32) (local $s i32)
        (block $out (loop $top
          (br_if $out (i32.eqz (local.get $n)))
          (local.set $s (i32.add (local.get $s) (local.get $n)))
          (local.set $n (i32.sub (local.get $n) (i32.const 1)))
          (br $top)))
        (local.get $s))
      (func (export "swap") (param i32 i64) (result i64 i32)
        (local.get 1) (local.get 0))
      (func (export "blockmv") (result i32)
        (i32.const 1) (i32.const 2)
        (block (param i32 i32) (result i32) (i32.add))
        (i32.const 10)
        (loop (param i32 i32) (result i32) (i32.mul)))
      (func (export "table") (param i32) (result i32)
        (block $c (block $b (block $a
          (br_table $a $b $c (local.get 0)))
          (return (i32.const 100)))
          (return (i32.const 101)))
        (i32.const 102))
      (func (export "brvalue") (param i32) (result i32)
        (i32.const 7)
        (block (result i32)
          (i32.const 1) (i32.const 2) (i32.const 3)
          (br_if 0 (local.get 0))
          (drop) (drop))
        (i32.add))
      (func (export "ifelse") (param i32) (result i32)
        (if (result i32) (local.get 0) (then (i32.const 1)) (else (i32.const 2)))))
    """)
    assert call(store, inst, "sum", 100) == [5050]
    assert call(store, inst, "swap", 1, 2) == [2, 1]
    assert call(store, inst, "blockmv") == [30]
    assert [call(store, inst, "table", i)[0] for i in (0, 1, 2, 3, 99)] == [100, 101, 102, 102, 102]
    assert call(store, inst, "brvalue", 1) == [10]
    assert call(store, inst, "brvalue", 0) == [8]
    assert call(store, inst, "ifelse", 5) == [1] and call(store, inst, "ifelse", 0) == [2]


def test_recursion_and_exhaustion_without_python_recursion():
    store, inst = load("""
    (module
      (func $fac (export "fac") (param i64) (result i64)
        (if (result i64) (i64.eqz (local.get 0)) (then (i64.const 1))
          (else (i64.mul (local.get 0) (call $fac (i64.sub (local.get 0) (i64.const 1)))))))
      (func $run (export "runaway") (call $run)))
    """, rt.Store(max_call_depth=100_000))
    assert call(store, inst, "fac", 25) == [7034535277573963776]
    assert trap_kind(store, inst, "runaway") == TRAP_STACK_EXHAUSTED
    # deep but bounded recursion well past Python's recursion limit works
    assert call(store, inst, "fac", 5000) == [math.factorial(5000) & (2**64 - 1)]


def test_traps():
    store, inst = load("""
    (module
      (memory 1)
      (type $v (func))
      (type $i (func (result i32)))
      (table 3 funcref)
      (elem (i32.const 0) $f)
      (func $f)
      (func (export "unreachable") unreachable)
      (func (export "div") (param i32 i32) (result i32) (i32.div_u (local.get 0) (local.get 1)))
      (func (export "load") (param i32) (result i32) (i32.load offset=4 (local.get 0)))
      (func (export "store") (param i32) (i64.store (local.get 0) (i64.const -1)))
      (func (export "ci") (param i32) (call_indirect (type $v) (local.get 0)))
      (func (export "ci_wrong") (result i32) (call_indirect (type $i) (i32.const 0)))
      (func (export "tget") (param i32) (result funcref) (table.get (local.get 0))))
    """)
    assert trap_kind(store, inst, "unreachable") == TRAP_UNREACHABLE
    assert trap_kind(store, inst, "div", 1, 0) == TRAP_DIV_ZERO
    assert call(store, inst, "load", 65528) == [0]
    assert trap_kind(store, inst, "load", 65529) == TRAP_OOB_MEMORY
    assert trap_kind(store, inst, "load", 0xFFFFFFFF) == TRAP_OOB_MEMORY
    assert trap_kind(store, inst, "store", 65529) == TRAP_OOB_MEMORY
    assert call(store, inst, "ci", 0) == []
    assert trap_kind(store, inst, "ci", 1) == TRAP_UNINITIALIZED_ELEMENT
    assert trap_kind(store, inst, "ci", 3) == TRAP_UNDEFINED_ELEMENT
    assert trap_kind(store, inst, "ci_wrong") == TRAP_INDIRECT_MISMATCH
    assert trap_kind(store, inst, "tget", 3) == TRAP_OOB_TABLE


def test_nan_bits_survive_memory_locals_and_select():
    store, inst = load("""
    (module
      (memory 1)
      (func (export "f32rt") (param f32) (result f32) (local f32)
        (f32.store (i32.const 8) (local.get 0))
        (local.set 1 (f32.load (i32.const 8)))
        (select (local.get 1) (f32.const 0) (i32.const 1)))
      (func (export "f32neg") (param f32) (result f32) (f32.neg (local.get 0)))
      (func (export "f64rt") (param f64) (result f64)
        (f64.store (i32.const 16) (local.get 0)) (f64.load (i32.const 16)))
      (func (export "reinterp") (result i32) (i32.reinterpret_f32 (f32.const nan:0x200001)))
      (func (export "add") (param f32 f32) (result f32) (f32.add (local.get 0) (local.get 1))))
    """)
    assert call(store, inst, "f32rt", 0x7F800001) == [0x7F800001]
    assert call(store, inst, "f32neg", 0x7F800001) == [0xFF800001]
    snan = struct.unpack("<d", struct.pack("<Q", 0x7FF0000000000001))[0]
    got = call(store, inst, "f64rt", snan)[0]
    assert struct.unpack("<Q", struct.pack("<d", got))[0] == 0x7FF0000000000001
    assert call(store, inst, "reinterp") == [0x7FA00001]
    assert call(store, inst, "add", 0x3F800000, 0x3F800000) == [0x40000000]


def test_memory_grow_respects_store_limit_and_max():
    store, inst = load("""
    (module (memory 1 10)
      (func (export "grow") (param i32) (result i32) (memory.grow (local.get 0)))
      (func (export "size") (result i32) (memory.size)))
    """, rt.Store(max_memory_pages=4))
    assert call(store, inst, "grow", 2) == [1]
    assert call(store, inst, "grow", 2) == [0xFFFFFFFF]  # 5 pages > store limit 4
    assert call(store, inst, "size") == [3]
    with pytest.raises(LimitError):
        load("(module (memory 65536))", rt.Store(max_memory_pages=100))
    with pytest.raises(LimitError):
        load("(module (table 1000000 funcref))", rt.Store(max_table_elements=1000))


def test_fuel():
    src = """
    (module (func (export "spin") (loop (br 0)))
            (func (export "count") (param i32) (result i32)
              (loop (br_if 0 (local.tee 0 (i32.sub (local.get 0) (i32.const 1)))))
              (local.get 0)))
    """
    store, inst = load(src, rt.Store(fuel=10_000))
    assert trap_kind(store, inst, "spin") == TRAP_OUT_OF_FUEL
    assert store.fuel < 0 or store.fuel <= 10_000
    store.fuel = 1_000_000
    assert call(store, inst, "count", 100) == [0]
    assert 0 < store.fuel < 1_000_000


def test_bulk_memory_and_tables():
    store, inst = load("""
    (module
      (memory 1)
      (data $d "hello")
      (table $t 4 funcref)
      (elem $e func $a $b)
      (func $a (result i32) (i32.const 1))
      (func $b (result i32) (i32.const 2))
      (func (export "init") (memory.init $d (i32.const 10) (i32.const 0) (i32.const 5)))
      (func (export "drop") (data.drop $d))
      (func (export "copy") (memory.copy (i32.const 20) (i32.const 10) (i32.const 5)))
      (func (export "fill") (memory.fill (i32.const 30) (i32.const 0x41) (i32.const 3)))
      (func (export "load8") (param i32) (result i32) (i32.load8_u (local.get 0)))
      (func (export "tinit") (table.init $t $e (i32.const 1) (i32.const 0) (i32.const 2)))
      (func (export "tcall") (param i32) (result i32) (call_indirect (result i32) (local.get 0)))
      (func (export "tgrow") (param i32) (result i32) (table.grow $t (ref.null func) (local.get 0)))
      (func (export "tsize") (result i32) (table.size $t)))
    """)
    call(store, inst, "init")
    call(store, inst, "copy")
    call(store, inst, "fill")
    assert bytes(inst.mem0.data[10:15]) == b"hello"
    assert bytes(inst.mem0.data[20:25]) == b"hello"
    assert bytes(inst.mem0.data[30:33]) == b"AAA"
    call(store, inst, "drop")
    assert trap_kind(store, inst, "init") == TRAP_OOB_MEMORY
    call(store, inst, "tinit")
    assert call(store, inst, "tcall", 1) == [1] and call(store, inst, "tcall", 2) == [2]
    assert call(store, inst, "tgrow", 3) == [4] and call(store, inst, "tsize") == [7]


def test_instantiation_order_and_linking():
    store, lib = load("""
    (module (memory (export "mem") 1) (global (export "g") (mut i32) (i32.const 5))
            (table (export "tab") 2 funcref))
    """)
    imports = [lib.exports["mem"], lib.exports["g"]]
    _, user = load("""
    (module (import "lib" "mem" (memory 1)) (import "lib" "g" (global (mut i32)))
      (data (i32.const 0) "\\01\\02")
      (func (export "bump") (global.set 0 (i32.add (global.get 0) (i32.const 1))))
      (func (export "first") (result i32) (i32.load8_u (i32.const 1))))
    """, store, imports)
    call(store, user, "bump")
    assert lib.exports["g"].value == 6
    assert call(store, user, "first") == [2]
    with pytest.raises(LinkError):
        load('(module (import "lib" "mem" (memory 2)))', store, [lib.exports["mem"]])
    with pytest.raises(LinkError):
        load('(module (import "lib" "g" (global i32)))', store, [lib.exports["g"]])
    # a data segment out of bounds traps at instantiation, earlier segments stay written
    with pytest.raises(Trap) as e:
        load("""(module (import "lib" "mem" (memory 1))
                  (data (i32.const 100) "\\aa") (data (i32.const 65536) "\\bb"))""",
             store, [lib.exports["mem"]])
    assert e.value.kind == TRAP_OOB_MEMORY
    assert lib.exports["mem"].data[100] == 0xAA


def test_start_function_and_host_reentry():
    seen = []

    def host(caller, args):
        seen.append(args[0])
        return ()

    log = rt.FuncInst(m.FuncType((m.I32,), ()), host=host)
    store, inst = load("""
    (module (import "env" "log" (func $log (param i32)))
      (func $start (call $log (i32.const 42)))
      (start $start))
    """, externs=[log])
    assert seen == [42]

    # a host function that calls back into wasm: depth is counted across the host boundary
    store = rt.Store(max_call_depth=50)
    holder = {}

    def reenter(caller, args):
        return execute(store, holder["f"], [args[0]])

    cb = rt.FuncInst(m.FuncType((m.I32,), (m.I32,)), host=reenter)
    _, inst = load("""
    (module (import "env" "cb" (func $cb (param i32) (result i32)))
      (func (export "down") (param i32) (result i32)
        (if (result i32) (local.get 0)
          (then (call $cb (i32.sub (local.get 0) (i32.const 1))))
          (else (i32.const 7)))))
    """, store, [cb])
    holder["f"] = inst.exports["down"]
    assert call(store, inst, "down", 10) == [7]
    assert trap_kind(store, inst, "down", 100) == TRAP_STACK_EXHAUSTED
    assert store.depth == 0


def test_superinstructions_match_plain_code():
    """The fusion pass (compile.py) must not change results: run the same module with and
    without it."""
    from lab.interp import machine
    from lab.interp.decode import decode_module

    wat = """
    (module (memory 1)
      (func (export "mix") (param $n i32) (param $seed i64) (result i64)
        (local $i i32) (local $acc i64) (local $f f64) (local $t i32)
        (loop $l
          (local.set $t (i32.add (local.get $i) (i32.const 7)))
          (i32.store offset=16 (i32.shl (i32.and (local.get $i) (i32.const 255)) (i32.const 2))
                     (local.get $t))
          (i32.store8 (local.get $i) (i32.const 200))
          (local.set $acc (i64.add (local.get $acc)
            (i64.extend_i32_u (i32.load offset=16 (i32.shl (i32.and (local.get $i)
                                                           (i32.const 255)) (i32.const 2))))))
          (local.set $acc (i64.xor (local.get $acc) (i64.shl (local.get $seed) (i64.const 3))))
          (if (i32.lt_s (local.get $i) (i32.const 50))
            (then (local.set $f (f64.add (local.get $f) (f64.const 0.5))))
            (else (local.set $f (f64.mul (local.get $f) (f64.const 0.999)))))
          (br_if $l (i32.lt_u (local.tee $i (i32.add (local.get $i) (i32.const 1)))
                              (local.get $n))))
        (i64.add (local.get $acc) (i64.trunc_f64_s (local.get $f)))))
    """
    wasm = wasmtime.wat2wasm(wat)
    results = []
    for fuse in (True, False):
        module = decode_module(wasm)
        ftypes, cache = rt._module_caches(module)
        cache[0] = compile_function(module, ftypes, 0, fuse=fuse)
        store = rt.Store()
        inst = rt.instantiate(store, module, [])
        results.append([machine.execute(store, inst.exports["mix"], [n, 12345]) for n in
                        (1, 49, 50, 300)])
        ops = {ins[0] for ins in cache[0].code}
        assert ops <= set(machine.HANDLERS)
    assert results[0] == results[1]
