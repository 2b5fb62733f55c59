"""The docker runner's wasmtime mode: the wasmtime CLI and its libraries in a FROM-scratch
image with the module beside it, against a real daemon (skipped with the reason without one)."""

from __future__ import annotations

from lab.model import Invocation
from lab.runners.base import Limits
from lab.runners.docker import wasm as docker_wasm
from lab.runners.docker.runner import DockerRunner
from lab.runners.wasmtime.cli import find_wasmtime_binary
from lab.suites.workloads import STARTUP_EXPECTED
from tests.runners import test_docker

docker_daemon = test_docker.runner  # the docker runner's own fixture: skips without a daemon

LIMITS = Limits(timeout_s=60, memory_limit_bytes=512 << 20)


def test_the_image_holds_wasmtime_its_libraries_and_the_module(hello_wasm):
    files = docker_wasm.image_files(hello_wasm)
    assert files["wasmtime"] == find_wasmtime_binary()[0] and files["module.wasm"] == hello_wasm
    libraries = [name for name in files if name.startswith(("lib/", "lib64/", "usr/"))]
    assert any(name.endswith("/libc.so.6") for name in libraries)
    assert any("ld-linux" in name for name in libraries)  # the dynamic loader, as a file
    assert all(files[name].is_file() and not files[name].is_symlink() for name in libraries)


def test_the_mode_is_offered(docker_daemon: DockerRunner):
    assert "wasmtime" in docker_daemon.detection().modes, docker_daemon.detection()


def test_containerized_wasmtime_runs_the_module(docker_daemon, hello_wasm):
    sample = docker_daemon.run(Invocation(wasm=hello_wasm), "wasmtime", LIMITS)
    assert sample.process.stdout == STARTUP_EXPECTED, sample.process.stderr[-300:]
    assert sample.process.exit_code == 0
    assert 0 < sample.phases["run"] < sample.process.wall_s  # wasmtime's own time, inside the container


def test_containerized_wasmtime_gets_args_env_and_preopens(docker_daemon, echo_env_wasm, tmp_path):
    (tmp_path / "in.txt").write_text("mounted\n")
    invocation = Invocation(wasm=echo_env_wasm, args=("/d/in.txt", "7"), env=(("WASMLAB_GREETING", "hey"),),
                            dirs=((str(tmp_path), "/d"),))
    sample = docker_daemon.run(invocation, "wasmtime", LIMITS)
    assert sample.process.stdout == b"env=hey\nmounted\n", sample.process.stderr[-300:]
    assert sample.process.exit_code == 7  # a core module keeps its exit code through the container
