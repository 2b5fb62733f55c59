"""`wasmlab matrix`: the nightly CI matrix as JSON, from suites/ci/nightly.toml, so the
workflow's jobs and the lab's configuration cannot drift apart."""

from __future__ import annotations

import tomllib
from pathlib import Path

from lab.config import REPO_ROOT
from lab.errors import LabError

NIGHTLY = REPO_ROOT / "suites" / "ci" / "nightly.toml"


class MatrixError(LabError):
    pass


def load_nightly(path: Path = NIGHTLY) -> dict:
    try:
        data = tomllib.loads(path.read_text())
    except (OSError, tomllib.TOMLDecodeError) as error:
        raise MatrixError(f"cannot read {path}: {error}") from None
    if not data.get("host") or "run" not in data:
        raise MatrixError(f"{path} needs a [run] table and at least one [[host]]")
    return data


def matrix(path: Path = NIGHTLY) -> dict:
    """GitHub Actions `strategy.matrix` shape: {"include": [one entry per host and shard]}."""
    data = load_nightly(path)
    run = data["run"]
    shards = int(run.get("shards", 1))
    include = []
    for host in data["host"]:
        for index in range(1, shards + 1):
            include.append({
                "name": f"{host['name']}-{index}of{shards}",
                "runs-on": host["runs-on"],
                "host": host.get("host", "local"),
                "local-name": host["name"],
                "shard": f"{index}/{shards}",
                "args": run_arguments(run),
            })
    return {"include": include}


def run_arguments(run: dict) -> str:
    """The `wasmlab run` options every shard shares, as one shell-ready string."""
    parts = ["--suite", *run["suites"], "--size", *run["sizes"],
             "--repeat", str(run.get("repeat", 5)), "--warmup", str(run.get("warmup", 1))]
    if run.get("runtimes"):
        parts += ["--runtime", *run["runtimes"]]
    if run.get("instruction-sizes"):
        parts += ["--instructions-size", *run["instruction-sizes"]]
    if run.get("allow-unavailable"):
        parts.append("--allow-unavailable")
    return " ".join(parts)
