"""`wasmlab import-benchmark`: pytest-benchmark JSON becomes a run of the engine-bench suite."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from lab.cli import main
from lab.import_benchmark import SUITE
from lab.store import StoreError, load


def _report(with_data: bool) -> dict:
    stats = {"min": 0.001, "median": 0.002, "mean": 0.0021, "rounds": 3}
    if with_data:
        stats["data"] = [0.001, 0.002, 0.003]
    return {"datetime": "2026-11-25T00:00:00", "commit_info": {"id": "abc"},
            "machine_info": {"python_version": "3.11.7"},
            "benchmarks": [{"name": "test_hot_loop[fib-translate]", "group": None,
                            "stats": stats}]}


@pytest.mark.parametrize("with_data, values", [(True, [0.001, 0.002, 0.003]),
                                               (False, [0.001, 0.002])])
def test_import_benchmark_makes_a_run(tmp_path: Path, capsys, with_data, values) -> None:
    source = tmp_path / "bench.json"
    source.write_text(json.dumps(_report(with_data)))
    assert main(["import-benchmark", str(source), "--out", str(tmp_path / "results")]) == 0
    run_path = capsys.readouterr().out.strip().splitlines()[-1]
    frame = load(run_path)
    assert set(frame["suite"]) == {SUITE} and set(frame["runtime"]) == {"interp"}
    assert list(frame["case"].unique()) == ["test_hot_loop[fib-translate]"]
    assert sorted(frame["value"]) == values
    assert all(frame["reason"] == "") == with_data   # summary-only values say so


def test_import_benchmark_rejects_other_json(tmp_path: Path) -> None:
    from lab.import_benchmark import import_benchmark
    source = tmp_path / "x.json"
    source.write_text("{}")
    with pytest.raises(StoreError):
        import_benchmark(source, tmp_path)


def test_long_raw_data_is_thinned_to_order_statistics() -> None:
    from lab.import_benchmark import MAX_POINTS, benchmark_rows
    report = _report(True)
    report["benchmarks"][0]["stats"]["data"] = [i / 1e6 for i in range(5 * MAX_POINTS)]
    rows = benchmark_rows(report, "r", {"id": "local", "arch": "x86_64"})
    values = [r["value"] for r in rows]
    assert len(values) == MAX_POINTS and values[0] == 0 and values[-1] == (5 * MAX_POINTS - 1) / 1e6
    assert "order statistics" in rows[0]["reason"]
