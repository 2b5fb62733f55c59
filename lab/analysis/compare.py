"""`wasmlab compare RUN_A RUN_B`: what changed from run A (the baseline) to run B.

Per measured cell: the ratio B/A of medians with a 99% bootstrap interval, and a Mann-Whitney U
test on the raw samples. A change is a regression (or improvement) only when it is both
significant (p < alpha) and larger than the threshold, the way asv decides: the test alone
flags tiny but consistent shifts that nobody cares about; the ratio alone flags noise.
Why the rank test rather than non-overlapping intervals: with 5 samples a side the 99% interval
of a median is the whole range, so "no overlap" and "complete separation" coincide anyway, and the
test still gives an honest p-value with more samples.

Verdict modes: `absolute` (above: every metric of every cell, judged on its own values) and
`relative` (lab.analysis.verdicts: CPU time as a ratio to a reference runtime of the same run, which
holds when the machine's load differs between the runs). The CLI defaults to relative.

Conformance: every command that passed in A and fails (or errors) in B is a conformance
regression; the opposite is a fix.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import pandas as pd

from lab.analysis.stats import CELL_KEYS, AnalysisError, cell_samples, cell_table, mann_whitney_p, ratio_of_medians
from lab.model import STATUS_OK
from lab.store import Run, load, load_conformance, open_run

# Verdict modes (lab.analysis.verdicts): plain values here so compare does not import its extension.
ABSOLUTE, RELATIVE = "absolute", "relative"
VERDICT_MODES = (RELATIVE, ABSOLUTE)
RELATIVE_METRICS = ("cpu_time", "peak_rss", "instructions")
EXACT_METRICS = ("instructions",)  # deterministic: judged on the ratio and threshold alone
DEFAULT_REFERENCE = "native"
DEFAULT_THRESHOLD = 0.05
DEFAULT_ALPHA = 0.01

# Verdicts of a measured cell.
REGRESSION = "regression"
IMPROVEMENT = "improvement"
NO_CHANGE = "no change"
BROKEN = "broken"  # ok in A, failing in B: counts as a regression
FIXED = "fixed"  # failing in A, ok in B
STILL_FAILING = "failing"
ONLY_A = "only in A"
ONLY_B = "only in B"
REGRESSING_VERDICTS = (REGRESSION, BROKEN)

PASSING = ("pass", "xpass")
FAILING = ("fail", "error", "xfail")
COMMAND_KEYS = ["host", "emulated", "runtime", "mode", "suite", "file", "index"]
GROUP_KEYS = ["host", "emulated", "runtime", "mode", "suite", "group"]
CELL_COLUMNS = CELL_KEYS + ["version_a", "version_b", "n_a", "n_b", "median_a", "median_b", "ratio", "ratio_low",
                            "ratio_high", "p_value", "verdict", "status_a", "status_b", "reason"]


@dataclass
class Comparison:
    run_a: str
    run_b: str
    threshold: float
    alpha: float
    cells: pd.DataFrame  # CELL_COLUMNS
    conformance: pd.DataFrame  # per group: passed/total in A and B
    conformance_regressions: pd.DataFrame  # commands that passed in A and fail in B
    conformance_fixes: pd.DataFrame
    verdicts: str = "absolute"  # lab.analysis.verdicts.VERDICT_MODES
    reference: str = ""  # the runtime the relative mode divides by

    @property
    def regressions(self) -> pd.DataFrame:
        return self.cells[self.cells["verdict"].isin(REGRESSING_VERDICTS)]

    @property
    def improvements(self) -> pd.DataFrame:
        return self.cells[self.cells["verdict"].isin((IMPROVEMENT, FIXED))]

    @property
    def has_regressions(self) -> bool:
        return not self.regressions.empty or not self.conformance_regressions.empty


def compare_runs(run_a: str | Run, run_b: str | Run, threshold: float = DEFAULT_THRESHOLD,
                 alpha: float = DEFAULT_ALPHA, metrics: tuple[str, ...] = (), verdicts: str = ABSOLUTE,
                 reference: str = DEFAULT_REFERENCE) -> Comparison:
    """Compare two run folders (A is the baseline), optionally only some metrics (in the
    relative mode, of cpu_time and peak_rss)."""
    a = run_a if isinstance(run_a, Run) else open_run(run_a)
    b = run_b if isinstance(run_b, Run) else open_run(run_b)
    if not 0 <= threshold < 10:
        raise AnalysisError(f"threshold {threshold} is not a fraction (e.g. 0.05 for 5%)")
    if not 0 < alpha < 1:
        raise AnalysisError(f"alpha {alpha} is not a probability (e.g. 0.01)")
    if verdicts not in VERDICT_MODES:
        raise AnalysisError(f"unknown verdict mode {verdicts!r}; choose from {', '.join(VERDICT_MODES)}")
    frame_a, frame_b = load(a), load(b)
    known = set(RELATIVE_METRICS) if verdicts == RELATIVE else set(frame_a["metric"]) | set(frame_b["metric"])
    unknown = sorted(set(metrics) - known)
    if unknown:
        judged = "judged in relative verdicts" if verdicts == RELATIVE else "in these runs"
        raise AnalysisError(f"no metric {', '.join(unknown)} {judged}; they have: {', '.join(sorted(known))}")
    comparison = compare_frames(a.run_id, b.run_id, (frame_a, load_conformance(a)), (frame_b, load_conformance(b)),
                                threshold, alpha, verdicts, reference)
    if metrics:
        comparison.cells = comparison.cells[comparison.cells["metric"].isin(metrics)].reset_index(drop=True)
    return comparison


def compare_frames(label_a: str, label_b: str, frames_a: tuple[pd.DataFrame, pd.DataFrame],
                   frames_b: tuple[pd.DataFrame, pd.DataFrame], threshold: float = DEFAULT_THRESHOLD,
                   alpha: float = DEFAULT_ALPHA, verdicts: str = ABSOLUTE,
                   reference: str = DEFAULT_REFERENCE) -> Comparison:
    """Compare (measurements, conformance) frame pairs, e.g. several runs merged for a report."""
    if verdicts == RELATIVE:
        from lab.analysis.verdicts import relative_cells  # it builds on compare_measurements below

        cells = relative_cells(frames_a[0], frames_b[0], threshold, alpha, reference)
    else:
        cells = compare_measurements(frames_a[0], frames_b[0], threshold, alpha)
    conformance, regressions, fixes = compare_conformance(frames_a[1], frames_b[1])
    return Comparison(label_a, label_b, threshold, alpha, cells, conformance, regressions, fixes, verdicts,
                      reference if verdicts == RELATIVE else "")


def compare_measurements(frame_a: pd.DataFrame, frame_b: pd.DataFrame, threshold: float = DEFAULT_THRESHOLD,
                         alpha: float = DEFAULT_ALPHA) -> pd.DataFrame:
    """One row per cell present in either run, with its verdict."""
    cells_a = {tuple(r[k] for k in CELL_KEYS): r for r in cell_table(frame_a).to_dict("records")}
    cells_b = {tuple(r[k] for k in CELL_KEYS): r for r in cell_table(frame_b).to_dict("records")}
    samples_a, samples_b = cell_samples(frame_a), cell_samples(frame_b)
    rows = []
    for key in sorted(set(cells_a) | set(cells_b), key=lambda k: tuple(str(v) for v in k)):
        a, b = cells_a.get(key), cells_b.get(key)
        row = {**dict(zip(CELL_KEYS, key, strict=True)), "version_a": a["version"] if a else "",
               "version_b": b["version"] if b else "", "n_a": a["n"] if a else 0, "n_b": b["n"] if b else 0,
               "median_a": a["median"] if a else math.nan, "median_b": b["median"] if b else math.nan,
               "ratio": math.nan, "ratio_low": math.nan, "ratio_high": math.nan, "p_value": math.nan,
               "status_a": a["status"] if a else "", "status_b": b["status"] if b else "", "reason": ""}
        row["verdict"], row["reason"] = _status_verdict(a, b)
        if row["verdict"] is None:
            ratio = ratio_of_medians(samples_a[key], samples_b[key])
            p_value = mann_whitney_p(samples_a[key], samples_b[key])
            row.update(p_value=p_value)
            if ratio is not None:
                row.update(ratio=ratio.estimate, ratio_low=ratio.low, ratio_high=ratio.high)
            row["verdict"] = judge_change(row["ratio"], p_value, threshold, alpha,
                                          exact=key[CELL_KEYS.index("metric")] in EXACT_METRICS)
        rows.append(row)
    return pd.DataFrame(rows, columns=CELL_COLUMNS)


def judge_change(ratio: float, p_value: float, threshold: float, alpha: float, exact: bool = False) -> str:
    """Regression: significant and slower (larger) by more than the threshold; improvement:
    significant and faster by the same factor (1 / (1 + threshold), symmetric in log scale).
    An `exact` metric (an instruction count: one sample, repeating to ~0.1%) needs no test."""
    if not (exact or p_value < alpha) or math.isnan(ratio):
        return NO_CHANGE
    if ratio > 1 + threshold:
        return REGRESSION
    if ratio < 1 / (1 + threshold):
        return IMPROVEMENT
    return NO_CHANGE


def _status_verdict(a: dict | None, b: dict | None) -> tuple[str | None, str]:
    """The verdict when the cell cannot be measured on both sides (None: it can)."""
    if a is None:
        return ONLY_B, ""
    if b is None:
        return ONLY_A, ""
    ok_a, ok_b = a["status"] == STATUS_OK, b["status"] == STATUS_OK
    if ok_a and ok_b:
        return None, ""
    if ok_a:
        return BROKEN, f"B {b['status']}: {b['reason']}"
    if ok_b:
        return FIXED, f"A {a['status']}: {a['reason']}"
    return STILL_FAILING, f"A {a['status']}, B {b['status']}: {b['reason']}"


def compare_conformance(frame_a: pd.DataFrame,
                        frame_b: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Pass counts per group in both runs, and the commands that went from pass to fail and back."""
    counts = _group_counts(frame_a).merge(_group_counts(frame_b), on=GROUP_KEYS, how="outer",
                                          suffixes=("_a", "_b")).fillna({"passed_a": 0, "passed_b": 0,
                                                                          "total_a": 0, "total_b": 0})
    for column in ("passed_a", "passed_b", "total_a", "total_b"):
        counts[column] = counts[column].astype(int)
    counts["passed_change"] = counts["passed_b"] - counts["passed_a"]
    columns = COMMAND_KEYS + ["group", "line", "kind", "outcome_a", "outcome_b", "reason"]
    if frame_a.empty or frame_b.empty:
        empty = pd.DataFrame(columns=columns)
        return counts, empty, empty.copy()
    joined = frame_a.merge(frame_b, on=COMMAND_KEYS, how="inner", suffixes=("_a", "_b"))
    joined = joined.rename(columns={"group_b": "group", "line_b": "line", "kind_b": "kind", "reason_b": "reason"})
    regressions = joined[joined["outcome_a"].isin(PASSING) & joined["outcome_b"].isin(FAILING)]
    fixes = joined[joined["outcome_a"].isin(FAILING) & joined["outcome_b"].isin(PASSING)]
    return counts, regressions[columns].reset_index(drop=True), fixes[columns].reset_index(drop=True)


def _group_counts(frame: pd.DataFrame) -> pd.DataFrame:
    if frame.empty:
        return pd.DataFrame(columns=GROUP_KEYS + ["passed", "total"])
    grouped = frame.assign(passed=frame["outcome"].isin(PASSING)).groupby(GROUP_KEYS, sort=True)
    return grouped.agg(passed=("passed", "sum"), total=("outcome", "size")).reset_index()


# -- output ---------------------------------------------------------------------------------------

def comparison_dict(comparison: Comparison) -> dict:
    """The JSON shape of `wasmlab compare --json` (NaN becomes null)."""
    return {
        "run_a": comparison.run_a, "run_b": comparison.run_b,
        "threshold": comparison.threshold, "alpha": comparison.alpha,
        "verdicts": comparison.verdicts, "reference": comparison.reference,
        "regressions": len(comparison.regressions), "improvements": len(comparison.improvements),
        "conformance_regressions": _records(comparison.conformance_regressions),
        "conformance_fixes": _records(comparison.conformance_fixes),
        "conformance": _records(comparison.conformance),
        "cells": _records(comparison.cells),
    }


def _records(frame: pd.DataFrame) -> list[dict]:
    return [{k: _plain(v) for k, v in row.items()} for row in frame.to_dict("records")]


def _plain(value):
    if hasattr(value, "item"):  # numpy scalars
        value = value.item()
    return None if isinstance(value, float) and math.isnan(value) else value


def format_comparison(comparison: Comparison) -> str:
    """A terminal table: every cell with B/A, its interval, p and verdict; then conformance."""
    header = (f"{'runtime':<13} {'mode':<10} {'suite':<9} {'case':<13} {'size':<6} {'metric':<16} "
              f"{'A':>10} {'B':>10} {'B/A':>6} {'99% CI':>15} {'p':>7}  verdict")
    mode = (f"relative verdicts: instruction counts where both runs have them, else CPU time / {comparison.reference}"
            if comparison.reference else "absolute verdicts")
    lines = [f"A = {comparison.run_a}   B = {comparison.run_b}   threshold {comparison.threshold:.0%}, "
             f"alpha {comparison.alpha}, {mode}", header, "-" * len(header)]
    for cell in comparison.cells.to_dict("records"):
        metric = cell["metric"] if cell["phase"] == "process" else f"{cell['phase']}_time"
        host = "" if cell["host"] == "local" else f" @{cell['host']}{' (emulated)' if cell['emulated'] else ''}"
        verdict = cell["verdict"] + (f" ({cell['reason'][:70]})" if cell["reason"] else "")
        mark = "!! " if cell["verdict"] in REGRESSING_VERDICTS else ""
        lines.append(f"{cell['runtime']:<13} {cell['mode']:<10} {cell['suite']:<9} {cell['case']:<13} "
                     f"{cell['size']:<6} {metric:<16} {_value(cell['median_a'], cell['unit']):>10} "
                     f"{_value(cell['median_b'], cell['unit']):>10} {_fmt(cell['ratio'], '.3f'):>6} "
                     f"{_interval(cell):>15} {_fmt(cell['p_value'], '.4f'):>7}  {mark}{verdict}{host}")
    lines.append("")
    lines.append(f"{len(comparison.regressions)} regression(s), {len(comparison.improvements)} improvement(s) "
                 f"in {len(comparison.cells)} cells")
    if not comparison.conformance.empty:
        lines.append("")
        lines.append(f"{'runtime':<13} {'suite':<9} {'group':<24} {'passed A':>9} {'passed B':>9} {'change':>7}")
        for group in comparison.conformance.to_dict("records"):
            lines.append(f"{group['runtime']:<13} {group['suite']:<9} {group['group']:<24} "
                         f"{group['passed_a']:>4}/{group['total_a']:<4} {group['passed_b']:>4}/{group['total_b']:<4} "
                         f"{group['passed_change']:>+7}")
    for title, frame in (("conformance regressions (pass in A, fail in B)", comparison.conformance_regressions),
                         ("conformance fixes (fail in A, pass in B)", comparison.conformance_fixes)):
        if not frame.empty:
            lines.append(f"\n{len(frame)} {title}:")
            for row in frame.head(50).to_dict("records"):
                lines.append(f"  {row['runtime']} {row['suite']} {row['file']}:{row['line']} {row['kind']} "
                             f"{row['outcome_a']} -> {row['outcome_b']} {row['reason'][:80]}")
            if len(frame) > 50:
                lines.append(f"  ... and {len(frame) - 50} more (--json lists all)")
    return "\n".join(lines)


def _fmt(value: float, spec: str) -> str:
    return "-" if value is None or (isinstance(value, float) and math.isnan(value)) else format(value, spec)


def _interval(cell: dict) -> str:
    if math.isnan(cell["ratio_low"]):
        return ""
    return f"[{cell['ratio_low']:.3f}, {cell['ratio_high']:.3f}]"


def _value(value: float, unit: str) -> str:
    if math.isnan(value):
        return "-"
    if unit == "s":
        return f"{value * 1e3:.3f}ms"
    if unit == "bytes":
        return f"{value / 2**20:.1f}MiB"
    if unit == "count":
        return f"{value / 1e6:.2f}M"
    if unit.startswith("x "):  # a ratio to the reference runtime (relative verdicts)
        return f"{value:.4g}x"
    return f"{value:g}{unit}"
