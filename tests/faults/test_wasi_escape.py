"""The WASI sandbox through our engine's full path (`python -m lab.interp run`): a C guest tries to
leave its preopened folder by `..`, absolute paths and symlinks (to a file and to the parent
folder), for reading and for writing, and reports each attempt; only the attempts inside work."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from lab.hosts import toolchain
from tests.faults.crafted import GUESTS

ESCAPES = ("dotdot", "deep-dotdot", "absolute", "relative-dotdot", "symlink", "dir-symlink",
           "write-dotdot", "write-symlink", "write-absolute")


@pytest.fixture(scope="module")
def escape_wasm():
    return toolchain.build(GUESTS / "escape.c", toolchain.WASM_TARGET, name="escape")


def test_guest_cannot_leave_its_preopened_folder(tmp_path, escape_wasm):
    outer = tmp_path / "outer"
    sandbox = outer / "sandbox"
    (sandbox / "sub").mkdir(parents=True)
    (outer / "secret.txt").write_text("TOP SECRET\n")
    (sandbox / "inside.txt").write_text("hello inside\n")
    os.symlink("../secret.txt", sandbox / "link-to-secret")
    os.symlink("..", sandbox / "link-to-parent")
    before = sorted(p.name for p in outer.iterdir())
    done = subprocess.run([sys.executable, "-m", "lab.interp", "run", "--dir", f"{sandbox}::/sandbox",
                           str(escape_wasm)], capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    report = dict(line.split(": ", 1) for line in done.stdout.splitlines())
    assert report["inside"].startswith("READ") and "hello inside" in report["inside"]
    assert report["write-inside"].startswith("WROTE")
    for attempt in ESCAPES:
        assert report[attempt].startswith("denied"), (attempt, report[attempt])
    assert "TOP SECRET" not in done.stdout
    assert sorted(p.name for p in outer.iterdir()) == before  # nothing planted beside the sandbox
    assert (sandbox / "new.txt").read_text() == "pwned\n"
