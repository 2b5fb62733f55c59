"""Scratch folders for samples and jobs, named after the process that owns them, so that a run
killed with SIGKILL (which no cleanup handler survives) has its leftovers swept by the next run.

    wasmlab-<kind>-<pid>-<random>
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

_NAME = re.compile(r"^wasmlab-[a-z0-9-]+?-(\d+)-[^/]+$")


def make_scratch(kind: str) -> Path:
    """A new scratch folder; the caller removes it."""
    return Path(tempfile.mkdtemp(prefix=f"wasmlab-{kind}-{os.getpid()}-"))


@contextmanager
def scratch_dir(kind: str) -> Iterator[Path]:
    """A scratch folder removed when the block ends, however it ends."""
    folder = make_scratch(kind)
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def sweep_stale(root: Path | None = None) -> list[Path]:
    """Remove scratch folders whose owning process is gone; returns what was removed."""
    root = Path(root or tempfile.gettempdir())
    removed = []
    for entry in root.glob("wasmlab-*"):
        match = _NAME.match(entry.name)
        if not match or not entry.is_dir() or pid_alive(int(match.group(1))):
            continue
        shutil.rmtree(entry, ignore_errors=True)
        removed.append(entry)
    return removed


def pid_alive(pid: int) -> bool:
    """Whether process `pid` still exists (owners of scratch folders and containers)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's live process
        return True
    return True
