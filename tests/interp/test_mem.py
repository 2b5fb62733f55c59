"""Multi-memory, memory64 and table64 in the interp engine (decode.py, validate.py, memops.py,
runtime.py, both tiers): whole spec-3.0 files, plus what those files do not reach (addresses
near 2**64, the store's memory limit on 64-bit memories, which tier runs what)."""

from __future__ import annotations

import pytest

from lab.interp import runtime as rt
from lab.interp import tier
from lab.interp.decode import decode_module
from lab.interp.errors import TRAP_OOB_MEMORY, InvalidError, LimitError, LinkError, Trap
from lab.interp.machine import execute
from lab.interp.validate import validate_module

wasmtime = pytest.importorskip("wasmtime")

TIERS = ("translate", "interpreter")
M64 = (1 << 64) - 1


def load(wat: str, tier_name: str, store: rt.Store | None = None,
         externs=()) -> tuple[rt.Store, rt.ModuleInst]:
    store = store or rt.Store(tier=tier_name)
    module = decode_module(wasmtime.wat2wasm(wat))
    validate_module(module)
    return store, rt.instantiate(store, module, list(externs))


def call(store: rt.Store, inst: rt.ModuleInst, name: str, *args) -> list:
    return execute(store, inst.exports[name], list(args))


def invalid(wat: str) -> str:
    module = decode_module(wasmtime.wat2wasm(wat))
    with pytest.raises(InvalidError) as info:
        validate_module(module)
    return str(info.value)


# -- whole spec-3.0 files, on both tiers -----------------------------------------------------

SPEC_FILES = ["memory-multi.wast", "load1.wast", "store1.wast", "memory_copy1.wast",
              "memory_size3.wast", "imports3.wast", "data1.wast", "simd_memory-multi.wast",
              "address64.wast", "align64.wast", "memory_grow64.wast", "memory_trap64.wast",
              "memory64-imports.wast", "table64.wast", "table_copy_mixed.wast",
              "call_indirect64.wast", "table_grow64.wast", "bulk64.wast"]


@pytest.mark.slow
@pytest.mark.parametrize("tier_name", TIERS)
@pytest.mark.parametrize("name", SPEC_FILES)
def test_whole_spec_files_pass(name: str, tier_name: str, monkeypatch) -> None:
    from lab.suites import spec

    (spec_file,) = [f for f in spec.spec_files("spec-3.0") if f.name == name]  # renamed: fails
    monkeypatch.setenv("WASMLAB_INTERP_TIER", tier_name)
    outcomes = spec.run_spec_file(spec_file, spec.session_opener("interp", spec_file),
                                  spec.Expectations.load("interp"), command_timeout=60)
    engine = [o for o in outcomes if o.group != "text-format"]
    assert engine and all(o.outcome == "pass" for o in engine), \
        [o for o in engine if o.outcome != "pass"][:5]


# -- 64-bit addresses --------------------------------------------------------------------------

@pytest.mark.parametrize("tier_name", TIERS)
def test_i64_address_plus_offset_does_not_wrap(tier_name: str) -> None:
    store, inst = load("""(module (memory i64 1)
      (func (export "load") (param i64) (result i32)
        (i32.load offset=0xFFFFFFFFFFFFFFF0 (local.get 0)))
      (func (export "store") (param i64) (i64.store8 offset=0xFFFFFFFFFFFFFFFF
        (local.get 0) (i64.const 7)))
      (func (export "at") (param i64) (result i32) (i32.load8_u (local.get 0))))""", tier_name)
    for name, address in (("load", 0x20), ("load", M64), ("store", 1), ("store", M64)):
        # Wrapped modulo 2**64 these would be in bounds (0x10, ..., 0): they must trap.
        with pytest.raises(Trap) as info:
            call(store, inst, name, address)
        assert info.value.kind == TRAP_OOB_MEMORY, (name, address)
    with pytest.raises(Trap):
        call(store, inst, "at", 0x10000)
    assert call(store, inst, "at", 0xFFFF) == [0]


@pytest.mark.parametrize("tier_name", TIERS)
def test_memory64_grow_keeps_the_store_limit(tier_name: str) -> None:
    store = rt.Store(max_memory_pages=3, tier=tier_name)
    store, inst = load("""(module (memory i64 1)
      (func (export "grow") (param i64) (result i64) (memory.grow (local.get 0)))
      (func (export "size") (result i64) (memory.size)))""", tier_name, store)
    assert call(store, inst, "grow", 5) == [M64]          # past the store's 3 pages: an i64 -1
    assert call(store, inst, "grow", 1 << 63) == [M64]
    assert call(store, inst, "grow", 2) == [1]
    assert call(store, inst, "size") == [3]
    assert call(store, inst, "grow", 1) == [M64]
    with pytest.raises(LimitError):
        load("(module (memory i64 4))", tier_name, rt.Store(max_memory_pages=3, tier=tier_name))


@pytest.mark.parametrize("tier_name", TIERS)
def test_table64_grow_refused_is_an_i64_minus_one(tier_name: str) -> None:
    store, inst = load("""(module (table $t i64 1 2 funcref)
      (func (export "grow") (param i64) (result i64) (table.grow $t (ref.null func) (local.get 0)))
      (func (export "size") (result i64) (table.size $t)))""", tier_name)
    assert call(store, inst, "grow", 2) == [M64]
    assert call(store, inst, "grow", 1) == [1]
    assert call(store, inst, "size") == [2]


def test_imports_match_the_index_type() -> None:
    store = rt.Store()
    m32 = rt.MemInst(decode_module(wasmtime.wat2wasm("(module (memory 1))")).memories[0], 10)
    with pytest.raises(LinkError, match="incompatible import type"):
        load('(module (import "a" "m" (memory i64 1)))', "interpreter", store, [m32])
    load('(module (import "a" "m" (memory 1)))', "interpreter", store, [m32])


# -- multi-memory ------------------------------------------------------------------------------

MULTI = """(module (memory $a 1) (memory $b i64 1)
  (func (export "copy") (param i64 i32 i32)
    (memory.copy $b $a (local.get 0) (local.get 1) (local.get 2)))
  (func (export "put") (param i32 i32) (i32.store8 $a (local.get 0) (local.get 1)))
  (func (export "get_b") (param i64) (result i32) (i32.load8_u $b (local.get 0)))
  (func (export "size_a") (result i32) (memory.size $a)))"""


@pytest.mark.parametrize("tier_name", TIERS)
def test_copy_between_memories_of_both_index_types(tier_name: str) -> None:
    store, inst = load(MULTI, tier_name)
    call(store, inst, "put", 5, 0xAB)
    call(store, inst, "copy", 100, 5, 1)
    assert call(store, inst, "get_b", 100) == [0xAB]
    with pytest.raises(Trap):
        call(store, inst, "copy", 0xFFFF, 0, 2)  # past the end of $b: nothing copied
    assert call(store, inst, "size_a") == [1]


def test_translating_tier_checks_accesses_off_the_fast_path() -> None:
    from lab.interp.translate import translate_function

    store, inst = load(MULTI, "translate")
    module = inst.module
    source = {ex.name: translate_function(module, inst.func_types, ex.index, False)
              for ex in module.exports}
    # A load from the 64-bit memory 1 tests its effective address against M1's size first;
    # memory 0 with 32-bit addresses keeps the plain access (past its end, IndexError traps).
    assert "(gea := l0) + 1 <= len(M1)" in source["get_b"] and "M1[gea]" in source["get_b"]
    assert "gea" not in source["put"] and "M[l0] = " in source["put"]
    assert "memory_copy_across(INST" in source["copy"]
    # SIMD stays on the interpreter tier, on any memory.
    simd = load("""(module (memory 1) (memory 1)
      (func (export "f") (param i32) (v128.store 1 (local.get 0) (v128.const i64x2 1 2))))""",
                "translate")[1]
    assert tier.code_for(simd.module, simd.func_types, 0, False) is None


def test_validation_messages() -> None:
    assert invalid("(module (memory 1) (func (drop (i32.load 1 (i32.const 0)))))") \
        .startswith("unknown memory 1")
    assert invalid("(module (memory i64 1) (func (drop (i32.load (i32.const 0)))))") \
        .startswith("type mismatch")
    assert invalid("(module (memory 1) (memory i64 1) (func (drop (memory.grow 1 (i32.const 0)))))"
                   ).startswith("type mismatch")
    assert invalid("(module (table i64 1 funcref) (func (drop (table.get 0 (i32.const 0)))))") \
        .startswith("type mismatch")
    assert invalid("(module (memory i64 0x1000000000001))") \
        .startswith("memory size must be at most")


def test_api_makes_64_bit_memories_and_tables_to_import() -> None:
    from lab.interp import api

    engine = api.Engine()
    store = api.Store(engine)
    linker = api.Linker(engine)
    linker.define(store, "env", "m", api.Memory(store, api.MemoryType(1, 2, is64=True)))
    linker.define(store, "env", "t", api.Table(store, api.TableType(api.FUNCREF, 1, is64=True),
                                               None))
    module = api.Module(engine, wasmtime.wat2wasm("""(module
      (import "env" "m" (memory i64 1)) (import "env" "t" (table i64 1 funcref))
      (func (export "grow") (result i64) (memory.grow (i64.const 1)))
      (func (export "size") (result i64) (table.size 0)))"""))
    ex = linker.instantiate(store, module).exports(store)
    # the API gives i64 results as signed ints
    assert ex["grow"](store) == 1 and ex["grow"](store) == -1 and ex["size"](store) == 1
    linker32 = api.Linker(engine)
    linker32.define(store, "env", "m", api.Memory(store, api.MemoryType(1)))
    linker32.define(store, "env", "t", api.Table(store, api.TableType(api.FUNCREF, 1), None))
    with pytest.raises(LinkError):
        linker32.instantiate(store, module)


def test_fuzz_generator_writes_multi_memory_and_memory64_modules_that_agree_with_wasmtime() -> None:
    from lab.fuzz import oracle
    from lab.fuzz.choices import RandomChoices
    from lab.fuzz.generate import generate_module

    ran: dict[str, int] = {"multi": 0, "memory64": 0}
    for seed in range(2000):
        spec, wasm = generate_module(RandomChoices(seed), frozenset({"multi-memory", "memory64"}))
        if len(spec.memories) < 2:
            continue
        report = oracle.check_module(wasm, args_seed=seed, time_limit_s=10, wasm3=True)
        assert report.finding is None, (seed, report.finding)
        if report.stage == "run":
            ran["memory64" if 1 in spec.memory64 else "multi"] += 1
        if min(ran.values()) >= 40:
            break
    assert min(ran.values()) >= 40, ran  # enough of them run their exports on both engines
