"""Builds the static report site: one folder with HTML pages, the stylesheet beside them and
charts as SVG files under charts/. No page loads anything from the network.

    index.html                overview: runtime x host
    conformance.html          runtime x suite x group matrix; conformance-<runtime>-....html per runtime
    workloads.html            a chart and a table per case, ratio-to-native summary
    user.html                 the user's own modules (run --suite DIR): the same, against a base runtime
    startup.html              cold start and peak memory
    components.html           component vs core module per runtime (only with the components suite)
    http.html                 cold start, req/s, latency percentiles per server (only with the http suite)
    comparison.html           against --baseline (only with a baseline)
    history.html              time series and change points (only with several runs)
"""

from __future__ import annotations

import math
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import jinja2

from lab.analysis.compare import ABSOLUTE, DEFAULT_REFERENCE, REGRESSING_VERDICTS, RELATIVE, compare_frames
from lab.analysis.history import build_history
from lab.analysis.stats import geomean_ratios
from lab.model import SIZES, USER_SUITE
from lab.report import charts, components, http, views
from lab.report.data import ReportData, gather
from lab.report.render import STYLESHEET, environment
from lab.store import Run

DEFAULT_OUT = Path("reports/out")
CHARTS = "charts"
HISTORY_METRIC = "wall_time"


@dataclass(frozen=True)
class Page:
    file: str
    title: str


def build_site(runs: Sequence[str | Run], baseline: str | Run | None = None, out: Path = DEFAULT_OUT,
               verdicts: str = RELATIVE) -> Path:
    """Render the site for the runs (and an optional baseline) into `out`; returns index.html.
    `verdicts`: how the comparison page judges (lab.analysis.compare); relative falls back to
    absolute when the reference runtime is not in both runs."""
    data = gather(runs, baseline)
    out.mkdir(parents=True, exist_ok=True)
    if (out / CHARTS).is_dir():
        shutil.rmtree(out / CHARTS)  # charts of a previous build must not linger
    shutil.copyfile(STYLESHEET, out / "style.css")
    env = environment()
    pages = _pages(data)
    common = {"pages": pages, "runs": [_run_info(run) for run in data.runs], "hosts": data.hosts,
              "suite_sources": data.suite_sources, "baseline": data.baseline.run_id if data.baseline else None}
    write = _writer(env, out, common)
    write("index.html", "overview.html", overview_context(data, out))
    conformance = views.conformance_matrix(data.conformance)
    failing = views.failing_commands(data.conformance)
    write("conformance.html", "conformance.html", {"matrix": conformance, "runtimes": failing})
    for runtime in failing:
        write(runtime["page"], "conformance_runtime.html", {"runtime": runtime})
    write("workloads.html", "workloads.html", workloads_context(data, out))
    write("startup.html", "startup.html", startup_context(data, out))
    if _has_suite(data, USER_SUITE):
        write("user.html", "user.html", user_context(data, out))
    if _has_suite(data, components.SUITE):
        write("components.html", "components.html", {"rows": components.component_rows(data.measurements),
                                                      "metrics": components.METRICS})
    if _has_suite(data, http.SUITE):
        write("http.html", "http.html", {"sections": http.http_sections(data.measurements), "columns": http.COLUMNS})
    if data.baseline is not None:
        write("comparison.html", "comparison.html", comparison_context(data, out, verdicts))
    if len(data.runs) > 1:
        write("history.html", "history.html", history_context(data, out))
    return out / "index.html"


def _pages(data: ReportData) -> list[Page]:
    pages = [Page("index.html", "Overview"), Page("conformance.html", "Conformance"),
             Page("workloads.html", "Workloads"), Page("startup.html", "Startup & memory")]
    if _has_suite(data, USER_SUITE):
        pages.append(Page("user.html", "Your modules"))
    if _has_suite(data, components.SUITE):
        pages.append(Page("components.html", "Components"))
    if _has_suite(data, http.SUITE):
        pages.append(Page("http.html", "Serverless HTTP"))
    if data.baseline is not None:
        pages.append(Page("comparison.html", "Comparison"))
    if len(data.runs) > 1:
        pages.append(Page("history.html", "History"))
    return pages


def _has_suite(data: ReportData, suite: str) -> bool:
    return bool((data.measurements["suite"] == suite).any()) if "suite" in data.measurements else False


def _writer(env: jinja2.Environment, out: Path, common: dict):
    def write(file: str, template: str, context: dict) -> None:
        html = env.get_template(template).render(**common, **context, current=file)
        (out / file).write_text(html, encoding="utf-8")
    return write


def _run_info(run: Run) -> dict:
    manifest = run.manifest()
    return {"id": run.run_id, "started": manifest.get("started", ""), "finished": manifest.get("finished") or "",
            "status": manifest.get("status", ""), "commit": (manifest.get("git_commit") or "")[:12]}


def _chart_path(out: Path, name: str) -> tuple[Path, str]:
    """Where a chart goes on disk, and its link relative to the pages."""
    return out / CHARTS / f"{name}.svg", f"{CHARTS}/{name}.svg"


# -- page contexts ----------------------------------------------------------------------------------

def overview_context(data: ReportData, out: Path) -> dict:
    rows = views.overview_rows(data.measurements, data.conformance)
    suites = sorted({suite for row in rows for suite in row["pass_rates"]})
    chart = None
    compared = [r for r in rows if r["vs_native"]["ok"] and r["runtime"] != views.BASE_RUNTIME]
    if compared:
        path, chart = _chart_path(out, "overview-vs-native")
        charts.interval_bars(path, [f"{r['label']} @ {r['host_label']}" for r in compared],
                             [r["vs_native"]["value"] for r in compared],
                             [r["vs_native"]["low"] for r in compared],
                             [r["vs_native"]["high"] for r in compared],
                             "workload time / native time (geometric mean; 1 = native, above = slower)",
                             "Workloads: times slower than native", reference=1.0)
    return {"rows": rows, "conformance_suites": suites, "unavailable": data.unavailable, "chart": chart,
            "workload_sizes": _workload_sizes(data)}


def _workload_sizes(data: ReportData) -> list[str]:
    """The sizes the workloads ran at, smallest first: a page says what its ratios measure."""
    workloads = data.measurements[data.measurements["suite"] == "workloads"]
    return [size for size in SIZES if size in set(workloads["size"])]


def workloads_context(data: ReportData, out: Path) -> dict:
    sections = views.case_sections(data.measurements, "workloads")
    for section in sections:
        section["chart"] = _case_chart(out, section, "wall time")
    geomeans = []
    if sections and views.BASE_RUNTIME in set(data.measurements["runtime"]):
        frame = geomean_ratios(data.measurements, views.BASE_RUNTIME)
        geomeans = [{**row, "label": views.runtime_label(row["runtime"], row["mode"]),
                     "host_label": views.host_label(row["host"], row["emulated"])} for row in frame.to_dict("records")]
    return {"sections": sections, "geomeans": geomeans, "workload_sizes": _workload_sizes(data)}


def user_context(data: ReportData, out: Path) -> dict:
    """The user's own modules: a chart and table per case, divided by a base runtime (they have no
    native build), and geometric means of wall time and of the execute phase (the bench region
    for Sightglass-protocol modules) over the cases."""
    base = views.user_base(data.measurements)
    if base is None:
        return {"sections": [], "geomeans": [], "base": None}
    sections = views.case_sections(data.measurements, USER_SUITE, base=base)
    for section in sections:
        section["chart"] = _case_chart(out, section, "wall time")
    geomeans = []
    for what, metric, phase in (("wall time", "wall_time", "process"), ("execute phase", "time", "execute")):
        frame = geomean_ratios(data.measurements, base, suite=USER_SUITE, metric=metric, phase=phase)
        geomeans += [{**row, "what": what, "label": views.runtime_label(row["runtime"], row["mode"]),
                      "host_label": views.host_label(row["host"], row["emulated"])}
                     for row in frame.to_dict("records") if row["cases"]]
    return {"sections": sections, "geomeans": geomeans, "base": base}


def startup_context(data: ReportData, out: Path) -> dict:
    sections = views.case_sections(data.measurements, "startup")
    for section in sections:
        section["chart"] = _case_chart(out, section, "cold start (wall time)")
    memory_sections = views.case_sections(data.measurements, "startup", metric="peak_rss")
    for section in memory_sections:
        section["chart"] = _case_chart(out, section, "peak RSS", scale=2**-20, unit="MiB")
    return {"sections": sections, "memory_sections": memory_sections,
            "memory": views.memory_matrix(data.measurements)}


def _case_chart(out: Path, section: dict, what: str, scale: float = 1e3, unit: str = "ms") -> str:
    rows = section["rows"]
    path, link = _chart_path(out, section["slug"])

    def number(row: dict, field: str) -> float:
        value = row["value"]
        return value[field] * scale if value["ok"] else math.nan

    size = "" if section["size"] == "-" else f" ({section['size']})"
    charts.interval_bars(path, [r["label"] for r in rows], [number(r, "median") for r in rows],
                         [number(r, "low") for r in rows], [number(r, "high") for r in rows],
                         f"{what}, {unit} (median, 99% interval)",
                         f"{section['case']}{size} on {section['host_label']}")
    return link


def comparison_context(data: ReportData, out: Path, verdicts: str = RELATIVE) -> dict:
    # only called with a baseline
    assert data.baseline is not None and data.baseline_measurements is not None \
        and data.baseline_conformance is not None
    if verdicts == RELATIVE and not all((frame["runtime"] == DEFAULT_REFERENCE).any()
                                        for frame in (data.baseline_measurements, data.measurements)):
        verdicts = ABSOLUTE  # nothing to divide by in one of the runs
    comparison = compare_frames(data.baseline.run_id, ", ".join(r.run_id for r in data.runs),
                                (data.baseline_measurements, data.baseline_conformance),
                                (data.measurements, data.conformance), verdicts=verdicts)
    cells = comparison.cells.to_dict("records")
    for cell in cells:
        cell["label"] = views.runtime_label(cell["runtime"], cell["mode"])
        cell["host_label"] = views.host_label(cell["host"], cell["emulated"])
    metrics = {c["metric"] for c in cells}
    shown = "wall_time" if verdicts == ABSOLUTE else "instructions" if "instructions" in metrics else "cpu_time"
    charted = [c for c in cells if c["metric"] == shown and c["phase"] == "process" and c["ratio"] == c["ratio"]]
    chart = None
    if charted:
        path, chart = _chart_path(out, "comparison-" + shown.replace("_", "-"))
        charts.interval_bars(path, [f"{c['label']} {c['case']} {c['size']}".replace(" -", "") for c in charted],
                             [c["ratio"] for c in charted], [c["ratio_low"] for c in charted],
                             [c["ratio_high"] for c in charted],
                             f"{shown.replace('_', ' ')} B/A (median ratio, 99% interval)",
                             "Change against the baseline", reference=1.0,
                             colors=[charts.COLORS.get(c["verdict"], charts.DEFAULT_COLOR) for c in charted])
    return {"comparison": comparison, "cells": cells, "chart": chart, "regressing": REGRESSING_VERDICTS,
            "conformance_counts": comparison.conformance.to_dict("records"),
            "conformance_regressions": comparison.conformance_regressions.to_dict("records"),
            "conformance_fixes": comparison.conformance_fixes.to_dict("records")}


def history_context(data: ReportData, out: Path) -> dict:
    history = build_history(data.runs)
    series = history.series[(history.series["metric"] == HISTORY_METRIC) & (history.series["phase"] == "process")]
    changes = history.changes
    run_labels = [f"{i}: {run_id}" for i, run_id in enumerate(history.runs)]
    sections = []
    for (host, emulated, suite, case, size), part in series.groupby(["host", "emulated", "suite", "case", "size"],
                                                                    sort=True):
        lines = {views.runtime_label(str(rt), str(mode)): [(r["order"], r["median"] * 1e3, r["ci_low"] * 1e3,
                                                           r["ci_high"] * 1e3) for r in rows.to_dict("records")]
                 for (rt, mode), rows in part.groupby(["runtime", "mode"], sort=True)}
        where = views.host_label(str(host), bool(emulated))
        marks = changes[(changes["host"] == host) & (changes["suite"] == suite) & (changes["case"] == case)
                        & (changes["size"] == size) & (changes["metric"] == HISTORY_METRIC)
                        & (changes["phase"] == "process")]
        path, link = _chart_path(out, views.slug(f"history-{host}-{suite}-{case}-{size}"))
        charts.series_chart(path, lines, [str(i) for i in range(len(history.runs))], "wall time, ms",
                            f"{suite}/{case} {'' if size == '-' else size} on {where}",
                            [(m["order"], views.runtime_label(m["runtime"], m["mode"]))
                             for m in marks.to_dict("records")])
        sections.append({"title": f"{suite} / {case}" + ("" if size == "-" else f" ({size})"),
                         "host_label": where, "chart": link})
    change_rows = [{**c, "label": views.runtime_label(c["runtime"], c["mode"]),
                    "host_label": views.host_label(c["host"], c["emulated"])} for c in changes.to_dict("records")]
    return {"history_runs": run_labels, "sections": sections, "changes": change_rows, "notes": history.notes}
