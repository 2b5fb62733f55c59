"""In what order a plan's jobs run, and how many at a time.

A timing is only fair when nothing else runs beside it, so jobs run one at a time in plan
order. A runtime named in --parallel is the exception: its jobs run after all the others, that
many at a time. This is meant for a slow reference (pywasm at size medium spends up to the
timeout on each job, so its cells are mostly bounds): the run takes hours less, while the
engines being compared are still timed alone on the machine.
"""

from __future__ import annotations

from dataclasses import dataclass

from lab.run.plan import PlannedCell


@dataclass(frozen=True)
class Batch:
    """Cells that run `width` at a time; a batch starts when the one before it has finished."""

    width: int
    cells: list[PlannedCell]


def batches(cells: list[PlannedCell], widths: dict[str, int]) -> list[Batch]:
    """The cells alone, in plan order, then one batch per runtime that runs side by side."""
    side_by_side = {runtime: width for runtime, width in widths.items() if width > 1}
    alone = [cell for cell in cells if cell.job.runtime not in side_by_side]
    order = [Batch(1, alone)] if alone else []
    for runtime, width in side_by_side.items():
        group = [cell for cell in cells if cell.job.runtime == runtime]
        if group:
            order.append(Batch(width, group))
    return order
