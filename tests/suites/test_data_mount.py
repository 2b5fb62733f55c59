"""A suite whose manifest sets `data_mount = "."`: the guest opens `./default.input`, a path its
arguments never name. Every runtime must find it, the wasm ones through a preopen of ".", native
and docker through their working directory."""

from __future__ import annotations

from pathlib import Path

import pytest

from lab.store import load
from tests.conftest import PROGRAMS
from tests.faults.crafted import run_wasmlab

RUNTIMES = ("native", "interp", "wasmtime", "wasmtime-cli", "wasmer", "node", "wasm3", "pywasm", "spidermonkey",
            "docker")
CONTENT = "the default input\n"


def _suite(folder: Path) -> Path:
    (folder / "inputs").mkdir(parents=True)
    (folder / "inputs" / "default.input").write_text(CONTENT)
    (folder / "expected").mkdir()
    (folder / "expected" / "read_default.small.txt").write_text(CONTENT)
    manifest = folder / "manifest.toml"
    manifest.write_text(f"""
[suite]
sizes = ["small"]
expected = "expected/{{name}}.{{size}}.txt"
data_mount = "."

[[workload]]
name = "read_default"
source = "{PROGRAMS / 'read_default.c'}"
kind = "io"
description = "opens ./default.input"
inputs = "inputs"
args = {{ small = [] }}
""")
    return manifest


@pytest.fixture(scope="module")
def cells(tmp_path_factory) -> dict:
    root = tmp_path_factory.mktemp("mount")
    done = run_wasmlab(_suite(root / "suite"), "run", "--suite", "workloads", "--runtime", *RUNTIMES,
                       "--repeat", "1", "--warmup", "0", "--out", str(root / "results"), "--quiet")
    assert done.returncode == 0, done.stderr[-2000:]
    frame = load(done.stdout.strip().splitlines()[-1])
    rows = frame[frame.metric == "wall_time"]
    return {row.runtime: row for row in rows.itertuples()}


@pytest.mark.parametrize("runtime", RUNTIMES)
def test_the_guest_finds_its_input_in_its_working_directory(cells, runtime):
    cell = cells[runtime]
    assert cell.status == "ok", cell.reason
