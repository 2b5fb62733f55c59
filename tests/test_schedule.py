"""The order jobs run in: alone in plan order, then side by side for runtimes named in --parallel."""

from __future__ import annotations

from lab.model import Job
from lab.run.plan import PlannedCell
from lab.run.schedule import batches


def _cells(runtimes: list[str], cases: list[str]) -> list[PlannedCell]:
    return [PlannedCell(Job("local", runtime, "", "workloads", case, "medium"))
            for case in cases for runtime in runtimes]


def _names(batch) -> list[str]:
    return [f"{cell.job.runtime}/{cell.job.case}" for cell in batch.cells]


def test_without_parallel_every_job_runs_alone_in_plan_order():
    cells = _cells(["interp", "pywasm"], ["fib", "sort"])
    (only,) = batches(cells, {})
    assert only.width == 1 and only.cells == cells


def test_parallel_runtimes_run_after_the_rest_one_batch_each():
    cells = _cells(["interp", "pywasm", "wasm3", "wasmer"], ["fib", "sort"])
    alone, pywasm, wasmer = batches(cells, {"pywasm": 2, "wasmer": 3})
    assert alone.width == 1 and _names(alone) == ["interp/fib", "wasm3/fib", "interp/sort", "wasm3/sort"]
    assert pywasm.width == 2 and _names(pywasm) == ["pywasm/fib", "pywasm/sort"]
    assert wasmer.width == 3 and _names(wasmer) == ["wasmer/fib", "wasmer/sort"]


def test_a_width_of_one_or_an_absent_runtime_changes_nothing():
    cells = _cells(["interp", "pywasm"], ["fib"])
    (only,) = batches(cells, {"pywasm": 1, "node": 4})
    assert only.width == 1 and only.cells == cells
    (side_by_side,) = batches(_cells(["pywasm"], ["fib", "sort"]), {"pywasm": 2})
    assert side_by_side.width == 2  # no empty batch of lone jobs first
