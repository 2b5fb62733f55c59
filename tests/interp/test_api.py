"""The interp engine's wasmtime-py-shaped embedding API (lab/interp/api.py) and its spec-test
session (lab/runners/interp/spec.py)."""

from __future__ import annotations

import math
import mmap

import pytest

from lab.interp.api import (
    F64,
    FUNCREF,
    I32,
    I64,
    Caller,
    Engine,
    Func,
    FuncType,
    Global,
    GlobalType,
    Instance,
    InvalidError,
    LimitError,
    Linker,
    LinkError,
    MalformedError,
    Memory,
    MemoryType,
    Module,
    Store,
    Table,
    TableType,
    Trap,
    WasmError,
)
from lab.interp.errors import TRAP_DIV_ZERO, TRAP_OUT_OF_FUEL, TRAP_STACK_EXHAUSTED

wasmtime = pytest.importorskip("wasmtime")

WAT = """
(module
  (import "env" "add_host" (func $add_host (param i32 i32) (result i32)))
  (import "env" "write" (func $write (param i32 i32)))
  (memory (export "memory") 1)
  (global $counter (export "counter") (mut i64) (i64.const -5))
  (table (export "table") 2 funcref)
  (func (export "add") (param i32 i32) (result i32) (call $add_host (local.get 0) (local.get 1)))
  (func (export "greet") (call $write (i32.const 0) (i32.const 5)))
  (func (export "neg") (param i64) (result i64) (i64.sub (i64.const 0) (local.get 0)))
  (func (export "half") (param f32) (result f32) (f32.mul (local.get 0) (f32.const 0.5)))
  (func (export "hyp") (param f64 f64) (result f64)
    (f64.sqrt (f64.add (f64.mul (local.get 0) (local.get 0)) (f64.mul (local.get 1) (local.get 1)))))
  (func (export "pair") (result i32 f64) (i32.const -1) (f64.const 2.5))
  (func (export "div") (param i32 i32) (result i32) (i32.div_s (local.get 0) (local.get 1)))
  (func $rec (export "rec") (call $rec))
  (data (i32.const 0) "hello"))
"""


@pytest.fixture()
def env():
    engine = Engine()
    store = Store(engine)
    module = Module(engine, wasmtime.wat2wasm(WAT))
    written = []

    def write(caller: Caller, ptr: int, length: int) -> None:
        written.append(caller["memory"].read(store, ptr, ptr + length))

    add = Func(store, FuncType([I32, I32], [I32]), lambda a, b: a + b)
    wr = Func(store, FuncType([I32, I32], []), write, access_caller=True)
    instance = Instance(store, module, [add, wr])
    return store, instance.exports(store), written


def test_calls_and_value_convention(env):
    store, ex, _ = env
    assert ex["add"](store, 2, 3) == 5
    assert ex["add"](store, 0x7FFFFFFF, 1) == -(2**31)        # i32 results are signed
    assert ex["neg"](store, 5) == -5
    assert ex["neg"](store, 2**63) == -(2**63)
    assert ex["half"](store, 3.0) == 1.5
    assert ex["half"](store, 0.1) == pytest.approx(0.05, rel=1e-6)
    assert ex["hyp"](store, 3.0, 4.0) == 5.0
    assert ex["pair"](store) == [-1, 2.5]
    assert ex["greet"](store) is None
    assert ex["div"].call_bits(store, [0xFFFFFFFA, 2]) == [0xFFFFFFFD]
    assert ex["hyp"].call_bits(store, [0x4008000000000000, 0x4010000000000000]) == \
        [0x4014000000000000]


def test_host_function_reaches_caller_memory(env):
    store, ex, written = env
    ex["greet"](store)
    assert written == [b"hello"]


def test_traps_and_exhaustion(env):
    store, ex, _ = env
    with pytest.raises(Trap) as e:
        ex["div"](store, 1, 0)
    assert e.value.kind == TRAP_DIV_ZERO and "divide by zero" in str(e.value)
    with pytest.raises(Trap) as e:
        ex["rec"](store)
    assert e.value.kind == TRAP_STACK_EXHAUSTED


def test_memory_table_global(env):
    store, ex, _ = env
    mem = ex["memory"]
    assert mem.size(store) == 1 and mem.data_len(store) == 65536
    assert mem.read(store, 0, 5) == b"hello"
    mem.write(store, b"HE", 0)
    assert mem.read(store, 0, 5) == b"HEllo"
    buf = mem.buffer(store)
    assert isinstance(buf, (bytearray, mmap.mmap))
    buf[0:1] = b"J"
    assert mem.read(store, 0, 2) == b"JE"
    assert mem.grow(store, 2) == 1 and mem.size(store) == 3
    assert mem.buffer(store) is buf and len(buf) == 3 * 65536
    with pytest.raises(Trap):
        mem.read(store, 3 * 65536 - 1, 3 * 65536 + 1)

    g = ex["counter"]
    assert g.value(store) == -5
    g.set_value(store, 7)
    assert g.value(store) == 7

    table = ex["table"]
    assert table.size(store) == 2 and table.get(store, 0) is None
    table.set(store, 1, ex["add"])
    assert table.get(store, 1) == ex["add"]
    assert table.grow(store, 3) == 2 and table.size(store) == 5


def test_host_objects_and_linker():
    engine = Engine()
    store = Store(engine)
    linker = Linker(engine)
    mem = Memory(store, MemoryType(1, 2))
    glob = Global(store, GlobalType(F64, False), 1.25)
    tab = Table(store, TableType(FUNCREF, 1), None)
    linker.define(store, "env", "mem", mem)
    linker.define(store, "env", "g", glob)
    linker.define(store, "env", "t", tab)
    linker.define_func(store, "env", "twice", FuncType([I64], [I64]), lambda x: 2 * x)
    module = Module(engine, wasmtime.wat2wasm("""
    (module (import "env" "mem" (memory 1)) (import "env" "g" (global f64))
            (import "env" "t" (table 1 funcref))
            (import "env" "twice" (func $twice (param i64) (result i64)))
      (func (export "run") (param i64) (result i64) (call $twice (local.get 0)))
      (func (export "g") (result f64) (global.get 0))
      (func (export "poke") (i32.store8 (i32.const 3) (i32.const 9))))
    """))
    instance = linker.instantiate(store, module)
    ex = instance.exports(store)
    assert ex["run"](store, 21) == 42
    assert ex["g"](store) == 1.25
    ex["poke"](store)
    assert mem.read(store, 3, 4) == b"\x09"
    linker2 = Linker(engine)
    with pytest.raises(LinkError):
        linker2.instantiate(store, module)
    with pytest.raises(LinkError):
        Instance(store, module, [mem, glob, tab, Func(store, FuncType([I32], [I64]), abs)])


def test_errors_are_engine_errors():
    engine = Engine()
    with pytest.raises(MalformedError):
        Module(engine, b"\x00asm\x02\x00\x00\x00")
    # (module (func (result i32) (i64.const 0))): decodes, but does not validate
    invalid = bytes.fromhex("0061736d01000000010501600001 7f030201000a0601040042000b"
                            .replace(" ", ""))
    with pytest.raises((InvalidError, MalformedError)):
        Module.validate(engine, invalid)
    store = Store(engine, max_memory_pages=10)
    with pytest.raises(LimitError):
        Instance(store, Module(engine, wasmtime.wat2wasm("(module (memory 11))")), [])

    def boom(x):
        raise ValueError("host failure")

    module = Module(engine, wasmtime.wat2wasm("""
    (module (import "" "f" (func $f (param i32))) (func (export "go") (call $f (i32.const 1))))
    """))
    ex = Instance(store, module, [Func(store, FuncType([I32], []), boom)]).exports(store)
    with pytest.raises(WasmError) as e:
        ex["go"](store)
    assert isinstance(e.value.__cause__, ValueError)


def test_store_limits_fuel_and_depth():
    engine = Engine()
    module = Module(engine, wasmtime.wat2wasm("""
    (module (func (export "spin") (loop (br 0)))
            (func $r (export "down") (param i32) (result i32)
              (if (result i32) (local.get 0)
                (then (i32.add (i32.const 1) (call $r (i32.sub (local.get 0) (i32.const 1)))))
                (else (i32.const 0)))))
    """))
    store = Store(engine, fuel=5000, max_call_depth=100)
    ex = Instance(store, module, []).exports(store)
    with pytest.raises(Trap) as e:
        ex["spin"](store)
    assert e.value.kind == TRAP_OUT_OF_FUEL
    store.set_fuel(None)
    assert ex["down"](store, 90) == 90
    with pytest.raises(Trap) as e:
        ex["down"](store, 200)
    assert e.value.kind == TRAP_STACK_EXHAUSTED


def test_spec_session_protocol():
    from lab.runners.interp.spec import InterpSpecSession
    from lab.suites.spec_session import Exhausted, ModuleRejected, Trapped

    s = InterpSpecSession()
    assert s.distinguishes_malformed
    s.load(wasmtime.wat2wasm("""
    (module (import "spectest" "global_f32" (global $g f32))
            (import "spectest" "print_i32" (func $p (param i32)))
            (import "spectest" "memory" (memory 1 2))
      (global (export "gf") f32 (global.get $g))
      (func (export "id") (param f64) (result f64) (local.get 0))
      (func (export "neg") (param i32) (result i32) (call $p (local.get 0))
        (i32.sub (i32.const 0) (local.get 0)))
      (func (export "trap") unreachable)
      (func $r (export "rec") (call $r)))
    """), "M")
    assert s.get("M", "gf") == ("f32", 0x4426A666)
    assert s.invoke(None, "neg", [("i32", 1)]) == [("i32", 0xFFFFFFFF)]
    assert s.invoke("M", "id", [("f64", 0x7FF0000000000001)]) == [("f64", 0x7FF0000000000001)]
    with pytest.raises(Trapped):
        s.invoke(None, "trap", [])
    with pytest.raises(Exhausted):
        s.invoke(None, "rec", [])
    s.register("lib", "M")
    s.load(wasmtime.wat2wasm('(module (import "lib" "neg" (func (param i32) (result i32))))'),
           None)
    with pytest.raises(ModuleRejected) as e:
        s.load(wasmtime.wat2wasm('(module (import "lib" "nope" (func)))'), None)
    assert e.value.kind == "unlinkable"
    with pytest.raises(ModuleRejected) as e:
        s.check(b"\x00asm\x01\x00\x00")
    assert e.value.kind == "malformed"
    with pytest.raises(ModuleRejected) as e:
        s.load(wasmtime.wat2wasm("(module (memory 1) (data (i32.const 65536) \"x\"))"), None)
    assert e.value.kind == "uninstantiable"
    s.close()


def test_f32_api_values():
    engine = Engine()
    store = Store(engine)
    module = Module(engine, wasmtime.wat2wasm(
        '(module (func (export "id") (param f32) (result f32) (local.get 0)))'))
    f = Instance(store, module, []).exports(store)["id"]
    assert f(store, 1e40) == math.inf                 # rounded to single precision
    assert math.isnan(f(store, math.nan))
    assert f.call_bits(store, [0x7F800001]) == [0x7F800001]
