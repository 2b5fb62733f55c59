"""`wasmlab versus`: every runtime of one run against a base runtime of the same run. Per case,
median(runtime) / median(base) with a 99% interval; per runtime, the geometric mean over the
cases where both sides are ok, with a joint bootstrap interval. The report's overview does this
against native; this answers "how far is our engine from wasm3, and from pywasm" for any base.

A runtime that timed out still says something: it needed more than its limit. Such a case counts
as a bound ("at least 150x") rather than dropping out, and a geometric mean over bounds is itself
a bound. That is how a reference that needs hours per workload (pywasm) is compared within one
session: give every sample the same limit and read the result as "at least"."""

from __future__ import annotations

import math
from dataclasses import dataclass

import pandas as pd

from lab.analysis.numbers import format_ratio
from lab.analysis.stats import AnalysisError, geomean_ratios, runtime_ratios
from lab.model import PROCESS_METRICS
from lab.store import Run, load


@dataclass(frozen=True)
class Versus:
    run_id: str
    base: str
    metric: str
    suite: str
    cases: pd.DataFrame  # runtime_ratios rows: one per runtime and case
    geomeans: pd.DataFrame  # geomean_ratios rows: one per host and runtime
    parallel: tuple[str, ...] = ()  # the run's --parallel entries: whose times shared the machine


def versus(run: Run, base: str, metric: str = "wall_time", suite: str = "workloads",
           phase: str = "process") -> Versus:
    """Ratios of every other runtime in `run` to `base` (an id, or id:mode) on `suite`: of a
    process metric, or with `phase` (compile, instantiate, execute) of that in-process time."""
    if phase != "process":
        metric = "time"  # an in-process phase has one metric, its time
    elif metric not in PROCESS_METRICS:
        raise AnalysisError(f"unknown metric {metric!r}; use one of {', '.join(PROCESS_METRICS)}")
    frame = load(run)
    frame = frame[frame["suite"] == suite]
    if frame.empty:
        raise AnalysisError(f"run {run.run_id} has no {suite} measurements")
    base_id = base.partition(":")[0]
    if base_id not in set(frame["runtime"]):
        present = ", ".join(sorted(set(frame["runtime"])))
        raise AnalysisError(f"{base_id} is not in run {run.run_id} ({suite}); its runtimes: {present}")
    if phase != "process" and not (frame["phase"] == phase).any():
        raise AnalysisError(f"run {run.run_id} has no {phase} phase in {suite}")
    cases = runtime_ratios(frame, base, metric=metric, phase=phase, bounds=True)
    geomeans = geomean_ratios(frame, base, suite=suite, metric=metric, phase=phase, bounds=True)
    parallel = tuple(run.manifest().get("config", {}).get("parallel", ()))
    return Versus(run.run_id, base, metric if phase == "process" else f"{phase} time", suite, cases, geomeans,
                  parallel)


def versus_dict(result: Versus) -> dict:
    return {"run": result.run_id, "base": result.base, "metric": result.metric, "suite": result.suite,
            "parallel": list(result.parallel), "geomeans": _records(result.geomeans),
            "cases": _records(result.cases)}


def format_versus(result: Versus) -> str:
    """Geometric means first, then one line per runtime and case; >1 means slower (or bigger)
    than the base."""
    lines = [f"run {result.run_id}: {result.suite}, {result.metric} of each runtime / {result.base} "
             "(median ratio [99% interval]; >1 = more than the base; >= and <= are bounds where one side "
             "timed out)"]
    if result.parallel:
        lines.append(f"jobs run side by side (--parallel {' '.join(result.parallel)}); every other job ran alone")
    lines += ["", "geometric mean over cases:"]
    for row in result.geomeans.sort_values(["host", "geomean"]).to_dict("records"):
        bounded = f", {row['bounded']} of them timed-out bounds" if row["bounded"] else ""
        excluded = f", {row['excluded']} excluded (not ok on one side)" if row["excluded"] else ""
        lines.append(f"  {row['host']:<16} {_label(row):<24} {_ratio(row, 'geomean')}"
                     f"  over {row['cases']} cases{bounded}{excluded}")
    lines += ["", "per case:"]
    for row in result.cases.sort_values(["host", "runtime", "mode", "case", "size"]).to_dict("records"):
        detail = _ratio(row, "ratio") if math.isfinite(row["ratio"]) else f"{row['status']}: {row['reason']}"
        if row["bound"]:
            detail += f"  ({row['reason']})"
        lines.append(f"  {row['host']:<16} {_label(row):<24} {row['case']:<14} {row['size']:<7} {detail}")
    return "\n".join(lines)


def _label(row: dict) -> str:
    return f"{row['runtime']}:{row['mode']}" if row["mode"] else row["runtime"]


def _ratio(row: dict, column: str) -> str:
    value, low, high = row[column], row[f"{column}_low"], row[f"{column}_high"]
    if not math.isfinite(value):
        return "-"
    return f"{row['bound'] or '':>2}{format_ratio(value):>9} [{format_ratio(low, '')}, {format_ratio(high, '')}]"


def _records(frame: pd.DataFrame) -> list[dict]:
    return [{key: (None if isinstance(value, float) and not math.isfinite(value) else value)
             for key, value in row.items()} for row in frame.to_dict("records")]
