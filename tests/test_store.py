"""The run folder: atomic job files, journaled samples, locking, clear errors."""

from __future__ import annotations

import pytest

from lab.model import MEASUREMENT_COLUMNS
from lab.store import RowShapeError, StoreError, create_run, load, open_run


def _row(job: str, process: int, value: float = 1.0) -> dict:
    row = {c: "" for c in MEASUREMENT_COLUMNS}
    row.update(run_id="r", emulated=False, process=process, iteration=0, warmup=False, value=value,
               case=job, status="ok", unit="s", metric="wall_time", phase="process")
    return row


def test_finished_job_and_journal_both_load(tmp_path):
    run = create_run(tmp_path, {"config": {}})
    run.finish_job("done", [_row("done", 0), _row("done", 1)])
    run.journal_sample("pending", [_row("pending", 0)])
    frame = load(run.path)
    assert sorted(frame["case"]) == ["done", "done", "pending"]
    assert run.finished_jobs() == {"done"}
    assert list(frame.columns) == list(MEASUREMENT_COLUMNS)


def test_torn_journal_line_is_dropped(tmp_path):
    run = create_run(tmp_path, {"config": {}})
    run.journal_sample("job", [_row("job", 0)])
    with open(run.journal_path("job"), "a") as handle:
        handle.write('[{"case": "job", "proc')  # a write cut short by SIGKILL
    assert len(run.journaled_samples("job")) == 1
    assert len(load(run.path)) == 1


def test_finishing_a_job_replaces_its_journal(tmp_path):
    run = create_run(tmp_path, {"config": {}})
    run.journal_sample("job", [_row("job", 0)])
    run.finish_job("job", [_row("job", 0), _row("job", 1)])
    assert not run.journal_path("job").exists()
    assert len(load(run.path)) == 2


def test_empty_run_loads_with_columns(tmp_path):
    run = create_run(tmp_path, {"config": {}})
    frame = load(run.path)
    assert frame.empty and list(frame.columns) == list(MEASUREMENT_COLUMNS)


def test_two_runs_never_share_a_folder(tmp_path):
    first = create_run(tmp_path, {"config": {}})
    second = create_run(tmp_path, {"config": {}})
    assert first.path != second.path


def test_a_run_in_use_is_refused(tmp_path):
    run = create_run(tmp_path, {"config": {}})
    with run.lock():
        with pytest.raises(StoreError, match="in use"):
            with open_run(run.path).lock():
                pass


def test_not_a_run_folder(tmp_path):
    with pytest.raises(StoreError, match="not a wasmlab run"):
        open_run(tmp_path)


def test_unwritable_results_folder(tmp_path):
    # A path through a regular file cannot be written even by root.
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")
    with pytest.raises(StoreError, match="cannot create a run"):
        create_run(blocker / "results", {"config": {}})


def test_full_disk_is_a_clear_error(tmp_path, monkeypatch):
    import errno as errno_module

    run = create_run(tmp_path, {"config": {}})
    run.finish_job("kept", [_row("kept", 0)])

    def no_space(*args, **kwargs):
        raise OSError(errno_module.ENOSPC, "No space left on device")

    monkeypatch.setattr("pandas.DataFrame.to_parquet", no_space)
    with pytest.raises(StoreError, match="disk full"):
        run.finish_job("lost", [_row("lost", 0)])
    monkeypatch.undo()
    assert list(load(run.path)["case"]) == ["kept"]


@pytest.mark.parametrize("change, message", [
    (lambda row: row.pop("iteration"), "missing fields iteration; unknown fields none"),
    (lambda row: row.update(iteraton=0), "missing fields none; unknown fields iteraton"),
])
def test_a_row_that_is_not_a_measurement_row_is_refused_with_the_field(tmp_path, change, message):
    run = create_run(tmp_path, {"run_id": "r"})
    bad = _row("j", 1)
    change(bad)
    for store in (lambda: run.journal_sample("j", [_row("j", 0), bad]), lambda: run.finish_job("j", [bad])):
        with pytest.raises(RowShapeError, match=f"row .* of job j: {message}"):
            store()
    assert load(run).empty  # nothing half-written
