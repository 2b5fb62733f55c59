"""Compact terminal views of a summary: filters, and a cases x runtimes table of one metric.

`wasmlab run` ends with `format_pivot` (wall time per case and runtime, conformance totals per
runtime) instead of every cell of the run; `wasmlab summary RUN --pivot` prints the same for any
metric, and `--runtime/--suite/--metric` narrow either view.
"""

from __future__ import annotations

from lab.analysis.numbers import format_number, format_seconds
from lab.analysis.summary import _display_unit
from lab.model import STATUS_OK

PIVOT_WIDTH = 14  # characters per runtime column


def display_metric(cell: dict) -> str:
    """What the summary table calls a cell's metric: wall_time ... peak_rss, or PHASE_time."""
    return cell["metric"] if cell["phase"] == "process" else f"{cell['phase']}_time"


def _runtime_matches(runtime: str, mode: str, wanted: tuple[str, ...]) -> bool:
    return not wanted or runtime in wanted or f"{runtime}:{mode}" in wanted


def filter_summary(summary: dict, runtimes: tuple[str, ...] = (), suites: tuple[str, ...] = (),
                   metrics: tuple[str, ...] = ()) -> dict:
    """The summary with only the cells (and conformance counts) of these runtimes (id or id:mode),
    suites and metrics; an empty filter keeps everything."""
    cells = [cell for cell in summary["metrics"]
             if _runtime_matches(cell["runtime"], cell["mode"], runtimes)
             and (not suites or cell["suite"] in suites) and (not metrics or display_metric(cell) in metrics)]
    conformance = [count for count in summary["conformance"]  # a --metric asks for measured cells only
                   if not metrics and (not runtimes or count["runtime"] in runtimes)
                   and (not suites or count["suite"] in suites)]
    return {**summary, "metrics": cells, "conformance": conformance}


def _column(cell: dict, several_hosts: bool) -> str:
    label = f"{cell['runtime']}:{cell['mode']}" if cell["mode"] else cell["runtime"]
    return f"{label}@{cell['host']}" if several_hosts else label


def _value(cell: dict) -> str:
    if cell["status"] != STATUS_OK or cell["median"] is None:
        return cell["status"]
    if cell["unit"] == "s":
        return format_seconds(cell["median"])
    scale, unit = _display_unit(cell)
    return f"{format_number(cell['median'] * scale)} {unit}"


def format_pivot(summary: dict, metric: str = "wall_time") -> str:
    """Rows: suite, case and size; columns: runtimes; cells: the median of `metric` or the
    cell's status. Then conformance totals, one line per runtime and suite."""
    cells = [cell for cell in summary["metrics"] if display_metric(cell) == metric]
    lines = []
    if cells:
        several_hosts = len({cell["host"] for cell in cells}) > 1
        columns = list(dict.fromkeys(_column(cell, several_hosts) for cell in cells))
        rows: dict[tuple, dict[str, str]] = {}
        for cell in cells:
            rows.setdefault((cell["suite"], cell["case"], cell["size"]), {})[_column(cell, several_hosts)] = \
                _value(cell)
        label_width = max(len(f"{suite} {case} {size}") for suite, case, size in rows) + 2
        width = max(PIVOT_WIDTH, *(len(c) + 2 for c in columns))
        lines.append(f"{metric} (median)".ljust(label_width) + "".join(c.rjust(width) for c in columns))
        for (suite, case, size), values in rows.items():
            lines.append(f"{suite} {case} {size}".ljust(label_width)
                         + "".join(values.get(c, "").rjust(width) for c in columns))
    totals = conformance_totals(summary["conformance"])
    if totals:
        if lines:
            lines.append("")
        lines.append("conformance: passed / counted (all but skipped)")
        for (host, runtime, suite), tally in totals.items():
            counts = (f"{tally['passed']:>7} / {tally['counted']:<7} {tally['failed']} failed" if tally["counted"]
                      else f"{'all skipped':>17}")
            lines.append(f"  {runtime:<14} {suite:<10} {host:<15} {counts}")
    return "\n".join(lines)


def conformance_totals(counts: list[dict]) -> dict[tuple[str, str, str], dict[str, int]]:
    """(host, runtime, suite) -> passed (pass, xpass), failed (fail, error, xfail: the report's
    FAILING) and counted (all but skipped), over the suite's groups."""
    totals: dict[tuple[str, str, str], dict[str, int]] = {}
    for count in counts:
        tally = totals.setdefault((count["host"], count["runtime"], count["suite"]),
                                  {"passed": 0, "failed": 0, "counted": 0})
        tally["passed"] += count["passed"] + count["xpass"]
        tally["failed"] += count["failed"] + count["errors"] + count["xfail"]
        tally["counted"] += count["total"] - count["skipped"]
    return totals
