"""The plain-text summary table of `wasmlab summary` and of a finished `wasmlab run`."""

from __future__ import annotations

from lab.summary import format_table


def test_a_conformance_only_run_prints_no_empty_metrics_table():
    counts = {"host": "local", "runtime": "interp", "suite": "spec-2.0", "group": "simd", "passed": 3,
              "failed": 0, "skipped": 0, "xfail": 0, "xpass": 0, "errors": 0, "total": 3}
    lines = format_table({"metrics": [], "conformance": [counts]}).splitlines()
    assert lines[0].split()[:4] == ["host", "runtime", "suite", "group"]
    assert lines[1].split()[:4] == ["local", "interp", "spec-2.0", "simd"] and len(lines) == 2
