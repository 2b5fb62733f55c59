"""Start, resume and finish runs: the plain functions behind `wasmlab run`."""

from __future__ import annotations

import datetime as dt
import subprocess
from pathlib import Path

from lab.config import REPO_ROOT
from lab.hosts import fingerprint
from lab.run.execute import ProgressFn, RunContext, execute_plan
from lab.run.fleet import Fleet, assemble
from lab.run.plan import Plan, RunConfig, build_plan
from lab.run.scratch import sweep_stale
from lab.runners.base import Limits
from lab.store import Run, create_run, open_run


def git_commit() -> str:
    try:
        out = subprocess.run(["git", "-C", str(REPO_ROOT), "rev-parse", "HEAD"], capture_output=True,
                             text=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        return ""
    return out.stdout.strip()


def _now() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")


def plan_run(config: RunConfig) -> tuple[Fleet, Plan]:
    """The fleet and plan of a configuration; PlanError when it asks for what does not exist."""
    config.validate()
    fleet = assemble(config.hosts, config.local_name, config.releases())
    return fleet, build_plan(config, fleet)


def plan_resume(run_path: str | Path) -> tuple[Plan, set[str]]:
    """An interrupted run's plan, and the keys of the jobs it has already finished."""
    run = open_run(run_path)
    _, plan = plan_run(RunConfig.from_dict(run.manifest()["config"]))
    return plan, run.all_finished_jobs()


def start_run(config: RunConfig, results_dir: Path, progress: ProgressFn | None = None) -> Run:
    """Plan the configuration, create the run folder, and execute it."""
    fleet, plan = plan_run(config)  # before the folder: a bad configuration leaves no run behind
    sweep_stale()  # leftovers of runs killed with SIGKILL
    run = create_run(results_dir, {
        "config": config.as_dict(),
        "hosts": {h.id: fingerprint(h) for h in fleet.hosts.values()},
        "runtimes": fleet.manifest_entry(),
        "git_commit": git_commit(),
        "started": _now(),
        "finished": None,
        "status": "running",
        "jobs_total": len(plan.cells),
    })
    return _execute(run, config, plan, fleet, progress)


def resume_run(run_path: str | Path, progress: ProgressFn | None = None) -> Run:
    """Finish a run that was interrupted: same configuration, finished jobs skipped."""
    run = open_run(run_path)
    config = RunConfig.from_dict(run.manifest()["config"])
    fleet, plan = plan_run(config)
    sweep_stale()
    run.update_manifest(status="running", resumed=_now())
    return _execute(run, config, plan, fleet, progress)


def _execute(run: Run, config: RunConfig, plan: Plan, fleet: Fleet, progress: ProgressFn | None) -> Run:
    context = RunContext(
        run=run, fleet=fleet,
        limits=Limits(timeout_s=config.timeout_s, memory_limit_bytes=config.memory_limit_mb << 20),
        samples_for=config.samples, timeouts_for=config.timeout_overrides(),
        counts_instructions=config.counts_instructions,
        http_load=config.http_load())
    with run.lock():
        try:
            counts = execute_plan(plan, context, progress)
        except BaseException:
            run.update_manifest(status="interrupted")
            raise
        run.update_manifest(status="complete", finished=_now(), job_statuses=counts)
    return run
