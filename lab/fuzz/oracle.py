"""Judges one module: it must load, instantiate and run on our engine with only the allowed
outcomes (MalformedError, InvalidError, LinkError, LimitError, a Trap, or a result), within a
wall-clock limit, and - where wasmtime runs it too - do exactly what wasmtime does: accept the
same modules, return the same values, trap with the same kind, leave the same memory, globals,
table and import calls behind."""

from __future__ import annotations

import signal
import sys
from contextlib import contextmanager
from dataclasses import dataclass
from functools import partial
from typing import Iterator

from lab.fuzz.choices import RandomChoices
from lab.fuzz.encode import EXTERNREF, FUNCREF
from lab.fuzz.engines import V128, EngineBug, OurEngine, Outcome, WasmtimeEngine, trap_kinds_agree
from lab.fuzz.generate import argument

CASE_TIME_LIMIT_S = 10.0

# Where the two engines may legitimately disagree: wasmtime's implementation limits and
# post-2.0 proposals it cannot switch off. Matched against wasmtime's message.
KNOWN_DIVERGENCES: tuple[str, ...] = (
    "shared memory support is disabled",  # threads: see engines.wasmtime_engine_config
)


class CaseTimeout(BaseException):
    """The wall-clock guard fired. A BaseException, so the engine's catch-alls cannot hide it."""


@contextmanager
def wall_clock_limit(seconds: float) -> Iterator[None]:
    """Raise CaseTimeout in this (main) thread after `seconds` of wall time, and again every
    second after that: an exception raised inside a __del__ or a callback is swallowed.
    Such a swallowed CaseTimeout is expected, so it does not reach sys.unraisablehook (whose
    report, at the depth of a deep Wasm recursion, fails itself with a RecursionError)."""
    def fire(signum, frame):
        raise CaseTimeout(f"still running after {seconds} s")
    report_unraisable = sys.unraisablehook

    def unraisable(args) -> None:
        if not isinstance(args.exc_value, CaseTimeout):
            report_unraisable(args)
    previous = signal.signal(signal.SIGALRM, fire)
    sys.unraisablehook = unraisable
    signal.setitimer(signal.ITIMER_REAL, seconds, 1.0)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
        sys.unraisablehook = report_unraisable


@dataclass
class Finding:
    kind: str  # crash, hang, validation-mismatch, divergence
    detail: str

    def __str__(self) -> str:
        return f"{self.kind}: {self.detail}"


@dataclass
class CaseReport:
    stage: str  # how far ours got: rejected, instantiate, run, inconclusive
    calls: int = 0
    finding: Finding | None = None


def _same(ours: Outcome, theirs: Outcome) -> bool:
    if ours[0] == "trap" and theirs[0] == "trap":
        return trap_kinds_agree(theirs[1], ours[1])
    if ours[0] != theirs[0]:
        return False
    return ours[0] in ("refused", "rejected") or ours == theirs


def check_module(wasm: bytes, args_seed: int = 0, differential: bool = True,
                 time_limit_s: float = CASE_TIME_LIMIT_S, wasm3: bool = False) -> CaseReport:
    """Run the module on our engine (and on wasmtime, with its Wasm 3.0 features on when `wasm3`);
    a Finding in the report says what broke."""
    report = CaseReport("rejected")
    try:
        _run(wasm, args_seed, differential, report, time_limit_s, wasm3)
    except EngineBug as bug:
        report.finding = Finding("crash", f"{bug} (at stage {report.stage}, call {report.calls})")
    except CaseTimeout as timeout:
        report.finding = Finding("hang", f"{timeout} (at stage {report.stage}, call {report.calls})")
    return report


def _run(wasm: bytes, args_seed: int, differential: bool, report: CaseReport, time_limit_s: float,
         wasm3: bool) -> None:
    # Our engine runs first, under the wall-clock guard; wasmtime only repeats what ours finished
    # (its fuel bounds it, and an exception must never be raised inside its native callbacks).
    def ours_do(action, *args) -> Outcome:
        with wall_clock_limit(time_limit_s):
            return action(*args)

    ours = OurEngine()
    theirs = WasmtimeEngine(wasm3=wasm3) if differential else None
    try:
        _lockstep(wasm, args_seed, report, ours, theirs, ours_do)
    finally:
        if theirs is not None:
            theirs.close()


def _lockstep(wasm: bytes, args_seed: int, report: CaseReport, ours: OurEngine, theirs: WasmtimeEngine | None,
              ours_do) -> None:
    loaded = ours_do(ours.load, wasm)
    if theirs is not None:
        their_load = theirs.load(wasm)
        if loaded[0] != their_load[0] and not _known(their_load):
            report.finding = Finding("validation-mismatch", f"ours {loaded!r}, wasmtime {their_load!r}")
            return
    if loaded[0] != "ok":
        return
    if theirs is not None and ours.v128_beyond_wasmtime_py():  # wasmtime-py would abort: ours alone
        theirs = None
    report.stage = "instantiate"
    started = ours_do(ours.instantiate)
    if not _agree(report, "instantiate", started, theirs and theirs.instantiate):
        return
    if started[0] != "ok" or not _state_agrees(report, ours, theirs, "instantiation"):
        return
    report.stage = "run"
    choices = RandomChoices(args_seed)
    for name, kind, params, results in ours.exports():
        if kind != "func":
            continue
        if V128 in params + results:  # wasmtime-py cannot pass v128: ours alone from here on
            theirs = None
        args = [_argument(choices, t) for t in params]
        report.calls += 1
        result = ours_do(ours.call, name, args)
        what = f"call {name}{tuple(args)}"
        if not _agree(report, what, result, theirs and partial(theirs.call, name, args)):
            return
        if not _state_agrees(report, ours, theirs, what):
            return


def _argument(choices: RandomChoices, t: int):
    if t in (FUNCREF, EXTERNREF):
        return None
    if t == V128:
        return choices.integer(0, (1 << 128) - 1)
    return argument(choices, t)


def _agree(report: CaseReport, what: str, ours: Outcome, run_theirs) -> bool:
    """True when the case can go on: both did the same thing, and neither ran out of fuel/stack.
    `run_theirs` runs the same step on wasmtime (None: no differential)."""
    if ours[0] == "exhausted":
        report.stage = "inconclusive"
        return False
    theirs = run_theirs() if run_theirs else None
    if theirs is not None and theirs[0] in ("exhausted", "unsupported"):
        report.stage = "inconclusive"
        return False
    if theirs is not None and not _same(ours, theirs):
        report.finding = Finding("divergence", f"{what}: ours {ours!r}, wasmtime {theirs!r}")
        return False
    return True


def _state_agrees(report: CaseReport, ours: OurEngine, theirs: WasmtimeEngine | None, after: str) -> bool:
    if theirs is None:
        ours.snapshot()  # still exercised: reading state must not crash
        return True
    mine = ours.snapshot()
    try:
        their = theirs.snapshot()
    except Exception:  # a type wasmtime-py cannot read back (v128, anyref): no verdict
        report.stage = "inconclusive"
        return False
    if mine != their:
        report.finding = Finding("divergence", f"state after {after}: ours {mine!r}, wasmtime {their!r}")
        return False
    if ours.log.calls != theirs.log.calls:
        report.finding = Finding("divergence", f"import calls after {after}: ours {ours.log.calls[-5:]!r}, "
                                 f"wasmtime {theirs.log.calls[-5:]!r}")
        return False
    return True


def _known(their_outcome: Outcome) -> bool:
    return any(text in str(their_outcome[1]) for text in KNOWN_DIVERGENCES)
