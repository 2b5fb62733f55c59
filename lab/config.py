"""Where the lab finds its test data and keeps its caches.

Data: the spec and WASI testsuites. Set WASMLAB_DATA (or pass --data) to the folder holding
`wasm-testsuite-2.0/`, `wasm-testsuite/` and `wasi-testsuite/`; by default the lab looks for a
`shared/data` folder beside the checkout, which is where CI and the developers keep it.
"""

from __future__ import annotations

import os
from pathlib import Path

from lab.errors import LabError

REPO_ROOT = Path(__file__).resolve().parent.parent

DATA_SETS = {
    "spec-2.0": "wasm-testsuite-2.0",
    "spec-3.0": "wasm-testsuite",
    "wasi-p1": "wasi-testsuite",
}


class DataNotFound(LabError):
    """The test data folder is missing; the message says how to point the lab at it."""


def data_dir() -> Path:
    """The folder holding the testsuites (WASMLAB_DATA, else ../shared/data beside the repo)."""
    configured = os.environ.get("WASMLAB_DATA")
    if configured:
        return Path(configured).expanduser().resolve()
    return (REPO_ROOT.parent / "shared" / "data").resolve()


def data_set(suite_id: str) -> Path:
    """The folder of one suite's data, or DataNotFound with the fix."""
    folder = data_dir() / DATA_SETS[suite_id]
    if not folder.is_dir():
        raise DataNotFound(
            f"test data for {suite_id} not found at {folder}; set WASMLAB_DATA (or --data) to the "
            f"folder that holds {DATA_SETS[suite_id]}/"
        )
    return folder


def cache_dir() -> Path:
    """Build outputs and toolchain caches (WASMLAB_CACHE, else .cache/ in the checkout)."""
    configured = os.environ.get("WASMLAB_CACHE")
    folder = Path(configured).expanduser() if configured else REPO_ROOT / ".cache"
    folder.mkdir(parents=True, exist_ok=True)
    return folder
