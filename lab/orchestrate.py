"""Start, resume and finish runs: the plain functions behind `wasmlab run`."""

from __future__ import annotations

import datetime as dt
import subprocess
from pathlib import Path

from lab.config import REPO_ROOT
from lab.doctor import detect_runtimes
from lab.execute import ProgressFn, RunContext, execute_plan
from lab.hosts import fingerprint, get_host
from lab.plan import RunConfig, build_plan
from lab.runners.base import Limits
from lab.runners.registry import all_runners
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


def start_run(config: RunConfig, results_dir: Path, progress: ProgressFn | None = None) -> Run:
    """Plan the configuration, create the run folder, and execute it."""
    config.validate()
    detections = detect_runtimes()
    runners = all_runners()
    plan = build_plan(config, detections, runners)  # before the folder: a bad config leaves no run
    hosts = {host_id: get_host(host_id) for host_id in config.hosts}
    run = create_run(results_dir, {
        "config": config.as_dict(),
        "hosts": {h.id: fingerprint(h) for h in hosts.values()},
        "runtimes": {rid: d.as_dict() for rid, d in detections.items()},
        "git_commit": git_commit(),
        "started": _now(),
        "finished": None,
        "status": "running",
        "jobs_total": len(plan.cells),
    })
    return _execute(run, config, plan, detections, runners, progress)


def resume_run(run_path: str | Path, progress: ProgressFn | None = None) -> Run:
    """Finish a run that was interrupted: same configuration, finished jobs skipped."""
    run = open_run(run_path)
    manifest = run.manifest()
    config = RunConfig.from_dict(manifest["config"])
    detections = detect_runtimes()
    runners = all_runners()
    plan = build_plan(config, detections, runners)
    run.update_manifest(status="running", resumed=_now())
    return _execute(run, config, plan, detections, runners, progress)


def _execute(run: Run, config: RunConfig, plan, detections, runners, progress) -> Run:
    context = RunContext(
        run=run, hosts={h: get_host(h) for h in config.hosts}, detections=detections, runners=runners,
        limits=Limits(timeout_s=config.timeout_s, memory_limit_bytes=config.memory_limit_mb << 20),
        repeat=config.repeat, warmup=config.warmup)
    with run.lock():
        try:
            counts = execute_plan(plan, context, progress)
        except BaseException:
            run.update_manifest(status="interrupted")
            raise
        run.update_manifest(status="complete", finished=_now(), job_statuses=counts)
    return run
