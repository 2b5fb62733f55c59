"""Relative verdicts (lab.analysis.verdicts, the CLI's default): CPU time as a ratio to native measured in
the same run. What a loaded machine does to every runtime of a case alike is no regression;
a runtime that got slower still is; a broken reference is said to be the reason."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from lab.analysis.compare import NO_CHANGE, REGRESSION, compare_runs
from lab.analysis.verdicts import CPU_TIME, REFERENCE, cpu_frame, relative_frame
from lab.store import load
from tests.report.helpers import copy_run, scale_cell, steadiest_cell, wasmlab

CPU_METRICS = ("user_time", "sys_time")


def _slow_cpu(run, runtime: str, suite: str, case: str, factor: float) -> None:
    """What a real slowdown does to CPU time: user and sys both grow by the factor."""
    for metric in CPU_METRICS:
        assert scale_cell(run, runtime, suite, case, factor, metric) > 0


def _ratio_spread(run, cell: dict) -> float:
    ratios = relative_frame(load(run))
    mine = ratios[(ratios["runtime"] == cell["runtime"]) & (ratios["case"] == cell["case"])
                  & (ratios["suite"] == cell["suite"]) & ~ratios["warmup"] & (ratios["status"] == "ok")]
    return float(mine["value"].max() / mine["value"].min())


def _time_cells(comparison) -> pd.DataFrame:
    return comparison.cells[comparison.cells["metric"] == CPU_TIME]


def test_cpu_time_is_user_plus_sys_of_every_sample(small_run):
    frame = load(small_run)
    cpu = cpu_frame(frame)
    assert len(cpu) == len(frame[(frame["metric"] == "wall_time") & (frame["phase"] == "process")])
    one = cpu[(cpu["runtime"] == "wasmtime-cli") & (cpu["process"] == 2)].iloc[0]
    parts = frame[(frame["runtime"] == "wasmtime-cli") & (frame["process"] == 2) & (frame["case"] == one["case"])
                  & (frame["suite"] == one["suite"]) & frame["metric"].isin(CPU_METRICS)]
    assert one["value"] == pytest.approx(parts["value"].sum()) and one["value"] > 0


def test_a_run_against_itself_has_no_verdicts_and_native_is_the_yardstick(small_run):
    comparison = compare_runs(small_run, small_run, verdicts="relative")
    times = _time_cells(comparison)
    assert comparison.reference == "native" and not comparison.has_regressions
    assert set(times[times["runtime"] == "native"]["verdict"]) == {REFERENCE}
    others = times[times["runtime"] != "native"]
    assert len(others) >= 6 and set(others["verdict"]) == {NO_CHANGE} and set(others["unit"]) == {"x native"}
    assert set(comparison.cells["metric"]) == {CPU_TIME, "peak_rss"}


def test_a_uniformly_slower_machine_is_no_regression(small_run, tmp_path):
    """Every runtime of every case 30% slower (and at least enough to separate the steadiest
    cell): absolute verdicts call it regressions, relative verdicts do not."""
    cell = steadiest_cell(small_run)
    factor = max(1.3, 1.05 * _ratio_spread(small_run, cell))
    slower = copy_run(small_run, tmp_path, "slower-machine")
    cells = load(small_run)[["runtime", "suite", "case"]].drop_duplicates().to_dict("records")
    for each in cells:
        for metric in CPU_METRICS:
            scale_cell(slower, each["runtime"], each["suite"], each["case"], factor, metric)
    relative = compare_runs(small_run, slower, verdicts="relative")
    assert not relative.has_regressions, relative.regressions.to_dict("records")
    absolute = compare_runs(small_run, slower, verdicts="absolute", metrics=("user_time",))
    assert absolute.has_regressions


def test_a_slower_runtime_is_a_regression(small_run, tmp_path):
    cell = steadiest_cell(small_run)
    factor = max(1.2, 1.05 * _ratio_spread(small_run, cell))  # no overlap with the original ratios
    slowed = copy_run(small_run, tmp_path, "slower-runtime")
    _slow_cpu(slowed, cell["runtime"], cell["suite"], cell["case"], factor)
    comparison = compare_runs(small_run, slowed, verdicts="relative")
    flagged = comparison.regressions
    assert [(c["runtime"], c["case"], c["metric"]) for c in flagged.to_dict("records")] == \
        [(cell["runtime"], cell["case"], CPU_TIME)]
    assert flagged.iloc[0]["ratio"] == pytest.approx(factor) and flagged.iloc[0]["ratio_low"] > 1
    # the CLI judges this way by default, and says so
    done = wasmlab("compare", small_run, slowed, "--fail-on-regression", "--json", check=False)
    data = json.loads(done.stdout)
    assert done.returncode == 1 and data["verdicts"] == "relative" and data["regressions"] == 1


def test_samples_are_paired_with_the_reference_sample_taken_beside_them(small_run, tmp_path):
    """A slowdown that hits sample k of native and of the runtime alike (the machine was busy
    for those seconds) cancels in the per-sample ratios."""
    cell = steadiest_cell(small_run)
    busy = copy_run(small_run, tmp_path, "busy-moments")
    for path in (busy / "measurements").glob("*.parquet"):
        frame = pd.read_parquet(path)
        hit = frame["runtime"].isin(["native", cell["runtime"]]) & (frame["case"] == cell["case"]) & \
            (frame["suite"] == cell["suite"]) & frame["metric"].isin(CPU_METRICS) & (frame["process"] % 2 == 1)
        frame.loc[hit, "value"] *= 3.0
        frame.to_parquet(path, index=False)
    paired = relative_frame(load(busy))
    original = relative_frame(load(small_run))
    mine = (paired["runtime"] == cell["runtime"]) & (paired["case"] == cell["case"]) & \
        (paired["suite"] == cell["suite"]) & ~paired["warmup"]
    assert paired[mine]["value"].to_numpy() == pytest.approx(original[mine]["value"].to_numpy())
    unpaired = relative_frame(load(busy), paired=False)
    assert not unpaired[mine]["value"].to_numpy() == pytest.approx(original[mine]["value"].to_numpy())


def test_a_broken_reference_breaks_its_cells_and_says_why(small_run, tmp_path):
    broken = copy_run(small_run, tmp_path, "broken-native")
    for path in (broken / "measurements").glob("*.parquet"):
        frame = pd.read_parquet(path)
        hit = (frame["runtime"] == "native") & (frame["case"] == "fib")
        if hit.any():
            frame.loc[hit, "status"] = "error"
            frame.loc[hit, "reason"] = "exit 1: crashed"
            frame.to_parquet(path, index=False)
    times = _time_cells(compare_runs(small_run, broken, verdicts="relative")).set_index(["runtime", "case"])
    assert times.loc[("native", "fib"), "verdict"] == "broken"
    assert times.loc[("wasmtime-cli", "fib"), "verdict"] == "broken"
    assert "the reference native is error" in times.loc[("wasmtime-cli", "fib"), "reason"]
    assert times.loc[("wasmtime-cli", "sieve"), "verdict"] == NO_CHANGE


def test_a_case_without_a_reference_is_judged_on_absolute_cpu_time(small_run, tmp_path):
    lonely = copy_run(small_run, tmp_path, "no-native")
    for path in (lonely / "measurements").glob("*.parquet"):
        frame = pd.read_parquet(path)
        keep = ~((frame["runtime"] == "native") & (frame["case"] == "sieve"))
        if not keep.all():
            frame[keep].to_parquet(path, index=False)
    times = _time_cells(compare_runs(lonely, lonely, verdicts="relative")).set_index(["runtime", "case"])
    sieve = times.loc[("wasmtime-cli", "sieve")]
    assert sieve["unit"] == "s" and "absolute CPU time" in sieve["reason"] and sieve["verdict"] == NO_CHANGE
    assert times.loc[("wasmtime-cli", "fib"), "unit"] == "x native"


def test_bad_verdict_arguments_are_one_line(small_run):
    done = wasmlab("compare", small_run, small_run, "--metric", "wall_time", check=False)
    assert done.returncode == 2 and "no metric wall_time judged in relative verdicts" in done.stderr
    assert done.stderr.count("\n") == 1
    with pytest.raises(Exception, match="unknown verdict mode"):
        compare_runs(small_run, small_run, verdicts="loud")
    assert REGRESSION not in set(compare_runs(small_run, small_run, verdicts="relative").cells["verdict"])
