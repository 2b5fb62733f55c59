"""`wasmlab run` end to end on the startup suite with real runtimes: rows, statuses, resume."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest

from lab.analysis.summary import summarize
from lab.model import Case, Invocation, Job
from lab.run.execute import RunContext, judge, run_measured_job
from lab.run.fleet import assemble
from lab.run.measure import run_process
from lab.run.orchestrate import resume_run, start_run
from lab.run.plan import PlanError, PlannedCell, RunConfig
from lab.runners.base import Limits
from lab.store import create_run, load

PROCESS_RUNTIMES = ("wasmtime", "wasmtime-cli", "node", "native")


@pytest.fixture(scope="module")
def startup_run(tmp_path_factory):
    config = RunConfig(suites=("startup",), runtimes=PROCESS_RUNTIMES, repeat=3, warmup=1)
    return start_run(config, tmp_path_factory.mktemp("results"))


def test_every_runtime_measures_startup(startup_run):
    frame = load(startup_run.path)
    summary = summarize(startup_run)
    walls = {c["runtime"]: c for c in summary["metrics"] if c["metric"] == "wall_time"}
    assert set(walls) == set(PROCESS_RUNTIMES)
    for runtime, cell in walls.items():
        assert cell["status"] == "ok", (runtime, cell["reason"])
        assert cell["n"] == 3  # the warm-up is recorded but not counted
        assert 0 < cell["ci_low"] <= cell["median"] <= cell["ci_high"]
    assert frame["warmup"].sum() > 0
    # Embedded runtimes report their phases.
    phases = {(c["runtime"], c["phase"]) for c in summary["metrics"] if c["metric"] == "time"}
    assert {("wasmtime", "compile"), ("wasmtime", "instantiate"), ("wasmtime", "execute")} <= phases
    assert ("node", "compile") in phases


def test_manifest_records_hosts_and_versions(startup_run):
    manifest = startup_run.manifest()
    assert manifest["status"] == "complete"
    host = manifest["hosts"]["local"]
    assert {"arch", "cpu", "cores", "kernel", "python", "emulated"} <= set(host)
    # The Python that hosts interp and pywasm, and whether its libpython is a slower shared one.
    assert host["python_build"].startswith(f"CPython {host['python']} at /")
    assert host["python_build"].endswith(("libpython linked in", "libpython shared (slower)"))
    assert manifest["runtimes"]["local"]["wasmtime-cli"]["version"]
    summary = summarize(startup_run)
    modes = {(r["name"], r["mode"]) for r in summary["runtimes"]}
    assert ("wasmtime-cli", "cranelift") in modes and ("native", "static") in modes


def _context(tmp_path, timeout=30.0):
    run = create_run(tmp_path, {"config": {}})
    return RunContext(run=run, fleet=assemble(("local",)), limits=Limits(timeout_s=timeout),
                      samples_for=lambda runtime: (2, 0))


def test_wrong_output_is_a_failure_not_a_time(tmp_path, hello_wasm, hello_native):
    context = _context(tmp_path)
    case = Case("startup", "hello", "-", Invocation(wasm=hello_wasm, native=hello_native),
                expected_stdout=b"something else\n")
    job = Job("local", "wasmtime-cli", "cranelift", "startup", "hello", "-")
    assert run_measured_job(PlannedCell(job, case), context) == "wrong-output"
    cells = [c for c in summarize(context.run)["metrics"] if c["metric"] == "wall_time"]
    assert cells[0]["status"] == "wrong-output" and cells[0]["median"] is None


def test_a_hanging_guest_times_out_and_the_run_goes_on(tmp_path):
    context = _context(tmp_path, timeout=1.0)
    sleeper = tmp_path / "sleeper.sh"
    sleeper.write_text("#!/bin/sh\nsleep 30\n")
    sleeper.chmod(0o755)
    case = Case("startup", "sleeper", "-", Invocation(wasm=None, native=sleeper), expected_stdout=b"")
    job = Job("local", "native", "static", "startup", "sleeper", "-")
    started = time.monotonic()
    assert run_measured_job(PlannedCell(job, case), context) == "timeout"
    assert time.monotonic() - started < 15
    # The context asks for 2 samples; after a timeout the second would only time out again.
    walls = load(context.run).query("case == 'sleeper' and metric == 'wall_time'")
    assert walls["process"].tolist() == [0] and walls["status"].tolist() == ["timeout"]


def test_judge_reports_crashes_with_stderr():
    result = run_process([sys.executable, "-c", "import sys; sys.exit('boom')"])
    status, reason = judge(result, b"")
    assert status == "error" and "boom" in reason


def test_bad_configuration_is_refused_before_a_run_exists(tmp_path):
    with pytest.raises(PlanError, match="unknown runtime"):
        start_run(RunConfig(suites=("startup",), runtimes=("nosuch",)), tmp_path)
    assert not list(tmp_path.iterdir())


def test_unavailable_runtime_is_recorded_with_its_reason(tmp_path, monkeypatch):
    monkeypatch.setenv("WASMLAB_DISABLE", "wasmedge")
    run = start_run(RunConfig(suites=("startup",), runtimes=("wasmedge", "native"), repeat=1, warmup=0,
                              allow_unavailable=True), tmp_path)
    cells = {c["runtime"]: c for c in summarize(run)["metrics"] if c["metric"] == "wall_time"}
    assert cells["wasmedge"]["status"] == "unavailable"
    assert cells["wasmedge"]["reason"] == "wasmedge disabled by WASMLAB_DISABLE"
    assert cells["native"]["status"] == "ok"


def test_a_named_runtime_that_is_unavailable_refuses_the_run(tmp_path, monkeypatch):
    monkeypatch.setenv("WASMLAB_DISABLE", "wasmedge")
    out = subprocess.run([sys.executable, "-m", "lab.cli", "run", "--suite", "startup", "--runtime", "wasmedge",
                          "native", "--out", str(tmp_path)], capture_output=True, text=True, timeout=120)
    assert out.returncode == 2
    assert out.stderr.strip() == ("wasmlab: error: wasmedge is not available here: wasmedge disabled by "
                                  "WASMLAB_DISABLE (--allow-unavailable records its cells as unavailable instead)")
    assert not list(tmp_path.iterdir())


@pytest.mark.parametrize("option, message", [
    (("--timeout", "-5"), "--timeout must be a positive number of seconds, not -5"),
    (("--timeout", "0"), "--timeout must be a positive number of seconds, not 0"),
    (("--timeout", "nan"), "--timeout must be a positive number of seconds, not nan"),
    (("--memory-limit", "0"), "--memory-limit must be at least 1 MiB, not 0"),
    (("--http-concurrency", "0"), "--http-requests and --http-concurrency must be at least 1"),
    (("--http-seconds", "-1"), "--http-seconds a positive number of seconds"),
    (("--timeout-for", "interp=0"), "--timeout-for 'interp=0': the limit must be a positive number of seconds"),
    (("--timeout-for", "nosuch=5"), "--timeout-for 'nosuch=5': unknown runtime 'nosuch'"),
    (("--suite", "spec-2.0", "--file", "nosuch.wast"), "--file 'nosuch.wast' matches no file or test of spec-2.0"),
    (("--file", "i32.wast"), "--file selects conformance files or tests: add a conformance suite"),
    (("--suite", "spec-2.0", "wasi-p1", "--file", "i32.wast", "nosuch*"),
     "--file 'nosuch*' matches no file or test of spec-2.0, wasi-p1"),
])
def test_bad_limits_and_file_patterns_are_refused(tmp_path, option, message):
    out = subprocess.run([sys.executable, "-m", "lab.cli", "run", "--runtime", "native", *option,
                          "--out", str(tmp_path)], capture_output=True, text=True, timeout=120)
    assert out.returncode == 2 and message in out.stderr and len(out.stderr.splitlines()) == 1, out.stderr
    assert not list(tmp_path.iterdir())


def test_file_patterns_that_match_in_any_selected_suite_are_accepted(tmp_path):
    out = subprocess.run([sys.executable, "-m", "lab.cli", "run", "--dry-run", "--runtime", "native", "interp",
                          "--suite", "startup", "spec-2.0", "wasi-p1", "--file", "i32.wast", "*fd_write*"],
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr


def test_sigkill_mid_run_then_resume_loses_and_repeats_nothing(tmp_path):
    argv = [sys.executable, "-m", "lab.cli", "run", "--suite", "startup", "--runtime", "native", "wasmtime-cli",
            "--repeat", "40", "--warmup", "0", "--out", str(tmp_path), "--quiet"]
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    journal_seen = False
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not journal_seen:
        time.sleep(0.2)
        journal_seen = any(p.suffix == ".jsonl" and p.stat().st_size > 0 for p in tmp_path.rglob("*.jsonl")) \
            or any(tmp_path.rglob("*.parquet"))
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    (run_dir,) = [p for p in tmp_path.iterdir() if p.is_dir()]
    before = load(run_dir)
    assert not before.empty  # a killed run still loads with what it had finished
    run = resume_run(run_dir)
    frame = load(run.path)
    walls = frame[frame["metric"] == "wall_time"]
    for runtime in ("native", "wasmtime-cli"):
        samples = sorted(walls.loc[walls["runtime"] == runtime, "process"])
        assert samples == list(range(40)), runtime  # every sample once: none lost, none repeated
    assert run.manifest()["status"] == "complete"


def test_samples_for_gives_one_runtime_its_own_repeat_and_warmup(tmp_path):
    config = RunConfig(suites=("startup",), runtimes=("native", "wasmtime-cli"), repeat=3, warmup=1,
                       samples_for=("wasmtime-cli=1/0",))
    run = start_run(config, tmp_path)
    walls = load(run).query("metric == 'wall_time'")
    counted = walls[~walls["warmup"]].groupby("runtime").size().to_dict()
    warmups = walls[walls["warmup"]].groupby("runtime").size().to_dict()
    assert counted == {"native": 3, "wasmtime-cli": 1}
    assert warmups == {"native": 1}
    assert RunConfig.from_dict(run.manifest()["config"]).samples("wasmtime-cli") == (1, 0)  # a resume sees it too


def test_bad_samples_for_entries_are_refused_with_the_expected_form():
    for entry, message in [("pywasm", "RUNTIME=REPEAT/WARMUP"), ("pywasm=1", "RUNTIME=REPEAT/WARMUP"),
                           ("pywasm=0/0", "repeat must be at least 1"), ("nosuch=1/0", "unknown runtime 'nosuch'")]:
        with pytest.raises(PlanError, match=message):
            RunConfig(samples_for=(entry,)).validate()


def test_parallel_jobs_run_side_by_side_after_the_rest_and_record_every_sample(tmp_path):
    events = []
    config = RunConfig(suites=("workloads",), workloads=("fib", "sieve", "crc32"), runtimes=("native", "wasm3"),
                       repeat=2, warmup=1, parallel=("wasm3=2",))
    run = start_run(config, tmp_path, progress=lambda position, total, job, state:
                    events.append((job.runtime, job.case, state)))
    starts = [(runtime, case) for runtime, case, state in events if state == "running"]
    assert [runtime for runtime, _ in starts] == ["native"] * 3 + ["wasm3"] * 3  # the lone jobs first
    # Two wasm3 jobs start before the first of them ends: they run side by side.
    first_end = next(i for i, event in enumerate(events) if event[0] == "wasm3" and event[2] != "running")
    assert sum(1 for runtime, _, state in events[:first_end] if runtime == "wasm3" and state == "running") == 2
    walls = load(run).query("metric == 'wall_time'")
    assert (walls["status"] == "ok").all()
    assert walls.groupby(["runtime", "case"]).size().to_dict() == {
        (runtime, case): 3 for runtime in ("native", "wasm3") for case in ("crc32", "fib", "sieve")}
    assert RunConfig.from_dict(run.manifest()["config"]).parallel_widths() == {"wasm3": 2}  # a resume sees it
    from lab.analysis.versus import format_versus, versus
    assert "jobs run side by side (--parallel wasm3=2)" in format_versus(versus(run, "native"))


def test_bad_parallel_entries_are_refused_with_the_expected_form():
    for entry, message in [("pywasm", "RUNTIME=JOBS"), ("pywasm=two", "RUNTIME=JOBS"),
                           ("pywasm=0", "at least one job"), ("nosuch=2", "unknown runtime 'nosuch'")]:
        with pytest.raises(PlanError, match=message):
            RunConfig(parallel=(entry,)).validate()


def test_skip_runtime_leaves_a_runtime_out_of_the_default_set_and_checks_its_name(tmp_path):
    from lab.run.fleet import assemble
    from lab.run.plan import build_plan

    fleet = assemble(("local",))
    every = {job.runtime for job in build_plan(RunConfig(suites=("startup",)), fleet).jobs}
    assert "pywasm" in every  # installed here, so the default set has it
    skipped = {job.runtime for job in build_plan(RunConfig(suites=("startup",), skip_runtimes=("pywasm",)),
                                                 fleet).jobs}
    assert skipped == every - {"pywasm"}
    with pytest.raises(PlanError, match="--skip-runtime 'nosuch': unknown runtime"):
        RunConfig(skip_runtimes=("nosuch",)).validate()


def test_dry_run_prints_the_plan_and_leaves_no_run_behind(tmp_path):
    out = subprocess.run([sys.executable, "-m", "lab.cli", "run", "--dry-run", "--suite", "startup", "workloads",
                          "--runtime", "native", "wasmtime-cli", "wasmedge", "--allow-unavailable",
                          "--workload", "fib", "sieve",
                          "--size", "small", "medium", "--repeat", "3", "--warmup", "1",
                          "--samples-for", "wasmtime-cli=1/0", "--out", str(tmp_path)],
                         capture_output=True, text=True, timeout=300,
                         env={**os.environ, "WASMLAB_DISABLE": "wasmedge"})
    assert out.returncode == 0, out.stderr
    assert not list(tmp_path.iterdir())
    rows = {tuple(line.split()[1:3]): line.split() for line in out.stdout.splitlines()
            if line.startswith("local ")}
    assert rows[("native:static", "workloads")][3:7] == ["small,medium", "4", "0", "16"]  # 4 jobs x (3 + 1)
    assert rows[("wasmtime-cli:cranelift", "workloads")][4:7] == ["4", "0", "4"]  # its own 1/0
    assert rows[("wasmedge", "startup")][-1] == "unavailable"
    assert "wasmedge startup on local: unavailable, wasmedge disabled by WASMLAB_DISABLE" in out.stdout
    assert "15 jobs; 10 still to run, starting 25 measured processes" in out.stdout


def test_dry_run_of_a_resume_counts_what_is_done(tmp_path):
    from lab.run.orchestrate import plan_resume
    from lab.run.preview import preview_rows

    run = start_run(RunConfig(suites=("startup",), runtimes=("native", "wasmtime-cli"), repeat=1, warmup=0), tmp_path)
    plan, finished = plan_resume(run.path)
    rows = {row["runtime"]: row for row in preview_rows(plan, finished)}
    assert rows["native:static"]["done"] == rows["native:static"]["jobs"] == 1
    assert rows["native:static"]["processes"] == 0  # nothing left to start
