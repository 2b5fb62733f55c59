"""The conformance suites (spec-2.0, spec-3.0, wasi-p1) inside a run: selecting files, skipped
rows, and how one spec job becomes outcome rows (their kinds, lab.suites.kinds, say which runtimes
take them and run their jobs).

Spec files run in a child process per file (lab.suites.spec_job); WASI tests run as guest
processes through the runtime's ordinary runner, one fresh copy of the test's root each.
"""

from __future__ import annotations

import fnmatch
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from lab.model import STATUS_ERROR, STATUS_TIMEOUT
from lab.run.measure import run_process
from lab.run.scratch import scratch_dir

if TYPE_CHECKING:
    pass

SPEC_FILE_MIN_TIMEOUT_S = 600.0  # a whole .wast file on a slow engine takes minutes


def matches(name: str, pattern: str) -> bool:
    """Whether a --file pattern (a name, a path's last part, or a glob) selects this file or test."""
    return fnmatch.fnmatch(name, pattern) or Path(name).name == pattern


def selected(name: str, patterns: tuple[str, ...]) -> bool:
    return not patterns or any(matches(name, p) for p in patterns)


def base_row(job, context) -> dict:
    row = context.base_row(job)
    return {key: row[key] for key in ("run_id", "host", "arch", "emulated", "runtime", "version", "mode", "suite")}


def record_skipped(cell, context) -> None:
    job, item = cell.job, cell.payload
    row = {**base_row(job, context), "file": item.name, "group": getattr(item, "group", ""), "line": 0,
           "index": 0, "kind": "file", "outcome": "skip", "reason": f"{cell.skip_status}: {cell.skip_reason}"}
    context.run.finish_job(cell.job.key, [row], kind="conformance")


def run_spec_job(cell, context) -> list[dict]:
    """One spec file in a child process; a crash or timeout marks each of its commands as error."""
    job, spec_file = cell.job, cell.payload
    limits = context.limits_for(job.runtime)
    timeout = max(limits.timeout_s or 0, SPEC_FILE_MIN_TIMEOUT_S)
    with scratch_dir("spec") as scratch:
        out = scratch / "outcomes.json"
        result = run_process(
            [sys.executable, "-m", "lab.suites.spec_job", "--suite", job.suite, "--runtime", job.runtime,
             "--file", spec_file.name, "--out", str(out)],
            timeout_s=timeout, memory_limit_bytes=limits.memory_limit_bytes)
        outcomes = json.loads(out.read_text()) if result.status == "ok" and out.exists() else None
    base = base_row(job, context)
    if outcomes is None:
        reason = f"spec run {STATUS_TIMEOUT if result.timed_out else STATUS_ERROR}: {result.describe()}: " + \
                 result.stderr.decode(errors="replace").strip()[-300:]
        return [{**base, **row, "outcome": "error", "reason": reason} for row in _commands_of(spec_file)]
    return [{**base, **o} for o in outcomes]


def _commands_of(spec_file) -> list[dict]:
    """Placeholder rows for each command of a file whose run died, so totals stay true."""
    from lab.suites import wast
    try:
        commands = wast.parse_file(str(spec_file.path))
    except Exception:
        return [{"file": spec_file.name, "group": spec_file.group, "line": 0, "index": 0, "kind": "script"}]
    return [{"file": spec_file.name, "group": spec_file.group, "line": c.line, "index": i, "kind": c.kind}
            for i, c in enumerate(commands)]
