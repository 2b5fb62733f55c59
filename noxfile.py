"""nox sessions: the default test run, and the long jobs that do not belong in it.

    nox -s tests          the test suite (what CI runs, via ./quickstart.sh test)
    nox -s lint           ruff (settings in pyproject.toml)
    nox -s typecheck      mypy on lab/ (settings in pyproject.toml)
    nox -s conformance    spec-2.0, spec-3.0 and wasi-p1 on every runtime that can take them
    nox -s bench          startup + workloads at every size, and the hyperfine accuracy check
    nox -s report         HTML site from the newest run in results/ (or: -- RUN... [--baseline RUN] [--out DIR])
    nox -s notebooks      execute notebooks/analysis.ipynb against $WASMLAB_RUN or the newest run
    nox -s nightly        one shard of the nightly CI run, then its report (-- I/N, default 1/1)
"""

from __future__ import annotations

import json
import os
import shlex
from pathlib import Path

import nox

nox.options.sessions = ["tests"]
ROOT = Path(__file__).parent
DATA = os.environ.get("WASMLAB_DATA", str((ROOT.parent / "shared" / "data").resolve()))
RESULTS = ROOT / "results"
NOTEBOOK = ROOT / "notebooks" / "analysis.ipynb"
REPORT_OUT = ROOT / "reports" / "out"  # wasmlab report's default output folder

# Executes a notebook in a kernel of the session's Python. argv: notebook, output file, working folder.
_EXECUTE_NOTEBOOK = """
import sys
import nbformat
from nbclient import NotebookClient
notebook = nbformat.read(sys.argv[1], as_version=4)
NotebookClient(notebook, timeout=1800, kernel_name="python3",
               resources={"metadata": {"path": str(sys.argv[3])}}).execute()
nbformat.write(notebook, sys.argv[2])
"""


def _install(session: nox.Session) -> None:
    session.install("-e", ".[all]")
    session.env["WASMLAB_DATA"] = DATA


def _runs() -> list[Path]:
    """Run folders in results/, oldest first (run ids start with their start time)."""
    return sorted((p.parent for p in RESULTS.glob("*/manifest.json")), key=lambda p: p.name)


def _newest_run(session: nox.Session) -> Path:
    runs = _runs()
    if not runs:
        session.error(f"no runs in {RESULTS}: run `wasmlab run` (or `nox -s nightly`) first")
    return runs[-1]


@nox.session
def tests(session: nox.Session) -> None:
    _install(session)
    session.run("pytest", *session.posargs)


@nox.session
def lint(session: nox.Session) -> None:
    session.install("ruff")
    session.run("ruff", "check", "lab", "tests", "benchmarks", "noxfile.py", *session.posargs)


@nox.session
def typecheck(session: nox.Session) -> None:
    _install(session)
    session.install("mypy", "pandas-stubs")
    session.run("mypy", "lab", *session.posargs)


@nox.session
def conformance(session: nox.Session) -> None:
    _install(session)
    session.run("wasmlab", "run", "--suite", "spec-2.0", "spec-3.0", "wasi-p1", *session.posargs)


@nox.session
def bench(session: nox.Session) -> None:
    _install(session)
    # Without pywasm: one of its samples at size medium takes 8 minutes to over an hour (about 300x our
    # engine), so every medium and large cell would end at the timeout and tell nothing.
    session.run("wasmlab", "run", "--suite", "startup", "workloads", "--size", "small", "medium", "large",
                "--repeat", "10", "--skip-runtime", "pywasm", *session.posargs)
    session.run("python", "benchmarks/accuracy_vs_hyperfine.py")
    # The engine's own phases (decode, validate, translate, calls, hot loops), kept as a run so the
    # report shows the engine's history next to the runtimes'.
    session.run("pytest", "benchmarks/engine", "--benchmark-json=results/engine-bench.json",
                "--benchmark-save-data", "-p", "no:cacheprovider")
    session.run("wasmlab", "import-benchmark", "results/engine-bench.json")


@nox.session
def report(session: nox.Session) -> None:
    """`wasmlab report` on the newest run; arguments after -- replace that (runs, --baseline, --out)."""
    _install(session)
    args = session.posargs or [str(_newest_run(session))]
    session.run("wasmlab", "report", *args)


@nox.session
def notebooks(session: nox.Session) -> None:
    """Run notebooks/analysis.ipynb top to bottom; the executed copy goes to reports/out/."""
    _install(session)
    run = os.environ.get("WASMLAB_RUN") or str(_newest_run(session))
    REPORT_OUT.mkdir(parents=True, exist_ok=True)
    executed = REPORT_OUT / NOTEBOOK.name
    session.run("python", "-c", _EXECUTE_NOTEBOOK, str(NOTEBOOK), str(executed), str(NOTEBOOK.parent),
                env={"WASMLAB_RUN": run})
    session.log(f"executed notebook: {executed}")


@nox.session
def nightly(session: nox.Session) -> None:
    """One shard of the nightly run as .github/workflows/nightly.yml runs it (the first matrix entry's
    suites and sizes on this machine; its --local-name is not used), then the report of that run."""
    _install(session)
    shard = session.posargs[0] if session.posargs else "1/1"
    matrix = session.run("wasmlab", "matrix", silent=True, stderr=None)
    if matrix is None:  # nox --install-only: nothing ran
        return
    entry = json.loads(matrix)["include"][0]
    before = set(_runs())
    session.run("wasmlab", "run", *shlex.split(entry["args"]), "--host", entry["host"], "--shard", shard,
                "--out", str(RESULTS))
    new = [run for run in _runs() if run not in before]
    if not new:
        session.error(f"wasmlab run wrote no run folder in {RESULTS}")
    session.run("wasmlab", "report", str(new[-1]))
