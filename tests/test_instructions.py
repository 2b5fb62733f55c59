"""`wasmlab run --instructions`: one more sample per cell counted under valgrind, a time metric
the machine's load cannot move; compare judges it on the ratio and threshold alone."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from lab.analysis.compare import NO_CHANGE, REGRESSION, compare_runs
from lab.analysis.verdicts import NOT_JUDGED
from lab.instructions import INSTRUCTIONS, can_count
from lab.runners.docker.runner import DockerRunner
from lab.runners.native import NativeRunner
from lab.store import load
from tests.report.helpers import copy_run, scale_cell, wasmlab

pytestmark = pytest.mark.skipif(shutil.which("valgrind") is None, reason="valgrind not installed")


def _counted_run(out: Path) -> Path:
    done = wasmlab("run", "--suite", "workloads", "--workload", "fib", "--runtime", "native", "wasmtime-cli",
                   "--repeat", "2", "--warmup", "1", "--instructions", "--out", out, "--quiet")
    return Path(done.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def counted(tmp_path_factory) -> tuple[Path, Path]:
    out = tmp_path_factory.mktemp("counted")
    return _counted_run(out), _counted_run(out)


def _counts(run: Path) -> dict[str, float]:
    frame = load(run)
    rows = frame[frame["metric"] == INSTRUCTIONS]
    assert set(rows["status"]) == {"ok"} and set(rows["unit"]) == {"count"} and not rows["warmup"].any()
    assert set(rows["process"]) == {3}  # after the warm-up and the two timed samples
    return dict(zip(rows["runtime"], rows["value"], strict=True))


def test_every_cell_gets_a_count_that_repeats(counted):
    first, second = (_counts(run) for run in counted)
    assert set(first) == {"native", "wasmtime-cli"}
    # a JIT's start-up is hundreds of millions of instructions; the native fib far fewer
    assert first["wasmtime-cli"] > 50e6 > first["native"] > 1e4
    for runtime, count in first.items():
        assert second[runtime] == pytest.approx(count, rel=0.01), runtime


def test_counts_are_judged_without_a_test_and_replace_cpu_time(counted, tmp_path):
    run = counted[0]
    for factor, verdict in ((1.06, REGRESSION), (1.03, NO_CHANGE)):
        changed = copy_run(run, tmp_path, f"x{factor}")
        assert scale_cell(changed, "wasmtime-cli", "workloads", "fib", factor, INSTRUCTIONS) == 1
        for mode in ("relative", "absolute"):
            cells = compare_runs(run, changed, verdicts=mode).cells.set_index(["runtime", "metric"])
            assert cells.loc[("wasmtime-cli", INSTRUCTIONS), "verdict"] == verdict, (factor, mode)
    cells = compare_runs(run, counted[1], verdicts="relative").cells.set_index(["runtime", "metric"])
    assert cells.loc[("wasmtime-cli", "cpu_time"), "verdict"] == NOT_JUDGED
    assert cells.loc[("wasmtime-cli", INSTRUCTIONS), "verdict"] == NO_CHANGE  # two real runs: ~0.1% apart


def test_programs_started_outside_the_process_are_not_counted():
    assert "outside the measured process" in can_count(DockerRunner())
    assert can_count(NativeRunner()) == ""


def test_history_finds_a_step_in_instruction_counts(counted, tmp_path):
    from lab.analysis.history import build_history

    run, again = counted
    newer = copy_run(run, tmp_path, "newer", "2099-01-01T00:00:00+00:00")
    scale_cell(newer, "wasmtime-cli", "workloads", "fib", 1.1, INSTRUCTIONS)
    changes = build_history([run, again, newer]).changes
    steps = changes[changes["metric"] == INSTRUCTIONS]
    assert [(c["runtime"], c["run_id"], c["direction"]) for c in steps.to_dict("records")] == \
        [("wasmtime-cli", "newer", "slower")]


def test_instructions_size_counts_only_the_cells_of_that_size(tmp_path):
    done = wasmlab("run", "--suite", "startup", "workloads", "--workload", "fib", "--size", "small", "medium",
                   "--runtime", "native", "--repeat", "1", "--warmup", "0", "--instructions-size", "small",
                   "--out", tmp_path, "--quiet")
    frame = load(Path(done.stdout.strip().splitlines()[-1]))
    counted = frame[frame["metric"] == INSTRUCTIONS]
    assert sorted(zip(counted["suite"], counted["size"], strict=True)) == [("startup", "-"), ("workloads", "small")]
    assert set(frame[frame["metric"] == "wall_time"]["size"]) == {"-", "small", "medium"}
