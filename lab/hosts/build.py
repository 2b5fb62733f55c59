"""`wasmlab build`: build the startup program and the workloads for every target, ahead of runs."""

from __future__ import annotations

from typing import Iterator

from lab.hosts import toolchain
from lab.suites.workloads import STARTUP_SOURCE


def build_programs(targets: tuple[str, ...] = (), workloads: tuple[str, ...] = ()) -> Iterator[str]:
    """Build each program for each target; yields one line per binary (cache hits are instant)."""
    from lab.suites.workloads import load_manifest

    for target in targets:
        if target not in toolchain.TARGETS:
            raise toolchain.BuildError(f"unknown target {target!r}; known: {', '.join(toolchain.TARGETS)}")
    sources = [("hello", STARTUP_SOURCE)] if not workloads else []
    manifest = load_manifest()
    unknown = set(workloads) - {w.name for w in manifest}
    if unknown:
        raise toolchain.BuildError(f"unknown workload(s): {', '.join(sorted(unknown))}")
    sources += [(w.name, w.source) for w in manifest if not workloads or w.name in workloads]
    for name, source in sources:
        for target in targets or toolchain.TARGETS:
            yield f"{target:<20} {name:<14} {toolchain.build(source, target, name=name)}"
