"""Instruction counts: a time metric the machine's load cannot move (`wasmlab run --instructions`).

On a shared VM the CPU time of one job drifts by tens of percent from one minute to the next
(other tenants, a busy hyperthread sibling), so two runs of the same code cannot tell a 10%
regression from the weather. The number of instructions a process executes does not depend on
that: counted under valgrind (cachegrind with the cache simulation off, the counter CodSpeed
uses through callgrind), it repeats to about 0.1% for a runtime, JIT compilers included. It is
~100x slower than running the program, so it suits small sizes; this VM has no performance
counters (no PMU), which would count at full speed.

One extra sample per cell, after the timed ones: metric `instructions`, unit `count`, the whole
process tree (`--trace-children=yes`: the Python runners start the interpreter, a wrapper
starts the real program). Its output is checked like any sample's.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from lab.model import STATUS_ERROR, STATUS_SKIPPED, Case, Job
from lab.run.measure import run_process
from lab.run.scratch import scratch_dir
from lab.runners.base import Runner, RunnerUnavailable

INSTRUCTIONS = "instructions"
UNIT = "count"


def valgrind() -> str | None:
    return shutil.which("valgrind")


def counting_argv(argv: list[str], out_dir: Path) -> list[str]:
    """The command under valgrind, one count file per process of its tree. (What a process ran
    before an exec is not counted: valgrind reports the last program of each process.)"""
    tool = valgrind()
    if tool is None:
        raise RunnerUnavailable("valgrind not on PATH (apt-get install valgrind) for --instructions")
    return [tool, "--tool=cachegrind", "--cache-sim=no", "--trace-children=yes", "-q",
            f"--cachegrind-out-file={out_dir}/count.%p", *argv]


def read_count(out_dir: Path) -> int | None:
    """Instructions of every process that wrote a count file (None: none did)."""
    total, found = 0, False
    for path in out_dir.glob("count.*"):
        for line in path.read_text(errors="replace").splitlines():
            if line.startswith("summary:"):
                total += int(line.split()[1])
                found = True
    return total if found else None


def can_count(runner: Runner) -> str:
    """Why this runner's samples cannot be counted ("" when they can): runners that start their
    program through a daemon (docker, spin's server) are not the process valgrind would see."""
    if not runner.counts_in_process:
        return f"{runner.id} runs its program outside the measured process; instructions are not counted"
    return ""


def instruction_rows(case: Case, runner: Runner, job: Job, index: int, context) -> list[dict]:
    """One counted sample of the case on the runner: its `instructions` row (context is the
    run's lab.run.execute.RunContext)."""
    from lab.run.execute import _fresh_inputs, judge

    base = {**context.base_row(job), "case": case.name, "size": case.size, "process": index, "iteration": 0,
            "warmup": False, "phase": "process", "metric": INSTRUCTIONS, "unit": UNIT}
    why_not = can_count(runner)
    if why_not:
        return [{**base, "value": float("nan"), "status": STATUS_SKIPPED, "reason": why_not}]
    invocation = case.invocation_for(context.fleet.hosts[job.host].arch)
    limits = context.limits_for(job.runtime)
    with _fresh_inputs(case, invocation) as (invocation, data_dir), scratch_dir("instructions") as out_dir:
        try:
            argv = counting_argv(runner.command(invocation, job.mode), out_dir)
            result = run_process(argv, env=runner.environment(invocation), cwd=data_dir, timeout_s=limits.timeout_s,
                                 memory_limit_bytes=limits.memory_limit_bytes, output_cap=limits.output_cap)
        except (RunnerUnavailable, OSError, RuntimeError, ValueError) as error:
            return [{**base, "value": float("nan"), "status": STATUS_ERROR,
                     "reason": f"could not count {runner.id}: {error}"}]
        status, reason = judge(result, case.expected_stdout)
        count = read_count(out_dir)
    if count is None and not reason:
        status, reason = STATUS_ERROR, "valgrind wrote no instruction count"
    return [{**base, "value": float(count) if count is not None else float("nan"), "status": status,
             "reason": reason}]
