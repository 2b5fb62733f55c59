"""Charts as SVG files beside the pages (matplotlib, no pyplot state, no network fonts).

Every chart shows medians with their 99% intervals as whiskers. Times span several orders of
magnitude between native code and a JavaScript engine's start-up, so axes go logarithmic when
the values differ by more than LOG_SCALE_SPAN.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Sequence

import matplotlib

matplotlib.use("Agg")
from matplotlib import rcParams  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.ticker import FuncFormatter, NullFormatter  # noqa: E402

rcParams["svg.hashsalt"] = "wasmlab"  # stable element ids: the same data renders the same file
rcParams["svg.fonttype"] = "none"  # text stays text (smaller, searchable, no embedded glyphs)
LOG_SCALE_SPAN = 20.0
COLORS = {"regression": "#c0392b", "improvement": "#1e8449", "no change": "#7f8c8d", "broken": "#c0392b"}
DEFAULT_COLOR = "#2e86c1"
PLAIN = FuncFormatter(lambda value, _: f"{value:g}")


def _save(figure: Figure, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, format="svg", metadata={"Date": None})
    return path


def _finite(values: Sequence[float]) -> list[float]:
    return [v for v in values if v is not None and math.isfinite(v) and v > 0]


def interval_bars(path: Path, labels: Sequence[str], medians: Sequence[float], lows: Sequence[float],
                  highs: Sequence[float], xlabel: str, title: str, reference: float | None = None,
                  colors: Sequence[str] | None = None) -> Path:
    """interval_figure() saved as an SVG file."""
    return _save(interval_figure(labels, medians, lows, highs, xlabel, title, reference, colors), path)


def interval_figure(labels: Sequence[str], medians: Sequence[float], lows: Sequence[float],
                    highs: Sequence[float], xlabel: str, title: str, reference: float | None = None,
                    colors: Sequence[str] | None = None) -> Figure:
    """Horizontal bars (one per label) with interval whiskers; with a reference line (e.g. 1.0 for
    ratios) points instead of bars. Labels without a number still get a row, so a missing runtime
    is visible."""
    height = 0.9 + 0.38 * max(len(labels), 1)
    figure = Figure(figsize=(6.4, height), layout="constrained")
    axes = figure.add_subplot()
    positions = list(range(len(labels)))
    drawn = [(p, m, lo, hi) for p, m, lo, hi in zip(positions, medians, lows, highs, strict=True) if _finite([m])]
    for position, median, low, high in drawn:
        color = colors[position] if colors else DEFAULT_COLOR
        if reference is None:  # a ratio is a point against the reference line, not a length
            axes.barh(position, median, color=color, alpha=0.55, height=0.6)
        axes.errorbar(median, position, xerr=[[median - low], [high - median]], fmt="o", color=color,
                      ecolor="#222", capsize=3, markersize=3 if reference is None else 5, linewidth=1)
    for position, median in zip(positions, medians, strict=True):
        if not _finite([median]):
            axes.text(0.01, position, "no data", transform=axes.get_yaxis_transform(), va="center",
                      fontsize=8, color="#888")
    values = _finite([v for _, m, lo, hi in drawn for v in (m, lo, hi)] + ([reference] if reference else []))
    if values and max(values) / min(values) > LOG_SCALE_SPAN:
        axes.set_xscale("log")
        axes.xaxis.set_major_formatter(PLAIN)
        axes.xaxis.set_minor_formatter(NullFormatter())
    if reference is not None:
        axes.axvline(reference, color="#555", linestyle="--", linewidth=0.8)
    axes.set_yticks(positions, labels)
    axes.set_ylim(len(labels) - 0.5, -0.5)  # first label on top
    axes.set_xlabel(xlabel)
    axes.set_title(title, fontsize=10)
    axes.grid(axis="x", alpha=0.3)
    return figure


def series_chart(path: Path, series: dict[str, list[tuple[int, float, float, float]]], run_labels: Sequence[str],
                 ylabel: str, title: str, changes: Sequence[tuple[int, str]] = ()) -> Path:
    """Lines over runs (x = run order), one per label, with interval whiskers; vertical marks at
    change points (run order, label)."""
    figure = Figure(figsize=(6.4, 3.4), layout="constrained")
    axes = figure.add_subplot()
    values = []
    for label, points in sorted(series.items()):
        points = [p for p in points if _finite([p[1]])]
        if not points:
            continue
        xs = [p[0] for p in points]
        medians = [p[1] for p in points]
        errors = [[p[1] - p[2] for p in points], [p[3] - p[1] for p in points]]
        axes.errorbar(xs, medians, yerr=errors, marker="o", markersize=3, capsize=2, linewidth=1, label=label)
        values += _finite([v for p in points for v in p[1:]])
    for order, label in changes:
        axes.axvline(order - 0.5, color="#c0392b", linestyle=":", linewidth=1)
        axes.text(order - 0.5, 1.0, f" {label}", transform=axes.get_xaxis_transform(), fontsize=7,
                  color="#c0392b", va="top")
    if values and max(values) / min(values) > LOG_SCALE_SPAN:
        axes.set_yscale("log")
        axes.yaxis.set_major_formatter(PLAIN)
        axes.yaxis.set_minor_formatter(NullFormatter())
    axes.set_xticks(range(len(run_labels)), run_labels, rotation=30, ha="right", fontsize=7)
    axes.set_ylabel(ylabel)
    axes.set_title(title, fontsize=10)
    axes.grid(alpha=0.3)
    if series:
        axes.legend(fontsize=7, loc="best")
    return _save(figure, path)
