"""How the lab prints numbers, the same in the terminal and in the report. A ratio is runtime /
reference, so above 1 reads "that many times slower" (or bigger); large values keep their digits
(`2,010x`, not `2.01e+03x`)."""

from __future__ import annotations

import math


def format_number(value: float) -> str:
    """Three significant digits, never in e-notation: 2010.4 -> '2,010', 35.43 -> '35.4'."""
    if value is None or not math.isfinite(value):
        return "-"
    return f"{value:,.0f}" if abs(value) >= 100 else f"{value:.3g}"


def format_ratio(value: float, suffix: str = "x") -> str:
    """354 -> '354x', 2010.4 -> '2,010x', 35.43 -> '35.4x', 1.234 -> '1.23x', 0.00282 -> '0.00282x'."""
    text = format_number(value)
    return text if text == "-" else text + suffix


def format_seconds(seconds: float) -> str:
    """A duration in the unit that keeps it short: '3.4 ms', '1.25 s', '1,250 s'."""
    if seconds is None or not math.isfinite(seconds):
        return "-"
    return f"{format_number(seconds * 1e3)} ms" if abs(seconds) < 1 else f"{format_number(seconds)} s"
