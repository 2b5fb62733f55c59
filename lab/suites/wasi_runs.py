"""One WASI testsuite test on one runtime inside a run: a fresh copy of the test's root, the
runtime's ordinary runner (so every WASI runtime is tested the way it is benchmarked), and the
suite's own exact comparison."""

from __future__ import annotations

import shutil

from lab.model import Invocation
from lab.run.scratch import make_scratch
from lab.runners.base import Limits, Runner, RunnerUnavailable
from lab.suites.wasi import WasiTest, apply_expectations, check_result, load_expectations, prepare_root


def run_wasi_test(test: WasiTest, runner: Runner, mode: str, limits: Limits) -> tuple[str, str]:
    """(outcome, reason) of one test on one runtime, before expectations are applied."""
    scratch = make_scratch("wasi")
    try:
        root = prepare_root(test, scratch)
        invocation = Invocation(wasm=test.wasm, args=tuple(test.args), env=tuple(test.env.items()),
                                dirs=((str(root), "/"),) if root else ())
        try:
            result = runner.run(invocation, mode, limits).process
        except (RunnerUnavailable, OSError, RuntimeError, ValueError) as error:
            return "error", f"could not start {runner.id}: {error}"
        if result.timed_out or result.term_signal is not None or result.exit_code is None:
            return "error", result.describe()
        return check_result(test, result.exit_code, result.stdout, result.stderr)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def run_wasi_job(cell, context) -> list[dict]:
    from lab.suites.conformance import base_row

    job, test = cell.job, cell.payload
    outcome, reason = run_wasi_test(test, context.runner(job), job.mode, context.limits_for(job.runtime))
    outcome, reason = apply_expectations(test.name, outcome, reason, load_expectations(job.runtime))
    return [{**base_row(job, context), "file": test.name, "group": test.language, "line": 0, "index": 0,
             "kind": "wasi-test", "outcome": outcome, "reason": reason}]
