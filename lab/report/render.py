"""The jinja2 environment of the report: templates from reports/templates, autoescape on for every
page (runtime output and reasons end up in the HTML), and number formatting filters."""

from __future__ import annotations

import math
from pathlib import Path

import jinja2

from lab.analysis import numbers
from lab.analysis.stats import AnalysisError

REPORTS_DIR = Path(__file__).resolve().parents[2] / "reports"
TEMPLATES_DIR = REPORTS_DIR / "templates"
STYLESHEET = REPORTS_DIR / "style.css"


def environment() -> jinja2.Environment:
    if not TEMPLATES_DIR.is_dir():
        raise AnalysisError(f"report templates not found in {TEMPLATES_DIR} (run from a wasmlab checkout)")
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(TEMPLATES_DIR)),
                             autoescape=True, undefined=jinja2.StrictUndefined,
                             trim_blocks=True, lstrip_blocks=True)
    env.filters.update(duration=format_duration, size=format_bytes, ratio=format_ratio, percent=format_percent,
                       pvalue=format_pvalue, measure=format_measure)
    return env


def _missing(value) -> bool:
    return value is None or (isinstance(value, float) and not math.isfinite(value))


def format_duration(seconds: float) -> str:
    if _missing(seconds):
        return "–"
    if seconds < 1e-3:
        return f"{seconds * 1e6:.0f} µs"
    if seconds < 1:
        return f"{seconds * 1e3:.2f} ms"
    return f"{seconds:.3f} s"


def format_bytes(value: float) -> str:
    if _missing(value):
        return "–"
    for unit, scale in (("GiB", 2**30), ("MiB", 2**20), ("KiB", 2**10)):
        if value >= scale:
            return f"{value / scale:.1f} {unit}"
    return f"{value:.0f} B"


def format_measure(value: float, unit: str) -> str:
    """A value in its unit's natural display (seconds or bytes)."""
    if unit == "s":
        return format_duration(value)
    if unit == "bytes":
        return format_bytes(value)
    return "–" if _missing(value) else f"{value:g} {unit}"


def format_ratio(value: float) -> str:
    return "–" if _missing(value) else numbers.format_ratio(value, "×")


def format_percent(value: float) -> str:
    return "–" if _missing(value) else f"{value * 100:.1f}%"


def format_pvalue(value: float) -> str:
    return "–" if _missing(value) else f"{value:.3g}"
