"""The http suite's page model: per handler, one row per server with cold start to first
response, requests per second, latency percentiles, peak memory and errors (lab.suites.http)."""

from __future__ import annotations

import pandas as pd

from lab.analysis.stats import cell_table
from lab.report.views import RUNTIME_KEYS, _number_cell, host_label, runtime_label

SUITE = "http"
COLUMNS = (("process", "wall_time", "cold start"), ("load", "requests_per_s", "req/s"),
           ("load", "latency_p50", "p50"), ("load", "latency_p90", "p90"), ("load", "latency_p99", "p99"),
           ("process", "peak_rss", "peak RSS"), ("load", "errors", "errors"))


def http_sections(measurements: pd.DataFrame) -> list[dict]:
    """One section per handler (and host): its servers' figures, median over the samples."""
    part = measurements[measurements["suite"] == SUITE]
    if part.empty:
        return []
    cells = {tuple(cell[k] for k in [*RUNTIME_KEYS, "case", "phase", "metric"]): cell
             for cell in cell_table(part).to_dict("records")}
    sections = []
    for case in sorted({key[4] for key in cells}):
        rows = []
        for identity in sorted({key[:4] for key in cells if key[4] == case}, key=str):
            host, emulated, runtime, mode = identity
            figures = {metric: _number_cell(cells.get((*identity, case, phase, metric)))
                       for phase, metric, _ in COLUMNS}
            rows.append({"label": runtime_label(str(runtime), str(mode)),
                         "host_label": host_label(str(host), bool(emulated)), "figures": figures})
        sections.append({"case": case, "rows": rows})
    return sections
