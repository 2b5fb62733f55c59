"""Wasm 3.0 tail calls, extended constant expressions and wide arithmetic in lab.interp: the
spec-3.0 files of these features through the spec driver, and what those files do not reach
(constant depth and memory of long tail-call chains, fuel, host and cross-instance callees,
the hand-over between the translating and the interpreter tier, the 2.0/3.0 validation rules)."""

from __future__ import annotations

import random
import sys

import pytest

from lab.interp import runtime as rt
from lab.interp.decode import decode_module
from lab.interp.errors import TRAP_OOB_MEMORY, TRAP_OUT_OF_FUEL, TRAP_STACK_EXHAUSTED, InvalidError, Trap
from lab.interp.machine import execute
from lab.interp.module import WASM_2_0, WASM_3_0
from lab.interp.validate import validate_module

wasmtime = pytest.importorskip("wasmtime")

TIERS = ("translate", "interpreter")
M64 = (1 << 64) - 1


def wat(text: str) -> bytes:
    return bytes(wasmtime.wat2wasm(text))


def load(text: str, store: rt.Store, externs: list | None = None) -> rt.ModuleInst:
    module = decode_module(wat(text))
    validate_module(module)
    return rt.instantiate(store, module, externs or [])


def call(store: rt.Store, inst: rt.ModuleInst, name: str, *args) -> list:
    return execute(store, inst.exports[name], list(args))


def translated(func: rt.FuncInst) -> bool:
    """Whether the translating tier runs `func` as generated Python (not the interpreter)."""
    return func.py is not None and func.py.__code__.co_filename == "<wasm>"


# -- whole spec-3.0 files ----------------------------------------------------------------------

SPEC_FILES = ["return_call.wast", "return_call_indirect.wast",
              "proposals/wide-arithmetic/wide-arithmetic.wast", "data.wast"]


@pytest.mark.slow
@pytest.mark.parametrize("tier_name", TIERS)
@pytest.mark.parametrize("name", SPEC_FILES)
def test_whole_spec_files_pass(name: str, tier_name: str, monkeypatch) -> None:
    from lab.suites import spec

    (spec_file,) = [f for f in spec.spec_files("spec-3.0") if f.name == name]  # renamed or missing: fails
    monkeypatch.setenv("WASMLAB_INTERP_TIER", tier_name)
    outcomes = spec.run_spec_file(spec_file, spec.session_opener("interp", spec_file),
                                  spec.Expectations(), command_timeout=60)
    assert len(outcomes) > 40
    assert all(o.outcome == "pass" for o in outcomes), [o for o in outcomes if o.outcome != "pass"][:5]


def test_spec_session_validates_each_suite_by_its_own_rules() -> None:
    from lab.runners.interp.spec import InterpSpecSession
    from lab.suites import spec

    by_suite = {suite: next(f for f in spec.spec_files(suite) if f.name == "global.wast")
                for suite in ("spec-2.0", "spec-3.0")}
    assert InterpSpecSession.for_spec_file(by_suite["spec-2.0"]).version == WASM_2_0
    assert InterpSpecSession.for_spec_file(by_suite["spec-3.0"]).version == WASM_3_0
    outcomes = spec.run_spec_file(by_suite["spec-2.0"], spec.session_opener("interp", by_suite["spec-2.0"]),
                                  spec.Expectations())
    assert all(o.outcome == "pass" for o in outcomes if o.group != "text-format")


# -- tail calls --------------------------------------------------------------------------------

TAIL = """
(module
  (import "host" "twice" (func $twice (param i64) (result i64)))
  (type $step (func (param i64) (result i64)))
  (table funcref (elem $even $odd))
  (global $seven i64 (i64.const 7))
  (func $count (export "count") (param i64) (result i64)
    (if (i64.eqz (local.get 0)) (then (return (global.get $seven))))
    (i64.const 99) (i64.const 98)     ;; left below the argument: the tail call drops them
    (return_call $count (i64.sub (local.get 0) (i64.const 1))))
  (func $even (export "even") (param i64) (result i64)
    (if (result i64) (i64.eqz (local.get 0)) (then (i64.const 1))
      (else (return_call_indirect (type $step) (i64.sub (local.get 0) (i64.const 1))
                                  (i32.const 1)))))
  (func $odd (param i64) (result i64)
    (if (result i64) (i64.eqz (local.get 0)) (then (i64.const 0))
      (else (return_call_indirect (type $step) (i64.sub (local.get 0) (i64.const 1))
                                  (i32.const 0)))))
  (func (export "host") (param i64) (result i64)
    (i64.const 5) (return_call $twice (local.get 0)))
  (func $leaf (param i64) (result i64) (i64.mul (local.get 0) (i64.const 6)))
  (func $down (param i64) (result i64)
    (if (i64.eqz (local.get 0)) (then (return_call $leaf (i64.const 7))))
    (return_call $down (i64.sub (local.get 0) (i64.const 1))))
  (func (export "mixed") (param i64) (result i64)
    (i64.add (call $down (local.get 0)) (i64.const 1)))
  (func $plain (export "plain") (param i64) (result i64)
    (if (result i64) (i64.eqz (local.get 0)) (then (i64.const 7))
      (else (call $plain (i64.sub (local.get 0) (i64.const 1))))))
)
"""


def _twice() -> rt.FuncInst:
    from lab.interp import module as m
    return rt.FuncInst(m.FuncType((m.I64,), (m.I64,)), host=lambda caller, args: [args[0] * 2 & M64])


def _tail(store: rt.Store) -> rt.ModuleInst:
    return load(TAIL, store, [_twice()])


@pytest.mark.parametrize("tier_name", TIERS)
def test_tail_call_chains_run_in_constant_depth(tier_name: str) -> None:
    store = rt.Store(max_call_depth=50, tier=tier_name)
    inst = _tail(store)
    assert call(store, inst, "count", 100_000) == [7]
    assert call(store, inst, "even", 100_001) == [0]      # mutual, through the table
    assert call(store, inst, "mixed", 50_000) == [43]     # translated caller, tail callee
    assert call(store, inst, "plain", 40) == [7]
    with pytest.raises(Trap) as e:                         # the same depth without tail calls
        call(store, inst, "plain", 100_000)
    assert e.value.kind == TRAP_STACK_EXHAUSTED


PROBE = """
(module
  (import "host" "probe" (func $probe (result i64)))
  (func $deep (export "deep") (param i64) (result i64)
    (if (i64.eqz (local.get 0)) (then (return (call $probe))))
    (i64.const 99) (i64.const 98)     ;; left below the argument: the tail call drops them
    (return_call $deep (i64.sub (local.get 0) (i64.const 1)))))
"""


def _operand_stack_size(caller, args) -> list[int]:
    """A host function: the size of the innermost interpreter's operand stack (white-box: the
    executor's local `stack`, see machine.py), as an i64."""
    frame = sys._getframe()
    while frame.f_code.co_filename != "<lab.interp.machine executor>":
        frame = frame.f_back
    return [len(frame.f_locals["stack"])]


@pytest.mark.parametrize("tier_name", TIERS)
def test_tail_calls_do_not_keep_the_frames_operands(tier_name: str) -> None:
    from lab.interp import module as m
    store = rt.Store(tier=tier_name)
    probe = rt.FuncInst(m.FuncType((), (m.I64,)), host=_operand_stack_size)
    inst = load(PROBE, store, [probe])
    assert call(store, inst, "deep", 0) == [0]
    assert call(store, inst, "deep", 10_000) == [0]   # not 20,000 operands left behind


@pytest.mark.parametrize("tier_name", TIERS)
def test_tail_calls_are_charged_fuel(tier_name: str) -> None:
    store = rt.Store(fuel=1_000_000, tier=tier_name)
    inst = _tail(store)
    assert call(store, inst, "count", 10_000) == [7]
    assert store.fuel <= 1_000_000 - 10_000
    store.fuel = 5_000
    with pytest.raises(Trap) as e:
        call(store, inst, "count", 10_000)
    assert e.value.kind == TRAP_OUT_OF_FUEL


@pytest.mark.parametrize("tier_name", TIERS)
def test_tail_call_of_a_host_function_returns_its_results(tier_name: str) -> None:
    store = rt.Store(tier=tier_name)
    inst = _tail(store)
    assert call(store, inst, "host", 21) == [42]


def test_functions_with_tail_calls_stay_on_the_interpreter_the_rest_is_translated() -> None:
    store = rt.Store(max_call_depth=50, tier="translate")
    inst = _tail(store)
    assert call(store, inst, "mixed", 1000) == [43]
    assert call(store, inst, "plain", 3) == [7]
    names = {f.defined_index: f for f in inst.funcs if f.host is None}
    mixed, plain = inst.exports["mixed"], inst.exports["plain"]
    down = names[mixed.defined_index - 2]
    assert isinstance(mixed, rt.FuncInst) and isinstance(plain, rt.FuncInst)
    assert translated(mixed) and translated(plain)
    assert down.py is not None and not translated(down)


CALLEE = """
(module
  (global $g i64 (i64.const 1000))
  (func $count (export "count") (param i64) (result i64)
    (if (i64.eqz (local.get 0)) (then (return (global.get $g))))
    (return_call $count (i64.sub (local.get 0) (i64.const 1)))))
"""
CALLER = """
(module
  (import "a" "count" (func $count (param i64) (result i64)))
  (global $g i64 (i64.const 2))
  (func (export "via") (param i64) (result i64)
    (return_call $count (i64.add (local.get 0) (global.get $g)))))
"""


@pytest.mark.parametrize("tier_name", TIERS)
def test_tail_call_into_another_instance_uses_the_callees_globals(tier_name: str) -> None:
    store = rt.Store(max_call_depth=20, tier=tier_name)
    callee = load(CALLEE, store)
    caller = load(CALLER, store, [callee.exports["count"]])
    assert call(store, caller, "via", 30_000) == [1000]


def test_tail_call_results_must_be_the_functions_own() -> None:
    bad = "(module (func $f (result i64) (i64.const 1)) (func (result i32) (return_call $f)))"
    with pytest.raises(InvalidError, match="type mismatch"):
        validate_module(decode_module(wat(bad)))


# -- wide arithmetic ---------------------------------------------------------------------------

WIDE = """
(module
  (memory 1)
  (func (export "add128") (param i64 i64 i64 i64) (result i64 i64)
    (i64.add128 (local.get 0) (local.get 1) (local.get 2) (local.get 3)))
  (func (export "sub128") (param i64 i64 i64 i64) (result i64 i64)
    (i64.sub128 (local.get 0) (local.get 1) (local.get 2) (local.get 3)))
  (func (export "mul_wide_s") (param i64 i64) (result i64 i64)
    (i64.mul_wide_s (local.get 0) (local.get 1)))
  (func (export "mul_wide_u") (param i64 i64) (result i64 i64)
    (i64.mul_wide_u (local.get 0) (local.get 1)))
  ;; operands loaded from memory, halves combined: the results are slots the next op reads
  (func (export "mulhi_xor_lo") (param i32 i32) (result i64)
    (local $hi i64)
    (i64.mul_wide_s (i64.load (local.get 0)) (i64.add (i64.load (local.get 1)) (i64.const 1)))
    (local.set $hi)
    (i64.xor (local.get $hi)))
  (func (export "store") (param i32 i64) (i64.store (local.get 0) (local.get 1))))
"""


def _signed(x: int) -> int:
    return x - (1 << 64) if x >> 63 else x


@pytest.mark.parametrize("tier_name", TIERS)
def test_wide_arithmetic_matches_python_integers(tier_name: str) -> None:
    store = rt.Store(tier=tier_name)
    inst = load(WIDE, store)
    rnd = random.Random(22)
    edge = [0, 1, M64, 1 << 63, (1 << 63) - 1]
    for _ in range(200):
        a, b, c, d = (rnd.choice(edge) if rnd.random() < 0.3 else rnd.getrandbits(64)
                      for _ in range(4))
        x, y = a | b << 64, c | d << 64
        for name, r in (("add128", x + y), ("sub128", x - y)):
            r &= (1 << 128) - 1
            assert call(store, inst, name, a, b, c, d) == [r & M64, r >> 64], (name, a, b, c, d)
        p = a * c
        assert call(store, inst, "mul_wide_u", a, c) == [p & M64, p >> 64]
        p = (_signed(a) * _signed(c)) & ((1 << 128) - 1)
        assert call(store, inst, "mul_wide_s", a, c) == [p & M64, p >> 64]
    call(store, inst, "store", 8, M64)          # -1
    call(store, inst, "store", 16, 1 << 62)     # * (2**62 + 1)
    p = (-((1 << 62) + 1)) & ((1 << 128) - 1)
    assert call(store, inst, "mulhi_xor_lo", 8, 16) == [(p >> 64) ^ (p & M64)]
    with pytest.raises(Trap) as e:
        call(store, inst, "mulhi_xor_lo", 65536, 0)
    assert e.value.kind == TRAP_OOB_MEMORY
    if tier_name == "translate":
        assert all(translated(f) for f in inst.funcs)


# -- extended constant expressions -------------------------------------------------------------

@pytest.mark.parametrize("text, message_2_0", [
    ("(module (global i32 (i32.const 0)) (global i32 (global.get 0)))", "unknown global"),
    ("(module (global i32 (i32.add (i32.const 0) (i32.const 1))))", "constant expression required"),
    ("(module (global i32 (i32.const 4)) (memory 1) (data (global.get 0) \"\"))", "unknown global"),
    ("(module (global i64 (i64.mul (i64.const 2) (i64.const 3))))", "constant expression required"),
])
def test_extended_constants_are_wasm_3_0(text: str, message_2_0: str) -> None:
    module = decode_module(wat(text))
    validate_module(module, WASM_3_0)
    with pytest.raises(InvalidError) as e:
        validate_module(module, WASM_2_0)
    assert str(e.value).startswith(message_2_0)


@pytest.mark.parametrize("text, message", [
    ("(module (global i32 (global.get 1)) (global i32 (i32.const 0)))", "unknown global"),
    ("(module (global (mut i32) (i32.const 0)) (global i32 (global.get 0)))",
     "constant expression required"),
    ("(module (global i32 (i32.add (i32.const 0) (i64.const 1))))", "type mismatch"),
    ("(module (global i32 (i32.add (i32.const 0))))", "type mismatch"),
    ("(module (global i32 (i32.div_u (i32.const 0) (i32.const 1))))", "constant expression required"),
    ("(module (global i64 (i64.add (i64.const 0) (i64.const 1)) (i64.const 2)))", "type mismatch"),
])
def test_extended_constants_still_refuse(text: str, message: str) -> None:
    with pytest.raises(InvalidError) as e:
        validate_module(decode_module(wat(text)), WASM_3_0)
    assert str(e.value).startswith(message)


EXTENDED = """
(module
  (global $a i32 (i32.const 10))
  (global $b (export "b") i32 (i32.mul (global.get $a) (i32.const 3)))
  (global $c (export "c") i64 (i64.sub (i64.const 0) (i64.const 1)))
  (global $w (export "w") i32 (i32.mul (i32.const 0x10000) (i32.const 0x10000)))
  (memory 1)
  (data (i32.add (global.get $b) (i32.const 2)) "x")
  (table 10 funcref)
  (elem (i32.sub (global.get $a) (i32.const 7)) $three)
  (func $three (result i32) (i32.const 3))
  (func (export "peek") (result i32) (i32.load8_u (i32.const 32)))
  (func (export "at3") (result i32) (call_indirect (result i32) (i32.const 3))))
"""


def test_extended_constants_are_evaluated_at_instantiation() -> None:
    store = rt.Store()
    inst = load(EXTENDED, store)
    values = {name: inst.exports[name].value for name in ("b", "c", "w")}  # type: ignore[attr-defined]
    assert values == {"b": 30, "c": M64, "w": 0}
    assert call(store, inst, "peek") == [ord("x")]
    assert call(store, inst, "at3") == [3]


# -- the fuzzer knows these features -----------------------------------------------------------

FUZZ_FEATURES = frozenset({"tail-call", "wide-arithmetic", "extended-const"})


def test_fuzzer_generates_them_and_wasmtime_agrees() -> None:
    from lab.fuzz import oracle
    from lab.fuzz.choices import RandomChoices
    from lab.fuzz.generate import generate_module

    wanted = {0x12: "return_call", 0x13: "return_call_indirect", 0xFC13: "i64.add128",
              0xFC15: "i64.mul_wide_s"}
    seen: set[int] = set()
    checked = 0
    for seed in range(300):
        wasm = generate_module(RandomChoices(seed), FUZZ_FEATURES)[1]
        try:
            module = decode_module(wasm)
        except Exception:  # the generator makes some malformed modules on purpose
            continue
        ops = {ins[0] for f in module.funcs for ins in f.code.body} & set(wanted)
        if ops - seen and checked < 12:
            report = oracle.check_module(wasm, args_seed=seed, wasm3=True)
            assert report.finding is None, (seed, str(report.finding))
            checked += 1
        seen |= ops
    assert seen == set(wanted), [wanted[op] for op in set(wanted) - seen]
