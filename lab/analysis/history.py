"""Several runs of one configuration in time order: a series per cell and its change points.

Change points by circular binary segmentation (Olshen et al.) with the comparison's own test: in
a series of runs, try every stretch of consecutive runs against the rest, pooling each side's raw
samples, and keep the stretch with the smallest Mann-Whitney p-value; its edges are change points
when p < alpha and the pooled medians differ by more than the threshold (the same rule as a
regression in `wasmlab compare`). Then search each part again. A stretch that touches an end of
the series is a plain step; one in the middle (e.g. a single odd run) gives two changes, up and
back, which plain binary segmentation cannot see. Pooling makes a step that persists over several
runs easier to see than any one pair of runs. The test runs many times per cell, so an occasional
false change point is expected at alpha 0.01.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Sequence

import numpy as np
import pandas as pd

from lab.analysis.compare import DEFAULT_ALPHA, DEFAULT_THRESHOLD, EXACT_METRICS, IMPROVEMENT, REGRESSION, judge_change
from lab.analysis.stats import CELL_KEYS, Samples, cell_samples, cell_table, mann_whitney_p
from lab.store import Run, load, open_run

SERIES_COLUMNS = ["order", "run_id", "started"] + CELL_KEYS + ["version", "n", "median", "ci_low", "ci_high",
                                                              "noisy", "status", "reason"]
CHANGE_COLUMNS = CELL_KEYS + ["run_id", "order", "median_before", "median_after", "ratio", "p_value", "direction"]


@dataclass
class History:
    runs: list[str]  # run ids, oldest first
    series: pd.DataFrame  # SERIES_COLUMNS: one row per run and cell
    changes: pd.DataFrame  # CHANGE_COLUMNS: one row per detected change point
    notes: list[str] = field(default_factory=list)  # e.g. runs whose configuration differs


def order_runs(runs: Sequence[str | Run]) -> list[Run]:
    """Runs oldest first, by their manifest's start time (the run id is sortable by time too)."""
    opened = [r if isinstance(r, Run) else open_run(r) for r in runs]
    return sorted(opened, key=lambda run: (run.manifest().get("started") or "", run.run_id))


def build_history(runs: Sequence[str | Run], threshold: float = DEFAULT_THRESHOLD,
                  alpha: float = DEFAULT_ALPHA) -> History:
    """The time series of every cell over the runs and the change points found in each."""
    ordered = order_runs(runs)
    series_parts, samples_per_run = [], []
    for order, run in enumerate(ordered):
        frame = load(run)
        cells = cell_table(frame)
        cells.insert(0, "started", run.manifest().get("started", ""))
        cells.insert(0, "run_id", run.run_id)
        cells.insert(0, "order", order)
        series_parts.append(cells)
        samples_per_run.append(cell_samples(frame))
    series = pd.concat(series_parts, ignore_index=True)[SERIES_COLUMNS] if series_parts else \
        pd.DataFrame(columns=SERIES_COLUMNS)
    changes = []
    for key in sorted({k for samples in samples_per_run for k in samples}, key=lambda k: tuple(map(str, k))):
        present = [(order, samples[key]) for order, samples in enumerate(samples_per_run) if key in samples]
        exact = key[CELL_KEYS.index("metric")] in EXACT_METRICS
        for index, before, after, p_value, ratio in change_points([s for _, s in present], threshold, alpha, exact):
            order = present[index][0]
            changes.append({**dict(zip(CELL_KEYS, key, strict=True)), "run_id": ordered[order].run_id, "order": order,
                            "median_before": before, "median_after": after, "ratio": ratio, "p_value": p_value,
                            "direction": "slower" if ratio > 1 else "faster"})
    return History([r.run_id for r in ordered], series, pd.DataFrame(changes, columns=CHANGE_COLUMNS),
                   _configuration_notes(ordered))


def change_points(series: Sequence[Samples], threshold: float = DEFAULT_THRESHOLD,
                  alpha: float = DEFAULT_ALPHA, exact: bool = False) -> list[tuple[int, float, float, float, float]]:
    """Circular binary segmentation of a series of sample sets (one per run, oldest first); an
    `exact` metric (instruction counts) changes wherever the threshold says, as in compare.

    Returns (index of the first run after the change, pooled median before, pooled median after,
    p-value, after/before ratio) for every change point, in time order.
    """
    found: list[tuple[int, float, float, float, float]] = []
    _segment([np.asarray(s, dtype=float) for s in series], 0, len(series), threshold, alpha, found, exact)
    return sorted(found)


def _segment(series: list[np.ndarray], start: int, end: int, threshold: float, alpha: float,
             found: list, exact: bool = False) -> None:
    """Find the stretch [i, j) of runs that differs most from the rest of [start, end); record its
    edges as change points and search the three parts again."""
    best: tuple[float, int, int] | None = None
    for i in range(start, end):
        for j in range(i + 1, end + 1):
            if (i, j) == (start, end):
                continue
            inside = np.concatenate(series[i:j])
            outside = np.concatenate(series[start:i] + series[j:end])
            if inside.size == 0 or outside.size == 0:
                continue
            p_value = mann_whitney_p(outside, inside)
            ratio = _separation(outside, inside) if exact else _ratio(outside, inside)
            verdict = judge_change(ratio, p_value, threshold, alpha, exact)
            if verdict in (REGRESSION, IMPROVEMENT) and (best is None or p_value < best[0]):
                best = (p_value, i, j)
    if best is None:
        return
    p_value, i, j = best
    if i > start:
        found.append(_change(series, start, i, j, p_value))
    if j < end:
        found.append(_change(series, i, j, end, p_value))
    for part_start, part_end in ((start, i), (i, j), (j, end)):
        if part_end - part_start >= 2:
            _segment(series, part_start, part_end, threshold, alpha, found, exact)


def _change(series: list[np.ndarray], before_start: int, at: int, after_end: int, p_value: float) -> tuple:
    before, after = np.concatenate(series[before_start:at]), np.concatenate(series[at:after_end])
    return (at, float(np.median(before)), float(np.median(after)), p_value, _ratio(before, after))


def _separation(before: np.ndarray, after: np.ndarray) -> float:
    """For an exact metric, how far apart two sets of counts are at their closest: 1 when they
    overlap. A median of two pooled runs would be their midpoint, so a step in the newest run
    alone would also show as a smaller step one run earlier."""
    if after.min() > before.max():
        return float(after.min() / before.max()) if before.max() else math.inf
    if after.max() < before.min():
        return float(after.max() / before.min())
    return 1.0


def _ratio(before: np.ndarray, after: np.ndarray) -> float:
    median_before, median_after = float(np.median(before)), float(np.median(after))
    return median_after / median_before if median_before else math.inf if median_after else math.nan


def _configuration_notes(runs: list[Run]) -> list[str]:
    """Say so when the runs were not made with the same configuration (their cells may differ)."""
    if not runs:
        return []
    reference = {k: v for k, v in runs[0].manifest().get("config", {}).items() if k != "shard"}
    notes = []
    for run in runs[1:]:
        config = {k: v for k, v in run.manifest().get("config", {}).items() if k != "shard"}
        differing = sorted(k for k in set(reference) | set(config) if reference.get(k) != config.get(k))
        if differing:
            notes.append(f"{run.run_id} differs from {runs[0].run_id} in: {', '.join(differing)}")
    return notes
