"""nox sessions: the default test run, and the long jobs that do not belong in it.

    nox -s tests          the test suite (what CI runs, via ./quickstart.sh test)
    nox -s lint           ruff
    nox -s typecheck      mypy on lab/
    nox -s conformance    spec-2.0, spec-3.0 and wasi-p1 on every runtime that can take them
    nox -s bench          startup + workloads at every size, and the hyperfine accuracy check
"""

from __future__ import annotations

import os
from pathlib import Path

import nox

nox.options.sessions = ["tests"]
ROOT = Path(__file__).parent
DATA = os.environ.get("WASMLAB_DATA", str((ROOT.parent / "shared" / "data").resolve()))


def _install(session: nox.Session) -> None:
    session.install("-e", ".[all]")
    session.env["WASMLAB_DATA"] = DATA


@nox.session
def tests(session: nox.Session) -> None:
    _install(session)
    session.run("pytest", *session.posargs)


@nox.session
def lint(session: nox.Session) -> None:
    session.install("ruff")
    session.run("ruff", "check", "lab", "tests", "benchmarks", "--select", "E9,F63,F7,F82,F401,F841")


@nox.session
def typecheck(session: nox.Session) -> None:
    _install(session)
    session.install("mypy", "pandas-stubs")
    session.run("mypy", "--ignore-missing-imports", "lab")


@nox.session
def conformance(session: nox.Session) -> None:
    _install(session)
    session.run("wasmlab", "run", "--suite", "spec-2.0", "spec-3.0", "wasi-p1", *session.posargs)


@nox.session
def bench(session: nox.Session) -> None:
    _install(session)
    session.run("wasmlab", "run", "--suite", "startup", "workloads", "--size", "small", "medium", "large",
                "--repeat", "10", *session.posargs)
    session.run("python", "benchmarks/accuracy_vs_hyperfine.py")
