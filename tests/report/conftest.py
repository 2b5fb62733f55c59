"""The runs the report tests share, each made once per session: one small real run (startup, two
workloads, one spec file on native, the wasmtime embedding and the wasmtime CLI), and one where
a runtime times out."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.faults.crafted import run_wasmlab, write_manifest
from tests.report.helpers import REPEAT, wasmlab


@pytest.fixture(scope="session")
def small_run(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("runs")
    result = wasmlab("run", "--suite", "startup", "workloads", "spec-2.0",
                     "--runtime", "native", "wasmtime", "wasmtime-cli",
                     "--workload", "fib", "sieve", "--file", "i32.wast", "--repeat", str(REPEAT), "--warmup", "1",
                     "--out", out, "--quiet")
    return Path(result.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="session")
def timed_out_run(tmp_path_factory) -> Path:
    """The crafted "slow" guest takes native about half a second and our interpreter minutes:
    with a 3 s limit, interp's one sample is killed (and sampling that cell stops there)."""
    root = tmp_path_factory.mktemp("timed-out")
    manifest = write_manifest(root / "suite", ["slow"])
    done = run_wasmlab(manifest, "run", "--suite", "workloads", "--runtime", "native", "interp", "--repeat", "3",
                       "--warmup", "0", "--timeout", "3", "--out", str(root / "results"), "--quiet")
    assert done.returncode == 0, done.stderr
    return Path(done.stdout.strip().splitlines()[-1])
