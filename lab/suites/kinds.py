"""One interface per kind of suite, and the table of every suite id's kind.

What planning, preview and execution need of a suite: its items (cases or files), why a runtime
does not take it, how one job runs and how a job that does not run is recorded. A new suite is a
row of SUITE_KINDS (and a kind, when it is none of these). Implementations import lazily: the
table is read by every run, most suites by few.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from lab.model import Case, Job
    from lab.run.execute import RunContext
    from lab.run.plan import PlannedCell, RunConfig
    from lab.runners.base import Runner

Item = tuple[str, str, object]  # (case or file name, size or "-", the payload a job runs)


class SuiteKind:
    """A kind of suite; subclasses answer for the suites of their kind."""

    measured = True  # jobs start measured processes (preview counts them); else conformance outcomes

    def items(self, suite: str, config: RunConfig, archs: tuple[str, ...]) -> list[Item]:
        raise NotImplementedError

    def skip_reason(self, suite: str, runner: Runner) -> str:
        """Why this runtime's cells of the suite are skipped ("" when it takes the suite)."""
        raise NotImplementedError

    def case_skip(self, payload: object, runner: Runner) -> tuple[str, str]:
        """(status, reason) when this one item cannot run on a runtime that takes the suite."""
        return "", ""

    def run(self, cell: PlannedCell, context: RunContext) -> str:
        """Run one job and record it in the run; returns its status."""
        raise NotImplementedError

    def record_skipped(self, cell: PlannedCell, context: RunContext) -> None:
        """Record a job that does not run, with its reason."""
        raise NotImplementedError

    def sample(self, case: Case, job: Job, base: dict, context: RunContext) -> list[dict] | None:
        """A measured suite's sample rows when it measures them its own way; None: the program
        is one process, measured by its runner (lab.run.execute.measure_sample)."""
        return None


class MeasuredSuite(SuiteKind):
    """startup, workloads, components, http: cases measured process by process."""

    def items(self, suite: str, config: RunConfig, archs: tuple[str, ...]) -> list[Item]:
        from lab.suites.measured import cases_for
        return [(case.name, case.size, case) for case in cases_for(suite, config.sizes, config.workloads, archs)]

    def skip_reason(self, suite: str, runner: Runner) -> str:
        return "" if suite in runner.measured_suites else f"{runner.id} does not run the {suite} suite"

    def run(self, cell: PlannedCell, context: RunContext) -> str:
        from lab.run.execute import run_measured_job
        return run_measured_job(cell, context)


    def record_skipped(self, cell: PlannedCell, context: RunContext) -> None:
        job = cell.job
        row = {**context.base_row(job), "case": job.case, "size": job.size, "phase": "process",
               "metric": "wall_time", "value": float("nan"), "unit": "s", "process": 0, "iteration": 0,
               "warmup": False, "status": cell.skip_status, "reason": cell.skip_reason}
        context.run.finish_job(job.key, [row])


class HttpServers(MeasuredSuite):
    """http: each sample is a server started and put under load, not a command (lab.suites.http)."""

    def sample(self, case: Case, job: Job, base: dict, context: RunContext) -> list[dict] | None:
        from lab.suites.http import measure_http_sample
        return measure_http_sample(case, job.runtime, job.mode, base, context.limits_for(job.runtime),
                                   context.http_load)


class UserModules(MeasuredSuite):
    """The user's own modules (run --suite DIR / --module FILE)."""

    def items(self, suite: str, config: RunConfig, archs: tuple[str, ...]) -> list[Item]:
        from lab.suites.user_suite import user_cases
        return [(case.name, case.size, case) for case in
                user_cases(config.user_suites, config.user_modules, config.sizes)]

    def case_skip(self, payload: object, runner: Runner) -> tuple[str, str]:
        from lab.model import Case
        from lab.suites.user_suite import cell_skip
        assert isinstance(payload, Case)
        return cell_skip(payload, runner)


class ConformanceSuite(SuiteKind):
    """Files or tests whose jobs record one outcome row per command (lab.suites.conformance)."""

    measured = False

    def load(self, suite: str) -> list:
        raise NotImplementedError

    def outcome_rows(self, cell: PlannedCell, context: RunContext) -> list[dict]:
        raise NotImplementedError

    def items(self, suite: str, config: RunConfig, archs: tuple[str, ...]) -> list[Item]:
        from lab.suites.conformance import selected
        return [(item.name, "-", item) for item in self.load(suite) if selected(item.name, config.files)]

    def run(self, cell: PlannedCell, context: RunContext) -> str:
        from lab.model import STATUS_OK

        rows = self.outcome_rows(cell, context)
        context.run.finish_job(cell.job.key, rows, kind="conformance")
        return STATUS_OK if all(r["outcome"] in ("pass", "xfail", "skip") for r in rows) else "failures"

    def record_skipped(self, cell: PlannedCell, context: RunContext) -> None:
        from lab.suites.conformance import record_skipped
        record_skipped(cell, context)


class SpecSuite(ConformanceSuite):
    """spec-2.0, spec-3.0: .wast files, each in a child process with the runtime's spec session."""

    def load(self, suite: str) -> list:
        from lab.suites.spec import spec_files
        return spec_files(suite)

    def skip_reason(self, suite: str, runner: Runner) -> str:
        from lab.runners.registry import SPEC_SESSIONS  # by id: a disabled runner keeps its reason
        if runner.id not in SPEC_SESSIONS:
            return f"{runner.id} cannot host .wast spec sessions (needs an embedded engine API)"
        return ""

    def outcome_rows(self, cell: PlannedCell, context: RunContext) -> list[dict]:
        from lab.suites.conformance import run_spec_job
        return run_spec_job(cell, context)


class WasiSuite(ConformanceSuite):
    """wasi-p1: WASI test programs run as guests of the runtime's ordinary runner."""

    def load(self, suite: str) -> list:
        from lab.suites.wasi import load_wasi_tests
        return load_wasi_tests()

    def skip_reason(self, suite: str, runner: Runner) -> str:
        return f"{runner.id} runs native programs, not WASI modules" if runner.artifact != "wasm" else ""

    def outcome_rows(self, cell: PlannedCell, context: RunContext) -> list[dict]:
        from lab.suites.wasi_runs import run_wasi_job
        return run_wasi_job(cell, context)


_MEASURED, _SPEC = MeasuredSuite(), SpecSuite()
SUITE_KINDS: dict[str, SuiteKind] = {
    "startup": _MEASURED, "workloads": _MEASURED, "components": _MEASURED, "http": HttpServers(),
    "user": UserModules(), "spec-2.0": _SPEC, "spec-3.0": _SPEC, "wasi-p1": WasiSuite(),
}


def suite_kind(suite: str) -> SuiteKind:
    if suite not in SUITE_KINDS:
        raise ValueError(f"unknown suite {suite!r}; known: {', '.join(SUITE_KINDS)}")
    return SUITE_KINDS[suite]
