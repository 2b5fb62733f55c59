"""What a report shows, gathered from run folders: the newest data of every suite, the runs'
manifests (for unavailable runtimes and hosts), and the baseline if one was given.

Several runs: each suite comes from the newest run that has it, so a measurement run and a
conformance run report together, and runs of one configuration report their latest state (the
history page shows all of them).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Sequence

import pandas as pd

from lab.analysis.history import order_runs
from lab.analysis.stats import AnalysisError
from lab.store import Run, load, load_conformance, open_run


@dataclass
class ReportData:
    runs: list[Run]  # oldest first
    measurements: pd.DataFrame  # newest data per suite (MEASUREMENT_COLUMNS)
    conformance: pd.DataFrame  # newest data per suite (CONFORMANCE_COLUMNS)
    suite_sources: dict[str, str]  # suite -> run id it comes from
    hosts: dict[str, dict] = field(default_factory=dict)  # host id -> manifest fingerprint
    unavailable: list[dict] = field(default_factory=list)  # runtimes the runs could not use, with reasons
    baseline: Run | None = None
    baseline_measurements: pd.DataFrame | None = None
    baseline_conformance: pd.DataFrame | None = None

    @property
    def latest(self) -> Run:
        return self.runs[-1]


def gather(runs: Sequence[str | Run], baseline: str | Run | None = None) -> ReportData:
    """Load the runs (any order) and the optional baseline."""
    if not runs:
        raise AnalysisError("no runs given to report on")
    ordered = order_runs(runs)
    measurements, conformance, sources = newest_per_suite(ordered)
    base = None if baseline is None else baseline if isinstance(baseline, Run) else open_run(baseline)
    return ReportData(
        runs=ordered, measurements=measurements, conformance=conformance, suite_sources=sources,
        hosts=_hosts(ordered), unavailable=_unavailable(ordered),
        baseline=base,
        baseline_measurements=load(base) if base else None,
        baseline_conformance=load_conformance(base) if base else None,
    )


def newest_per_suite(runs: list[Run]) -> tuple[pd.DataFrame, pd.DataFrame, dict[str, str]]:
    """Each suite's rows from the newest run (runs oldest first) that has that suite."""
    newest: dict[str, dict[str, pd.DataFrame]] = {"measurements": {}, "conformance": {}}
    empty: dict[str, pd.DataFrame] = {}
    sources: dict[str, str] = {}
    for run in runs:  # later runs overwrite earlier ones
        for kind, frame in (("measurements", load(run)), ("conformance", load_conformance(run))):
            empty[kind] = frame.iloc[0:0]
            for suite, part in frame.groupby("suite", sort=True):
                newest[kind][str(suite)] = part
                sources[str(suite)] = run.run_id
    merged = [pd.concat(list(newest[kind].values()), ignore_index=True) if newest[kind] else empty[kind]
              for kind in ("measurements", "conformance")]
    return merged[0], merged[1], sources


def _hosts(runs: list[Run]) -> dict[str, dict]:
    hosts: dict[str, dict] = {}
    for run in runs:
        hosts.update(run.manifest().get("hosts", {}))
    return hosts


def _unavailable(runs: list[Run]) -> list[dict]:
    """Runtimes the newest run detected as unavailable, per host, with the reason (how to install).
    Manifests list detections per host ({host: {runtime: detection}}); older ones had one flat map."""
    runtimes = runs[-1].manifest().get("runtimes", {})
    if runtimes and all(isinstance(v, dict) and "available" in v for v in runtimes.values()):
        runtimes = {"": runtimes}
    return [{"host": host, "name": name, "reason": info.get("reason", "")}
            for host, detections in sorted(runtimes.items()) if isinstance(detections, dict)
            for name, info in sorted(detections.items())
            if isinstance(info, dict) and not info.get("available", True)]
