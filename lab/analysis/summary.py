"""`wasmlab summary`: every cell of a run with n, median, 99% interval and status, plus
conformance counts. The JSON shape is a stable interface (CI and reports read it)."""

from __future__ import annotations

import math

import pandas as pd

from lab.analysis.stats import median_ci
from lab.model import STATUS_OK
from lab.store import Run, load, load_conformance

# mode is part of a cell: one run may hold a runtime in several modes (cranelift and pulley).
CELL_KEYS = ["host", "runtime", "mode", "suite", "case", "size", "phase", "metric", "unit"]
OUTCOMES = ["pass", "fail", "skip", "xfail", "xpass", "error"]


def summarize(run: Run) -> dict:
    manifest = run.manifest()
    measurements = load(run)
    conformance = load_conformance(run)
    return {
        "run": run.run_id,
        "hosts": list(manifest.get("hosts", {}).values()),
        "runtimes": runtime_rows(measurements, conformance, manifest),
        "metrics": metric_cells(measurements),
        "conformance": conformance_counts(conformance),
    }


def runtime_rows(measurements: pd.DataFrame, conformance: pd.DataFrame, manifest: dict) -> list[dict]:
    seen = pd.concat([measurements[["runtime", "version", "mode"]], conformance[["runtime", "version", "mode"]]])
    rows = seen.drop_duplicates().sort_values(["runtime", "mode"]).to_dict("records")
    return [{"name": r["runtime"], "version": r["version"], "mode": r["mode"]} for r in rows]


def metric_cells(frame: pd.DataFrame) -> list[dict]:
    """One entry per cell: statistics over the counted (non-warm-up, ok) samples only."""
    cells = []
    counted = frame[~frame["warmup"].astype(bool)]
    for key, group in counted.groupby(CELL_KEYS, sort=True, dropna=False):
        statuses = group["status"].unique().tolist()
        status = _cell_status(statuses)
        reasons = [r for r in group.loc[group["status"] != STATUS_OK, "reason"].unique() if r]
        ci = median_ci(group.loc[group["status"] == STATUS_OK, "value"].tolist()) if status == STATUS_OK else None
        cells.append({
            **dict(zip(CELL_KEYS, key, strict=True)),
            "n": ci.n if ci else 0,
            "median": _num(ci.median) if ci else None,
            "ci_low": _num(ci.low) if ci else None,
            "ci_high": _num(ci.high) if ci else None,
            "status": status,
            "reason": "; ".join(reasons[:3]),
        })
    return cells


def _cell_status(statuses: list[str]) -> str:
    from lab.run.execute import worst_status
    return worst_status(statuses)


def conformance_counts(frame: pd.DataFrame) -> list[dict]:
    counts = []
    for (host, runtime, suite, group), part in frame.groupby(["host", "runtime", "suite", "group"], sort=True):
        tally = part["outcome"].value_counts()
        entry = {"host": host, "runtime": runtime, "suite": suite, "group": group}
        for outcome, label in zip(OUTCOMES, ["passed", "failed", "skipped", "xfail", "xpass", "errors"], strict=True):
            entry[label] = int(tally.get(outcome, 0))
        entry["total"] = int(len(part))
        counts.append(entry)
    return counts


def _num(value: float) -> float | None:
    return None if value is None or (isinstance(value, float) and math.isnan(value)) else float(value)


def format_table(summary: dict) -> str:
    """A plain-text table for terminals: times in ms, memory in MiB."""
    lines = []
    header = (f"{'host':<15} {'runtime':<14} {'mode':<16} {'suite':<10} {'case':<16} {'size':<7} {'metric':<22} "
              f"{'n':>3} {'median':>10} {'99% CI':>21}  status")
    if summary["metrics"]:  # a conformance-only run has no measured cells: no empty table
        lines.append(header)
        lines.append("-" * len(header))
    for cell in summary["metrics"]:
        metric = cell["metric"] if cell["phase"] == "process" else f"{cell['phase']}_time"
        scale, unit = _display_unit(cell)
        if cell["median"] is None:
            median, interval = "-", ""
        else:
            median = f"{cell['median'] * scale:.2f}"
            interval = f"[{cell['ci_low'] * scale:.2f}, {cell['ci_high'] * scale:.2f}] {unit}"
        status = cell["status"] + (f" ({cell['reason'][:60]})" if cell["reason"] else "")
        lines.append(f"{cell['host']:<15} {cell['runtime']:<14} {cell['mode']:<16} {cell['suite']:<10} "
                     f"{cell['case']:<16} {cell['size']:<7} "
                     f"{metric:<22} {cell['n']:>3} {median:>10} {interval:>21}  {status}")
    if summary["conformance"]:
        if lines:
            lines.append("")
        lines.append(f"{'host':<15} {'runtime':<14} {'suite':<10} {'group':<22} {'passed':>7} {'failed':>7} "
                     f"{'skipped':>8} {'xfail':>6} {'xpass':>6} {'errors':>7} {'total':>7}")
        for c in summary["conformance"]:
            lines.append(f"{c['host']:<15} {c['runtime']:<14} {c['suite']:<10} {c['group']:<22} "
                         f"{c['passed']:>7} {c['failed']:>7} "
                         f"{c['skipped']:>8} {c['xfail']:>6} {c['xpass']:>6} {c['errors']:>7} {c['total']:>7}")
    return "\n".join(lines)


def _display_unit(cell: dict) -> tuple[float, str]:
    """Seconds as ms; bytes as MiB, or KiB for small processes (a static binary uses ~100 KiB)."""
    if cell["unit"] == "s":
        return 1e3, "ms"
    if cell["unit"] == "bytes":
        return (1 / 2**20, "MiB") if (cell["median"] or 0) >= 2**20 else (1 / 2**10, "KiB")
    return 1, cell["unit"]
