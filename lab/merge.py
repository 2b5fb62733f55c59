"""`wasmlab merge`: join shard runs (from one or several hosts) into one run.

Shards must come from the same configuration; only which hosts they ran on, their local host
name and their shard index may differ. Every job must come from exactly one shard, and every
shard of every host must be there (unless partial merges are allowed), so a merged run is never
silently missing data.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd

from lab.errors import LabError
from lab.store import KINDS, Run, create_run, open_run

PER_SHARD_KEYS = ("shard", "hosts", "local_name")


class MergeError(LabError):
    """The shards cannot be merged; the message says which and why."""


def comparable_config(config: dict) -> dict:
    return {k: v for k, v in config.items() if k not in PER_SHARD_KEYS}


def check_compatible(runs: list[Run]) -> None:
    """Refuse shards of different configurations, unfinished shards, overlaps and gaps."""
    if len(runs) < 2:
        raise MergeError("merge needs at least two shard runs")
    manifests = [r.manifest() for r in runs]
    reference = comparable_config(manifests[0]["config"])
    for run, manifest in zip(runs[1:], manifests[1:], strict=True):
        config = comparable_config(manifest["config"])
        differing = sorted(k for k in set(reference) | set(config) if reference.get(k) != config.get(k))
        if differing:
            key = differing[0]
            raise MergeError(f"{run.path} has a different configuration from {runs[0].path}: {key} is "
                             f"{config.get(key)!r} there and {reference.get(key)!r} here; only shards of one "
                             f"configuration merge")
    for run, manifest in zip(runs, manifests, strict=True):
        if manifest.get("status") != "complete":
            raise MergeError(f"{run.path} is not complete (status {manifest.get('status')!r}); "
                             f"finish it with wasmlab run --resume {run.path}")
    owner: dict[str, Path] = {}
    for run in runs:
        for job in run.all_finished_jobs():
            if job in owner:
                raise MergeError(f"shards overlap: job {job} is in both {owner[job]} and {run.path}")
            owner[job] = run.path


def missing_shards(runs: list[Run]) -> list[str]:
    """'host i/n' for every shard of a host that none of the runs covers."""
    seen: dict[str, set[int]] = {}
    counts: dict[str, int] = {}
    for run in runs:
        manifest = run.manifest()
        index, count = manifest["config"]["shard"]
        for host in manifest["hosts"]:
            seen.setdefault(host, set()).add(index)
            counts[host] = count
    return [f"{host} {i}/{counts[host]}" for host in sorted(seen)
            for i in range(1, counts[host] + 1) if i not in seen[host]]


def merge_runs(paths: list[str | Path], results_dir: Path, allow_partial: bool = False) -> Run:
    runs = [open_run(p) for p in paths]
    check_compatible(runs)
    gaps = missing_shards(runs)
    if gaps and not allow_partial:
        raise MergeError(f"shards missing: {', '.join(gaps)} (use --allow-partial to merge anyway)")
    manifests = [r.manifest() for r in runs]
    merged = create_run(results_dir, {
        "config": {**manifests[0]["config"], "shard": [1, 1],
                   "hosts": sorted({h for m in manifests for h in m["hosts"]}), "local_name": ""},
        "hosts": {h: fp for m in manifests for h, fp in m["hosts"].items()},
        "runtimes": {h: rt for m in manifests for h, rt in m["runtimes"].items()},
        "git_commit": manifests[0].get("git_commit", ""),
        "started": min(m.get("started") or "" for m in manifests),
        "finished": max(m.get("finished") or "" for m in manifests),
        "status": "complete",
        "merged_from": [{"run": r.run_id, "shard": m["config"]["shard"], "hosts": list(m["hosts"])}
                        for r, m in zip(runs, manifests, strict=True)],
        "missing_shards": gaps,
        "merged": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
    })
    for run in runs:
        for kind in KINDS:
            for part in sorted((run.path / kind).glob("*.parquet")) if (run.path / kind).is_dir() else []:
                frame = pd.read_parquet(part)
                frame["run_id"] = merged.run_id  # one run now: rows say so
                merged.finish_job(part.stem, frame.to_dict("records"), kind=kind)
    return merged
