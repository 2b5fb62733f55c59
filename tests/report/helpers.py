"""Helpers of the report tests: the real command line, and copies of a run with changes injected
into their Parquet files (a slowed-down cell, failing conformance commands)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd

# Enough samples for a 99% median interval and a rank test whose p can go far below alpha.
REPEAT = 20


def wasmlab(*args: str, check: bool = True) -> subprocess.CompletedProcess:
    """The real command line, as a user runs it."""
    return subprocess.run([sys.executable, "-m", "lab.cli", *map(str, args)], capture_output=True, text=True,
                          check=check, timeout=600)


def copy_run(run: Path, parent: Path, name: str, started: str | None = None) -> Path:
    """A copy of a run under a new id (and start time, for history order)."""
    target = parent / name
    shutil.copytree(run, target, ignore=shutil.ignore_patterns(".lock"))
    manifest = json.loads((target / "manifest.json").read_text())
    manifest["run_id"] = name
    if started:
        manifest["started"] = started
    (target / "manifest.json").write_text(json.dumps(manifest))
    return target


def scale_cell(run: Path, runtime: str, suite: str, case: str, factor: float, metric: str = "wall_time") -> int:
    """Multiply one cell's values in the run's Parquet files; returns how many rows changed."""
    changed = 0
    for path in (run / "measurements").glob("*.parquet"):
        frame = pd.read_parquet(path)
        mask = (frame["runtime"] == runtime) & (frame["suite"] == suite) & (frame["case"] == case) & \
            (frame["metric"] == metric) & (frame["phase"] == "process")
        if mask.any():
            frame.loc[mask, "value"] = frame.loc[mask, "value"] * factor
            frame.to_parquet(path, index=False)
            changed += int(mask.sum())
    return changed


def edit_conformance(run: Path, file: str, count: int, outcome: str, reason: str) -> list[int]:
    """Turn the first `count` passing commands of a spec file into `outcome`; returns their lines."""
    lines: list[int] = []
    for path in (run / "conformance").glob("*.parquet"):
        frame = pd.read_parquet(path)
        targets = frame.index[(frame["file"] == file) & (frame["outcome"] == "pass")][:count - len(lines)]
        if len(targets):
            frame.loc[targets, "outcome"] = outcome
            frame.loc[targets, "reason"] = reason
            frame.to_parquet(path, index=False)
            lines += frame.loc[targets, "line"].tolist()
    return lines


def note_metric(run: Path, runtime: str, metric: str, note: str) -> int:
    """Give every ok row of one runtime's metric a measurement note (as a runner such as docker
    writes for its cgroup peak); returns how many rows changed."""
    changed = 0
    for path in (run / "measurements").glob("*.parquet"):
        frame = pd.read_parquet(path)
        mask = (frame["runtime"] == runtime) & (frame["metric"] == metric) & (frame["status"] == "ok")
        if mask.any():
            frame.loc[mask, "reason"] = note
            frame.to_parquet(path, index=False)
            changed += int(mask.sum())
    return changed


def separating_factor(run: Path, cell: dict, metric: str = "wall_time", smallest: float = 1.2) -> float:
    """How much to slow a cell down so the change is certain to be seen: `smallest` (20%), or more
    when the cell's own samples spread wider than that. A 20% step on samples that a loaded
    machine spread over 2x is not significant, and should not be: the tests check that the
    statistics catch a change the samples can show, so the slowed copy must not overlap the
    original (then the rank test's p is its minimum and the interval excludes 1, deterministically)."""
    from lab.analysis.stats import cell_samples
    from lab.store import load

    key = tuple(cell[k] for k in ("host", "emulated", "runtime", "mode", "suite", "case", "size", "phase"))
    values = next(v for k, v in cell_samples(load(run)).items() if k[:8] == key and k[8] == metric)
    return max(smallest, 1.05 * float(values.max() / values.min()))


def steadiest_cell(run: Path) -> dict:
    """The non-native wall-time cell least disturbed by other processes on this machine (lowest
    robust CV): the one where an injected change is a fair test of the statistics."""
    from lab.analysis.stats import cell_table
    from lab.store import load

    cells = cell_table(load(run))
    cells = cells[(cells["runtime"] != "native") & (cells["metric"] == "wall_time") & (cells["phase"] == "process")
                  & (cells["status"] == "ok")]
    return cells.sort_values("cv").iloc[0].to_dict()
