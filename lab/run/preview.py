"""`wasmlab run --dry-run`: what a run (or the rest of an interrupted one) would do, before a
long run is spent: jobs per runtime and suite, the processes they start, and which are recorded
without running, with the reason."""

from __future__ import annotations

from collections.abc import Collection

from lab.run.plan import Plan
from lab.suites.kinds import suite_kind

PREVIEW_COLUMNS = ("host", "runtime", "suite", "sizes", "jobs", "done", "processes", "status")


def preview_rows(plan: Plan, finished: Collection[str] = ()) -> list[dict]:
    """One row per host, runtime (with mode), suite and status: job counts, jobs already finished
    (a resumed run), and the processes the rest will start (measured suites: warm-ups included;
    a conformance job is one process per file, or per command for a per-command runner)."""
    rows: dict[tuple, dict] = {}
    for cell in plan.cells:
        job = cell.job
        runtime = f"{job.runtime}:{job.mode}" if job.mode else job.runtime
        status = cell.skip_status or "run"
        key = (job.host, runtime, job.suite, status, cell.skip_reason)
        row = rows.setdefault(key, {"host": job.host, "runtime": runtime, "suite": job.suite, "sizes": [],
                                    "jobs": 0, "done": 0, "processes": 0, "status": status,
                                    "reason": cell.skip_reason})
        row["jobs"] += 1
        if job.size != "-" and job.size not in row["sizes"]:
            row["sizes"].append(job.size)
        if job.key in finished:
            row["done"] += 1
        elif not cell.skip_status and suite_kind(job.suite).measured:
            repeat, warmup = plan.config.samples(job.runtime)
            row["processes"] += repeat + warmup
    return [{**row, "sizes": ",".join(row["sizes"]) or "-"} for row in rows.values()]


def format_preview(rows: list[dict]) -> str:
    """The rows as a table, then totals; reasons of rows that will not run follow the table."""
    header = list(PREVIEW_COLUMNS)
    table = [header] + [[str(row[c]) for c in PREVIEW_COLUMNS] for row in rows]
    widths = [max(len(line[i]) for line in table) for i in range(len(header))]
    lines = ["  ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True)).rstrip()
             for line in table]
    lines.insert(1, "-" * len(lines[0]))
    to_run = [row for row in rows if row["status"] == "run"]
    remaining = sum(row["jobs"] - row["done"] for row in to_run)
    processes = sum(row["processes"] for row in to_run)
    lines.append("")
    conformance = any(not suite_kind(row["suite"]).measured for row in to_run)
    lines.append(f"{sum(row['jobs'] for row in rows)} jobs; {remaining} still to run, starting {processes} "
                 f"measured processes{' plus the conformance jobs' if conformance else ''}")
    for row in rows:
        if row["status"] != "run":
            lines.append(f"  {row['runtime']} {row['suite']} on {row['host']}: {row['status']}, {row['reason']}")
    return "\n".join(lines)
