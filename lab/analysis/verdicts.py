"""Regression verdicts that hold on a loaded machine: `wasmlab compare --verdicts relative`.

Two runs of the same code on a shared 2-core machine differ by whatever else the machine was
doing: another process makes every wall time longer (the runtime waits for a core) and, less
so, every CPU time (shared caches, a busy hyperthread sibling). Judging each cell by its own
times across two runs turns that into regressions. The relative mode judges each cell by its
ratio to a reference runtime measured in the same run instead, case by case, so what the load
did to both cancels out:

- the metric is CPU time, user + sys of the measured process (a runtime that waits for a core
  accrues no CPU time; user + sys is also exact where the user/sys split is a sampled estimate);
- each sample is divided by the reference's sample of the same index (sample i of a runtime and
  sample i of native on one case are taken seconds apart: the run measures case by case), or by
  the reference's median when the two have no sample index in common;
- these per-sample ratios of run A and run B then go through the usual test and threshold
  (lab.analysis.compare: Mann-Whitney U and the ratio of medians, asv-style).

The reference's own cells are the yardstick, so they are not judged on time (their status still
is: a broken native cell is a regression). A cell whose case has no reference cell in its run is
judged on its absolute CPU time, and says so. Peak memory does not depend on load and is judged
as it is, per cell. Phase times reported from inside a process (compile, execute) are wall
clock and are left out. What this mode cannot see: a regression that only makes a runtime wait
(sleeping, blocking I/O), since it spends no CPU time; `--verdicts absolute` shows it.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from lab.analysis.compare import (
    DEFAULT_REFERENCE,
    IMPROVEMENT,
    NO_CHANGE,
    REGRESSION,
    RELATIVE_METRICS,
    compare_measurements,
)
from lab.analysis.stats import AnalysisError, counted, worst_status
from lab.model import STATUS_OK

CPU_TIME = RELATIVE_METRICS[0]  # user + sys time of one sample, in seconds
INSTRUCTIONS = RELATIVE_METRICS[2]
REFERENCE = "reference"  # the verdict of the reference runtime's own time cells
NOT_JUDGED = "not judged"  # CPU time of a cell whose instruction counts are judged instead
# Columns that name one sample (its rows differ only in metric, value, unit and reason).
SAMPLE_KEYS = ["host", "emulated", "runtime", "mode", "suite", "case", "size", "process", "iteration"]
PAIR_KEYS = ["host", "emulated", "suite", "case", "size"]  # a cell and its reference share these


def ratio_unit(reference: str) -> str:
    """The unit of a time ratio to the reference: '× native' reads as what it is."""
    return f"x {reference}"


def cpu_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """One `cpu_time` row per measured sample (user + sys), in the run's long format.

    Built on the wall_time rows because every sample has one, including a sample that failed to
    start or was skipped (those carry no user or sys row): their status must survive, so a cell
    that broke is still a broken cell here."""
    process = frame[frame["phase"] == "process"]
    wall = process[process["metric"] == "wall_time"]
    cpu = wall.copy()
    total = np.zeros(len(wall))
    for metric in ("user_time", "sys_time"):
        part = process[process["metric"] == metric][SAMPLE_KEYS + ["value"]]
        matched = wall[SAMPLE_KEYS].merge(part, on=SAMPLE_KEYS, how="left")["value"].to_numpy(dtype=float)
        total = total + matched  # a sample without a CPU row stays NaN: it has no CPU time
    cpu["metric"] = CPU_TIME
    cpu["value"] = total
    return cpu.reset_index(drop=True)


def relative_frame(frame: pd.DataFrame, reference: str = DEFAULT_REFERENCE, paired: bool = True) -> pd.DataFrame:
    """The run's CPU-time rows, each non-reference sample divided by the reference's sample of
    the same index on the same host, case and size (unit "x REFERENCE"; with `paired` False, or
    when that index has no ok reference sample, by the reference's median); cases without a
    reference cell keep their absolute CPU time (unit s), and the reference's own rows stay
    absolute too. A sample whose reference failed takes the reference's status and says why."""
    cpu = cpu_frame(frame)
    is_ref = is_reference(cpu, reference)
    references = _reference_samples(cpu[is_ref], reference)
    rows = cpu.to_dict("records")
    for row, own in zip(rows, is_ref.tolist(), strict=True):
        if own:
            continue
        found = references.get(tuple(row[k] for k in PAIR_KEYS))
        if found is None:
            continue  # no reference cell for this case in this run: judged on absolute CPU time
        status, reason, by_process, median = found
        row["unit"] = ratio_unit(reference)
        if status != STATUS_OK:
            if row["status"] == STATUS_OK:
                row.update(status=status, reason=f"the reference {reference} is {status}: {reason}")
            row["value"] = math.nan
            continue
        divisor = by_process.get(row["process"], median) if paired else median
        row["value"] = row["value"] / divisor if divisor else math.nan
    return pd.DataFrame(rows, columns=cpu.columns)


def is_reference(frame: pd.DataFrame, reference: str) -> pd.Series:
    """Which rows (or cells) are the reference runtime's: `id`, or `id:mode` for one mode."""
    runtime, _, mode = reference.partition(":")
    mask = frame["runtime"] == runtime
    return mask & (frame["mode"] == mode) if mode else mask


def _reference_samples(ref_rows: pd.DataFrame, reference: str) -> dict[tuple, tuple[str, str, dict, float]]:
    """Per case (host, emulated, suite, case, size): the reference cell's status, reason, its
    counted ok CPU times by sample index, and their median."""
    found: dict[tuple, tuple[str, str, dict, float]] = {}
    modes: dict[tuple, str] = {}
    for key, part in counted(ref_rows).groupby(PAIR_KEYS, sort=False):
        key = tuple(key)
        for mode in part["mode"].unique():
            if modes.setdefault(key, mode) != mode:
                raise AnalysisError(f"the reference {reference} runs in several modes; name one as "
                                    f"{reference}:MODE")
        status = worst_status(set(part["status"]))
        ok = part[(part["status"] == STATUS_OK) & part["value"].notna()]
        reasons = [r for r in part["reason"] if r]
        by_process = dict(zip(ok["process"].tolist(), ok["value"].tolist(), strict=True))
        median = float(np.median(ok["value"])) if len(ok) else math.nan
        found[key] = (status, reasons[0] if reasons else "", by_process, median)
    return found


def relative_cells(frame_a: pd.DataFrame, frame_b: pd.DataFrame, threshold: float, alpha: float,
                   reference: str = DEFAULT_REFERENCE, paired: bool = True) -> pd.DataFrame:
    """Per cell of either run: CPU time relative to the reference (and peak memory as it is),
    with the comparison's verdict; the reference's own time cells get the verdict "reference"
    unless their status changed."""
    def judged(frame: pd.DataFrame) -> pd.DataFrame:
        as_is = frame[(frame["phase"] == "process") & frame["metric"].isin(("peak_rss", INSTRUCTIONS))]
        return pd.concat([relative_frame(frame, reference, paired), as_is], ignore_index=True)

    cells = compare_measurements(judged(frame_a), judged(frame_b), threshold, alpha)
    own = is_reference(cells, reference) & (cells["metric"] == CPU_TIME)
    time_verdicts = own & cells["verdict"].isin((NO_CHANGE, REGRESSION, IMPROVEMENT))
    cells.loc[time_verdicts, "verdict"] = REFERENCE
    absolute = (cells["metric"] == CPU_TIME) & (cells["unit"] == "s") & ~own & (cells["reason"] == "")
    cells.loc[absolute, "reason"] = f"no {reference} cell for this case: absolute CPU time"
    # Where both runs counted instructions, they are the verdict: CPU time stays for reading.
    counted_cells = cells[(cells["metric"] == INSTRUCTIONS) & (cells["status_a"] == STATUS_OK)
                          & (cells["status_b"] == STATUS_OK)]
    with_counts = {tuple(c[k] for k in _CELL) for c in counted_cells.to_dict("records")}
    has_counts = pd.Series([tuple(c[k] for k in _CELL) in with_counts for c in cells.to_dict("records")],
                           index=cells.index, dtype=bool)
    judged_verdicts = (NO_CHANGE, REGRESSION, IMPROVEMENT, REFERENCE)
    superseded = (cells["metric"] == CPU_TIME) & cells["verdict"].isin(judged_verdicts) & has_counts
    cells.loc[superseded, "verdict"] = NOT_JUDGED
    cells.loc[superseded, "reason"] = "judged on its instruction count"
    return cells


_CELL = ["host", "emulated", "runtime", "mode", "suite", "case", "size"]  # a cell across its metrics
