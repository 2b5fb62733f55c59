"""Store a pytest-benchmark JSON file (the engine's micro-benchmarks, benchmarks/engine/) as a
wasmlab run, so reports and `wasmlab compare` show the engine's own history.

One row per data point: runtime "interp", suite "engine-bench", case = the benchmark's name,
metric "time" in seconds. pytest-benchmark keeps every timing only with
`--benchmark-save-data`; without it the file has statistics only, and the run gets the
benchmark's min and median as two values, each row saying so in `reason`. More than MAX_POINTS
data points are thinned to evenly spaced order statistics (also said in `reason`).
"""

from __future__ import annotations

import json
from pathlib import Path

from lab.store import Run, StoreError, create_run

SUITE = "engine-bench"
MAX_POINTS = 500   # per benchmark; call-overhead benchmarks record tens of thousands
RUNTIME = "interp"


def benchmark_rows(report: dict, run_id: str, host: dict) -> list[dict]:
    """Measurement rows for every benchmark in a pytest-benchmark report."""
    version = report.get("commit_info", {}).get("id", "") or ""
    rows = []
    for bench in report.get("benchmarks", []):
        stats = bench.get("stats", {})
        data = stats.get("data")
        if data and len(data) > MAX_POINTS:
            # order statistics evenly spaced over the sorted data: the distribution's shape in
            # a size the statistics (intervals, tests) handle quickly
            ranked = sorted(data)
            step = (len(ranked) - 1) / (MAX_POINTS - 1)
            note = f"{MAX_POINTS} evenly spaced order statistics of {len(ranked)} data points"
            values = [(ranked[round(i * step)], note) for i in range(MAX_POINTS)]
        elif data:
            values = [(v, "") for v in data]
        else:
            values = [(stats[key], f"{key} of {stats.get('rounds', '?')} rounds "
                       f"(raw data not saved: use --benchmark-save-data)")
                      for key in ("min", "median") if key in stats]
        group = bench.get("group") or ""
        for i, (value, reason) in enumerate(values):
            rows.append({
                "run_id": run_id, "host": host["id"], "arch": host["arch"], "emulated": False,
                "runtime": RUNTIME, "version": version, "mode": group or "engine",
                "suite": SUITE, "case": bench["name"], "size": "", "phase": "benchmark",
                "metric": "time", "value": float(value), "unit": "s", "process": 0,
                "iteration": i, "warmup": False, "status": "ok", "reason": reason,
            })
    return rows


def import_benchmark(path: str | Path, results_dir: Path) -> Run:
    """Create a run from the pytest-benchmark JSON at `path`; StoreError if it is unusable."""
    try:
        report = json.loads(Path(path).read_text())
    except (OSError, ValueError) as error:
        raise StoreError(f"{path}: not a readable pytest-benchmark JSON file ({error})") from None
    if not isinstance(report, dict) or not report.get("benchmarks"):
        raise StoreError(f"{path}: no benchmarks in this file (is it pytest-benchmark JSON?)")
    from lab.hosts import LOCAL, fingerprint
    from lab.run.orchestrate import git_commit
    host = {"id": LOCAL.id, "arch": LOCAL.arch}
    run = create_run(results_dir, {
        "config": {"suites": [SUITE], "runtimes": [RUNTIME], "source": str(path)},
        "hosts": {LOCAL.id: fingerprint(LOCAL)},
        "runtimes": {RUNTIME: {"version": report.get("machine_info", {}).get("python_version", "")}},
        "git_commit": report.get("commit_info", {}).get("id") or git_commit(),
        "started": report.get("datetime"), "finished": report.get("datetime"),
        "status": "complete", "imported_from": "pytest-benchmark",
    })
    rows = benchmark_rows(report, run.run_id, host)
    run.finish_job("engine-bench", rows)
    return run
