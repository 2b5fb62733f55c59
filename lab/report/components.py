"""Component vs core module on the same runtime: each case of the `components` suite beside the
same case of `startup` (hello) or `workloads`, for wall time, user time and peak memory.

The component wraps the very core module of the other suite (lab.suites.components), so the
ratio is what the component model costs on that runtime: adapter, canonical ABI, WASI 0.2 host.
"""

from __future__ import annotations

import math

import pandas as pd

from lab.analysis.stats import cell_table
from lab.model import STATUS_OK
from lab.report.views import RUNTIME_KEYS, _number_cell, host_label, runtime_label

SUITE = "components"
METRICS = ("wall_time", "user_time", "peak_rss")


def core_suite(case: str, size: str) -> str:
    """The suite whose core module a component case wraps."""
    return "startup" if case == "hello" and size == "-" else "workloads"


def _ratio(component: dict | None, core: dict | None) -> float:
    if component is None or core is None or STATUS_OK != component["status"] or core["status"] != STATUS_OK:
        return math.nan
    return component["median"] / core["median"] if core["median"] else math.nan


def component_rows(measurements: pd.DataFrame) -> list[dict]:
    """One row per runtime, case and size of the components suite: per metric the core module's
    cell, the component's cell and component ÷ core (NaN unless both are ok)."""
    part = measurements[measurements["suite"].isin([SUITE, "startup", "workloads"])
                        & (measurements["phase"] == "process") & measurements["metric"].isin(METRICS)]
    if not (part["suite"] == SUITE).any():
        return []
    cells = {tuple(cell[k] for k in [*RUNTIME_KEYS, "suite", "case", "size", "metric"]): cell
             for cell in cell_table(part).to_dict("records")}
    rows = []
    for key in sorted({k[:4] + k[5:7] for k in cells if k[4] == SUITE}, key=str):
        runtime_key, case, size = key[:4], key[4], key[5]
        row = {"label": runtime_label(str(key[2]), str(key[3])), "runtime": key[2],
               "host_label": host_label(str(key[0]), bool(key[1])), "case": case, "size": size}
        for metric in METRICS:
            component = cells.get((*runtime_key, SUITE, case, size, metric))
            core = cells.get((*runtime_key, core_suite(case, size), case, size, metric))
            row[metric] = {"core": _number_cell(core), "component": _number_cell(component),
                           "ratio": _ratio(component, core)}
        rows.append(row)
    return rows
