"""Runs on disk: one folder per run, a manifest plus Parquet data, written so that a killed run
loses nothing it had finished.

    results/<run-id>/
      manifest.json                  configuration, hosts, runtimes and versions, git commit, times
      measurements/<job>.parquet     rows of a finished job (MEASUREMENT_COLUMNS)
      conformance/<job>.parquet      outcome rows of a finished conformance job (CONFORMANCE_COLUMNS)
      journal/<job>.jsonl            samples of a job still in progress, one fsynced line each

Every file is written to a temporary name and renamed into place, so readers never see half a
file. A job's samples go to its journal as they finish; when the job ends they become its Parquet
file and the journal is removed. Resume skips finished jobs and the journaled samples of the
unfinished one.
"""

from __future__ import annotations

import errno
import fcntl
import json
import os
import secrets
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

import pandas as pd

from lab.errors import LabError
from lab.model import CONFORMANCE_COLUMNS, MEASUREMENT_COLUMNS

MANIFEST = "manifest.json"
KINDS = {"measurements": MEASUREMENT_COLUMNS, "conformance": CONFORMANCE_COLUMNS}


class StoreError(LabError):
    """A run folder cannot be read or written; the message says which and what to do."""


def new_run_id() -> str:
    """Sortable by time, unique across concurrent runs on one machine."""
    return time.strftime("%Y%m%d-%H%M%S") + "-" + secrets.token_hex(3)


@dataclass
class Run:
    path: Path
    # Set when the run is interrupted while jobs run side by side: a job still unwinding in its
    # thread must not record its killed program as the sample's result.
    # A plain flag, not a threading.Event: it is set from the main thread while it unwinds a
    # signal, where taking a lock risks keeping it forever (see lab/run/side_by_side.py).
    _stopped: bool = field(default=False, repr=False, compare=False)

    def stop_writing(self) -> None:
        """Refuse every further sample and job result (the manifest can still be updated)."""
        self._stopped = True

    def _refuse_if_stopped(self, job_key: str) -> None:
        if self._stopped:
            raise StoreError(f"run {self.run_id} was interrupted: {job_key} is not recorded")

    @property
    def run_id(self) -> str:
        return self.path.name

    # -- manifest ---------------------------------------------------------------------------
    def manifest(self) -> dict:
        try:
            return json.loads((self.path / MANIFEST).read_text())
        except FileNotFoundError:
            raise StoreError(f"{self.path} is not a wasmlab run (no {MANIFEST})") from None
        except ValueError as error:
            raise StoreError(f"{self.path / MANIFEST} is damaged: {error}") from None

    def write_manifest(self, manifest: dict) -> None:
        atomic_write(self.path / MANIFEST, json.dumps(manifest, indent=2, sort_keys=True).encode())

    def update_manifest(self, **changes) -> dict:
        manifest = self.manifest()
        manifest.update(changes)
        self.write_manifest(manifest)
        return manifest

    # -- job data ---------------------------------------------------------------------------
    def finished_jobs(self, kind: str = "measurements") -> set[str]:
        folder = self.path / kind
        return {p.stem for p in folder.glob("*.parquet")} if folder.is_dir() else set()

    def all_finished_jobs(self) -> set[str]:
        return self.finished_jobs("measurements") | self.finished_jobs("conformance")

    def journal_path(self, job_key: str) -> Path:
        return self.path / "journal" / f"{job_key}.jsonl"

    def journaled_samples(self, job_key: str) -> list[list[dict]]:
        """Samples of an unfinished job that were completely written (a torn last line is dropped)."""
        path = self.journal_path(job_key)
        if not path.exists():
            return []
        samples = []
        for line in path.read_text(errors="replace").splitlines():
            try:
                samples.append(json.loads(line))
            except ValueError:
                break  # torn write from a killed run: everything after it is lost anyway
        return samples

    def journal_sample(self, job_key: str, rows: list[dict]) -> None:
        self._refuse_if_stopped(job_key)
        check_rows(rows, MEASUREMENT_COLUMNS, job_key)
        path = self.journal_path(job_key)
        path.parent.mkdir(exist_ok=True)
        line = (json.dumps(rows, default=_json_default) + "\n").encode()
        with _writing(path):
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
            try:
                os.write(fd, line)
                os.fsync(fd)
            finally:
                os.close(fd)

    def finish_job(self, job_key: str, rows: list[dict], kind: str = "measurements") -> None:
        """Store a job's rows as its Parquet file and drop its journal."""
        self._refuse_if_stopped(job_key)
        check_rows(rows, KINDS[kind], job_key)
        frame = pd.DataFrame(rows, columns=list(KINDS[kind]))
        target = self.path / kind / f"{job_key}.parquet"
        target.parent.mkdir(exist_ok=True)
        tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
        with _writing(target):
            try:
                frame.to_parquet(tmp, index=False)
                os.replace(tmp, target)
            finally:
                tmp.unlink(missing_ok=True)
        self.journal_path(job_key).unlink(missing_ok=True)

    def frame(self, kind: str = "measurements") -> pd.DataFrame:
        """All rows of one kind: finished jobs plus journaled samples of unfinished ones."""
        columns = list(KINDS[kind])
        folder = self.path / kind
        parts = [pd.read_parquet(p) for p in sorted(folder.glob("*.parquet"))] if folder.is_dir() else []
        if kind == "measurements" and (self.path / "journal").is_dir():
            pending = [row for p in sorted((self.path / "journal").glob("*.jsonl"))
                       for sample in self.journaled_samples(p.stem) for row in sample]
            if pending:
                parts.append(pd.DataFrame(pending, columns=columns))
        parts = [p for p in parts if not p.empty]
        if not parts:
            return pd.DataFrame({c: pd.Series(dtype=_dtype(c)) for c in columns})
        return pd.concat(parts, ignore_index=True)[columns]

    @contextmanager
    def lock(self) -> Iterator[None]:
        """Exclusive use of the run folder, so two processes never write the same run."""
        handle = open(self.path / ".lock", "w")
        try:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                raise StoreError(f"run {self.path} is in use by another wasmlab process") from None
            yield
        finally:
            handle.close()


class RowShapeError(ValueError):
    """A producer built a row without one of the stored fields, or with one the store does not
    have (a typo would otherwise vanish in the DataFrame, or store a column of NaN)."""


def check_rows(rows: list, columns: tuple[str, ...], job_key: str) -> None:
    """Refuse rows whose keys are not exactly `columns` (lab.model's row types)."""
    expected = set(columns)
    for number, row in enumerate(rows):
        keys = set(row)
        if keys != expected:
            missing = ", ".join(sorted(expected - keys)) or "none"
            unknown = ", ".join(sorted(keys - expected)) or "none"
            raise RowShapeError(f"row {number} of job {job_key}: missing fields {missing}; unknown fields {unknown}")


def create_run(results_dir: Path, manifest: dict) -> Run:
    """A new, empty run folder with its manifest."""
    try:
        results_dir.mkdir(parents=True, exist_ok=True)
        run_id = new_run_id()
        path = results_dir / run_id
        path.mkdir()
        run = Run(path)
        run.write_manifest({"run_id": run_id, **manifest})
        return run
    except OSError as error:
        raise StoreError(f"cannot create a run in {results_dir}: {error.strerror or error}") from None


def open_run(path: str | Path) -> Run:
    """An existing run folder (a path, or a run id under ./results)."""
    candidate = Path(path)
    if not candidate.exists() and not candidate.is_absolute():
        candidate = Path("results") / path
    if not (candidate / MANIFEST).is_file():
        raise StoreError(f"{path}: not a wasmlab run folder (expected {MANIFEST} inside)")
    return Run(candidate)


def load(run: str | Path | Run) -> pd.DataFrame:
    """The run's measurements as one long-format DataFrame (MEASUREMENT_COLUMNS)."""
    return (run if isinstance(run, Run) else open_run(run)).frame("measurements")


def load_conformance(run: str | Path | Run) -> pd.DataFrame:
    """The run's conformance outcomes, one row per command or test (CONFORMANCE_COLUMNS)."""
    return (run if isinstance(run, Run) else open_run(run)).frame("conformance")


def atomic_write(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with _writing(path):
        try:
            with open(tmp, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(tmp, path)
        finally:
            tmp.unlink(missing_ok=True)


@contextmanager
def _writing(path: Path) -> Iterator[None]:
    """Turn a failed write into a StoreError that says what survived."""
    try:
        yield
    except OSError as error:
        if error.errno == errno.ENOSPC:
            raise StoreError(f"disk full while writing {path}; everything written before is intact — "
                             f"free space and resume the run") from None
        raise StoreError(f"cannot write {path}: {error.strerror or error}") from None


def _dtype(column: str) -> str:
    if column in ("value",):
        return "float64"
    if column in ("process", "iteration", "line", "index"):
        return "int64"
    if column in ("emulated", "warmup"):
        return "bool"
    return "object"


def _json_default(value):
    if hasattr(value, "item"):  # numpy scalars
        return value.item()
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")
