"""Ratios print the same everywhere: runtime / reference, digits kept for large values."""

from __future__ import annotations

import math

import pytest

from lab.analysis.numbers import format_ratio, format_seconds


@pytest.mark.parametrize("value, text", [
    (2010.4, "2,010x"), (354.2, "354x"), (100.0, "100x"), (35.43, "35.4x"), (1.234, "1.23x"),
    (0.00282, "0.00282x"), (12345678.0, "12,345,678x"), (math.nan, "-"), (math.inf, "-"),
])
def test_format_ratio(value, text):
    assert format_ratio(value) == text
    assert "e+" not in format_ratio(value)


@pytest.mark.parametrize("seconds, text", [(0.0034, "3.4 ms"), (0.9994, "999 ms"), (1.25, "1.25 s"),
                                           (1250.0, "1,250 s"), (math.nan, "-")])
def test_format_seconds(seconds, text):
    assert format_seconds(seconds) == text
