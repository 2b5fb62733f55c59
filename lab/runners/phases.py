"""How a runner's child process reports its own phases (compile, instantiate, execute) to the
harness: a JSON file named by an environment variable. Kept free of imports so that reporting
costs a child nothing at start-up."""

from __future__ import annotations

import json
import os
from pathlib import Path

PHASES_ENV = "WASMLAB_PHASES_FILE"
TRAP_EXIT_CODE = 134  # what the wasmtime CLI exits with when the guest traps (128 + SIGABRT)


def write_phases(phases: dict[str, float]) -> None:
    """Called in a runner's child process: report phase timings, if the harness asked."""
    target = os.environ.get(PHASES_ENV)
    if target:
        Path(target).write_text(json.dumps(phases))


def read_phases(path: Path) -> dict[str, float]:
    """Phases a child reported ({"compile": seconds, ...}); a missing or torn file means none."""
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return {}
    return {str(k): float(v) for k, v in data.items() if isinstance(v, (int, float))}
