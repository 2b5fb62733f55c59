"""Scratch folders carry their owner's pid, so a run killed with SIGKILL is cleaned up later."""

from __future__ import annotations

import os
import subprocess
import sys

from lab.run.scratch import make_scratch, scratch_dir, sweep_stale


def _dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def test_sweep_removes_only_folders_of_dead_owners(tmp_path):
    dead = tmp_path / f"wasmlab-measure-{_dead_pid()}-abc123"
    alive = tmp_path / f"wasmlab-spec-{os.getpid()}-def456"
    unrelated = tmp_path / "wasmlab-something"
    for folder in (dead, alive, unrelated):
        folder.mkdir()
        (folder / "file").write_text("x")
    assert sweep_stale(tmp_path) == [dead]
    assert not dead.exists() and alive.exists() and unrelated.exists()


def test_scratch_folders_are_named_after_their_owner_and_removed(tmp_path, monkeypatch):
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    import tempfile
    monkeypatch.setattr(tempfile, "tempdir", None)  # re-read TMPDIR
    with scratch_dir("inputs") as folder:
        assert folder.parent == tmp_path and folder.name.startswith(f"wasmlab-inputs-{os.getpid()}-")
    assert not folder.exists()
    kept = make_scratch("wasi")
    assert kept.exists() and sweep_stale(tmp_path) == []  # still ours: never swept while we live
