"""A crashing, a hanging and a flooding guest, and a missing runtime, through the real `wasmlab run`:
each costs its own cells only, is recorded with a status and a reason (the signal, the timeout,
the output size), and the well-behaved cells of the same run finish."""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest

from lab.store import load, open_run
from tests.faults.crafted import leftover_temp_dirs, processes_running, run_wasmlab, write_manifest

TIMEOUT_S = 8


@pytest.fixture(scope="module")
def faulty_run(tmp_path_factory):
    root = tmp_path_factory.mktemp("faulty")
    manifest = write_manifest(root / "suite", ["crash", "hang", "flood", "ok"])
    # WasmEdge is switched off rather than looked for, so the test runs on a machine that has it.
    missing = "wasmedge"
    started = time.monotonic()
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("WASMLAB_DISABLE", missing)
        done = run_wasmlab(manifest, "run", "--suite", "workloads", "--runtime", "native", "interp", missing,
                           "--allow-unavailable", "--repeat", "1", "--warmup", "0", "--timeout", str(TIMEOUT_S),
                           "--out", str(root / "results"), tmpdir=root / "tmp")
    elapsed = time.monotonic() - started
    return done, root, missing, elapsed


def _cell(frame, runtime: str, case: str):
    rows = frame[(frame.runtime == runtime) & (frame.case == case) & (frame.metric == "wall_time")]
    assert len(rows) == 1, (runtime, case, rows)
    return rows.iloc[0]


def test_the_run_completes_and_prints_its_folder(faulty_run):
    done, root, _, _ = faulty_run
    assert done.returncode == 0, done.stderr[-2000:]
    run_path = Path(done.stdout.strip().splitlines()[-1])
    assert run_path.parent == root / "results"
    assert open_run(run_path).manifest()["status"] == "complete"
    assert "Traceback" not in done.stderr


def test_crashes_are_errors_with_the_signal_or_the_trap(faulty_run):
    frame = load(faulty_run[0].stdout.strip().splitlines()[-1])
    native = _cell(frame, "native", "crash")
    assert native.status == "error" and "SIGSEGV" in native.reason, native.reason
    interp = _cell(frame, "interp", "crash")
    assert interp.status == "error", interp.reason
    assert "exit code 134" in interp.reason and "unreachable" in interp.reason, interp.reason


def test_hanging_guests_time_out_and_their_process_groups_die(faulty_run):
    done, _, _, elapsed = faulty_run
    frame = load(done.stdout.strip().splitlines()[-1])
    for runtime in ("native", "interp"):
        cell = _cell(frame, runtime, "hang")
        assert cell.status == "timeout" and "timed out" in cell.reason, cell.reason
        assert TIMEOUT_S <= cell.value < TIMEOUT_S + 5
        # The killed sample keeps the CPU time its busy loop had used, not the launcher's ~0 s.
        cpu = frame[(frame.runtime == runtime) & (frame.case == "hang") & (frame.metric == "user_time")]
        assert cpu.iloc[0].value > TIMEOUT_S / 4, cpu.iloc[0].value
    assert elapsed < 10 * TIMEOUT_S
    # The hang builds are cached as hang-<hash>.bin / .wasm: nothing may still be running them.
    survivors = processes_running("/hang-")
    assert not survivors, survivors


def test_a_flood_of_output_is_capped_counted_and_judged(faulty_run):
    frame = load(faulty_run[0].stdout.strip().splitlines()[-1])
    for runtime in ("native", "interp"):
        cell = _cell(frame, runtime, "flood")
        assert cell.status == "wrong-output", (runtime, cell.status, cell.reason)
        assert f"{5 * 1024 * 1024} bytes" in cell.reason  # every byte counted, though only 1 MiB kept


def test_well_behaved_cells_of_the_same_run_finish(faulty_run):
    frame = load(faulty_run[0].stdout.strip().splitlines()[-1])
    for runtime in ("native", "interp"):
        cell = _cell(frame, runtime, "ok")
        assert cell.status == "ok" and cell.value > 0


def test_a_missing_runtime_costs_its_cells_only(faulty_run):
    done, _, missing, _ = faulty_run
    frame = load(done.stdout.strip().splitlines()[-1])
    rows = frame[frame.runtime == missing]
    assert set(rows.case) == {"crash", "hang", "flood", "ok"}
    assert set(rows.status) == {"unavailable"} and all(missing in r for r in rows.reason)


def test_a_guest_that_does_not_build_costs_its_cells_only(tmp_path):
    manifest = write_manifest(tmp_path / "suite", ["broken", "ok"])
    # The default --warmup 1: a build error is found in the warm-up, and must still fail the cell.
    done = run_wasmlab(manifest, "run", "--suite", "workloads", "--runtime", "native", "--repeat", "1",
                       "--out", str(tmp_path / "results"))
    assert done.returncode == 0, done.stderr
    run_path = done.stdout.strip().splitlines()[-1]
    frame = load(run_path)
    assert _cell(frame[~frame.warmup], "native", "ok").status == "ok"
    broken = _cell(frame, "native", "broken")
    assert broken.status == "error" and not broken.warmup and broken.reason.endswith("(in the warm-up)")
    assert open_run(run_path).manifest()["job_statuses"] == {"ok": 1, "error": 1}
    # the run's closing table: one line per case, one column per runtime, then where the rest is
    assert re.search(r"^workloads broken small +error$", done.stderr, re.M), done.stderr[-1500:]
    assert f"every cell, with intervals and reasons: wasmlab summary {run_path}" in done.stderr


def test_a_warmup_that_times_out_fails_the_cell_and_keeps_its_bound(tmp_path):
    from lab.analysis.versus import versus

    # About 0.2 s natively, minutes on our pure-Python engine: interp's warm-up hits its own limit
    # (--timeout-for), while native keeps the run's.
    manifest = write_manifest(tmp_path / "suite", ["slow"], args={"slow": ["100000000"]})
    done = run_wasmlab(manifest, "run", "--suite", "workloads", "--runtime", "native", "interp",
                       "--repeat", "3", "--warmup", "1", "--timeout-for", "interp=2",
                       "--out", str(tmp_path / "results"), "--quiet", tmpdir=tmp_path / "tmp")
    assert done.returncode == 0, done.stderr
    run = open_run(done.stdout.strip().splitlines()[-1])
    frame = load(run)
    native = frame[(frame.runtime == "native") & (frame.metric == "wall_time") & ~frame.warmup]
    assert list(native.status) == ["ok"] * 3
    interp = _cell(frame, "interp", "slow")  # one sample: the warm-up, counted, and no more
    assert interp.status == "timeout" and not interp.warmup, interp
    assert interp.reason.endswith("(in the warm-up)") and 2 <= interp.value < 10, interp.reason
    assert run.manifest()["job_statuses"] == {"ok": 1, "timeout": 1}
    means = versus(run, "native").geomeans
    assert list(means.runtime) == ["interp"] and list(means.bound) == [">="], means  # a bound, not gone


def test_no_temporary_folders_are_left_behind(faulty_run):
    _, root, _, _ = faulty_run
    assert leftover_temp_dirs(root / "tmp") == []
