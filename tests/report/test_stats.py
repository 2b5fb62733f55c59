"""lab.analysis.stats: robust spread, noisy flags, ratio intervals, geometric means, the rank test, and
per-cell tables over a real run (status ok and non-warm-up samples only)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from lab.analysis.stats import (
    CELL_KEYS,
    cell_table,
    describe,
    geomean_ratios,
    geometric_mean_ratio,
    mann_whitney_p,
    median_ci,
    ratio_of_medians,
    robust_cv,
    runtime_ratios,
)
from lab.store import load
from tests.report.helpers import REPEAT


def test_robust_cv_ignores_one_outlier_that_a_classic_cv_would_not():
    steady = [100.0, 101.0, 99.0, 100.5, 99.5, 100.0, 100.2, 5000.0]
    assert robust_cv(steady) < 0.02
    assert np.std(steady) / np.mean(steady) > 1  # what the classic CV would have said
    assert robust_cv([0.0, 0.0, 0.0]) == 0.0
    assert math.isinf(robust_cv([-2.0, -1.0, 0.0, 1.0, 2.0]))


def test_describe_flags_noise_and_small_samples():
    quiet = describe([1.0 + 0.001 * i for i in range(10)])
    assert not quiet.noisy and quiet.n == 10 and quiet.coverage >= 0.99
    assert describe([1.0, 1.001, 0.999]).noisy  # too few samples for a 99% interval
    assert describe([1.0, 1.5, 0.6, 1.2, 0.8, 1.4, 0.7, 1.3, 1.1, 0.9]).noisy  # CV ~ 30%


def test_median_ci_unchanged_by_the_extension():
    ci = median_ci([float(v) for v in range(1, 21)])
    assert (ci.low, ci.high, ci.median) == (4.0, 17.0, 10.5)


def test_ratio_of_medians_interval_covers_the_true_ratio_and_excludes_one():
    rng = np.random.default_rng(1)
    base = rng.normal(100, 3, 12)
    other = rng.normal(200, 6, 12)
    ratio = ratio_of_medians(base, other)
    assert 1.9 < ratio.estimate < 2.1
    assert ratio.low < 2.0 < ratio.high and ratio.low > 1.5
    assert ratio_of_medians(base, other) == ratio  # seeded: the same data, the same interval
    inverse = ratio.inverse()
    assert math.isclose(inverse.estimate, 1 / ratio.estimate) and inverse.low < 0.5 < inverse.high


def test_geometric_mean_of_ratios():
    cases = [([1.0] * 5, [2.0] * 5), ([1.0] * 5, [8.0] * 5)]
    mean = geometric_mean_ratio(cases)
    assert math.isclose(mean.estimate, 4.0) and math.isclose(mean.low, 4.0) and math.isclose(mean.high, 4.0)
    assert geometric_mean_ratio([([0.0] * 3, [1.0] * 3)]) is None  # a zero median has no ratio


def test_mann_whitney_floor_with_five_samples_a_side():
    a, b = [1.0, 1.1, 1.2, 1.3, 1.4], [2.0, 2.1, 2.2, 2.3, 2.4]
    assert math.isclose(mann_whitney_p(a, b), 2 / 252, rel_tol=1e-6)
    assert mann_whitney_p(a, list(a)) == 1.0
    assert math.isnan(mann_whitney_p([], b))


def test_cell_table_counts_only_ok_non_warmup_samples(small_run):
    frame = load(small_run)
    cells = cell_table(frame)
    chosen = (cells["runtime"] == "wasmtime") & (cells["case"] == "hello") & (cells["metric"] == "wall_time")
    cell = cells[chosen].iloc[0]
    counted = frame[(frame["runtime"] == "wasmtime") & (frame["case"] == "hello") & (frame["metric"] == "wall_time")
                    & ~frame["warmup"]]
    assert cell["n"] == len(counted) == REPEAT
    assert cell["median"] == np.median(counted["value"]) and cell["status"] == "ok"

    # one timed-out sample turns the cell into its status and reason, without numbers
    broken = frame.copy()
    row = counted.index[0]
    broken.loc[row, ["status", "reason"]] = ["timeout", "killed after 120 s"]
    cell = cell_table(broken).set_index(["runtime", "case", "metric"]).loc[("wasmtime", "hello", "wall_time")]
    assert cell["status"] == "timeout" and cell["reason"] == "killed after 120 s" and math.isnan(cell["median"])


def test_ratios_against_native_on_a_real_run(small_run):
    frame = load(small_run)
    ratios = runtime_ratios(frame, "native")
    assert set(ratios["runtime"]) == {"wasmtime", "wasmtime-cli"} and set(ratios["case"]) == {"hello", "fib", "sieve"}
    hello = ratios[(ratios["case"] == "hello") & (ratios["runtime"] == "wasmtime")].iloc[0]
    assert hello["ratio"] > 1 and hello["ratio_low"] <= hello["ratio"] <= hello["ratio_high"]
    # the other way round: the same pairs, inverted
    back = runtime_ratios(frame, "wasmtime:cranelift", ["native"])
    assert math.isclose(back[back["case"] == "hello"].iloc[0]["ratio"], 1 / hello["ratio"])
    geo = geomean_ratios(frame, "native").set_index("runtime").loc["wasmtime"]
    assert geo["cases"] == 2 and geo["excluded"] == 0 and geo["geomean_low"] <= geo["geomean"] <= geo["geomean_high"]


def test_peak_rss_of_every_process_in_a_real_run_is_exact_and_positive(small_run):
    # The kernel's wait4 peak read 0 B for the static hello program (per-CPU RSS counters); the
    # launcher reads VmHWM as the program exits, so every ok cell is positive and carries no note.
    cells = cell_table(load(small_run))
    rss = cells[(cells["metric"] == "peak_rss") & (cells["status"] == "ok")]
    assert set(rss["runtime"]) == {"native", "wasmtime", "wasmtime-cli"}
    assert (rss["median"] > 0).all(), rss[["runtime", "case", "median"]]
    assert (rss["note"] == "").all()
    hello = rss[(rss["runtime"] == "native") & (rss["case"] == "hello")]["median"].iloc[0]
    assert hello < 1 << 20  # a static musl program: tens of KiB


def _row(**fields) -> dict:
    """One counted measurement row; every key column is "x" unless given."""
    return {key: "x" for key in CELL_KEYS} | {"process": 0, "iteration": 0, "warmup": False, "version": "1",
                                              "reason": ""} | fields


def test_a_ratio_against_a_zero_median_is_refused_not_printed_as_zero():
    rows = [_row(runtime=runtime, value=value, status="ok", process=i)
            for runtime, value in (("native", 0.0), ("wasmtime", 5.0)) for i in range(3)]
    (ratio,) = runtime_ratios(pd.DataFrame(rows), "native", metric="x", phase="x").to_dict("records")
    assert ratio["status"] == "no-ratio" and ratio["reason"] == "a median is zero" and math.isnan(ratio["ratio"])


def test_ok_rows_reasons_become_a_cell_note_and_failures_keep_theirs():
    base = _row()
    rows = [base | {"case": "a", "value": 1.0, "status": "ok", "reason": "cgroup peak"},
            base | {"case": "a", "value": 2.0, "status": "ok", "reason": "cgroup peak"},
            base | {"case": "b", "value": 1.0, "status": "ok", "reason": "cgroup peak"},
            base | {"case": "b", "value": 9.0, "status": "timeout", "reason": "timed out"}]
    cells = cell_table(pd.DataFrame(rows)).set_index("case")
    assert cells.loc["a", "note"] == "cgroup peak" and cells.loc["a", "reason"] == ""
    assert cells.loc["b", "note"] == "" and cells.loc["b", "reason"] == "timed out"


def _timed_frame(cells: dict[tuple[str, str], list[tuple[float, str]]]) -> pd.DataFrame:
    """Counted rows from {(runtime, case): [(value, status), ...]}."""
    return pd.DataFrame([_row(runtime=runtime, case=case, value=value, status=status, process=i,
                              reason="timed out after 9 s" if status == "timeout" else "")
                         for (runtime, case), values in cells.items() for i, (value, status) in enumerate(values)])


def test_a_timed_out_runtime_gives_a_lower_bound_only_when_asked():
    frame = _timed_frame({("base", "a"): [(1.0, "ok")] * 3, ("slow", "a"): [(9.0, "timeout")],
                          ("base", "b"): [(1.0, "ok")] * 3,
                          ("slow", "b"): [(2.0, "ok"), (2.0, "ok"), (9.0, "timeout")]})
    plain = runtime_ratios(frame, "base", metric="x", phase="x").set_index("case")
    assert plain["ratio"].isna().all() and (plain["status"] == "timeout").all()  # the default is unchanged
    assert geomean_ratios(frame, "base", suite="x", metric="x", phase="x").iloc[0]["excluded"] == 2

    bounded = runtime_ratios(frame, "base", metric="x", phase="x", bounds=True).set_index("case")
    assert math.isclose(bounded.loc["a", "ratio"], 9.0) and bounded.loc["a", "bound"] == ">="
    assert bounded.loc["a", "status"] == "timeout" and "at least" in bounded.loc["a", "reason"]
    # Two ok samples of 2 s and one killed at 9 s: the median of what was seen (2 s) is all that
    # is known for sure, never the killed sample's 9 s.
    assert math.isclose(bounded.loc["b", "ratio"], 2.0) and bounded.loc["b", "bound"] == ">="

    geo = geomean_ratios(frame, "base", suite="x", metric="x", phase="x", bounds=True).iloc[0]
    assert math.isclose(geo["geomean"], math.sqrt(9.0 * 2.0)) and geo["bound"] == ">="
    assert (geo["cases"], geo["bounded"], geo["excluded"]) == (2, 2, 0)


def test_a_timed_out_base_gives_an_upper_bound_and_mixed_directions_count_only_exact_cases():
    frame = _timed_frame({("base", "a"): [(8.0, "timeout")], ("fast", "a"): [(2.0, "ok")] * 3,
                          ("base", "b"): [(1.0, "ok")] * 3, ("fast", "b"): [(4.0, "ok")] * 3})
    ratios = runtime_ratios(frame, "base", metric="x", phase="x", bounds=True).set_index("case")
    assert math.isclose(ratios.loc["a", "ratio"], 0.25) and ratios.loc["a", "bound"] == "<="
    assert ratios.loc["a", "status"] == "base timeout" and "at most" in ratios.loc["a", "reason"]
    geo = geomean_ratios(frame, "base", suite="x", metric="x", phase="x", bounds=True).iloc[0]
    assert math.isclose(geo["geomean"], math.sqrt(0.25 * 4.0)) and geo["bound"] == "<=" and geo["bounded"] == 1

    # One case bounded from below and one from above: together they bound nothing.
    frame = _timed_frame({("base", "a"): [(8.0, "timeout")], ("other", "a"): [(2.0, "ok")] * 3,
                          ("base", "b"): [(1.0, "ok")] * 3, ("other", "b"): [(9.0, "timeout")],
                          ("base", "c"): [(1.0, "ok")] * 3, ("other", "c"): [(3.0, "ok")] * 3})
    geo = geomean_ratios(frame, "base", suite="x", metric="x", phase="x", bounds=True).iloc[0]
    assert math.isclose(geo["geomean"], 3.0) and geo["bound"] == ""
    assert (geo["cases"], geo["bounded"], geo["excluded"]) == (1, 0, 2)


def test_a_cell_with_a_timeout_and_another_failure_gives_no_bound():
    frame = _timed_frame({("base", "a"): [(1.0, "ok")] * 3, ("bad", "a"): [(1.0, "wrong-output"), (9.0, "timeout")]})
    (ratio,) = runtime_ratios(frame, "base", metric="x", phase="x", bounds=True).to_dict("records")
    assert math.isnan(ratio["ratio"]) and ratio["bound"] == "" and ratio["status"] == "timeout"
