"""The run the report tests share: one small real run (startup, two workloads, one spec file on
native, the wasmtime embedding and the wasmtime CLI), made once per session."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.report.helpers import REPEAT, wasmlab


@pytest.fixture(scope="session")
def small_run(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("runs")
    result = wasmlab("run", "--suite", "startup", "workloads", "spec-2.0",
                     "--runtime", "native", "wasmtime", "wasmtime-cli",
                     "--workload", "fib", "sieve", "--file", "i32.wast", "--repeat", str(REPEAT), "--warmup", "1",
                     "--out", out, "--quiet")
    return Path(result.stdout.strip().splitlines()[-1])
