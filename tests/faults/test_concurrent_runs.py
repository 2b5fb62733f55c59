"""Two real `wasmlab run` processes writing into the same results folder at once do not clobber
each other: two run folders, each complete, each with exactly its own samples."""

from __future__ import annotations

from pathlib import Path

from lab.store import load, open_run
from tests.faults.crafted import start_wasmlab


def test_two_runs_into_the_same_out_folder(tmp_path):
    results = tmp_path / "results"
    argv = ("run", "--suite", "startup", "--runtime", "native", "--repeat", "8", "--warmup", "1",
            "--out", str(results), "--quiet")
    procs = [start_wasmlab(None, *argv, tmpdir=tmp_path / "tmp") for _ in range(2)]
    outputs = [p.communicate(timeout=300) for p in procs]
    for proc, (_stdout, stderr) in zip(procs, outputs, strict=False):
        assert proc.returncode == 0, stderr[-2000:]
    runs = [Path(stdout.strip().splitlines()[-1]) for stdout, _ in outputs]
    assert runs[0] != runs[1]
    assert sorted(p for p in results.iterdir() if p.is_dir()) == sorted(runs)
    for run in runs:
        assert open_run(run).manifest()["status"] == "complete"
        frame = load(run)
        assert set(frame.run_id) == {run.name}
        walls = frame[frame.metric == "wall_time"]
        assert sorted(walls.process) == list(range(9))  # warm-up + 8, once each
        assert not list(run.glob("journal/*.jsonl")) and not list(run.rglob(".*.tmp"))
