"""Statistics over samples: medians with distribution-free confidence intervals.

Why order statistics for the interval: run times are skewed and often multi-modal (GC, page
faults, frequency scaling), so a normal-theory interval is wrong; the binomial interval for the
median needs no distribution assumption and is exact for any n.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Sequence

CONFIDENCE = 0.99


@dataclass(frozen=True)
class MedianCI:
    n: int
    median: float
    low: float
    high: float
    coverage: float  # the interval's actual coverage; below CONFIDENCE when n is too small


def median_ci(values: Sequence[float], confidence: float = CONFIDENCE) -> MedianCI | None:
    """Median and the narrowest order-statistic interval [x(j), x(n-1-j)] whose coverage is at
    least `confidence`; with too few samples for that, the full range and its real coverage."""
    data = sorted(v for v in values if v == v)  # NaN never counts
    n = len(data)
    if n == 0:
        return None
    middle = n // 2
    median = data[middle] if n % 2 else (data[middle - 1] + data[middle]) / 2
    # P(x(j) <= median <= x(n-1-j)) = 1 - 2 * P(Binomial(n, 1/2) <= j)
    best_j, best_cov = 0, _coverage(n, 0)
    for j in range(1, (n + 1) // 2):
        cov = _coverage(n, j)
        if cov < confidence:
            break
        best_j, best_cov = j, cov
    return MedianCI(n=n, median=median, low=data[best_j], high=data[n - 1 - best_j], coverage=best_cov)


def _coverage(n: int, j: int) -> float:
    tail = sum(math.comb(n, i) for i in range(j + 1)) / 2 ** n
    return max(0.0, 1.0 - 2.0 * tail)
