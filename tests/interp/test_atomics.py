"""The threads proposal's atomics on one thread (lab/interp/atomics.py): the spec-3.0 threads
files on both tiers, and what they do not reach (wait's outcomes, trap order, the wrapped
cmpxchg comparison, shared memories in the decoder, validator and import matching)."""

from __future__ import annotations

import time

import pytest

from lab.interp import atomics
from lab.interp import module as m
from lab.interp import runtime as rt
from lab.interp.decode import decode_module
from lab.interp.errors import TRAP_OOB_MEMORY, InvalidError, LinkError, MalformedError, Trap
from lab.interp.machine import execute
from lab.interp.validate import validate_module

wasmtime = pytest.importorskip("wasmtime")

TIERS = ("translate", "interpreter")
THREADS_FILES = ["proposals/threads/atomic.wast", "proposals/threads/memory.wast",
                 "proposals/threads/imports.wast", "proposals/threads/exports.wast"]


@pytest.mark.parametrize("tier_name", TIERS)
@pytest.mark.parametrize("name", THREADS_FILES)
def test_threads_spec_files_pass(name: str, tier_name: str, monkeypatch) -> None:
    from lab.runners.interp.spec import InterpSpecSession
    from lab.suites import spec

    (spec_file,) = [f for f in spec.spec_files("spec-3.0") if f.name == name]
    monkeypatch.setenv("WASMLAB_INTERP_TIER", tier_name)
    outcomes = spec.run_spec_file(spec_file, InterpSpecSession, spec.Expectations.load("interp"),
                                  command_timeout=60)
    engine = [o for o in outcomes if o.group == "proposals/threads"]
    assert engine and not [o for o in engine if o.outcome in ("fail", "error", "skip", "xpass")]
    # imports.wast's 3 stale "multiple tables" and 3 "multiple memories", memory.wast's 2
    assert sum(o.outcome == "pass" for o in engine) >= len(engine) - 6


def binary(wat: str) -> bytes:
    return bytes(wasmtime.wat2wasm(wat))


def load(wat: str, tier_name: str = "translate", imports: list | None = None):
    store = rt.Store(tier=tier_name)
    module = decode_module(binary(wat))
    validate_module(module)
    return store, rt.instantiate(store, module, imports or [])


WAIT = """
(module
  (memory {mem})
  (func (export "wait32") (param i32 i32 i64) (result i32)
    (memory.atomic.wait32 (local.get 0) (local.get 1) (local.get 2)))
  (func (export "wait64") (param i32 i64 i64) (result i32)
    (memory.atomic.wait64 offset=8 (local.get 0) (local.get 1) (local.get 2)))
  (func (export "notify") (param i32 i32) (result i32)
    (memory.atomic.notify (local.get 0) (local.get 1)))
  (func (export "cmpxchg8") (param i32 i32 i32) (result i32)
    (i32.atomic.rmw8.cmpxchg_u (local.get 0) (local.get 1) (local.get 2)))
  (func (export "add16") (param i32 i32) (result i32)
    (i32.atomic.rmw16.add_u (local.get 0) (local.get 1)))
  (func (export "load64") (param i32) (result i64) (i64.atomic.load (local.get 0)))
)
"""
MINUS_ONE = (1 << 64) - 1  # i64 -1: no timeout


@pytest.mark.parametrize("tier_name", TIERS)
def test_wait_outcomes_on_one_thread(tier_name: str) -> None:
    store, inst = load(WAIT.format(mem="1 1 shared"), tier_name)
    ex = inst.exports
    assert execute(store, ex["wait32"], [0, 1, 0]) == [1]          # not-equal
    assert execute(store, ex["wait64"], [0, 0, 0]) == [2]          # equal, timeout 0: timed-out
    start = time.monotonic()
    assert execute(store, ex["wait32"], [0, 0, 20_000_000]) == [2]  # 20 ms: sleeps, times out
    assert time.monotonic() - start >= 0.019
    with pytest.raises(Trap) as e:                                 # nobody could ever notify
        execute(store, ex["wait32"], [0, 0, MINUS_ONE])
    assert e.value.kind == atomics.TRAP_WAIT_DEADLOCK
    assert execute(store, ex["wait32"], [0, 5, MINUS_ONE]) == [1]  # not-equal returns at once
    assert execute(store, ex["notify"], [0, 10]) == [0]


@pytest.mark.parametrize("tier_name", TIERS)
def test_wait_traps_on_unshared_memory_but_notify_works(tier_name: str) -> None:
    store, inst = load(WAIT.format(mem="1 1"), tier_name)
    with pytest.raises(Trap) as e:
        execute(store, inst.exports["wait32"], [0, 1, 0])  # even when the value differs
    assert e.value.kind == atomics.TRAP_EXPECTED_SHARED
    assert execute(store, inst.exports["notify"], [0, 1]) == [0]


@pytest.mark.parametrize("tier_name", TIERS)
def test_alignment_is_checked_before_bounds(tier_name: str) -> None:
    store, inst = load(WAIT.format(mem="1 1 shared"), tier_name)
    for name, args in [("load64", [65537]), ("add16", [65535, 1]), ("notify", [65538, 1]),
                       ("wait64", [65529, 0, 0])]:
        with pytest.raises(Trap) as e:
            execute(store, inst.exports[name], args)
        assert e.value.kind == atomics.TRAP_UNALIGNED_ATOMIC, name
    for name, args in [("load64", [65536]), ("add16", [65536, 1]), ("notify", [65536, 1]),
                       ("cmpxchg8", [65536, 0, 0])]:
        with pytest.raises(Trap) as e:
            execute(store, inst.exports[name], args)
        assert e.value.kind == TRAP_OOB_MEMORY, name


@pytest.mark.parametrize("tier_name", TIERS)
def test_narrow_rmw_wraps_and_cmpxchg_compares_the_wrapped_expected_value(tier_name) -> None:
    store, inst = load(WAIT.format(mem="1 1 shared"), tier_name)
    ex, mem = inst.exports, inst.M
    mem[0:2] = b"\xff\xff"
    assert execute(store, ex["add16"], [0, 0x10002]) == [0xFFFF]  # old value, zero-extended
    assert mem[0:2] == b"\x01\x00"
    assert execute(store, ex["cmpxchg8"], [0, 0x301, 0xAB]) == [1]  # 0x301 wraps to 0x01
    assert mem[0] == 0xAB
    assert execute(store, ex["cmpxchg8"], [0, 0x01, 0xCD]) == [0xAB]  # no match: unchanged
    assert mem[0] == 0xAB


def test_validator_requires_exact_alignment_and_a_memory() -> None:
    ok = "(module (memory 1) (func (drop (i32.atomic.load align=4 (i32.const 0)))))"
    validate_module(decode_module(binary(ok)))
    for wat in ["(module (memory 1) (func (drop (i32.atomic.load align=2 (i32.const 0)))))",
                "(module (memory 1) (func (drop (i64.atomic.rmw32.xchg_u align=8 (i32.const 0)"
                " (i64.const 0)))))"]:
        with pytest.raises(InvalidError, match="atomic alignment must be natural"):
            validate_module(decode_module(binary(wat)))
    with pytest.raises(InvalidError, match="unknown memory"):
        validate_module(decode_module(binary("(module (func (atomic.fence)"
                                             " (drop (i32.atomic.load (i32.const 0)))))")))
    validate_module(decode_module(binary("(module (func (atomic.fence)))")))  # needs no memory


def _memory_section(limits: bytes) -> bytes:
    return b"\x00asm\x01\x00\x00\x00" + b"\x05" + bytes([1 + len(limits)]) + b"\x01" + limits


def test_shared_limits_flags_in_the_decoder() -> None:
    (mt,) = decode_module(_memory_section(b"\x03\x01\x02")).memories
    assert mt == m.MemoryType(m.Limits(1, 2), shared=True)
    no_max = decode_module(_memory_section(b"\x02\x01"))
    assert no_max.memories[0].shared and no_max.memories[0].limits.max is None
    with pytest.raises(InvalidError, match="shared memory must have maximum"):
        validate_module(no_max)
    table = b"\x00asm\x01\x00\x00\x00\x04\x04\x01\x70\x03\x01\x02"  # tables cannot be shared
    with pytest.raises(MalformedError):
        decode_module(table)


def test_import_matching_compares_sharedness() -> None:
    store = rt.Store()
    shared = rt.MemInst(m.MemoryType(m.Limits(1, 2), shared=True), store.max_memory_pages)
    plain = rt.MemInst(m.MemoryType(m.Limits(1, 2)), store.max_memory_pages)
    want_shared = decode_module(binary('(module (import "m" "mem" (memory 1 2 shared)))'))
    want_plain = decode_module(binary('(module (import "m" "mem" (memory 1 2)))'))
    rt.instantiate(store, want_shared, [shared])
    rt.instantiate(store, want_plain, [plain])
    for module, mem in [(want_shared, plain), (want_plain, shared)]:
        with pytest.raises(LinkError, match="incompatible import type"):
            rt.instantiate(store, module, [mem])
    assert shared.type.shared and not plain.type.shared


def test_translating_tier_translates_atomics_into_helper_calls() -> None:
    from lab.interp import opcodes as ops
    from lab.interp import translate

    module = decode_module(binary(WAIT.format(mem="1 1 shared")))
    types = [module.types[f.type_index] for f in module.funcs]
    source = translate.translate_function(module, types, 1, False)  # no Untranslatable
    assert "atomic_fe02_shared(M, l0 + 8, (l1, l2))" in source
    for op in ops.ATOMIC_ALIGN:
        for shared in (True, False):
            assert atomics.helper(atomics.helper_name(op, shared)) is not None, hex(op)
    for name in ("atomic_zz", "atomic_fe03", "atomic_fe01", "atomic_fe11_shared"):
        assert atomics.helper(name) is None, name


def _every_atomic_access() -> str:
    """A module exporting one function per atomic access (wait only with a finite timeout)."""
    from lab.interp import opcodes as ops

    funcs = []
    for op in sorted(ops.ATOMIC_ALIGN):
        info = ops.OPCODES[op]
        names = " ".join(m.VALTYPE_NAMES[t] for t in info.params)
        result = f"(result {m.VALTYPE_NAMES[info.results[0]]})" if info.results else ""
        gets = " ".join(f"(local.get {i})" for i in range(len(info.params)))
        funcs.append(f'(func (export "{info.name}") (param {names}) {result} ({info.name} {gets}))')
    return "(module (memory (export \"mem\") 1 1 shared)\n" + "\n".join(funcs) + ")"


@pytest.mark.parametrize("tier_name", TIERS)
def test_same_results_traps_and_memory_as_wasmtime(tier_name: str) -> None:
    """Every atomic access, at aligned, unaligned and out-of-bounds addresses with assorted
    values, against wasmtime with threads on: results, trap kinds and the memory after."""
    import random

    from lab.interp import opcodes as ops
    from lab.interp.numeric import signed32, signed64

    wat = _every_atomic_access()
    config = wasmtime.Config()
    config.wasm_threads = True
    config.shared_memory = True
    engine = wasmtime.Engine(config)
    wt_store = wasmtime.Store(engine)
    wt_exports = wasmtime.Instance(wt_store, wasmtime.Module(engine, wat), []).exports(wt_store)
    store, inst = load(wat, tier_name)
    kinds = {"HEAP_MISALIGNED": atomics.TRAP_UNALIGNED_ATOMIC,
             "MEMORY_OUT_OF_BOUNDS": TRAP_OOB_MEMORY}
    rng = random.Random(22)
    values = {m.I32: [0, 1, 0x7F, 0x80, 0xFF, 0xFFFF, 0x7FFFFFFF, 0xFFFFFFFF],
              m.I64: [0, 1, 0xFF, 0xFFFF_FFFF, 0x1_0000_0001, 0xFFFF_FFFF_FFFF_FFFF]}
    calls = 0
    for op in sorted(ops.ATOMIC_ALIGN):
        info = ops.OPCODES[op]
        for _ in range(12):
            address = rng.choice([0, 8, 16, 3, 6, 65528, 65534, 65535, 65536, 65537, 0xFFFFFFF8])
            args = [address] + [rng.choice(values[t]) for t in info.params[1:]]
            if "wait" in info.name:
                args[-1] = rng.choice([0, 1000])  # timeouts of 0 and 1 µs
            wt_args = [signed32(a) if t == m.I32 else signed64(a)
                       for a, t in zip(args, info.params, strict=True)]
            try:
                r = wt_exports[info.name](wt_store, *wt_args)
                want: object = [] if r is None else [r & ((1 << (32 if info.results[0] == m.I32 else 64)) - 1)]
            except wasmtime.Trap as trap:
                want = kinds[trap.trap_code.name]
            try:
                got: object = execute(store, inst.exports[info.name], args)
            except Trap as trap:
                got = trap.kind
            assert got == want, (info.name, args)
            calls += 1
    load64 = wt_exports["i64.atomic.load"]
    for address in [*range(0, 64, 8), *range(65536 - 64, 65536, 8)]:  # where the calls wrote
        want = load64(wt_store, address) & 0xFFFF_FFFF_FFFF_FFFF
        assert int.from_bytes(inst.M[address:address + 8], "little") == want, address
    assert calls == 12 * 66


def test_a_shared_memory_from_the_embedding_api() -> None:
    from lab.interp import api

    engine = api.Engine()
    store = api.Store(engine)
    linker = api.Linker(engine)
    mem = api.Memory(store, api.MemoryType(1, 2, shared=True))
    assert mem.type(store).shared
    linker.define(store, "env", "mem", mem)
    module = api.Module(engine, binary('(module (import "env" "mem" (memory 1 2 shared))'
                                       ' (func (export "add") (param i32) (result i32)'
                                       ' (i32.atomic.rmw.add (i32.const 4) (local.get 0))))'))
    add = linker.instantiate(store, module).exports(store)["add"]
    assert add(store, 5) == 0 and add(store, 7) == 5
    assert mem.buffer(store)[4] == 12
    plain = api.Linker(engine)
    plain.define(store, "env", "mem", api.Memory(store, api.MemoryType(1, 2)))
    with pytest.raises(LinkError):
        plain.instantiate(store, module)


def test_fuzz_generator_writes_atomics_that_behave_like_wasmtime() -> None:
    from lab.fuzz.choices import RandomChoices
    from lab.fuzz.generate import generate_module
    from lab.fuzz.oracle import check_module

    with_atomics = 0
    for seed in range(400):
        _, wasm = generate_module(RandomChoices(seed), frozenset({"threads"}))
        try:
            module = decode_module(wasm)
        except MalformedError:  # the generator's data offsets past 2**31 (both engines refuse)
            continue
        if not any(0xFE00 <= ins[0] < 0xFF00 for f in module.funcs for ins in f.code.body):
            continue
        with_atomics += 1
        report = check_module(wasm, seed, True)
        assert report.finding is None, (seed, str(report.finding))
        if with_atomics == 25:
            break
    assert with_atomics == 25
