"""Interrupted runs through the real `wasmlab run` process: Ctrl-C (SIGINT) cleans up and marks the
run interrupted, SIGKILL leaves a run that `--resume` finishes; neither loses nor repeats a
sample or a conformance outcome."""

from __future__ import annotations

import hashlib
import signal
import time
from pathlib import Path

from lab.store import load, load_conformance, open_run
from tests.faults.crafted import leftover_temp_dirs, processes_running, run_wasmlab, start_wasmlab, write_manifest


def _wait_for(predicate, timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "the run never got there"
        time.sleep(0.1)


def _only_run(results: Path) -> Path:
    (run,) = [p for p in results.iterdir() if p.is_dir()]
    return run


def _journaled(results: Path) -> bool:
    return any(p.stat().st_size > 0 for p in results.rglob("journal/*.jsonl"))


def test_ctrl_c_cleans_up_marks_interrupted_and_resume_completes(tmp_path):
    manifest = write_manifest(tmp_path / "suite", ["slow", "ok"])
    results, tmp = tmp_path / "results", tmp_path / "tmp"
    repeat = 20  # ~5 s of samples: a wide window for the interrupt to land mid-job
    proc = start_wasmlab(manifest, "run", "--suite", "workloads", "--runtime", "native", "--repeat", str(repeat),
                         "--warmup", "0", "--out", str(results), tmpdir=tmp)
    _wait_for(lambda: results.exists() and _journaled(results))  # mid-job: some samples done, more to come
    proc.send_signal(signal.SIGINT)
    _, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 130, stderr
    assert "interrupted" in stderr and "Traceback" not in stderr
    assert leftover_temp_dirs(tmp) == []
    run = _only_run(results)
    assert open_run(run).manifest()["status"] == "interrupted"
    kept = load(run)
    assert not kept.empty

    done = run_wasmlab(manifest, "run", "--resume", str(run), tmpdir=tmp)
    assert done.returncode == 0, done.stderr[-2000:]
    assert open_run(run).manifest()["status"] == "complete"
    walls = load(run).query("metric == 'wall_time'")
    for case in ("slow", "ok"):
        assert sorted(walls.loc[walls.case == case, "process"]) == list(range(repeat)), case
    assert leftover_temp_dirs(tmp) == []


def _digests(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha1(p.read_bytes()).hexdigest() for p in folder.glob("*.parquet")}


def test_sigkill_during_a_conformance_run_then_resume(tmp_path):
    results, tmp = tmp_path / "results", tmp_path / "tmp"
    files = ["i32.wast", "i64.wast", "f32.wast", "f64.wast", "conversions.wast", "memory.wast", "br_table.wast",
             "*/fd_write-to-stdout", "*/args_sizes_get-*", "*/environ_get-*"]
    proc = start_wasmlab(None, "run", "--suite", "spec-2.0", "wasi-p1", "--runtime", "wasmtime",
                         "--file", *files, "--out", str(results), "--quiet", tmpdir=tmp)
    _wait_for(lambda: results.exists() and len(list(results.rglob("conformance/*.parquet"))) >= 2)
    proc.kill()
    proc.wait()
    run = _only_run(results)
    before = _digests(run / "conformance")
    assert open_run(run).manifest()["status"] == "running"  # killed: nobody could say otherwise
    assert not load_conformance(run).empty  # what was finished loads cleanly

    # SIGKILL gives no chance to clean up: the killed process's scratch folders stay until the
    # next run sweeps them (they carry the dead owner's pid; tests/test_scratch.py covers the sweep).
    done = run_wasmlab(None, "run", "--resume", str(run), "--quiet", tmpdir=tmp)
    assert done.returncode == 0, done.stderr[-2000:]
    manifest = open_run(run).manifest()
    assert manifest["status"] == "complete"
    after = _digests(run / "conformance")
    assert {name: after[name] for name in before} == before  # finished jobs were not redone
    outcomes = load_conformance(run)
    keys = outcomes[["suite", "file", "index"]]
    assert not keys.duplicated().any()  # nothing repeated
    assert set(outcomes.suite) == {"spec-2.0", "wasi-p1"}
    assert len(after) == manifest["jobs_total"]  # nothing lost: one outcome file per planned job
    spec_files = set(outcomes.loc[outcomes.suite == "spec-2.0", "file"])
    assert spec_files == {f for f in files if f.endswith(".wast")}
    assert leftover_temp_dirs(tmp) == []  # the resumed run swept the killed one's leftovers


def test_sigterm_kills_the_running_guest_and_marks_the_run_interrupted(tmp_path):
    # CI cancelling a job sends SIGTERM. The guest runs in its own session, so unless the harness
    # unwinds it would hang on here until its (long) timeout.
    manifest = write_manifest(tmp_path / "suite", ["ok", "hang"])
    results, tmp = tmp_path / "results", tmp_path / "tmp"
    proc = start_wasmlab(manifest, "run", "--suite", "workloads", "--runtime", "native", "--repeat", "1",
                         "--warmup", "0", "--timeout", "600", "--out", str(results), tmpdir=tmp)
    _wait_for(lambda: bool(processes_running("/hang-")))
    proc.send_signal(signal.SIGTERM)
    _, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 128 + signal.SIGTERM, stderr
    assert "terminated by SIGTERM" in stderr and "Traceback" not in stderr
    assert processes_running("/hang-") == []
    assert open_run(_only_run(results)).manifest()["status"] == "interrupted"
    assert leftover_temp_dirs(tmp) == []


def test_sigterm_kills_every_guest_running_side_by_side_and_records_none(tmp_path):
    # With --parallel, several programs run at once, each waited for in its own thread; all of
    # them must die with the harness, and none may be recorded as a crashed sample.
    manifest = write_manifest(tmp_path / "suite", ["hang", "slow"], args={"slow": ["100000000000"]})
    results, tmp = tmp_path / "results", tmp_path / "tmp"
    proc = start_wasmlab(manifest, "run", "--suite", "workloads", "--runtime", "native", "--repeat", "1",
                         "--warmup", "0", "--timeout", "600", "--parallel", "native=2", "--out", str(results),
                         tmpdir=tmp)
    _wait_for(lambda: bool(processes_running("/hang-")) and bool(processes_running("/slow-")))
    proc.send_signal(signal.SIGTERM)
    _, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 128 + signal.SIGTERM, stderr
    assert "Traceback" not in stderr
    assert processes_running("/hang-") == [] and processes_running("/slow-") == []
    run = open_run(_only_run(results))
    assert run.manifest()["status"] == "interrupted"
    assert load(run).empty  # no killed program counted as a sample
    assert leftover_temp_dirs(tmp) == []
