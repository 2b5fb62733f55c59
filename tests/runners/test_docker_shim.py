"""The docker runner's shim mode: a containerd Wasm shim through `ctr run --runtime`. No shim is
packaged here, so on this machine the mode must be unavailable with the reason; where one is
installed the same test runs the module for real."""

from __future__ import annotations

import stat

import pytest

from lab.analysis.summary import summarize
from lab.model import Invocation
from lab.run.orchestrate import start_run
from lab.run.plan import RunConfig
from lab.runners.base import Limits, RunnerUnavailable
from lab.runners.docker import shim as docker_shim
from lab.runners.docker.runner import WORKDIR, DockerRunner, container_path
from lab.suites.workloads import STARTUP_EXPECTED
from tests.runners import test_docker

docker_daemon = test_docker.runner  # skips without a daemon

LIMITS = Limits(timeout_s=60, memory_limit_bytes=512 << 20)


def _executable(folder, name: str) -> None:
    path = folder / name
    path.write_text("#!/bin/sh\nexit 0\n")
    path.chmod(path.stat().st_mode | stat.S_IEXEC)


def test_without_a_shim_the_reason_names_the_shims_and_where_to_get_one(tmp_path):
    with pytest.raises(docker_shim.ShimUnavailable) as error:
        docker_shim.find_shim(path=str(tmp_path))
    assert "containerd-shim-wasmtime-v1" in str(error.value) and "runwasi" in str(error.value)


def test_a_shim_without_ctr_or_socket_says_which_is_missing(tmp_path):
    _executable(tmp_path, "containerd-shim-wasmer-v1")
    with pytest.raises(docker_shim.ShimUnavailable, match="ctr"):
        docker_shim.find_shim(path=str(tmp_path))
    _executable(tmp_path, "ctr")
    with pytest.raises(docker_shim.ShimUnavailable, match="containerd socket"):
        docker_shim.find_shim(path=str(tmp_path), sockets=(tmp_path / "missing.sock",))


def test_the_ctr_command_mounts_preopens_at_their_guest_paths(tmp_path):
    shim = docker_shim.Shim("io.containerd.wasmtime.v1", tmp_path / "shim", tmp_path / "ctr", tmp_path / "c.sock")
    invocation = Invocation(wasm=tmp_path / "m.wasm", args=("/data/in.txt", "-v"), env=(("K", "V"),),
                            dirs=((str(tmp_path), "/data"), (str(tmp_path / "w"), ".")))
    argv = docker_shim.run_command(shim, "docker.io/wasmlab/wasm:x", "c1", invocation, container_path, WORKDIR,
                                   1 << 20)
    assert argv[:5] == [str(tmp_path / "ctr"), "--address", str(tmp_path / "c.sock"), "--namespace", "wasmlab"]
    assert argv[argv.index("--runtime") + 1] == "io.containerd.wasmtime.v1"
    assert f"type=bind,src={tmp_path},dst=/data,options=rbind:rw" in argv
    assert f"type=bind,src={tmp_path / 'w'},dst={WORKDIR},options=rbind:rw" in argv
    assert argv[argv.index("--cwd") + 1] == WORKDIR
    assert argv[argv.index("--memory-limit") + 1] == str(1 << 20)
    assert argv[argv.index("--env") + 1] == "K=V"
    assert argv[-5:] == ["docker.io/wasmlab/wasm:x", "c1", "/module.wasm", "/data/in.txt", "-v"]


def test_the_shim_mode_runs_the_module_or_is_unavailable_with_the_reason(docker_daemon: DockerRunner, hello_wasm):
    assert "shim" in docker_daemon.detection().modes
    try:
        docker_shim.find_shim()
    except docker_shim.ShimUnavailable as missing:
        with pytest.raises(RunnerUnavailable) as error:
            docker_daemon.run(Invocation(wasm=hello_wasm), "shim", LIMITS)
        assert str(error.value) == str(missing)
        return
    sample = docker_daemon.run(Invocation(wasm=hello_wasm), "shim", LIMITS)
    assert sample.process.exit_code == 0 and sample.process.stdout == STARTUP_EXPECTED, sample.process.stderr


def test_a_run_records_the_shim_cell_as_unavailable_with_the_reason(docker_daemon, tmp_path):
    try:
        docker_shim.find_shim()
        pytest.skip("a containerd Wasm shim is installed here: the cell runs (test above)")
    except docker_shim.ShimUnavailable as missing:
        reason = str(missing)
    run = start_run(RunConfig(suites=("startup",), runtimes=("docker:shim",), repeat=1, warmup=0), tmp_path)
    (cell,) = [c for c in summarize(run)["metrics"] if c["metric"] == "wall_time"]
    assert (cell["status"], cell["reason"]) == ("unavailable", reason)
