"""A full disk or an unwritable results folder, through the real `wasmlab run`: one line on stderr,
a non-zero exit, no traceback, and everything written before intact (and resumable).

Real file systems, not mocks: a small tmpfs (we are root in CI and in the dev sandbox; the tests
skip where mounting is not permitted)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from lab.store import load, open_run
from tests.faults.crafted import run_wasmlab


@pytest.fixture
def small_tmpfs(tmp_path):
    mounted: list[Path] = []

    def mount(name: str, size: str, read_only: bool = False) -> Path:
        point = tmp_path / name
        point.mkdir()
        options = f"size={size}" + (",ro" if read_only else "")
        done = subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(point)],
                              capture_output=True, text=True)
        if done.returncode != 0:
            pytest.skip(f"cannot mount a tmpfs here: {done.stderr.strip()}")
        mounted.append(point)
        return point

    yield mount
    for point in mounted:
        subprocess.run(["umount", "-l", str(point)], check=False)


def _one_line_error(stderr: str) -> str:
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert "Traceback" not in stderr, stderr
    assert len(lines) == 1 and lines[0].startswith("wasmlab: error: "), stderr
    return lines[0]


def test_disk_full_mid_run_stops_cleanly_and_resumes(small_tmpfs):
    disk = small_tmpfs("disk", "512k")
    filler = disk / "filler"
    free = subprocess.run(["df", "--output=avail", "-B1", str(disk)], capture_output=True, text=True).stdout.split()[-1]
    filler.write_bytes(bytes(int(free) - 96 * 1024))  # leave room for the manifest and a few samples only
    results = disk / "results"
    repeat = 150
    done = run_wasmlab(None, "run", "--suite", "startup", "--runtime", "native", "--repeat", str(repeat),
                       "--warmup", "0", "--out", str(results), "--quiet")
    assert done.returncode != 0
    line = _one_line_error(done.stderr)
    assert "disk full" in line and "resume" in line
    (run,) = [p for p in results.iterdir() if p.is_dir()]
    kept = load(run)  # the samples written before the disk filled load cleanly
    walls = kept[kept.metric == "wall_time"]
    assert 0 < len(walls) < repeat
    assert sorted(walls.process) == list(range(len(walls)))

    filler.unlink()
    resumed = run_wasmlab(None, "run", "--resume", str(run), "--quiet")
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    walls = load(run).query("metric == 'wall_time'")
    assert sorted(walls.process) == list(range(repeat))
    assert open_run(run).manifest()["status"] == "complete"


def test_unwritable_results_folder_is_one_clear_error(small_tmpfs):
    read_only = small_tmpfs("readonly", "1m", read_only=True)
    done = run_wasmlab(None, "run", "--suite", "startup", "--runtime", "native", "--repeat", "1",
                       "--out", str(read_only / "results"), "--quiet")
    assert done.returncode != 0
    line = _one_line_error(done.stderr)
    assert str(read_only) in line and "Read-only file system" in line
