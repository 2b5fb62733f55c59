"""How the lab prints a ratio, the same in the terminal and in the report: runtime / reference,
so above 1 reads "that many times slower" (or bigger), and large values keep their digits
(`2,010x`, not `2.01e+03x`)."""

from __future__ import annotations

import math


def format_ratio(value: float, suffix: str = "x") -> str:
    """354 -> '354x', 2010.4 -> '2,010x', 35.43 -> '35.4x', 1.234 -> '1.23x', 0.00282 -> '0.00282x'."""
    if value is None or not math.isfinite(value):
        return "-"
    if abs(value) >= 100:
        return f"{value:,.0f}{suffix}"
    return f"{value:.3g}{suffix}"
