"""Page models: plain lists of dicts built from the report's frames, one function per page part.
Numbers stay numbers (NaN when absent); templates format them. A row that has no numbers carries
`status` and `reason` instead."""

from __future__ import annotations

import math
from collections.abc import Hashable

import pandas as pd

from lab.analysis.compare import FAILING, PASSING
from lab.analysis.stats import BOUND_AT_LEAST, BOUND_AT_MOST, BOUND_EXACT, cell_table, geomean_ratios, runtime_ratios
from lab.model import STATUS_OK

BASE_RUNTIME = "native"
STARTUP_CASE = ("startup", "hello")
RUNTIME_KEYS = ["host", "emulated", "runtime", "mode"]
RuntimeIdentity = tuple[str, bool, str, str]  # a row's RUNTIME_KEYS values


def runtime_identity(key: tuple[Hashable, ...]) -> RuntimeIdentity:
    """The first four values of a groupby key over RUNTIME_KEYS (+ more), typed."""
    host, emulated, runtime, mode = key[:4]
    return str(host), bool(emulated), str(runtime), str(mode)


def runtime_label(runtime: str, mode: str) -> str:
    return f"{runtime} ({mode})" if mode and mode not in ("default",) else runtime


def host_label(host: str, emulated: bool) -> str:
    return f"{host} (emulated)" if emulated else host


def _status_of(cell: dict | None) -> dict:
    if cell is None:
        return {"status": "absent", "reason": "not run"}
    return {"status": cell["status"], "reason": cell["reason"]}


def _number_cell(cell: dict | None) -> dict:
    """A table cell: median and interval when ok, otherwise status and reason."""
    if cell is None or cell["status"] != STATUS_OK:
        return {"ok": False, **_status_of(cell)}
    return {"ok": True, "median": cell["median"], "low": cell["ci_low"], "high": cell["ci_high"], "n": cell["n"],
            "cv": cell["cv"], "noisy": bool(cell["noisy"]), "unit": cell["unit"]}


# -- overview ---------------------------------------------------------------------------------------

def overview_rows(measurements: pd.DataFrame, conformance: pd.DataFrame) -> list[dict]:
    """runtime x host: cold start, workload time relative to native (geomean), peak memory, pass rates."""
    cells = cell_table(measurements)
    cells_by_runtime = {key: group for key, group in cells.groupby(RUNTIME_KEYS, sort=False)}
    has_workloads = (measurements["suite"] == "workloads").any()
    geomeans = geomean_ratios(measurements, BASE_RUNTIME) if has_workloads and \
        BASE_RUNTIME in set(measurements["runtime"]) else None
    geo_by_key = {} if geomeans is None else {tuple(r[k] for k in RUNTIME_KEYS): r for r in geomeans.to_dict("records")}
    pass_rates = conformance_rates(conformance)
    identities = pd.concat([measurements[RUNTIME_KEYS + ["version"]], conformance[RUNTIME_KEYS + ["version"]]])
    rows = []
    for ident in identities.drop_duplicates(RUNTIME_KEYS).sort_values(RUNTIME_KEYS).to_dict("records"):
        key = tuple(ident[k] for k in RUNTIME_KEYS)
        own = cells_by_runtime.get(key, cells.iloc[0:0])
        workload_rss = own[(own["suite"] == "workloads") & (own["metric"] == "peak_rss") & (own["status"] == STATUS_OK)]
        rows.append({
            **ident, "label": runtime_label(ident["runtime"], ident["mode"]),
            "host_label": host_label(ident["host"], ident["emulated"]),
            "cold_start": _number_cell(_startup_cell(own, "wall_time")),
            "startup_rss": _number_cell(_startup_cell(own, "peak_rss")),
            "max_workload_rss": float(workload_rss["median"].max()) if not workload_rss.empty else math.nan,
            "vs_native": _time_vs_native(geo_by_key.get(key), ident["runtime"]) if has_workloads else
            {"ok": False, "status": "absent", "reason": "workloads not run"},
            "pass_rates": pass_rates.get(key, {}),
        })
    return rows


def _startup_cell(cells: pd.DataFrame, metric: str) -> dict | None:
    match = cells[(cells["suite"] == STARTUP_CASE[0]) & (cells["case"] == STARTUP_CASE[1])
                  & (cells["metric"] == metric) & (cells["phase"] == "process")]
    return match.iloc[0].to_dict() if not match.empty else None


def _time_vs_native(geo: dict | None, runtime: str) -> dict:
    """Workload time relative to native = runtime time / native time (geometric mean): above 1,
    that many times slower. The convention of every ratio the lab prints."""
    if runtime == BASE_RUNTIME:
        return {"ok": True, "value": 1.0, "low": 1.0, "high": 1.0, "cases": None, "excluded": 0}
    if geo is None or not geo["cases"]:
        reason = "no workload cells comparable with native" if geo else "no workloads or no native run"
        return {"ok": False, "status": "n/a", "reason": reason}
    return {"ok": True, "value": geo["geomean"], "low": geo["geomean_low"], "high": geo["geomean_high"],
            "cases": geo["cases"], "excluded": geo["excluded"]}


def conformance_rates(conformance: pd.DataFrame) -> dict[tuple, dict[str, dict]]:
    """Per runtime identity and suite: passed, counted (everything not skipped) and the rate."""
    rates: dict[tuple, dict[str, dict]] = {}
    for key, part in conformance.groupby(RUNTIME_KEYS + ["suite"], sort=True):
        counted = part[part["outcome"] != "skip"]
        passed = int(counted["outcome"].isin(PASSING).sum())
        entry = {"passed": passed, "counted": len(counted), "skipped": int(len(part) - len(counted)),
                 "rate": passed / len(counted) if len(counted) else math.nan,
                 "reason": "; ".join(sorted({r for r in part.loc[part["outcome"] == "skip", "reason"] if r}))[:300]}
        rates.setdefault(key[:-1], {})[str(key[-1])] = entry
    return rates


# -- conformance ------------------------------------------------------------------------------------

def conformance_matrix(conformance: pd.DataFrame) -> dict:
    """Columns (suite, group), rows (runtime identity), each cell counts by outcome."""
    columns = sorted(conformance[["suite", "group"]].drop_duplicates().itertuples(index=False, name=None))
    rows = []
    for key, part in conformance.groupby(RUNTIME_KEYS, sort=True):
        ident = dict(zip(RUNTIME_KEYS, key, strict=True))
        counts = {}
        for (suite, group), cell in part.groupby(["suite", "group"], sort=True):
            tally = cell["outcome"].value_counts()
            counted = int(len(cell) - tally.get("skip", 0))
            passed = int(sum(tally.get(o, 0) for o in PASSING))
            counts[(suite, group)] = {"passed": passed, "counted": counted, "total": len(cell),
                                      "failed": int(sum(tally.get(o, 0) for o in FAILING)),
                                      "skipped": int(tally.get("skip", 0)), "xfail": int(tally.get("xfail", 0)),
                                      "rate": passed / counted if counted else math.nan}
        host, emulated, runtime, mode = runtime_identity(key)
        rows.append({**ident, "version": part["version"].iloc[0], "label": runtime_label(runtime, mode),
                     "host_label": host_label(host, emulated), "page": runtime_page_name(host, emulated, runtime, mode),
                     "cells": counts})
    return {"columns": columns, "rows": rows}


def runtime_page_name(host: str, emulated: bool, runtime: str, mode: str) -> str:
    """File name of a runtime's failure page (safe characters only)."""
    parts = ["conformance", runtime, mode, host, "emulated" if emulated else ""]
    raw = "-".join(part for part in parts if part)  # an unavailable runtime has no mode
    return "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in raw) + ".html"


def failing_commands(conformance: pd.DataFrame) -> list[dict]:
    """Per runtime identity: every command that did not pass (fail, error, xfail, skip), with file,
    line and reason, ordered by suite, file and line."""
    pages = []
    for key, part in conformance.groupby(RUNTIME_KEYS, sort=True):
        bad = part[~part["outcome"].isin(PASSING)].sort_values(["suite", "file", "line", "index"])
        host, emulated, runtime, mode = runtime_identity(key)
        pages.append({**dict(zip(RUNTIME_KEYS, key, strict=True)), "label": runtime_label(runtime, mode),
                      "host_label": host_label(host, emulated), "version": part["version"].iloc[0],
                      "page": runtime_page_name(host, emulated, runtime, mode), "total": len(part),
                      "outcomes": part["outcome"].value_counts().sort_index().to_dict(),
                      "commands": bad[["suite", "group", "file", "line", "kind", "outcome", "reason"]]
                      .to_dict("records")})
    return pages


# -- workloads, startup and memory ----------------------------------------------------------------

def case_sections(measurements: pd.DataFrame, suite: str, metric: str = "wall_time",
                  base: str = BASE_RUNTIME) -> list[dict]:
    """One section per host, case and size: a row per runtime with its numbers and ratio to the
    base (native; user modules have no native build, so another runtime)."""
    part = measurements[measurements["suite"] == suite]
    if part.empty:
        return []
    cells = cell_table(part)
    cells = cells[(cells["metric"] == metric) & (cells["phase"] == "process")]
    # bounds: a runtime that timed out still shows how much slower than the base it was at least
    ratios = runtime_ratios(part, base, metric=metric, bounds=True) \
        if base in set(part["runtime"]) else None
    ratio_by_key = {} if ratios is None else {tuple(r[k] for k in RUNTIME_KEYS + ["case", "size"]): r
                                               for r in ratios.to_dict("records")}
    phases = _phase_medians(part) if metric == "wall_time" else {}  # in-process times: beside times only
    sections = []
    for (host, emulated, case, size), group in cells.groupby(["host", "emulated", "case", "size"], sort=True):
        rows = []
        for cell in group.sort_values(["runtime", "mode"]).to_dict("records"):
            key = tuple(cell[k] for k in RUNTIME_KEYS)
            ratio = ratio_by_key.get(key + (case, size))
            rows.append({"label": runtime_label(cell["runtime"], cell["mode"]), "runtime": cell["runtime"],
                         "version": cell["version"], "value": _number_cell(cell),
                         "ratio": _ratio_cell(ratio, cell["runtime"], base),
                         "phases": phases.get(key + (case, size), {})})
        sections.append({"host": host, "emulated": emulated, "host_label": host_label(str(host), bool(emulated)),
                         "case": case, "size": size, "metric": metric, "rows": rows, "base": base,
                         "slug": slug(f"{suite}-{metric}-{host}-{case}-{size}")})
    return sections


def _ratio_cell(ratio: dict | None, runtime: str, base: str = BASE_RUNTIME) -> dict:
    if runtime == base:
        return {"ok": False, "status": "base", "reason": ""}
    if ratio is None:
        return {"ok": False, "status": "n/a", "reason": f"no {base} run"}
    if math.isnan(ratio["ratio"]) or (ratio["status"] != STATUS_OK and not ratio["bound"]):
        return {"ok": False, "status": ratio["status"], "reason": ratio["reason"]}
    return {"ok": True, "value": ratio["ratio"], "low": ratio["ratio_low"], "high": ratio["ratio_high"],
            "bound": _BOUND_SIGNS[ratio["bound"]], "reason": ratio["reason"] if ratio["bound"] else ""}


_BOUND_SIGNS = {BOUND_EXACT: "", BOUND_AT_LEAST: "≥ ", BOUND_AT_MOST: "≤ "}


def _phase_medians(frame: pd.DataFrame) -> dict[tuple, dict[str, float]]:
    """In-process phase medians (compile, instantiate, execute) of embedded runtimes."""
    cells = cell_table(frame[frame["phase"] != "process"])
    phases: dict[tuple, dict[str, float]] = {}
    for cell in cells[cells["status"] == STATUS_OK].to_dict("records"):
        key = tuple(cell[k] for k in RUNTIME_KEYS + ["case", "size"])
        phases.setdefault(key, {})[cell["phase"]] = cell["median"]
    return phases


def memory_matrix(measurements: pd.DataFrame) -> dict:
    """Peak RSS medians: runtime identity x (suite, case, size)."""
    cells = cell_table(measurements[measurements["metric"] == "peak_rss"])
    columns = sorted(cells[["suite", "case", "size"]].drop_duplicates().itertuples(index=False, name=None))
    rows = []
    for key, group in cells.groupby(RUNTIME_KEYS, sort=True):
        by_case = {(c["suite"], c["case"], c["size"]): _number_cell(c) for c in group.to_dict("records")}
        host, emulated, runtime, mode = runtime_identity(key)
        notes = dict.fromkeys(note for note in group["note"] if note)
        rows.append({"label": runtime_label(runtime, mode), "host_label": host_label(host, emulated),
                     "cells": by_case, "note": "; ".join(notes)})
    return {"columns": columns, "rows": rows}


def slug(text: str) -> str:
    return "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in text)


USER_BASES = ("wasmtime-cli", "wasmtime", "node")  # the first of these a run has divides user modules


def user_base(measurements: pd.DataFrame, suite: str = "user") -> str | None:
    """The runtime user modules are divided by (they have no native build): the first of
    USER_BASES with ok cells in the suite, else the first runtime that has any; None if none."""
    part = measurements[(measurements["suite"] == suite) & (measurements["status"] == STATUS_OK)]
    present = sorted(set(part["runtime"]))
    return next((runtime for runtime in USER_BASES if runtime in present), present[0] if present else None)
