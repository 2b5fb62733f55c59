"""The Sightglass benchmark protocol, child side: a module that imports `bench.start` and
`bench.end` (both `[] -> []`) marks the region it wants timed; `Region` sums the time between them
and reports it as the sample's `execute` phase. How each runtime supplies the imports, and the
harness side (flags, the wasmtime CLI's preload module): lab.runners.bench_protocol.

Imported by runner children and by the engine's WASI host: it imports nothing else.
"""

from __future__ import annotations

import time

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterable

BENCH_MODULE = "bench"
EXECUTE = "execute"


def uses_bench(imports: Iterable[tuple[str, str]]) -> bool:
    """Whether a module's imports ask for the bench protocol."""
    return any(module == BENCH_MODULE for module, _ in imports)


class Region:
    """The time between bench.start and bench.end, summed over every pair. An end without a
    start is ignored, a second start restarts the open region."""

    __slots__ = ("started", "total", "pairs")

    def __init__(self) -> None:
        self.started: float | None = None
        self.total = 0.0
        self.pairs = 0

    def start(self, *_ignored: object) -> None:
        self.started = time.perf_counter()

    def end(self, *_ignored: object) -> None:
        now = time.perf_counter()
        if self.started is not None:
            self.total += now - self.started
            self.pairs += 1
            self.started = None

    def report(self, phases: dict[str, float]) -> None:
        """Make the region the `execute` phase (none when no pair closed)."""
        phases.pop(EXECUTE, None)
        if self.pairs:
            phases[EXECUTE] = self.total
