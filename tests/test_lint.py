"""ruff (the project's settings in pyproject.toml) finds nothing, so a lint break fails the default
test run and not only `nox -s lint`. mypy stays a nox session: it is too slow for every test run."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LINTED = ["lab", "tests", "benchmarks", "noxfile.py"]  # what `nox -s lint` checks


def test_ruff_finds_nothing() -> None:
    result = subprocess.run([sys.executable, "-m", "ruff", "check", "--no-cache", "--output-format", "concise",
                             *LINTED], cwd=ROOT, capture_output=True, text=True, timeout=300)
    if result.returncode != 0:
        pytest.fail(f"ruff check {' '.join(LINTED)}:\n{result.stdout}{result.stderr}", pytrace=False)
