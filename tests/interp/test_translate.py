"""The translating tier (lab/interp/translate.py, tier.py) against the interpreter tier:
spec scripts through the driver, the workloads through `python -m lab.interp run`, and the
guarantees the tier must keep (traps, depth and fuel limits, Python's nesting limits, the code
cache)."""

from __future__ import annotations

import math
import os
import resource
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from lab.interp import runtime as rt
from lab.interp import tier
from lab.interp.errors import TRAP_OUT_OF_FUEL, TRAP_STACK_EXHAUSTED, Trap
from lab.interp.machine import execute

wasmtime = pytest.importorskip("wasmtime")

TIERS = ("translate", "interpreter")


def load(wat: str, store: rt.Store):
    from lab.interp.decode import decode_module
    module = decode_module(wasmtime.wat2wasm(wat))
    return rt.instantiate(store, module, [])


def call(store, inst, name, *args):
    return execute(store, inst.exports[name], list(args))


# -- spec scripts: both tiers, command by command ----------------------------------------------

SPEC_FILES = ["fac.wast", "call.wast", "call_indirect.wast", "br_table.wast", "br_if.wast",
              "loop.wast", "block.wast", "if.wast", "i32.wast", "i64.wast", "f32.wast",
              "f64.wast", "conversions.wast", "float_exprs.wast", "left-to-right.wast",
              "memory_grow.wast", "select.wast", "unwind.wast", "stack.wast", "traps.wast",
              "skip-stack-guard-page.wast", "bulk.wast", "table_grow.wast", "ref_func.wast",
              "func.wast"]


def _spec_outcomes(name: str, tier_name: str, monkeypatch) -> list:
    from lab.runners.interp.spec import InterpSpecSession
    from lab.suites import spec
    try:
        spec_file = next(f for f in spec.spec_files("spec-2.0") if f.name == name)
    except Exception as error:  # no test data here
        pytest.skip(f"spec-2.0 data not available: {error}")
    monkeypatch.setenv("WASMLAB_INTERP_TIER", tier_name)
    return spec.run_spec_file(spec_file, InterpSpecSession, spec.Expectations.load("interp"),
                              command_timeout=60)


@pytest.mark.slow
@pytest.mark.parametrize("name", SPEC_FILES)
def test_spec_file_same_outcomes_on_both_tiers(name: str, monkeypatch) -> None:
    translated = _spec_outcomes(name, "translate", monkeypatch)
    interpreted = _spec_outcomes(name, "interpreter", monkeypatch)
    bad = [o for o in translated if o.outcome in ("fail", "error") and o.group != "text-format"]
    assert not bad, bad[:5]
    assert [(o.line, o.outcome) for o in translated] == [(o.line, o.outcome) for o in interpreted]
    assert Counter(o.outcome for o in translated)["pass"] > 0


# -- workloads, small size, through the CLI on each tier ---------------------------------------

def _workloads():
    from lab.suites import workloads
    return workloads.load_manifest()


@pytest.mark.slow
@pytest.mark.parametrize("tier_name", TIERS)
def test_workloads_small_through_the_cli(tier_name: str, tmp_path: Path) -> None:
    from lab.hosts import toolchain
    from lab.suites import workloads
    wrong = []
    env = dict(os.environ, WASMLAB_INTERP_TIER=tier_name, WASMLAB_CACHE=str(tmp_path / "cache"))
    for workload in _workloads():
        try:
            wasm = toolchain.build(workload.source, "wasm32-wasi")
        except Exception as error:
            pytest.skip(f"cannot build workloads here: {error}")
        data = workloads.prepare_data_dir(workload, tmp_path / workload.name)
        proc = subprocess.run([sys.executable, "-m", "lab.interp", "run", "--dir",
                               f"{data}::{workload.data_mount}", str(wasm),
                               *workload.argv("small")],
                              capture_output=True, timeout=300, env=env)
        verdict = workloads.check_output(workload, "small", proc.stdout)
        if proc.returncode != 0 or verdict is not True:
            wrong.append((workload.name, proc.returncode, verdict, proc.stderr[-300:]))
    assert not wrong


# -- guarantees -----------------------------------------------------------------------------

RECURSION = """
(module
  (func $fac (export "fac") (param i64) (result i64)
    (if (result i64) (i64.eqz (local.get 0)) (then (i64.const 1))
      (else (i64.mul (local.get 0) (call $fac (i64.sub (local.get 0) (i64.const 1)))))))
  (func $run (export "runaway") (call $run))
  (func $d (export "down") (param i32) (result i32)
    (if (result i32) (local.get 0)
      (then (i32.add (i32.const 1) (call $d (i32.sub (local.get 0) (i32.const 1)))))
      (else (i32.const 0)))))
"""


def test_deep_recursion_is_a_trap_never_a_recursion_error() -> None:
    store = rt.Store(max_call_depth=100_000, tier="translate")
    inst = load(RECURSION, store)
    assert call(store, inst, "fac", 5000) == [math.factorial(5000) & (2**64 - 1)]
    with pytest.raises(Trap) as e:
        call(store, inst, "runaway")
    assert e.value.kind == TRAP_STACK_EXHAUSTED
    before = sys.getrecursionlimit()
    store = rt.Store(max_call_depth=100, tier="translate")
    inst = load(RECURSION, store)
    assert call(store, inst, "down", 90) == [90]
    with pytest.raises(Trap) as e:
        call(store, inst, "down", 200)
    assert e.value.kind == TRAP_STACK_EXHAUSTED
    assert sys.getrecursionlimit() == before   # restored after the call


ACKERMANN_PROGRAM = """(module
  (func $ack (param $m i32) (param $n i32) (result i32)
    (if (result i32) (i32.eqz (local.get $m))
      (then (i32.add (local.get $n) (i32.const 1)))
      (else (if (result i32) (i32.eqz (local.get $n))
        (then (call $ack (i32.sub (local.get $m) (i32.const 1)) (i32.const 1)))
        (else (call $ack (i32.sub (local.get $m) (i32.const 1))
                         (call $ack (local.get $m) (i32.sub (local.get $n) (i32.const 1)))))))))
  (func (export "_start") (drop (call $ack (i32.const 2) (i32.const 500)))))"""


def test_a_programs_recursion_up_and_down_does_not_fault_in_fresh_frame_memory() -> None:
    """Ackermann's recursion goes up and down by hundreds of frames, millions of times. On
    CPython 3.11 each crossing of a frame chunk's edge used to map and fault in a fresh chunk
    (tier.ENTRY_ROOM): about 11,000 page faults for this program's run, a few dozen now."""
    from lab.interp.wasi_host import run_command
    wasm = wasmtime.wat2wasm(ACKERMANN_PROGRAM)
    assert run_command(wasm, ["warm-up"]).exit_code == 0    # translated before counting
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    assert run_command(wasm, ["ack"]).exit_code == 0
    assert resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before < 1000


def test_fuel_is_charged_per_iteration_and_call() -> None:
    src = """(module (func (export "spin") (loop (br 0)))
                     (func (export "count") (param i32) (result i32)
                       (loop (br_if 0 (local.tee 0 (i32.sub (local.get 0) (i32.const 1)))))
                       (local.get 0)))"""
    store = rt.Store(fuel=10_000, tier="translate")
    inst = load(src, store)
    with pytest.raises(Trap) as e:
        call(store, inst, "spin")
    assert e.value.kind == TRAP_OUT_OF_FUEL
    store.fuel = 1_000_000
    assert call(store, inst, "count", 100) == [0]
    assert 1_000_000 - 1000 < store.fuel < 1_000_000 - 100
    store.fuel = None   # unlimited: the namespace switches to code without fuel checks
    assert call(store, inst, "count", 100_000) == [0]
    assert "fuel" not in inst.exports["count"].py.__code__.co_names


def _nested(kind: str, depth: int) -> str:
    if kind == "loop":   # nested loops that each run once
        return "(local.set 0 (i32.add (local.get 0) (i32.const 1)))".join(
            ["(loop "] * depth) + ")" * depth
    return ("(block " * depth) + "(br_if 5 (local.get 0)) (local.set 0 (i32.const 7))" + \
        ")" * depth


@pytest.mark.parametrize("kind, depth", [("loop", 30), ("block", 200)])
def test_deep_nesting_beyond_pythons_limits(kind: str, depth: int) -> None:
    """CPython allows 20 nested loops and 100 indentation levels: deeper Wasm still runs (a
    function too deep for Python stays on the interpreter)."""
    src = f"""(module (func (export "f") (param i32) (result i32) (local i32)
               {_nested(kind, depth)} (local.get 0)))"""
    results = []
    for tier_name in TIERS:
        store = rt.Store(tier=tier_name)
        results.append(call(store, load(src, store), "f", 0))
    assert results[0] == results[1]


def test_nan_constants_and_f32_bits_are_exact() -> None:
    src = """(module (func (export "n") (result f64) (f64.const nan:0x4000000000001))
                     (func (export "s") (result f32) (f32.const nan:0x200001))
                     (func (export "neg0") (result f64) (f64.const -0.0)))"""
    store = rt.Store(tier="translate")
    inst = load(src, store)
    import struct
    assert struct.pack("<d", call(store, inst, "n")[0]) == struct.pack("<Q", 0x7FF4000000000001)
    assert call(store, inst, "s") == [0x7FA00001]
    assert math.copysign(1.0, call(store, inst, "neg0")[0]) == -1.0


def test_code_cache_skips_translation_in_a_second_process(tmp_path: Path, monkeypatch) -> None:
    from lab.interp import api
    wasm = wasmtime.wat2wasm(RECURSION)
    monkeypatch.setattr(tier, "_DISK_DIR", tmp_path)
    monkeypatch.setattr(tier, "_DISK_MODULES", [])
    first = api.Module(None, wasm)
    first.precompile()
    tier.save_disk_caches()
    assert len(list(tmp_path.glob("*.marshal"))) == 1
    import lab.interp.translate as translate_module

    def refuse(*_args, **_kw):
        raise AssertionError("translated again despite the cache")
    monkeypatch.setattr(translate_module, "translate_function", refuse)
    second = api.Module(None, wasm)
    store = api.Store(None)
    assert api.Instance(store, second, []).exports(store)["fac"](store, 20) == \
        math.factorial(20)


def test_a_load_at_an_arm_end_is_not_assigned_past_the_merge() -> None:
    """Regression (fuzz seed 425200): `s = load` ending the else arm, then `local.tee` after
    the if, must not become `local = load` inside the arm (the then arm's value was lost)."""
    src = """(module (memory 1) (data (i32.const 0) "\\07")
      (func (export "f") (param i32) (result i32) (local i32)
        (if (result i32) (local.get 0) (then (i32.const 5)) (else (i32.load (i32.const 0))))
        (local.tee 1)))"""
    store = rt.Store(tier="translate")
    inst = load(src, store)
    assert call(store, inst, "f", 1) == [5] and call(store, inst, "f", 0) == [7]


# -- shapes of the generated code that could go wrong -----------------------------------------

def _same_on_both_tiers(wat: str, name: str, inputs: list[tuple]) -> None:
    wasmtime.Module(wasmtime.Engine(), wat)   # valid (load() does not check)
    results = {}
    for tier_name in TIERS:
        store = rt.Store(tier=tier_name)
        inst = load(wat, store)
        out = []
        for args in inputs:
            try:
                out.append(call(store, inst, name, *args))
            except Trap as trap:
                out.append(str(trap))
        results[tier_name] = out
    assert results["translate"] == results["interpreter"]


EDGES = [0, 1, 2, 3, 0x7FFFFFFF, 0x80000000, 0xFFFFFFFE, 0xFFFFFFFF]


def test_masks_left_out_of_add_trees_reappear_where_needed() -> None:
    wat = """(module (memory 1)
      (func (export "f") (param i32 i32) (result i32 i32 i64 i32 i32)
        (i32.shr_u (i32.add (local.get 0) (local.get 1)) (i32.const 1))
        (i32.eqz (i32.sub (i32.xor (local.get 0) (local.get 1)) (i32.const 1)))
        (i64.add (i64.extend_i32_u (i32.add (local.get 0) (local.get 1))) (i64.const -1))
        (i32.and (i32.sub (i32.const 0) (local.get 0)) (i32.mul (local.get 1) (i32.const 3)))
        (i32.store8 (i32.const 8) (i32.add (i32.shl (local.get 0) (i32.const 31))
                                           (i32.and (local.get 1) (i32.const 255))))
        (i32.store16 (i32.const 9) (i32.load8_u (i32.const 8)))
        (i32.load16_u (i32.const 8)))
      (func (export "addr") (param i32) (result i32)
        (i32.load (i32.add (local.get 0) (i32.const 8))))
      (func (export "wrap") (param i32 i32) (result i32 i32 i32 i64)
        (local i64)
        (local.set 0 (i32.add (local.get 0) (local.get 1)))
        (local.set 1 (i32.sub (local.get 1) (i32.const 3)))
        (local.set 2 (i64.add (i64.extend_i32_u (local.get 0)) (i64.const -5)))
        (local.get 0) (local.get 1) (i32.add (local.get 0) (i32.const -5))
        (i64.sub (local.get 2) (i64.extend_i32_u (local.get 1)))))"""
    _same_on_both_tiers(wat, "f", [(x, y) for x in EDGES for y in EDGES])
    _same_on_both_tiers(wat, "wrap", [(x, y) for x in EDGES for y in EDGES])
    _same_on_both_tiers(wat, "addr", [(x,) for x in EDGES])


def test_block_exits_that_nest_instead_of_setting_flags() -> None:
    wat = """(module
      (func (export "f") (param i32) (result i32) (local i32)
        (block $out (result i32)
          (block $a
            (br_if $a (i32.eqz (local.get 0)))
            (local.set 1 (i32.const 10))
            (br_if $out (i32.const 7) (i32.eq (local.get 0) (i32.const 1)))
            (block $b
              (br_if $b (i32.eq (local.get 0) (i32.const 2)))
              (br_if $a (i32.eq (local.get 0) (i32.const 3)))
              (local.set 1 (i32.add (local.get 1) (i32.const 5))))
            (br $a)
            (local.set 1 (i32.const 99)))
          (i32.add (local.get 1) (local.get 0))))
      (func (export "g") (param i32) (result i32) (local i32)
        (block $out (result i32)
          (block $mid (result i32)
            (block $in
              (loop $l
                (local.set 1 (i32.add (local.get 1) (i32.const 3)))
                (br_if $l (i32.lt_u (local.get 1) (local.get 0))))
              (drop (br_if $mid (i32.const 5) (i32.gt_u (local.get 1) (i32.const 10))))
              (drop (br_if $out (i32.const 6) (i32.eq (local.get 1) (i32.const 6))))
              (local.set 1 (i32.mul (local.get 1) (i32.const 7))))
            (drop (br_if $out (local.get 1) (i32.eqz (local.get 0))))
            (i32.const 1))
          (i32.add (local.get 1)))))"""
    _same_on_both_tiers(wat, "f", [(x,) for x in range(6)])
    _same_on_both_tiers(wat, "g", [(x,) for x in range(14)])


def test_a_branch_out_of_a_nested_exit_becomes_its_else_arm() -> None:
    """`block $b (block $c (br_if $c x) ... (br $b)) rest`: `rest` runs only when the branch to
    $c was taken, so it becomes the `else:` of the `if not (x):` holding the code before
    `br $b`, with no flag. Not where a flagged path may reach $c's end (from a loop before the
    `br_if`, or nested inside it) or where `rest` is itself such an `else:` (chained), since
    those paths must run `rest`."""
    loop = """(loop $l
              (br_if $c (i32.eq (local.get 1) (i32.const 5)))
              (local.set 1 (i32.add (local.get 1) (i32.const 1)))
              (br_if $l (i32.lt_u (local.get 1) (i32.const 3))))"""

    def flagged(name: str, first: str, second: str) -> str:
        return f"""(func (export "{name}") (param i32 i32) (result i32) (local i32)
        (block $b
          (block $c {first} {second} (local.set 2 (i32.const 1)) (br $b))
          (local.set 2 (i32.const 2)))
        (i32.add (local.get 2) (local.get 1)))"""
    wat = f"""(module
      (func (export "plain") (param i32 i32) (result i32) (local i32)
        (block $b
          (block $c
            (br_if $c (local.get 0))
            (local.set 2 (i32.const 1))
            (br $b))
          (local.set 2 (i32.const 2)))
        (i32.add (local.get 2) (i32.const 100)))
      (func (export "result") (param i32 i32) (result i32)
        (block $b (result i32)
          (block $c
            (br_if $c (local.get 0))
            (br $b (i32.add (local.get 1) (i32.const 5))))
          (i32.const 7)))
      (func (export "outer_flag") (param i32 i32) (result i32) (local i32)
        (block $out
          (block $b
            (block $c
              (br_if $c (local.get 0))
              (br_if $out (i32.eq (local.get 1) (i32.const 3)))
              (local.set 2 (i32.const 1))
              (br $b))
            (local.set 2 (i32.const 2)))
          (local.set 2 (i32.add (local.get 2) (i32.const 10))))
        (local.get 2))
      {flagged("flag_before", loop, "(br_if $c (local.get 0))")}
      {flagged("flag_inside", "(br_if $c (local.get 0))", loop)}
      (func (export "chained") (param i32 i32) (result i32) (local i32)
        (block $oo
          (block $o
            (br_if $o (local.get 0))
            (block $c
              (br_if $c (local.get 1))
              (local.set 2 (i32.const 1))
              (br $o))
            (local.set 2 (i32.add (local.get 2) (i32.const 10)))
            (br $oo))
          (local.set 2 (i32.add (local.get 2) (i32.const 100))))
        (local.get 2)))"""
    inputs = [(x, y) for x in (0, 1, 7) for y in (0, 2, 3, 4, 5, 6)]
    for name in ("plain", "result", "outer_flag", "flag_before", "flag_inside", "chained"):
        _same_on_both_tiers(wat, name, inputs)
    from lab.interp.decode import decode_module
    from lab.interp.translate import translate_function
    module = decode_module(wasmtime.wat2wasm(wat))
    for index in (0, 1):
        source = translate_function(module, [module.types[f.type_index] for f in module.funcs], index)
        assert "else:" in source and "br =" not in source, source


def test_a_flag_whose_landing_leaves_at_once_becomes_a_copy_of_the_landing() -> None:
    """Jump threading (jumps.py): cases of a dispatch loop that branch to the block before the
    loop's back edge run a copy of that code instead of setting `br` and passing the tests of
    the other cases. Here the case bodies' `br $next` become copies ending in `break` (the
    landing tests `i < n` with `continue`, then leaves)."""
    wat = """(module
      (func (export "run") (param $n i32) (result i32) (local $i i32) (local $acc i32)
        (loop $top
          (block $next
            (block $c2 (block $c1 (block $c0
              (br_table $c0 $c1 $c2 $c0 (i32.rem_u (local.get $i) (i32.const 4))))
              (local.set $acc (i32.add (local.get $acc) (i32.const 1)))
              (br $next))
              (local.set $acc (i32.mul (local.get $acc) (i32.const 3)))
              (br_if $next (i32.gt_u (local.get $acc) (i32.const 50)))
              (local.set $acc (i32.sub (local.get $acc) (i32.const 1))))
            (local.set $acc (i32.xor (local.get $acc) (i32.const 5))))
          (local.set $i (i32.add (local.get $i) (i32.const 1)))
          (br_if $top (i32.lt_u (local.get $i) (local.get $n))))
        (local.get $acc)))"""
    _same_on_both_tiers(wat, "run", [(n,) for n in (0, 1, 2, 3, 5, 8, 17, 40)])
    from lab.interp.decode import decode_module
    from lab.interp.translate import translate_function
    module = decode_module(wasmtime.wat2wasm(wat))
    source = translate_function(module, [module.types[0]], 0)
    assert [ln.strip() for ln in source.splitlines()].count("break") >= 3, source


def test_jump_threading_copies_only_a_landing_that_leaves_from_the_same_loop() -> None:
    from lab.interp.jumps import thread_jumps
    lines = ["    while True:",
             "        if x: br = 3",
             "        if not br:",
             "            while True:",
             "                br = 3",
             "                break",
             "        br = 0",               # landing of 3: index 6, level 2
             "        z = z + 1",
             "        continue"]
    threaded = thread_jumps(lines, {3: (7, 2)})
    assert threaded[1:4] == ["        if x:", "            z = z + 1", "            continue"]
    assert threaded[6:8] == lines[4:6]    # leaving the inner loop first: the flag stays
    falls_through = lines[:8] + ["        y = 1"]
    assert thread_jumps(falls_through, {3: (7, 2)}) == falls_through
    nested = lines[:7] + ["        if z:", "            continue", "        continue"]
    assert thread_jumps(nested, {3: (7, 2)}) == nested


def test_br_table_that_picks_the_flag_from_a_table() -> None:
    wat = """(module
      (func (export "f") (param i32) (result i32) (local i32)
        (block $exit
          (loop $top
            (block $c (block $b (block $a
              (br_table $a $b $c $exit $a (local.get 0)))
              (local.set 1 (i32.add (local.get 1) (i32.const 1))) (br $c))
              (local.set 1 (i32.add (local.get 1) (i32.const 10))))
            (local.set 1 (i32.add (local.get 1) (i32.const 100)))
            (local.set 0 (i32.add (local.get 0) (i32.const 1)))
            (br_if $top (i32.lt_u (local.get 0) (i32.const 6)))))
        (local.get 1)))"""
    _same_on_both_tiers(wat, "f", [(x,) for x in (0, 1, 2, 3, 4, 5, 6, 0xFFFFFFFF)])


def test_br_table_cases_become_one_if_elif_chain() -> None:
    """A br_table over nested blocks: each case's test is an `elif` of the one before, so a case
    that ran skips the later tests, except where a case's body may itself branch to that later
    case (case 0 to case 2 here): there the chain starts again with an `if`."""
    wat = """(module
      (func (export "f") (param i32 i32) (result i32) (local i32)
        (block $done
          (block $c3 (block $c2 (block $c1 (block $c0
            (br_table $c0 $c1 $c2 $c3 $done (local.get 0)))
            (local.set 2 (i32.const 1))
            (br_table $c2 $done $c3 (local.get 1)))
            (local.set 2 (i32.add (local.get 2) (i32.const 10)))
            (br $done))
            (local.set 2 (i32.add (local.get 2) (i32.const 100)))
            (br $done))
          (local.set 2 (i32.add (local.get 2) (i32.const 1000))))
        (local.get 2)))"""
    _same_on_both_tiers(wat, "f", [(x, y) for x in range(6) for y in range(4)])
    from lab.interp.decode import decode_module
    from lab.interp.translate import translate_function
    module = decode_module(wasmtime.wat2wasm(wat))
    source = translate_function(module, [module.types[0]], 0)
    tests = [line.split()[0] for line in source.splitlines() if " br == " in line]
    assert tests == ["if", "elif", "if", "elif"], source


def test_unsigned_division_by_constants() -> None:
    wat = """(module
      (func (export "f") (param i32 i32) (result i32 i32 i64)
        (i32.div_u (i32.add (local.get 0) (local.get 1)) (i32.const 3))
        (i32.rem_u (i32.sub (local.get 0) (local.get 1)) (i32.const 7))
        (i64.rem_u (i64.extend_i32_u (local.get 0)) (i64.const 10)))
      (func (export "z") (param i32 i32) (result i32)
        (i32.store8 (i32.const 0) (local.get 1))
        (i32.div_u (local.get 0) (i32.const 0)))
      (memory 1))"""
    _same_on_both_tiers(wat, "f", [(x, y) for x in EDGES for y in EDGES])
    _same_on_both_tiers(wat, "z", [(x, y) for x in EDGES for y in EDGES])


def test_loads_kept_as_expressions_still_trap_and_read_in_order() -> None:
    """Loads are pending expressions until the next effect: one that is dropped, not picked by
    `select`, or discarded by a branch must still trap; a trapping load comes before a later
    division by zero or `unreachable`; a load reads memory as it was before a later store or
    call. Memory is one page: address 65536 is out of bounds when `p` is 1."""
    wat = """(module (memory 1) (data (i32.const 0) "\\07")
      (func $poke (i32.store (i32.const 0) (i32.const 9)))
      (func (export "dropped") (param $p i32) (result i32)
        (drop (i32.load (i32.mul (local.get $p) (i32.const 65536)))) (i32.const 1))
      (func (export "unselected") (param $p i32) (result i32)
        (select (i32.const 2) (i32.load (i32.mul (local.get $p) (i32.const 65536)))
                (i32.const 1)))
      (func (export "discarded") (param $p i32) (result i32)
        (block (result i32)
          (i32.load (i32.mul (local.get $p) (i32.const 65536)))
          (br 0 (i32.const 3))))
      (func (export "before_div") (param $p i32) (result i32)
        (i32.add (i32.load (i32.mul (local.get $p) (i32.const 65536)))
                 (i32.div_u (i32.const 1) (i32.const 0))))
      (func (export "before_unreachable") (param $p i32) (result i32)
        (i32.load (i32.mul (local.get $p) (i32.const 65536))) (unreachable))
      (func (export "before_store") (param $p i32) (result i32)
        (i32.load (i32.const 0))
        (i32.store (i32.const 0) (i32.add (local.get $p) (i32.const 20))))
      (func (export "before_call") (param $p i32) (result i32)
        (i32.load8_u (i32.const 0)) (call $poke)
        (i32.store (i32.const 0) (i32.const 7))))"""
    names = ["dropped", "unselected", "discarded", "before_div", "before_unreachable",
             "before_store", "before_call"]
    for name in names:
        _same_on_both_tiers(wat, name, [(0,), (1,)])
    store = rt.Store(tier="translate")
    inst = load(wat, store)
    for name in names[:5]:
        with pytest.raises(Trap, match="out of bounds"):
            call(store, inst, name, 1)
    assert call(store, inst, "before_store", 1) == [7]
    assert call(store, inst, "before_store", 1) == [21]
    assert call(store, inst, "before_call", 0) == [21]      # before $poke's 9
    assert call(store, inst, "before_call", 0) == [7]


def test_shifts_by_constants_and_rotations() -> None:
    # Shifts by a constant become multiplications (counts 1..29 after masking), also of wide
    # operands (a sum or difference not yet masked); rotations add their two halves.
    counts = (0, 1, 2, 29, 30, 31, 32, 33, 63, 64, 95)
    shifts32 = " ".join(f"(i32.shl (i32.sub (local.get 0) (local.get 1)) (i32.const {k}))"
                        for k in counts)
    shifts64 = " ".join(f"(i64.shl (i64.add (local.get 2) (local.get 2)) (i64.const {k}))"
                        for k in counts)
    wat = f"""(module
      (func (export "shl") (param i32 i32 i64) (result {" i32" * len(counts)}
                                                       {" i64" * len(counts)})
        {shifts32} {shifts64})
      (func (export "rot") (param i32 i32 i64) (result i32 i32 i64 i64 i32)
        (i32.rotl (local.get 0) (local.get 1)) (i32.rotr (local.get 0) (local.get 1))
        (i64.rotl (local.get 2) (i64.extend_i32_u (local.get 1)))
        (i64.rotr (local.get 2) (i64.extend_i32_u (local.get 1)))
        (i32.xor (i32.rotl (local.get 0) (i32.const 26)) (i32.rotr (local.get 0) (i32.const 6)))))"""
    wide = (0, 1, 0x7FFFFFFF, 0x80000000, 0xFFFFFFFFFFFFFFFF, 0x8000000000000000)
    args = [(x, y, z) for x in EDGES for y in EDGES for z in wide]
    _same_on_both_tiers(wat, "shl", args)
    _same_on_both_tiers(wat, "rot", args)


def test_signed_comparisons_without_sign_flips() -> None:
    # Against constants on either side (zero, positive, the extremes, negative), and between
    # values known to be below the sign bit (a byte load, a masked value).
    ops = ("lt_s", "gt_s", "le_s", "ge_s")
    consts32 = (0, 5, 0x7FFFFFFF, -0x80000000, -1, -5)
    consts64 = (0, 5, 0x7FFFFFFFFFFFFFFF, -0x8000000000000000, -1)
    body, results = [], []
    for o in ops:
        for c in consts32:
            body.append(f"(i32.{o} (local.get 0) (i32.const {c}))")
            body.append(f"(i32.{o} (i32.const {c}) (local.get 0))")
        for c in consts64:
            body.append(f"(i64.{o} (i64.extend_i32_s (local.get 0)) (i64.const {c}))")
            body.append(f"(i64.{o} (i64.const {c}) (i64.extend_i32_s (local.get 0)))")
        body.append(f"(i32.{o} (i32.load8_u (i32.const 0)) (i32.and (local.get 0) (i32.const 255)))")
        body.append(f"(i32.{o} (i32.load8_u (i32.const 0)) (local.get 0))")
        body.append(f"(select (i32.const 7) (i32.const 9) (i32.{o} (local.get 0) (i32.const 3)))")
        body.append(f"(i32.eqz (i32.{o} (local.get 0) (i32.const -3)))")
    results = " i32" * len(body)
    wat = f"""(module (memory 1) (data (i32.const 0) "\\80")
      (func (export "f") (param i32) (result{results}) {" ".join(body)}))"""
    _same_on_both_tiers(wat, "f", [(x,) for x in EDGES + [4, 5, 6, 0xFFFFFFFB, 0x7FFFFFFE]])


def test_a_wrap_tested_for_zero_moves_into_the_taken_arm() -> None:
    # `x = a - b` is wrapped only where a test of x is true (x == 0 needs no wrap): in a
    # br_if out of a loop, an `if` with both arms, and a count-down loop.
    wat = """(module
      (func (export "brif") (param i32 i32) (result i32)
        (local i32)
        (block
          (loop
            (br_if 1 (local.tee 2 (i32.sub (local.get 0) (local.get 1))))
            (local.set 2 (i32.const 77))))
        (local.get 2))
      (func (export "if") (param i32 i32) (result i32 i32)
        (local i32)
        (local.set 2 (i32.sub (local.get 0) (local.get 1)))
        (if (result i32) (local.get 2) (then (local.get 2)) (else (i32.const 5)))
        (local.get 2))
      (func (export "countdown") (param i32 i32) (result i32 i32)
        (loop
          (local.set 1 (i32.add (local.get 1) (i32.const 7)))
          (br_if 0 (local.tee 0 (i32.sub (local.get 0) (i32.const 1)))))
        (local.get 0) (local.get 1)))"""
    pairs = [(x, y) for x in EDGES for y in EDGES]
    _same_on_both_tiers(wat, "brif", pairs)
    _same_on_both_tiers(wat, "if", pairs)
    _same_on_both_tiers(wat, "countdown", [(n, 0) for n in (1, 2, 3, 50)])


def test_an_accessed_address_plus_a_constant_needs_no_wrap_until_paths_join() -> None:
    # A load or store that did not trap proves its address below the memory's size, so a small
    # constant added to that local right after cannot pass 2**32. Where another path joins
    # (after an if, in an else arm, at a loop head) or once the local is assigned, the proof is
    # gone: with p = 0xFFFFFFF0 there, p + 32 must still wrap to 16.
    wat = """(module (memory 1)
      (func (export "straight") (param i32) (result i32)
        (i32.store (local.get 0) (i32.load (local.get 0)))
        (i32.add (local.get 0) (i32.const 8)))
      (func (export "after_if") (param i32 i32) (result i32)
        (if (local.get 1) (then (local.set 1 (i32.load (local.get 0)))))
        (i32.add (local.get 0) (i32.const 32)))
      (func (export "else_arm") (param i32 i32) (result i32)
        (if (result i32) (local.get 1)
          (then (i32.store8 (local.get 0) (i32.const 1)) (i32.const 0))
          (else (i32.add (local.get 0) (i32.const 32)))))
      (func (export "loop_head") (param i32 i32) (result i32) (local i32)
        (local.set 2 (i32.load (local.get 0)))
        (loop
          (local.set 2 (i32.add (local.get 0) (i32.const 32)))
          (local.set 0 (i32.const 0xFFFFFFF0))
          (br_if 0 (local.tee 1 (i32.sub (local.get 1) (i32.const 1)))))
        (local.get 2))
      (func (export "assigned") (param i32 i32) (result i32)
        (i32.store (i32.const 16) (i32.const 0xFFFFFFF0))
        (local.set 0 (i32.load offset=16 (local.get 0)))  ;; proves the old l0, not the new
        (i32.add (local.get 0) (i32.const 32))))"""
    _same_on_both_tiers(wat, "straight", [(0,), (8,), (65528,), (65532,), (65533,)])
    _same_on_both_tiers(wat, "after_if", [(0xFFFFFFF0, 0), (8, 1), (0xFFFFFFF0, 1)])
    _same_on_both_tiers(wat, "else_arm", [(0xFFFFFFF0, 0), (8, 1)])
    _same_on_both_tiers(wat, "loop_head", [(0, 1), (0, 2), (0, 3)])
    _same_on_both_tiers(wat, "assigned", [(0, 0), (65532, 0)])
    store = rt.Store(tier="translate")
    inst = load(wat, store)
    assert call(store, inst, "after_if", 0xFFFFFFF0, 0) == [16]
    assert call(store, inst, "loop_head", 0, 2) == [16]
    assert call(store, inst, "else_arm", 0xFFFFFFF0, 0) == [16]
    assert call(store, inst, "assigned", 0, 0) == [16]
    from lab.interp.decode import decode_module
    from lab.interp.translate import translate_function
    module = decode_module(wasmtime.wat2wasm(wat))
    source = translate_function(module, rt._module_caches(module)[0], 0)
    assert "return l0 + 8\n" in source, source  # the straight case: no wrap left


def test_no_memory_reaches_4_gib_so_accessed_addresses_stay_below_it() -> None:
    store = rt.Store(tier="translate", max_memory_pages=65536)
    inst = load("""(module (memory 1)
      (func (export "grow") (param i32) (result i32) (memory.grow (local.get 0))))""", store)
    assert call(store, inst, "grow", 65535) == [0xFFFFFFFF]  # would be 65536 pages: refused
    with pytest.raises(rt.LimitError, match="65535"):
        load("(module (memory 65536))", store)


# -- inlining of small straight-line callees and constant folding (inline.py) ----------------

EDGES64 = [0, 1, 2, 31, 32, 63, 64, 65, 0xFFFFFFFF, 0x100000000, 0x7FFFFFFFFFFFFFFF,
           0x8000000000000000, 0xFFFFFFFFFFFFFFFE, 0xFFFFFFFFFFFFFFFF, 0x9E3779B97F4A7C15]

INLINED = """(module (memory 1) (global $g (mut i64) (i64.const 0))
  ;; compiler-rt's __multi3: a 64x64->128 product in 32-bit halves, stored at $p; it reuses
  ;; its parameters as temporaries
  (func $mul128 (param $p i32) (param $al i64) (param $ah i64) (param $bl i64) (param $bh i64)
    (local $t i64) (local $cross i64)
    (local.set $cross (i64.add (i64.mul (local.get $bh) (local.get $al))
                               (i64.mul (local.get $ah) (local.get $bl))))
    (local.set $ah (i64.shr_u (local.get $bl) (i64.const 32)))
    (local.set $bh (i64.shr_u (local.get $al) (i64.const 32)))
    (local.set $bl (i64.and (local.get $bl) (i64.const 0xFFFFFFFF)))
    (local.set $al (i64.and (local.get $al) (i64.const 0xFFFFFFFF)))
    (local.set $t (i64.mul (local.get $bl) (local.get $al)))
    (local.set $bl (i64.add (i64.shr_u (local.get $t) (i64.const 32))
                            (i64.mul (local.get $bl) (local.get $bh))))
    (local.set $al (i64.add (i64.and (local.get $bl) (i64.const 0xFFFFFFFF))
                            (i64.mul (local.get $ah) (local.get $al))))
    (i64.store offset=8 (local.get $p)
      (i64.add (i64.add (i64.add (local.get $cross) (i64.mul (local.get $ah) (local.get $bh)))
                        (i64.shr_u (local.get $bl) (i64.const 32)))
               (i64.shr_u (local.get $al) (i64.const 32))))
    (i64.store (local.get $p) (i64.or (i64.shl (local.get $al) (i64.const 32))
                                      (i64.and (local.get $t) (i64.const 0xFFFFFFFF)))))
  (func $rotl (param i64 i64) (result i64) (i64.rotl (local.get 0) (local.get 1)))
  (func $rotr (param i64 i64) (result i64) (i64.rotr (local.get 0) (local.get 1)))
  (func $shifts (param i64 i64) (result i64)
    (i64.xor (i64.xor (i64.shl (local.get 0) (local.get 1)) (i64.shr_s (local.get 0) (local.get 1)))
             (i64.shr_u (local.get 0) (local.get 1))))
  ;; writes its parameter (bound to the caller's value until then) and reads a declared local
  (func $shadow (param $x i64) (result i64) (local $z i64)
    (local.set $x (i64.add (local.get $x) (local.get $z)))
    (local.set $z (i64.sub (local.get $x) (i64.const 1)))
    (i64.add (local.get $x) (i64.mul (local.get $z) (local.get $x))))
  (func $wrap (param i64) (result i64)
    (i64.extend_i32_s (i32.wrap_i64 (local.get 0))))
  (func $bump (param i64) (global.set $g (i64.add (global.get $g) (local.get 0))))
  (func $load (param i32) (result i64) (i64.load (local.get 0)))
  (func $div (param i64 i64) (result i64) (i64.div_u (local.get 0) (local.get 1)))
  (func (export "mul128") (param i64 i64) (result i64 i64 i64 i64)
    (call $mul128 (i32.const 16) (local.get 0) (i64.const 0) (local.get 1) (i64.const 0))
    (call $mul128 (i32.const 32) (local.get 0) (local.get 1) (local.get 1) (local.get 0))
    (i64.load (i32.const 16)) (i64.load (i32.const 24))
    (i64.load (i32.const 32)) (i64.load (i32.const 40)))
  (func (export "rot") (param i64 i64) (result i64 i64 i64 i64 i64 i64)
    (call $rotl (local.get 0) (local.get 1)) (call $rotr (local.get 0) (local.get 1))
    (call $rotl (local.get 0) (i64.const 0)) (call $rotr (local.get 0) (i64.const 64))
    (call $rotl (local.get 0) (i64.const 65)) (call $shifts (local.get 0) (local.get 1)))
  (func (export "shadow") (param i64 i64) (result i64 i64 i64)
    (call $shadow (local.get 0)) (call $shadow (i64.const 0xFFFFFFFFFFFFFFFF))
    (call $wrap (local.get 1)))
  ;; the inlined result reads the caller's $x, which the caller then changes
  (func (export "later_write") (param $x i64) (result i64)
    (call $rotl (local.get $x) (i64.const 7))
    (local.set $x (i64.const 5))
    (call $bump (local.get $x))
    (i64.add (local.get $x))
    (i64.add (global.get $g)))
  (func (export "traps") (param i32 i64) (result i64)
    (i64.add (call $load (local.get 0)) (call $div (i64.const 7) (local.get 1))))
  (func (export "folds") (param i64 i32) (result i64 i64 i64 i64 i32 i32 i64)
    (i64.mul (local.get 0) (i64.const 0))
    (i64.add (i64.const 0) (local.get 0))
    (i64.shl (local.get 0) (i64.const 64))
    (i64.mul (i64.load (local.get 1)) (i64.const 0))     ;; must still trap out of bounds
    (i64.lt_s (i64.const 0x8000000000000000) (i64.const 1))
    (i32.gt_u (i32.const 0x80000000) (i32.const 0x7FFFFFFF))
    (i64.sub (i64.const 0) (i64.const 1))))"""


def test_inlined_callees_match_the_interpreter_at_edge_values() -> None:
    pairs = [(x, y) for x in EDGES64 for y in EDGES64]
    for name in ("mul128", "rot", "shadow", "later_write"):
        inputs = [(x,) for x in EDGES64] if name == "later_write" else pairs
        _same_on_both_tiers(INLINED, name, inputs)
    _same_on_both_tiers(INLINED, "traps", [(0, 1), (65528, 0), (65529, 1), (0xFFFFFFFF, 0)])
    _same_on_both_tiers(INLINED, "folds", [(x, a) for x in EDGES64[::3] for a in (0, 65529)])
    store = rt.Store(tier="translate")
    inst = load(INLINED, store)
    x, y = 0x9E3779B97F4A7C15, 0xFFFFFFFFFFFFFFFF
    lo, hi, lo2, hi2 = call(store, inst, "mul128", x, y)
    assert (hi << 64 | lo) == x * y
    full = (x + (y << 64)) * (y + (x << 64)) & (1 << 128) - 1
    assert (hi2 << 64 | lo2) == full
    assert call(store, inst, "rot", x, 64)[:5] == [x, x, x, x, (x << 1 | x >> 63) & (1 << 64) - 1]
    with pytest.raises(Trap, match="out of bounds"):   # the load's trap comes before the division's
        call(store, inst, "traps", 65529, 0)
    with pytest.raises(Trap, match="divide by zero"):
        call(store, inst, "traps", 0, 0)


def test_small_straight_line_callees_are_inlined_and_constants_fold() -> None:
    from lab.interp.decode import decode_module
    from lab.interp.translate import translate_function
    module = decode_module(wasmtime.wat2wasm(INLINED))
    types = rt._module_caches(module)[0]
    names = {e.name: e.index for e in module.exports}
    mul128 = translate_function(module, types, names["mul128"])
    assert "f0(" not in mul128, mul128                       # inlined, both calls
    # 6 products for the full one, 4 where the high halves are 0 (its cross terms fold away)
    assert mul128.count("stQ(") == 4 and mul128.count(" * ") == 10, mul128
    folds = translate_function(module, types, names["folds"])
    assert "ldQ(" in folds and "18446744073709551615" in folds, folds
    fueled = translate_function(module, types, names["rot"], fuel=True)
    assert "f1(" not in fueled and fueled.count("S.fuel -= 1") == 7, fueled  # entry + 6 calls


def test_an_inlined_call_charges_the_fuel_of_a_call() -> None:
    wat = """(module
      (func $inc (param i32) (result i32) %s(i32.add (local.get 0) (i32.const 1)))
      (func (export "count") (param i32) (result i32) (local i32)
        (loop $top
          (local.set 1 (call $inc (local.get 1)))
          (br_if $top (i32.lt_u (local.get 1) (local.get 0))))
        (local.get 1)))"""
    used = []
    for body in ("", "(block) "):     # inlined, and kept as a call by its block
        store = rt.Store(fuel=1_000_000, tier="translate")
        inst = load(wat % body, store)
        assert call(store, inst, "count", 1000) == [1000]
        used.append(1_000_000 - store.fuel)
        store.fuel = 500
        with pytest.raises(Trap, match=TRAP_OUT_OF_FUEL):
            call(store, inst, "count", 1000)
    assert used[0] == used[1], used


def test_i64_sums_wrap_by_a_test_against_2_to_the_64() -> None:
    wat = """(module
      (func (export "f") (param i64 i64) (result i64 i64 i64)
        (local.set 0 (i64.add (local.get 0) (local.get 1)))
        (local.get 0)
        (i64.add (local.get 0) (local.get 1))
        (i64.sub (local.get 1) (local.get 0))))"""
    _same_on_both_tiers(wat, "f", [(x, y) for x in EDGES64 for y in EDGES64])
    from lab.interp.decode import decode_module
    from lab.interp.translate import translate_function
    module = decode_module(wasmtime.wat2wasm(wat))
    source = translate_function(module, [module.types[0]], 0)
    assert "if l0 > 0xFFFFFFFFFFFFFFFF: l0 -= 18446744073709551616" in source, source
