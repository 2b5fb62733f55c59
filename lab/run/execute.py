"""Runs a plan's jobs into a run folder: fresh process per sample, warm-ups recorded but marked,
outputs checked before a time counts, every sample journaled as it finishes so a killed run
resumes without losing or repeating samples.

A runtime that crashes, hangs or is missing costs its own cells only: every failure becomes a
status and a reason on that cell's rows, and the run goes on.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field, replace
from functools import partial
from pathlib import Path
from typing import Callable

from lab.model import (
    STATUS_ERROR,
    STATUS_OK,
    STATUS_SKIPPED,
    STATUS_TIMEOUT,
    STATUS_UNAVAILABLE,
    STATUS_WRONG_OUTPUT,
    Case,
    Invocation,
    Job,
)
from lab.run.fleet import Fleet
from lab.run.measure import ProcessResult, kill_running_programs
from lab.run.plan import Plan, PlannedCell
from lab.run.schedule import batches
from lab.run.scratch import make_scratch
from lab.run.side_by_side import run_side_by_side
from lab.runners.base import Limits, Runner, RunnerUnavailable, Sample
from lab.runners.refusals import link_error_reason, unsupported_reason
from lab.store import Run
from lab.suites.kinds import suite_kind

ProgressFn = Callable[[int, int, Job, str], None]


@dataclass
class RunContext:
    """What every row of a run shares, and the limits every sample runs under."""

    run: Run
    fleet: Fleet
    limits: Limits
    samples_for: Callable[[str], tuple[int, int]]  # runtime id -> (repeat, warmup): RunConfig.samples
    # size -> whether its cells get one more sample, counted under valgrind (lab.instructions)
    counts_instructions: Callable[[str], bool] = lambda size: False
    timeouts_for: dict[str, float] = field(default_factory=dict)  # runtime id -> its own limit (--timeout-for)
    http_load: tuple[int, int, float] = (2000, 8, 10.0)  # the http suite's (requests, concurrency, seconds)

    def limits_for(self, runtime: str) -> Limits:
        """The run's limits, with the runtime's own timeout where it has one."""
        timeout = self.timeouts_for.get(runtime)
        return self.limits if timeout is None else replace(self.limits, timeout_s=timeout)

    def base_row(self, job: Job) -> dict:
        host = self.fleet.hosts[job.host]
        return {"run_id": self.run.run_id, "host": host.id, "arch": host.arch, "emulated": host.emulated,
                "runtime": job.runtime, "version": self.fleet.detection(job.host, job.runtime).version,
                "mode": job.mode, "suite": job.suite}

    def runner(self, job: Job) -> Runner:
        return self.fleet.runner(job.host, job.runtime)


def execute_plan(plan: Plan, context: RunContext, progress: ProgressFn | None = None) -> dict[str, int]:
    """Run every unfinished job of the plan; returns a count of jobs by final status."""
    finished = context.run.all_finished_jobs()
    counts: dict[str, int] = {}
    total = len(plan.cells)
    position = 0
    for batch in batches(plan.cells, plan.config.parallel_widths()):
        todo = []
        for cell in batch.cells:
            position += 1
            if cell.job.key in finished:
                counts["resumed"] = counts.get("resumed", 0) + 1
            else:
                todo.append((position, cell))
        if batch.width == 1:
            statuses = [run_job(cell, context, position, total, progress) for position, cell in todo]
        else:
            statuses = run_jobs_side_by_side(todo, batch.width, context, total, progress)
        for status in statuses:
            counts[status] = counts.get(status, 0) + 1
    return counts


def run_job(cell: PlannedCell, context: RunContext, position: int, total: int,
            progress: ProgressFn | None = None) -> str:
    """One job, recorded in the run, announced to progress before and after; returns its status."""
    from lab.suites.kinds import suite_kind

    if progress:
        progress(position, total, cell.job, "running")
    if cell.skip_status:
        status = record_skipped(cell, context)
    else:
        status = suite_kind(cell.job.suite).run(cell, context)
    if progress:
        progress(position, total, cell.job, status)
    return status


def run_jobs_side_by_side(todo: list[tuple[int, PlannedCell]], width: int, context: RunContext, total: int,
                          progress: ProgressFn | None) -> list[str]:
    """Jobs `width` at a time, each in its own thread (they spend their time waiting for a child).
    On Ctrl-C or SIGTERM the programs still running are killed and nothing more is written, so
    their samples run again on resume rather than count as crashes."""
    tasks = [partial(run_job, cell, context, position, total, progress) for position, cell in todo]
    return run_side_by_side(tasks, width, on_stop=context.run.stop_writing, kill=kill_running_programs)


def record_skipped(cell: PlannedCell, context: RunContext) -> str:
    """One row that says why this cell did not run (runtime unavailable, suite not supported)."""
    from lab.suites.kinds import suite_kind

    suite_kind(cell.job.suite).record_skipped(cell, context)
    return cell.skip_status


def run_measured_job(cell: PlannedCell, context: RunContext) -> str:
    """warmup + repeat samples of one case on one runtime; returns the job's worst status."""
    job, case = cell.job, cell.payload
    assert isinstance(case, Case)  # run_plan sends only measured cells here
    runner = context.runner(job)
    samples = context.run.journaled_samples(job.key)  # survivors of a killed run
    repeat, warmup = context.samples_for(job.runtime)
    for index in range(len(samples), warmup + repeat):
        if samples and _settles_the_cell(samples[-1], warmup, case):
            break  # also on resume, where the journal ends in such a sample
        rows = measure_sample(case, runner, job, index, index < warmup, context)
        if index < warmup and rows[0]["status"] != STATUS_OK:
            rows = count_failed_warmup(rows)
        context.run.journal_sample(job.key, rows)
        samples.append(rows)
    settled_ok = len(samples) == warmup + repeat and samples[-1][0]["status"] == STATUS_OK
    if settled_ok and context.counts_instructions(case.size):
        from lab.instructions import instruction_rows

        rows = instruction_rows(case, runner, job, len(samples), context)
        context.run.journal_sample(job.key, rows)
        samples.append(rows)
    all_rows = [row for sample in samples for row in sample]
    context.run.finish_job(job.key, all_rows)
    return worst_status(row["status"] for row in all_rows if not row["warmup"])


def _settles_the_cell(rows: list[dict], warmup: int, case: Case) -> bool:
    """Whether no further sample can change the cell's status. Not built, or not applicable: one
    row says so. Timed out: the cell is a timeout whatever follows, and each further sample
    would cost the whole limit again. A failed warm-up: the cell has failed, and the counted
    samples would only say it again."""
    first = rows[0]
    return bool(case.build_error) or first["status"] in (STATUS_SKIPPED, STATUS_UNAVAILABLE, STATUS_TIMEOUT) \
        or (first["process"] < warmup and first["status"] != STATUS_OK)


def count_failed_warmup(rows: list[dict]) -> list[dict]:
    """A warm-up that did not succeed becomes the cell's counted evidence: warm-ups are left out
    of every figure, so a cell whose only sample is a failed (or timed-out) warm-up would
    otherwise read as ok with no samples, and its runtime would drop out of summary and report."""
    def counted(row: dict) -> dict:
        failed = row["status"] not in (STATUS_SKIPPED, STATUS_UNAVAILABLE)  # not applicable, in any sample
        return {**row, "warmup": False, "reason": f"{row['reason']} (in the warm-up)" if failed else row["reason"]}

    return [counted(row) for row in rows]


def measure_sample(case: Case, runner: Runner, job: Job, index: int, warmup: bool,
                   context: RunContext) -> list[dict]:
    """One fresh process: its rows (times, peak memory, phases), all with the sample's status."""
    base = {**context.base_row(job), "case": case.name, "size": case.size, "process": index,
            "iteration": 0, "warmup": warmup}
    if case.build_error:
        return [{**base, "phase": "process", "metric": "wall_time", "value": float("nan"), "unit": "s",
                 "status": STATUS_ERROR, "reason": case.build_error}]
    own = suite_kind(case.suite).sample(case, job, base, context)
    if own is not None:  # the suite measures its samples its own way (http: a server under load)
        return own
    host = context.fleet.hosts[job.host]
    invocation = case.invocation_for(host.arch)
    artifact = invocation.native if runner.artifact == "native" else invocation.wasm
    if artifact is None:
        return [{**base, "phase": "process", "metric": "wall_time", "value": float("nan"), "unit": "s",
                 "status": STATUS_SKIPPED, "reason": f"case has no {runner.artifact} build for {host.arch}"}]
    with _fresh_inputs(case, invocation) as (invocation, data_dir):
        try:
            sample = runner.run(invocation, job.mode, context.limits_for(job.runtime), cwd=data_dir)
        except RunnerUnavailable as error:  # e.g. a mode whose part is missing here (docker:shim)
            return [{**base, "phase": "process", "metric": "wall_time", "value": float("nan"), "unit": "s",
                     "status": STATUS_UNAVAILABLE, "reason": str(error)}]
        except (OSError, RuntimeError, ValueError) as error:
            return [{**base, "phase": "process", "metric": "wall_time", "value": float("nan"), "unit": "s",
                     "status": STATUS_ERROR, "reason": f"could not start {runner.id}: {error}"}]
    status, reason = judge(sample.process, case.expected_stdout)
    if status == STATUS_OK and case.check is not None:
        status, reason = case.check(sample)
    return sample_rows(base, sample, status, reason)


def judge(result: ProcessResult, expected_stdout: bytes | None) -> tuple[str, str]:
    """A sample's status: a wrong answer is a failure, never a fast result."""
    if result.timed_out:
        return STATUS_TIMEOUT, result.describe()
    if result.status != "ok":
        stderr = result.stderr.decode(errors="replace")
        unsupported = unsupported_reason(result.exit_code, stderr)
        if unsupported:  # the runtime lacks a feature the module needs: not a failure of either
            return STATUS_UNAVAILABLE, unsupported
        link_error = link_error_reason(stderr)
        if link_error:  # a module that cannot be linked here, however the runtime words it
            return STATUS_ERROR, f"{link_error} ({result.describe()})"
        tail = stderr.strip().splitlines()[-1:] or [""]
        return STATUS_ERROR, f"{result.describe()}: {tail[0][:300]}".rstrip(": ")
    if expected_stdout is not None and (result.stdout_truncated or result.stdout != expected_stdout):
        got = result.stdout.decode(errors="replace")[:120]
        return (STATUS_WRONG_OUTPUT,
                f"stdout differs from the native build's ({result.stdout_bytes} bytes, starts {got!r})")
    return STATUS_OK, ""


def sample_rows(base: dict, sample: Sample, status: str, reason: str) -> list[dict]:
    process = sample.process
    common = {**base, "status": status, "reason": reason}
    rows = [
        {**common, "phase": "process", "metric": "wall_time", "value": process.wall_s, "unit": "s"},
        {**common, "phase": "process", "metric": "user_time", "value": process.user_s, "unit": "s"},
        {**common, "phase": "process", "metric": "sys_time", "value": process.sys_s, "unit": "s"},
        {**common, "phase": "process", "metric": "peak_rss", "value": float(process.max_rss_kib * 1024),
         "unit": "bytes", "reason": reason or process.rss_note},  # an ok row's reason: how it was measured
    ]
    for phase, seconds in sample.phases.items():
        rows.append({**common, "phase": phase, "metric": "time", "value": seconds, "unit": "s"})
    return rows


_STATUS_ORDER = (STATUS_OK, STATUS_SKIPPED, STATUS_WRONG_OUTPUT, STATUS_TIMEOUT, STATUS_ERROR)


def worst_status(statuses) -> str:
    """The cell's status: any failure outranks ok (so one wrong output marks the whole cell)."""
    return max(statuses, key=_status_rank, default=STATUS_OK)


def _status_rank(status: str) -> int:
    return _STATUS_ORDER.index(status) if status in _STATUS_ORDER else len(_STATUS_ORDER)


class _fresh_inputs:
    """A private copy of the case's input folder for one sample (the guest may write into it),
    preopened at the case's data mount and the process's working directory (a native program
    opening `./default.input` finds it there), removed afterwards whatever happens."""

    def __init__(self, case: Case, invocation: Invocation) -> None:
        self.case = case
        self.invocation = invocation
        self.tmp: str | None = None

    def __enter__(self) -> tuple[Invocation, Path | None]:
        invocation = self.invocation
        if self.case.inputs_dir is None:
            return invocation, None
        self.tmp = str(make_scratch("inputs"))
        data = Path(self.tmp) / "data"
        shutil.copytree(self.case.inputs_dir, data)
        return replace(invocation, dirs=((str(data), self.case.data_mount),)), data

    def __exit__(self, *exc) -> None:
        if self.tmp:
            shutil.rmtree(self.tmp, ignore_errors=True)
