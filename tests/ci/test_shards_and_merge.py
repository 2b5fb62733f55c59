"""Sharding, merging and the nightly matrix: real runs on two hosts, joined into one."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from lab.analysis.summary import summarize
from lab.cli import build_parser
from lab.matrix import matrix
from lab.merge import MergeError, merge_runs
from lab.run.fleet import assemble
from lab.run.orchestrate import start_run
from lab.run.plan import RunConfig, build_plan
from lab.store import load, open_run

REPO = Path(__file__).resolve().parents[2]


def _shard_config(index: int, host: str, repeat: int = 2) -> RunConfig:
    return RunConfig(suites=("startup",), runtimes=("native", "wasmtime-cli"), hosts=(host,), repeat=repeat,
                     warmup=0, shard=(index, 2))


@pytest.fixture(scope="module")
def shard_runs(tmp_path_factory):
    """Shard 1/2 and 2/2 of each of two hosts: the nightly layout, here on one machine."""
    out = tmp_path_factory.mktemp("shards")
    return [start_run(_shard_config(i, host), out) for host in ("local", "arm64-emulated") for i in (1, 2)]


def test_shards_split_the_plan_without_overlap_or_gap():
    config = RunConfig(suites=("startup", "workloads"), runtimes=("native", "wasmtime-cli"))
    fleet = assemble(config.hosts)
    full = [c.job.key for c in build_plan(config, fleet).cells]
    parts = [[c.job.key for c in build_plan(RunConfig(**{**config.as_dict(), "shard": (i, 3)}), fleet).cells]
             for i in (1, 2, 3)]
    assert sorted(sum(parts, [])) == sorted(full)
    assert len(set(sum(parts, []))) == len(full)
    assert all(parts)


def _case_of(cell) -> tuple:
    return cell.job.host, cell.job.suite, cell.job.case, cell.job.size


def test_a_cases_runtimes_run_one_after_another_and_in_one_shard():
    """Plans are case-major, so a ratio between runtimes compares samples taken moments apart;
    a run planned before that (no plan_order in its manifest) resumes in its old order."""
    config = RunConfig(suites=("workloads",), runtimes=("native", "wasmtime-cli", "wasm3"),
                       workloads=("fib", "sieve", "nbody"), sizes=("small", "medium"))
    fleet = assemble(config.hosts)
    cells = build_plan(config, fleet).cells
    cases = [_case_of(c) for c in cells]
    assert [c.job.runtime for c in cells[:3]] == ["native", "wasmtime-cli", "wasm3"]
    assert all(cases[i] == cases[i - i % 3] for i in range(len(cases)))
    for index in (1, 2):
        part = build_plan(RunConfig(**{**config.as_dict(), "shard": (index, 2)}), fleet).cells
        other = build_plan(RunConfig(**{**config.as_dict(), "shard": (3 - index, 2)}), fleet).cells
        assert not {_case_of(c) for c in part} & {_case_of(c) for c in other}
    legacy = {k: v for k, v in config.as_dict().items() if k != "plan_order"}
    old_cells = build_plan(RunConfig.from_dict(legacy), fleet).cells
    assert [c.job.runtime for c in old_cells] == ["native"] * 6 + ["wasmtime-cli"] * 6 + ["wasm3"] * 6
    assert sorted(c.job.key for c in old_cells) == sorted(c.job.key for c in cells)


def test_merge_of_two_hosts_gives_one_run(shard_runs, tmp_path):
    merged = merge_runs([r.path for r in shard_runs], tmp_path)
    frame = load(merged)
    assert set(frame["host"]) == {"local", "arm64-emulated"}
    assert set(frame["run_id"]) == {merged.run_id}
    walls = {(c["host"], c["runtime"]): c for c in summarize(merged)["metrics"] if c["metric"] == "wall_time"}
    assert set(walls) == {(h, r) for h in ("local", "arm64-emulated") for r in ("native", "wasmtime-cli")}
    for key, cell in walls.items():
        assert cell["status"] == "ok", (key, cell["reason"])
    assert frame.loc[frame["host"] == "arm64-emulated", "emulated"].all()
    assert not frame.loc[frame["host"] == "local", "emulated"].any()
    assert sorted(merged.manifest()["hosts"]) == ["arm64-emulated", "local"]


def test_merged_shards_render_one_report(shard_runs, tmp_path):
    from lab.report import build_site

    merged = merge_runs([r.path for r in shard_runs], tmp_path / "merged")
    index = build_site([merged], out=tmp_path / "site")
    overview = Path(index).read_text()
    assert "arm64-emulated" in overview and "local" in overview
    assert "emulated" in overview  # emulated rows are labelled, not mixed with native ones


def test_merge_refuses_different_configurations(shard_runs, tmp_path):
    other = start_run(_shard_config(2, "local", repeat=3), tmp_path / "other")
    with pytest.raises(MergeError, match="different configuration.*repeat"):
        merge_runs([shard_runs[0].path, other.path], tmp_path)


def test_merge_refuses_overlapping_shards(shard_runs, tmp_path):
    copy = tmp_path / "copy"
    shutil.copytree(shard_runs[0].path, copy)
    with pytest.raises(MergeError, match="overlap"):
        merge_runs([shard_runs[0].path, copy], tmp_path)


def test_merge_refuses_missing_shards_unless_allowed(shard_runs, tmp_path):
    with pytest.raises(MergeError, match="shards missing: arm64-emulated 2/2"):
        merge_runs([r.path for r in shard_runs[:3]], tmp_path)
    assert merge_runs([r.path for r in shard_runs[:3]], tmp_path, allow_partial=True)


def test_merge_refuses_an_unfinished_shard(shard_runs, tmp_path):
    copy = tmp_path / "unfinished"
    shutil.copytree(shard_runs[1].path, copy)
    open_run(copy).update_manifest(status="interrupted")
    with pytest.raises(MergeError, match="not complete"):
        merge_runs([shard_runs[0].path, copy], tmp_path)


def test_matrix_entries_are_valid_run_commands():
    entries = matrix()["include"]
    assert {e["runs-on"] for e in entries} == {"ubuntu-24.04", "ubuntu-24.04-arm"}
    for entry in entries:
        options = build_parser().parse_args(["run", *entry["args"].split(), "--host", entry["host"],
                                             "--local-name", entry["local-name"], "--shard", entry["shard"]])
        assert options.suite and options.shard == entry["shard"]
        assert options.instructions_size == ["small"]  # counted verdicts on the small cells


def test_matrix_command_prints_json():
    out = subprocess.run([sys.executable, "-m", "lab.cli", "matrix"], capture_output=True, text=True, check=True)
    assert json.loads(out.stdout) == matrix()


def test_workflows_pass_actionlint():
    actionlint = shutil.which("actionlint", path=str(Path(sys.executable).parent)) or shutil.which("actionlint")
    assert actionlint, "actionlint is part of the test extra"
    workflows = sorted((REPO / ".github" / "workflows").glob("*.yml"))
    assert {w.name for w in workflows} >= {"ci.yml", "nightly.yml"}
    out = subprocess.run([actionlint, *map(str, workflows)], capture_output=True, text=True)
    assert out.returncode == 0, out.stdout + out.stderr
