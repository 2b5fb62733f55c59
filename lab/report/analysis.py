"""Analysis helpers for Jupyter (notebooks/analysis.ipynb): the report's tables as DataFrames and
its charts as matplotlib figures, so a notebook stays a few lines long."""

from __future__ import annotations

import os

import pandas as pd
from matplotlib.figure import Figure

from lab.analysis.compare import compare_runs
from lab.analysis.stats import AnalysisError, geomean_ratios
from lab.model import USER_SUITE
from lab.report import charts, views
from lab.store import Run, load, load_conformance, open_run

RUN_ENV = "WASMLAB_RUN"
BASELINE_ENV = "WASMLAB_BASELINE"


def runs_from_environment() -> tuple[Run, Run | None]:
    """The run named by $WASMLAB_RUN and the baseline named by $WASMLAB_BASELINE (optional)."""
    run = os.environ.get(RUN_ENV)
    if not run:
        raise AnalysisError(f"set {RUN_ENV} to a run folder (and {BASELINE_ENV} to compare with another)")
    baseline = os.environ.get(BASELINE_ENV)
    return open_run(run), open_run(baseline) if baseline else None


def overview_table(run: str | Run) -> pd.DataFrame:
    """The overview page as a table: one row per runtime and host."""
    rows = views.overview_rows(load(run), load_conformance(run))
    table = []
    for row in rows:
        cold, vs_native = row["cold_start"], row["vs_native"]
        entry = {"runtime": row["label"], "host": row["host_label"], "version": row["version"],
                 "cold_start_ms": cold["median"] * 1e3 if cold["ok"] else None,
                 "cold_start_status": "ok" if cold["ok"] else f"{cold['status']}: {cold['reason']}",
                 "time_vs_native": vs_native["value"] if vs_native["ok"] else None,
                 "startup_peak_rss_mib": row["startup_rss"]["median"] / 2**20 if row["startup_rss"]["ok"] else None,
                 "largest_workload_rss_mib": row["max_workload_rss"] / 2**20}
        for suite, rate in row["pass_rates"].items():
            entry[f"{suite}_pass_rate"] = rate["rate"]
        table.append(entry)
    return pd.DataFrame(table)


def ratio_to_native_figure(run: str | Run, base: str = views.BASE_RUNTIME) -> Figure:
    """Workload time relative to native per runtime: geometric mean with its 99% interval."""
    geomeans = geomean_ratios(load(run), base)
    geomeans = geomeans[geomeans["cases"] > 0]
    if geomeans.empty:
        raise AnalysisError(f"no workloads comparable with {base} in this run")
    labels = [f"{views.runtime_label(r['runtime'], r['mode'])} @ {views.host_label(r['host'], r['emulated'])}"
              for r in geomeans.to_dict("records")]
    return charts.interval_figure(labels, geomeans["geomean"].tolist(), geomeans["geomean_low"].tolist(),
                                  geomeans["geomean_high"].tolist(), f"time ÷ {base} (geometric mean over workloads)",
                                  f"Workloads relative to {base}", reference=1.0)


def comparison_table(baseline: str | Run, run: str | Run, threshold: float = 0.05,
                     metric: str = "wall_time") -> pd.DataFrame:
    """Cells of one metric, baseline (A) against run (B): medians, B/A with interval, p, verdict."""
    comparison = compare_runs(baseline, run, threshold=threshold, metrics=(metric,))
    columns = ["runtime", "mode", "host", "suite", "case", "size", "median_a", "median_b", "ratio", "ratio_low",
               "ratio_high", "p_value", "verdict"]
    return comparison.cells[columns].sort_values(["verdict", "runtime", "case"]).reset_index(drop=True)


def has_suite(run: str | Run, suite: str) -> bool:
    """Whether the run measured any case of `suite` (a notebook cell skips a missing one)."""
    return bool((load(run)["suite"] == suite).any())


def user_modules_figure(run: str | Run, phase: str = "execute") -> Figure:
    """The user's own modules (run --suite DIR) per runtime, divided by the report's base for
    them (views.user_base): geometric mean of the phase's time (execute: the bench region of a
    Sightglass-protocol module), or of wall time with phase "process"."""
    frame = load(run)
    base = views.user_base(frame)
    if base is None:
        raise AnalysisError("no user modules with ok samples in this run")
    metric = "wall_time" if phase == "process" else "time"
    geomeans = geomean_ratios(frame, base, suite=USER_SUITE, metric=metric, phase=phase)
    geomeans = geomeans[geomeans["cases"] > 0]
    if geomeans.empty:
        raise AnalysisError(f"no user modules comparable with {base} ({phase}) in this run")
    labels = [f"{views.runtime_label(r['runtime'], r['mode'])} @ {views.host_label(r['host'], r['emulated'])}"
              for r in geomeans.to_dict("records")]
    what = "wall time" if phase == "process" else f"{phase} phase"
    return charts.interval_figure(labels, geomeans["geomean"].tolist(), geomeans["geomean_low"].tolist(),
                                  geomeans["geomean_high"].tolist(), f"{what} ÷ {base} (geometric mean over modules)",
                                  f"Your modules relative to {base}", reference=1.0)
