"""wasmlab compare: an injected 20% slowdown is a significant regression, unchanged cells are not,
and commands that went from pass to fail are conformance regressions."""

from __future__ import annotations

import json

import pytest

from lab.analysis.compare import NO_CHANGE, REGRESSION, compare_runs
from tests.report.helpers import (
    REPEAT,
    copy_run,
    edit_conformance,
    scale_cell,
    separating_factor,
    steadiest_cell,
    wasmlab,
)


@pytest.fixture(scope="module")
def slowed(small_run, tmp_path_factory):
    """A copy of the run with its steadiest wall-time cell made at least 20% slower (more when its
    samples spread wider): (copy, runtime, case, factor)."""
    cell = steadiest_cell(small_run)
    factor = separating_factor(small_run, cell)
    copy = copy_run(small_run, tmp_path_factory.mktemp("slowed"), "slowed")
    assert scale_cell(copy, cell["runtime"], cell["suite"], cell["case"], factor) == REPEAT + 1  # and the warm-up
    return copy, cell["runtime"], cell["case"], factor


def test_injected_slowdown_is_a_regression_and_the_rest_is_not(small_run, slowed):
    copy, runtime, case, factor = slowed
    comparison = compare_runs(small_run, copy, threshold=0.05, verdicts="absolute")
    cells = comparison.cells.set_index(["runtime", "case", "phase", "metric"])
    changed = cells.loc[(runtime, case, "process", "wall_time")]
    assert changed["verdict"] == REGRESSION, changed.to_dict()
    assert abs(changed["ratio"] - factor) < 1e-9 and changed["p_value"] < 0.01 and changed["ratio_low"] > 1
    unchanged = comparison.cells[~((comparison.cells["runtime"] == runtime) & (comparison.cells["case"] == case)
                                   & (comparison.cells["metric"] == "wall_time"))]
    assert len(unchanged) > 20 and (unchanged["verdict"] == NO_CHANGE).all()
    assert len(comparison.regressions) == 1 and comparison.has_regressions
    # a threshold above the change: significant, but too small to count
    assert compare_runs(small_run, copy, threshold=factor - 1 + 0.05, verdicts="absolute").regressions.empty


def test_cli_exit_codes_and_json(small_run, slowed):
    copy, runtime, case, _ = slowed
    assert wasmlab("compare", small_run, copy, "--verdicts", "absolute").returncode == 0
    failing = wasmlab("compare", small_run, copy, "--verdicts", "absolute", "--fail-on-regression", check=False)
    assert failing.returncode == 1 and "!! regression" in failing.stdout
    assert wasmlab("compare", small_run, small_run, "--fail-on-regression").returncode == 0
    data = json.loads(wasmlab("compare", small_run, copy, "--verdicts", "absolute", "--json",
                              "--metric", "wall_time").stdout)
    assert data["regressions"] == 1 and {c["metric"] for c in data["cells"]} == {"wall_time"}
    flagged = [c for c in data["cells"] if c["verdict"] == REGRESSION]
    assert [(c["runtime"], c["case"]) for c in flagged] == [(runtime, case)]


def test_conformance_regressions_are_listed(small_run, tmp_path):
    copy = copy_run(small_run, tmp_path, "worse")
    lines = edit_conformance(copy, "i32.wast", 3, "fail", "result 0 differs from expected 1")
    comparison = compare_runs(small_run, copy)
    regressions = comparison.conformance_regressions
    assert sorted(regressions["line"]) == sorted(lines) and set(regressions["outcome_b"]) == {"fail"}
    assert comparison.has_regressions and comparison.regressions.empty
    assert comparison.conformance["passed_change"].min() == -3
    back = compare_runs(copy, small_run)
    assert len(back.conformance_fixes) == 3 and not back.has_regressions
    assert wasmlab("compare", small_run, copy, "--fail-on-regression", check=False).returncode == 1


def test_bad_input_is_one_line(small_run, tmp_path):
    result = wasmlab("compare", small_run, tmp_path / "nothing", check=False)
    assert result.returncode == 2 and result.stderr.count("\n") == 1 and "not a wasmlab run" in result.stderr
    result = wasmlab("compare", small_run, small_run, "--metric", "speed", check=False)
    assert result.returncode == 2 and "no metric speed" in result.stderr
