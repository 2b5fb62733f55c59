"""Statistics over samples: medians with distribution-free confidence intervals, robust spread,
ratios between runtimes with bootstrap intervals, geometric means across cases, and the rank test
that comparisons use.

Why order statistics for the interval: run times are skewed and often multi-modal (GC, page
faults, frequency scaling), so a normal-theory interval is wrong; the binomial interval for the
median needs no distribution assumption and is exact for any n.

The second half works on a run's long-format frame (lab.model.MEASUREMENT_COLUMNS): one row per
cell with these numbers, or the cell's status and reason when it has no usable samples.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Iterable, Sequence

import numpy as np
import pandas as pd

from lab.errors import LabError
from lab.model import STATUS_OK, STATUS_TIMEOUT

CONFIDENCE = 0.99
Samples = Sequence[float] | np.ndarray  # one cell's values: a list or a numpy array
# A cell is "noisy" when its robust CV is above this or it has too few samples for a 99% interval
# of the median (with n < 8 the order-statistic interval cannot reach 99%: see median_ci).
NOISY_CV = 0.05
MIN_SAMPLES = 8
BOOTSTRAP_RESAMPLES = 4000
BOOTSTRAP_SEED = 20240101  # fixed: the same run must always render the same report
# Column layout shared by compare, history and the reports. mode is part of a cell: one run may
# hold a runtime in several modes (cranelift and pulley).
CELL_KEYS = ["host", "emulated", "runtime", "mode", "suite", "case", "size", "phase", "metric", "unit"]
CASE_KEYS = ["host", "emulated", "suite", "case", "size", "phase", "metric", "unit"]


class AnalysisError(LabError):
    """The runs cannot be analysed as asked (compare, history, report); the message says why."""


@dataclass(frozen=True)
class MedianCI:
    n: int
    median: float
    low: float
    high: float
    coverage: float  # the interval's actual coverage; below CONFIDENCE when n is too small


def median_ci(values: Samples, confidence: float = CONFIDENCE) -> MedianCI | None:
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


def robust_cv(values: Samples) -> float:
    """Spread relative to the median: 1.4826 * MAD / median.

    Why not stdev / mean: a single page-fault storm or GC pause inflates the standard deviation
    of a handful of samples and would mark a steady cell as noisy. The MAD ignores up to half the
    samples being outliers, and the 1.4826 factor makes it estimate the standard deviation for
    normal data, so the threshold reads like a classic CV. A zero median (e.g. sys_time of a tiny
    process) gives 0 when every sample is 0, else infinity.
    """
    data = np.asarray([v for v in values if v == v], dtype=float)
    if data.size == 0:
        return math.nan
    median = float(np.median(data))
    mad = float(np.median(np.abs(data - median)))
    if median == 0:
        return 0.0 if mad == 0 else math.inf
    return 1.4826 * mad / abs(median)


@dataclass(frozen=True)
class CellStats:
    n: int
    median: float
    low: float
    high: float
    coverage: float
    cv: float
    noisy: bool


def describe(values: Samples, noisy_cv: float = NOISY_CV, min_samples: int = MIN_SAMPLES) -> CellStats | None:
    """n, median, 99% interval, robust CV and the noisy flag of one cell's counted samples."""
    ci = median_ci(values)
    if ci is None:
        return None
    cv = robust_cv(values)
    return CellStats(n=ci.n, median=ci.median, low=ci.low, high=ci.high, coverage=ci.coverage, cv=cv,
                     noisy=bool(ci.n < min_samples or not cv <= noisy_cv))


@dataclass(frozen=True)
class Ratio:
    """other / base with a confidence interval (estimate from the observed medians)."""

    estimate: float
    low: float
    high: float

    def inverse(self) -> "Ratio":
        """base / other: e.g. throughput relative to native from a time ratio."""
        return Ratio(_safe_div(1.0, self.estimate), _safe_div(1.0, self.high), _safe_div(1.0, self.low))


def _safe_div(a: float, b: float) -> float:
    return a / b if b else math.inf if a else math.nan


def bootstrap_medians(values: Samples, resamples: int, rng: np.random.Generator) -> np.ndarray:
    """Medians of `resamples` resamples (with replacement) of the values."""
    data = np.asarray(values, dtype=float)
    picks = rng.integers(0, data.size, size=(resamples, data.size))
    return np.median(data[picks], axis=1)


def ratio_of_medians(base: Samples, other: Samples, confidence: float = CONFIDENCE,
                     resamples: int = BOOTSTRAP_RESAMPLES, seed: int = BOOTSTRAP_SEED) -> Ratio | None:
    """median(other) / median(base) with a percentile-bootstrap interval.

    Why bootstrap and not Fieller or Welch: both are intervals for a ratio of *means* under
    normality, while we report medians of skewed samples; the median has no simple standard error,
    and resampling each side independently needs no distribution assumption. With very few samples
    (n < 8) the interval is optimistic, which the cells' noisy flag already says.
    """
    return geometric_mean_ratio([(base, other)], confidence, resamples, seed)


def geometric_mean_ratio(pairs: Iterable[tuple[Samples, Samples]],
                         confidence: float = CONFIDENCE, resamples: int = BOOTSTRAP_RESAMPLES,
                         seed: int = BOOTSTRAP_SEED) -> Ratio | None:
    """Geometric mean over cases of median(other) / median(base), with a bootstrap interval.

    Every bootstrap round resamples every case's two sample sets and takes the geometric mean of
    the per-case ratios, so the interval carries each case's own noise into the summary. The
    geometric mean is the only mean of ratios that does not depend on which side is the base.
    """
    cleaned = [(_clean(b), _clean(o)) for b, o in pairs]
    cleaned = [(b, o) for b, o in cleaned if b.size and o.size]
    if not cleaned:
        return None
    rng = np.random.default_rng(seed)
    with np.errstate(divide="ignore", invalid="ignore"):
        observed = [np.log(np.median(o) / np.median(b)) for b, o in cleaned]
        rounds = np.zeros(resamples)
        for b, o in cleaned:
            rounds += np.log(bootstrap_medians(o, resamples, rng) / bootstrap_medians(b, resamples, rng))
    if not np.all(np.isfinite(observed)):
        return None  # a zero median (e.g. 0 bytes reported) has no meaningful ratio
    rounds = rounds[np.isfinite(rounds)] / len(cleaned)
    tail = (1 - confidence) / 2 * 100
    low, high = np.percentile(rounds, [tail, 100 - tail]) if rounds.size else (math.nan, math.nan)
    return Ratio(float(np.exp(np.mean(observed))), float(np.exp(low)), float(np.exp(high)))


def _clean(values: Samples) -> np.ndarray:
    data = np.asarray(values, dtype=float)
    return data[~np.isnan(data)]


def mann_whitney_p(a: Samples, b: Samples) -> float:
    """Two-sided Mann-Whitney U p-value that the two samples come from the same distribution.

    Why this test (as asv does): it is distribution-free and uses ranks, so one outlier cannot make
    or hide a difference. Note its floor: with 5 samples against 5 the smallest possible p is
    2/252 = 0.0079, so at alpha 0.01 only completely separated samples are significant.
    """
    from scipy.stats import mannwhitneyu

    first, second = _clean(a), _clean(b)
    if first.size == 0 or second.size == 0:
        return math.nan
    if np.array_equal(np.sort(first), np.sort(second)):
        return 1.0
    return float(mannwhitneyu(first, second, alternative="two-sided").pvalue)


# -- over a run's frame --------------------------------------------------------------------------

def counted(frame: pd.DataFrame) -> pd.DataFrame:
    """Rows whose value counts: not warm-ups (every status is kept, so cells can say why not)."""
    return frame[~frame["warmup"].astype(bool)]


def _grouped_rows(frame: pd.DataFrame) -> dict[tuple, list[int]]:
    """Row positions of every cell (CELL_KEYS), in sorted cell order. Plain Python grouping: with
    Arrow-backed string columns it is several times faster than pandas groupby for small groups."""
    keys = zip(*(frame[k].tolist() for k in CELL_KEYS), strict=True)
    groups: dict[tuple, list[int]] = {}
    for position, key in enumerate(keys):
        groups.setdefault(key, []).append(position)
    return {key: groups[key] for key in sorted(groups, key=lambda k: tuple(str(v) for v in k))}


def cell_samples(frame: pd.DataFrame) -> dict[tuple, np.ndarray]:
    """Counted ok values of every cell, keyed by CELL_KEYS."""
    ok = counted(frame)
    ok = ok[ok["status"] == STATUS_OK]
    values = ok["value"].to_numpy(dtype=float)
    return {key: values[positions] for key, positions in _grouped_rows(ok).items()}


def timeout_samples(frame: pd.DataFrame) -> dict[tuple, np.ndarray]:
    """For every cell that timed out and has no other failure: the counted values of its ok and
    its killed samples, keyed by CELL_KEYS. A killed sample's value is how far it got, less than
    it would have been, so the median of these values is at most the cell's real median."""
    rows = counted(frame)
    values = rows["value"].to_numpy(dtype=float)
    statuses = rows["status"].tolist()
    bounded = {}
    for key, positions in _grouped_rows(rows).items():
        cell_statuses = {statuses[i] for i in positions}
        if STATUS_TIMEOUT in cell_statuses and cell_statuses <= {STATUS_OK, STATUS_TIMEOUT}:
            bounded[key] = values[positions]
    return bounded


def cell_table(frame: pd.DataFrame) -> pd.DataFrame:
    """One row per cell: CELL_KEYS, version, n, median, ci_low, ci_high, coverage, cv, noisy,
    status, reason, note. A cell whose counted samples are not all ok has no numbers, only its
    worst status and the reasons. `note` says how an ok cell's figure was taken when that differs
    from the metric's usual meaning (an ok row's reason, e.g. a container's cgroup peak as peak_rss)."""
    rows_in = counted(frame)
    values = rows_in["value"].to_numpy(dtype=float)
    statuses, reasons, versions = (rows_in[c].tolist() for c in ("status", "reason", "version"))
    rows = []
    for key, positions in _grouped_rows(rows_in).items():
        cell_statuses = [statuses[i] for i in positions]
        status = worst_status(set(cell_statuses))
        failures = dict.fromkeys(reasons[i] for i in positions if statuses[i] != STATUS_OK and reasons[i])
        notes = dict.fromkeys(reasons[i] for i in positions if statuses[i] == STATUS_OK and reasons[i])
        stats = describe(values[positions]) if status == STATUS_OK else None
        rows.append({**dict(zip(CELL_KEYS, key, strict=True)), "version": versions[positions[0]],
                     **_stats_fields(stats), "status": status, "reason": "; ".join(list(failures)[:3]),
                     "note": "; ".join(notes) if status == STATUS_OK else ""})
    return pd.DataFrame(rows, columns=CELL_COLUMNS)


CELL_COLUMNS = CELL_KEYS + ["version", "n", "median", "ci_low", "ci_high", "coverage", "cv", "noisy", "status",
                            "reason", "note"]


def _stats_fields(stats: CellStats | None) -> dict:
    if stats is None:
        return {"n": 0, "median": math.nan, "ci_low": math.nan, "ci_high": math.nan, "coverage": math.nan,
                "cv": math.nan, "noisy": False}
    return {"n": stats.n, "median": stats.median, "ci_low": stats.low, "ci_high": stats.high,
            "coverage": stats.coverage, "cv": stats.cv, "noisy": stats.noisy}


def worst_status(statuses: Iterable[str]) -> str:
    """Any failure outranks ok, so one wrong output marks the whole cell (same order as execute)."""
    from lab.run.execute import worst_status as execute_worst

    return execute_worst(list(statuses))


# How a ratio relates to the truth: exact, or a bound because one side timed out. A runtime that
# was killed at its limit would have taken longer, so runtime / base is at least the figure; a
# base that was killed makes the ratio at most the figure.
BOUND_EXACT, BOUND_AT_LEAST, BOUND_AT_MOST = "", ">=", "<="


def runtime_ratios(frame: pd.DataFrame, base: str = "native", others: Sequence[str] | None = None,
                   metric: str = "wall_time", phase: str = "process", bounds: bool = False) -> pd.DataFrame:
    """Per host and case, median(runtime) / median(base) with a 99% interval.

    `base` and `others` are runtime ids, optionally `id:mode`. Cells are matched only on the same
    host (so emulated figures are never divided by real ones), case and size. A pair where either
    side has no ok samples keeps that side's status and reason and no numbers. With `bounds`, a
    pair where one side timed out and the other is ok gets a ratio from the timed-out side's ok
    and killed samples, as a bound (`bound` column); the status stays, the reason says so.
    """
    cells = cell_table(frame)
    cells = cells[(cells["metric"] == metric) & (cells["phase"] == phase)]
    samples = cell_samples(frame)
    killed = timeout_samples(frame) if bounds else {}
    base_cells = cells[_runtime_mask(cells, base)]
    wanted = cells[~_runtime_mask(cells, base)]
    if others:
        wanted = wanted[np.logical_or.reduce([_runtime_mask(wanted, o) for o in others])]
    base_by_case: dict[tuple, dict] = {}
    for base_cell in base_cells.to_dict("records"):
        case_key = tuple(base_cell[k] for k in CASE_KEYS)
        if case_key in base_by_case:
            raise AnalysisError(f"{base} runs in several modes; name one as {base}:MODE")
        base_by_case[case_key] = base_cell
    rows = []
    for cell in wanted.to_dict("records"):
        base_match = base_by_case.get(tuple(cell[k] for k in CASE_KEYS))
        row = {**{k: cell[k] for k in CELL_KEYS}, "base": base_match["runtime"] if base_match else base,
               "base_mode": base_match["mode"] if base_match else "", "ratio": math.nan, "ratio_low": math.nan,
               "ratio_high": math.nan, "bound": BOUND_EXACT, "status": cell["status"], "reason": cell["reason"]}
        if base_match is None:
            row.update(status="no-base", reason=f"{base} has no such cell on this host")
            rows.append(row)
            continue
        pair, bound = _ratio_pair(base_match, cell, samples, killed)
        if pair is None:
            if base_match["status"] != STATUS_OK:
                row.update(status=f"base {base_match['status']}", reason=base_match["reason"])
            rows.append(row)
            continue
        ratio = ratio_of_medians(*pair)
        if ratio is None:
            row.update(status="no-ratio", reason="a median is zero")
        else:
            row.update(ratio=ratio.estimate, ratio_low=ratio.low, ratio_high=ratio.high, bound=bound)
            if bound == BOUND_AT_MOST:
                row.update(status=f"base {base_match['status']}",
                           reason=f"the base timed out, so the ratio is at most this ({base_match['reason']})")
            elif bound == BOUND_AT_LEAST:
                row.update(reason=f"timed out, so the ratio is at least this ({cell['reason']})")
        rows.append(row)
    return pd.DataFrame(rows, columns=RATIO_COLUMNS)


def _ratio_pair(base_cell: dict, cell: dict, samples: dict, killed: dict) -> tuple[tuple | None, str]:
    """(base values, other values) to divide and how the ratio bounds the truth; (None, "") when
    the pair has no ratio. Killed samples stand in only for a timed-out side facing an ok one."""
    base_ok, other_ok = base_cell["status"] == STATUS_OK, cell["status"] == STATUS_OK
    base_values, other_values = samples.get(_key(base_cell)), samples.get(_key(cell))
    if base_ok and other_ok:
        return (base_values, other_values), BOUND_EXACT
    if base_ok and cell["status"] == STATUS_TIMEOUT and _key(cell) in killed:
        return (base_values, killed[_key(cell)]), BOUND_AT_LEAST
    if other_ok and base_cell["status"] == STATUS_TIMEOUT and _key(base_cell) in killed:
        return (killed[_key(base_cell)], other_values), BOUND_AT_MOST
    return None, BOUND_EXACT


RATIO_COLUMNS = CELL_KEYS + ["base", "base_mode", "ratio", "ratio_low", "ratio_high", "bound", "status", "reason"]
GEOMEAN_COLUMNS = ["host", "emulated", "runtime", "mode", "base", "geomean", "geomean_low", "geomean_high",
                   "bound", "cases", "bounded", "excluded"]


def geomean_ratios(frame: pd.DataFrame, base: str = "native", suite: str = "workloads",
                   metric: str = "wall_time", phase: str = "process", bounds: bool = False) -> pd.DataFrame:
    """Per host and runtime, the geometric mean over the suite's cases of median(runtime) /
    median(base), with a joint bootstrap interval. Only cases where both sides are ok count;
    `cases` and `excluded` say how many did and did not. With `bounds`, timed-out cases count
    with their bound (`bounded` of them) when all their bounds point one way, and the geometric
    mean is then itself a bound in that direction (`bound`)."""
    suite_frame = frame[frame["suite"] == suite]
    ratios = runtime_ratios(suite_frame, base, metric=metric, phase=phase, bounds=bounds)
    # A usable case's sides are ok cells (their ok samples) or, for a bound, timed-out cells (their
    # ok and killed samples, which replace the ok-only entry), so one lookup serves every pair.
    values = cell_samples(frame) | (timeout_samples(suite_frame) if bounds else {})
    rows = []
    for (host, emulated, runtime, mode), group in ratios.groupby(["host", "emulated", "runtime", "mode"], sort=True):
        with_ratio = group[group["ratio"].notna()]
        directions = set(with_ratio["bound"]) - {BOUND_EXACT}
        bound = directions.pop() if len(directions) == 1 else BOUND_EXACT
        # Bounds in both directions say nothing together: only the exact cases count then.
        usable: list[dict] = with_ratio[with_ratio["bound"].isin({BOUND_EXACT, bound})].to_dict("records")
        pairs = [(values[_key({**cell, "runtime": cell["base"], "mode": cell["base_mode"]})], values[_key(cell)])
                 for cell in usable]
        summary = geometric_mean_ratio(pairs) if pairs else None
        bounded = sum(1 for cell in usable if cell["bound"] != BOUND_EXACT)
        rows.append({"host": host, "emulated": emulated, "runtime": runtime, "mode": mode, "base": base,
                     "geomean": summary.estimate if summary else math.nan,
                     "geomean_low": summary.low if summary else math.nan,
                     "geomean_high": summary.high if summary else math.nan,
                     "bound": bound if bounded else BOUND_EXACT, "cases": len(pairs), "bounded": bounded,
                     "excluded": int(len(group) - len(pairs))})
    return pd.DataFrame(rows, columns=GEOMEAN_COLUMNS)


def _key(cell: dict) -> tuple:
    return tuple(cell[k] for k in CELL_KEYS)


def _runtime_mask(cells: pd.DataFrame, spec: str) -> pd.Series:
    runtime, _, mode = spec.partition(":")
    mask = cells["runtime"] == runtime
    return mask & (cells["mode"] == mode) if mode else mask
