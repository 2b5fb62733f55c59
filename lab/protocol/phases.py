"""How a runner's child process reports its own phases (compile, instantiate, execute) to the
harness: a JSON file named by an environment variable. Writing it imports nothing beyond os, so
that reporting costs a child nothing at start-up (json would bring re along: ~3 ms)."""

from __future__ import annotations

import os

TYPE_CHECKING = False  # typing itself costs a child start-up time; mypy reads this as True
if TYPE_CHECKING:
    from pathlib import Path

PHASES_ENV = "WASMLAB_PHASES_FILE"
TRAP_EXIT_CODE = 134  # what the wasmtime CLI exits with when the guest traps (128 + SIGABRT)


def write_phases(phases: dict[str, float]) -> None:
    """Called in a runner's child process: report phase timings, if the harness asked.
    Phase names are plain words and timings finite floats, whose repr is valid JSON."""
    target = os.environ.get(PHASES_ENV)
    if target:
        fields = ", ".join(f'"{name}": {float(seconds)!r}' for name, seconds in phases.items())
        with open(target, "w") as handle:
            handle.write("{" + fields + "}")


def read_phases(path: Path) -> dict[str, float]:
    """Phases a child reported ({"compile": seconds, ...}); a missing or torn file means none."""
    import json

    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return {}
    return {str(k): float(v) for k, v in data.items() if isinstance(v, (int, float))}
