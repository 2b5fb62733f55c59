"""benchmarks/verdicts_aa.py's parts: the slowing wrapper really adds work and changes nothing
else, and the rates count what they say."""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pandas as pd
import pytest

from lab.hosts import toolchain
from lab.instructions import counting_argv, read_count
from lab.suites.measured import cases_for

BENCHMARK = Path(__file__).resolve().parents[1] / "benchmarks" / "verdicts_aa.py"


def _benchmark():
    spec = importlib.util.spec_from_file_location("verdicts_aa", BENCHMARK)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def wrapper() -> Path:
    return toolchain.build(_benchmark().SLOWER, toolchain.native_target(), name="slower")


def _fib() -> tuple[Path, list[str]]:
    case = next(c for c in cases_for("workloads", ("small",), ("fib",), (toolchain.host_arch(),)))
    assert case.invocation.native is not None
    return case.invocation.native, list(case.invocation.args)


def test_the_wrapper_runs_the_program_unchanged(wrapper):
    program, args = _fib()
    direct = subprocess.run([str(program), *args], capture_output=True)
    env = {**os.environ, "SLOWER_EXEC": str(program), "SLOWER_ITERATIONS": "1000"}
    wrapped = subprocess.run([str(wrapper), *args], capture_output=True, env=env)
    assert (wrapped.returncode, wrapped.stdout) == (direct.returncode, direct.stdout) and direct.stdout
    failing = subprocess.run([str(wrapper)], env={**env, "SLOWER_EXEC": "/bin/false"})
    assert failing.returncode == 1
    assert subprocess.run([str(wrapper)], capture_output=True).returncode == 125  # not configured


@pytest.mark.skipif(shutil.which("valgrind") is None, reason="valgrind not installed")
def test_the_wrapper_adds_a_fixed_number_of_instructions(wrapper):
    program, args = _fib()
    counts = []
    for rounds in (0, 2_000_000):
        with tempfile.TemporaryDirectory() as out:
            subprocess.run(counting_argv([str(wrapper), *args], Path(out)), check=True, capture_output=True,
                           env={**os.environ, "SLOWER_EXEC": str(program), "SLOWER_ITERATIONS": str(rounds)})
            counts.append(read_count(Path(out)))
    assert counts[0] and counts[1]
    per_round = (counts[1] - counts[0]) / 2_000_000
    assert 3 < per_round < 30  # a few instructions per xorshift round, the program's own count unchanged


def test_rates_count_false_positives_and_detections():
    def cells(rows):
        return pd.DataFrame(rows, columns=["runtime", "verdict", "ratio"])

    aa = cells([("interp", "regression", 1.3), ("interp", "no change", 1.0), ("native", "reference", 1.2),
                ("wasm3", "broken", None)])
    ac = cells([("interp", "no change", 1.0), ("wasmtime-cli", "regression", 1.1),
                ("wasmtime-cli", "no change", 1.04)])
    rates = _benchmark().rates(aa, ac)
    assert (rates["false_positives"], rates["unchanged_cells"], rates["aa_regressions"], rates["aa_cells"]) == \
        (1, 3, 1, 2)
    assert (rates["detected"], rates["slowed_cells"]) == (1, 2) and rates["slowed_median_ratio"] == \
        pytest.approx(1.07)
