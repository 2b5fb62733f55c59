"""The plain-text summary table of `wasmlab summary` and of a finished `wasmlab run`."""

from __future__ import annotations

from lab.analysis.summary import format_table
from lab.analysis.summary_pivot import filter_summary, format_pivot


def test_a_conformance_only_run_prints_no_empty_metrics_table():
    counts = {"host": "local", "runtime": "interp", "suite": "spec-2.0", "group": "simd", "passed": 3,
              "failed": 0, "skipped": 0, "xfail": 0, "xpass": 0, "errors": 0, "total": 3}
    lines = format_table({"metrics": [], "conformance": [counts]}).splitlines()
    assert lines[0].split()[:4] == ["host", "runtime", "suite", "group"]
    assert lines[1].split()[:4] == ["local", "interp", "spec-2.0", "simd"] and len(lines) == 2


def _cell(runtime: str, case: str, metric: str = "wall_time", median: float | None = 0.0123, status: str = "ok",
          host: str = "local", phase: str = "process") -> dict:
    unit = "bytes" if metric == "peak_rss" else "s"
    return {"host": host, "runtime": runtime, "mode": "", "suite": "workloads", "case": case, "size": "small",
            "phase": phase, "metric": metric, "unit": unit, "n": 5, "median": median, "ci_low": median,
            "ci_high": median, "status": status, "reason": "timed out after 2 s" if status != "ok" else ""}


def _counts(runtime: str, suite: str, group: str, **tally: int) -> dict:
    base = {"passed": 0, "failed": 0, "skipped": 0, "xfail": 0, "xpass": 0, "errors": 0}
    base.update(tally)
    return {"host": "local", "runtime": runtime, "suite": suite, "group": group, **base, "total": sum(base.values())}


SUMMARY = {"metrics": [_cell("native", "fib", median=0.0034), _cell("interp", "fib", median=1.25),
                       _cell("native", "sieve", median=0.0017), _cell("interp", "sieve", median=None, status="timeout"),
                       _cell("interp", "fib", "peak_rss", median=30 * 2**20),
                       _cell("interp", "fib", "time", phase="compile", median=0.2)],
           "conformance": [_counts("interp", "spec-2.0", "wasm-1.0", passed=10, failed=1),
                           _counts("interp", "spec-2.0", "simd", passed=5, xfail=2, skipped=3),
                           _counts("native", "spec-2.0", "wasm-1.0", skipped=4)]}


def test_the_pivot_is_cases_by_runtimes_with_statuses_and_conformance_totals():
    lines = format_pivot(SUMMARY).splitlines()
    assert lines[0].split() == ["wall_time", "(median)", "native", "interp"]
    assert lines[1].split() == ["workloads", "fib", "small", "3.4", "ms", "1.25", "s"]
    assert lines[2].split() == ["workloads", "sieve", "small", "1.7", "ms", "timeout"]
    assert lines[4] == "conformance: passed / counted (all but skipped)"
    assert lines[5].split() == ["interp", "spec-2.0", "local", "15", "/", "18", "3", "failed"]
    assert lines[6].split() == ["native", "spec-2.0", "local", "all", "skipped"]
    assert format_pivot(SUMMARY, "compile_time").splitlines()[1].split()[-2:] == ["200", "ms"]


def test_filters_narrow_cells_and_counts():
    only = filter_summary(SUMMARY, runtimes=("interp",), metrics=("wall_time",))
    assert {(c["runtime"], c["metric"]) for c in only["metrics"]} == {("interp", "wall_time")}
    assert only["conformance"] == []  # a metric filter asks for measured cells
    assert {c["runtime"] for c in filter_summary(SUMMARY, runtimes=("native",))["conformance"]} == {"native"}
    assert filter_summary(SUMMARY, suites=("startup",))["metrics"] == []
    assert [c["phase"] for c in filter_summary(SUMMARY, metrics=("compile_time",))["metrics"]] == ["compile"]
