"""The docker runner against a real daemon: real images, real containers, real cgroups.

The session starts the daemon through lab.runners.docker.setup.ensure_daemon when it is root (as
quickstart.sh does); without a daemon these tests skip with the reason.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import threading
from pathlib import Path

import pytest

from lab.hosts import toolchain
from lab.model import Invocation
from lab.runners.base import Limits
from lab.runners.docker import cgroup as container_cgroup
from lab.runners.docker import setup as docker_setup
from lab.runners.docker.runner import (
    LABEL_OWNER,
    LABEL_RUNNER,
    DockerRunner,
    ensure_image,
    exit_status,
    keep_tail,
    sweep_containers,
)
from lab.suites import workloads

LIMITS = Limits(timeout_s=30, memory_limit_bytes=256 << 20)

ALLOC_SOURCE = r"""
#include <stdio.h>
#include <stdlib.h>
int main(int argc, char **argv) {
    size_t bytes = strtoul(argv[1], 0, 10) << 20;
    volatile char *block = malloc(bytes);
    if (!block) { puts("malloc failed"); return 1; }
    for (size_t i = 0; i < bytes; i += 4096) block[i] = (char)i;  /* touch every page */
    printf("touched %s MiB\n", argv[1]);
    return 0;
}
"""

SLEEP_SOURCE = r"""
#include <unistd.h>
int main(void) { sleep(60); return 0; }
"""

CONNECT_SOURCE = r"""
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
int main(int argc, char **argv) {
    struct sockaddr_in peer = {0};
    peer.sin_family = AF_INET;
    peer.sin_port = htons((unsigned short)atoi(argv[2]));
    inet_pton(AF_INET, argv[1], &peer.sin_addr);
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (connect(fd, (struct sockaddr *)&peer, sizeof peer) == 0) { puts("connected"); return 0; }
    printf("failed: %s\n", strerror(errno));
    return 1;
}
"""


@pytest.fixture(scope="module")
def runner() -> DockerRunner:
    ok, reason = docker_setup.ensure_daemon()
    if not ok:
        pytest.skip(f"no Docker daemon: {reason}")
    docker_runner = DockerRunner()
    detection = docker_runner.detection()
    assert detection.available, detection.reason
    return docker_runner


def native_program(tmp_path_factory, name: str, source: str) -> Path:
    folder = tmp_path_factory.mktemp(name)
    (folder / f"{name}.c").write_text(source)
    return toolchain.build(folder / f"{name}.c", toolchain.native_target(), name=name)


def our_containers(runner: DockerRunner) -> list:
    return runner.client().containers.list(all=True, filters={"label": f"{LABEL_OWNER}={os.getpid()}"})


def sample_cgroups() -> list[Path]:
    mounts = container_cgroup.cgroup_mounts()
    return [child for mount in set(mounts.values()) if (mount / "wasmlab").is_dir()
            for child in (mount / "wasmlab").iterdir() if child.is_dir()]


def test_detection_reports_the_daemon(runner):
    detection = runner.detection()
    assert detection.modes == ["container", "wasmtime", "shim"]  # the CLI inside the container; a containerd shim
    assert "cgroup v" in detection.version


def test_hello_runs_in_a_container_with_figures(runner, hello_native):
    sample = runner.run(Invocation(wasm=None, native=hello_native), "container", LIMITS)
    result = sample.process
    assert result.status == "ok", result.stderr
    assert result.stdout == b"hello from wasmlab\n"
    assert result.max_rss_kib > 0
    assert 0 < sample.phases["run"] < result.wall_s  # the program's own time is inside the container's
    assert sample.phases["container_create"] > 0
    assert our_containers(runner) == []
    assert sample_cgroups() == []


def test_workload_reads_and_writes_its_mounted_inputs(runner, tmp_path):
    workload = workloads.by_name("fileio")
    binary = toolchain.build(workload.source, toolchain.native_target())
    data = workloads.prepare_data_dir(workload, tmp_path / "data")
    invocation = Invocation(wasm=None, native=binary, args=tuple(workload.args["small"]),
                            dirs=((str(data), workload.data_mount),))
    result = runner.run(invocation, "container", LIMITS).process
    assert result.status == "ok", result.stderr
    assert result.stdout == workloads.expected_output(workload, "small")
    assert (data / "output.txt").stat().st_size > 0  # written through the bind mount


def test_peak_memory_comes_from_the_container_cgroup(runner, tmp_path_factory):
    alloc = native_program(tmp_path_factory, "alloc_touch", ALLOC_SOURCE)
    result = runner.run(Invocation(wasm=None, native=alloc, args=("48",)), "container", LIMITS).process
    assert result.status == "ok", result.stderr
    assert result.max_rss_kib >= 48 * 1024


def test_memory_limit_kills_the_container(runner, tmp_path_factory):
    alloc = native_program(tmp_path_factory, "alloc_touch", ALLOC_SOURCE)
    small = Limits(timeout_s=30, memory_limit_bytes=32 << 20)
    result = runner.run(Invocation(wasm=None, native=alloc, args=("96",)), "container", small).process
    assert result.status == "signal" and result.term_signal == signal.SIGKILL
    assert our_containers(runner) == []


def test_timeout_kills_and_removes_the_container(runner, tmp_path_factory):
    sleeper = native_program(tmp_path_factory, "sleep60", SLEEP_SOURCE)
    result = runner.run(Invocation(wasm=None, native=sleeper), "container", Limits(timeout_s=1.5)).process
    assert result.timed_out and result.status == "timeout"
    assert result.wall_s < 20
    assert our_containers(runner) == []
    assert sample_cgroups() == []


def test_container_is_removed_when_the_run_is_interrupted(runner, hello_native, monkeypatch):
    import docker.models.containers

    def interrupted(self, **kwargs):
        raise KeyboardInterrupt  # Ctrl-C while waiting for the container

    monkeypatch.setattr(docker.models.containers.Container, "wait", interrupted)
    with pytest.raises(KeyboardInterrupt):
        runner.run(Invocation(wasm=None, native=hello_native), "container", LIMITS)
    monkeypatch.undo()
    assert our_containers(runner) == []
    assert sample_cgroups() == []


def test_container_has_no_network(runner, tmp_path_factory):
    probe = native_program(tmp_path_factory, "connect_probe", CONNECT_SOURCE)
    host_ip = _host_address()
    with socket.create_server(("0.0.0.0", 0)) as server:
        port = str(server.getsockname()[1])
        threading.Thread(target=_accept_all, args=(server,), daemon=True).start()
        # The same program reaches the listener from the host: the probe itself works...
        native = subprocess.run([str(probe), host_ip, port], capture_output=True, timeout=30)
        assert native.stdout == b"connected\n"
        # ...and cannot from inside the container.
        result = runner.run(Invocation(wasm=None, native=probe, args=(host_ip, port)), "container", LIMITS).process
    assert result.exit_code == 1
    assert result.stdout.startswith(b"failed: ")


def test_image_is_built_once_per_binary(runner, hello_native):
    client = runner.client()
    tag = ensure_image(client, hello_native)
    image_id = client.images.get(tag).id
    assert ensure_image(client, hello_native) == tag
    assert client.images.get(tag).id == image_id


def test_sweep_removes_only_containers_of_dead_owners(runner, hello_native):
    client = runner.client()
    image = ensure_image(client, hello_native)
    gone = subprocess.Popen(["true"])
    gone.wait()  # its pid now names no process (pids are not reused this quickly)
    dead_pid = str(gone.pid)
    orphan = client.containers.create(image, labels={LABEL_RUNNER: "docker", LABEL_OWNER: dead_pid})
    mine = client.containers.create(image, labels={LABEL_RUNNER: "docker", LABEL_OWNER: str(os.getpid())})
    try:
        sweep_containers(client)
        remaining = {c.id for c in client.containers.list(all=True, filters={"label": f"{LABEL_RUNNER}=docker"})}
        assert orphan.id not in remaining
        assert mine.id in remaining
    finally:
        for container in (orphan, mine):
            _remove_quietly(client, container.id)


def test_exit_status_prefers_the_launchers_wait_status():
    assert exit_status({"ExitCode": 0}, False, 3 << 8) == (3, None)
    assert exit_status({"ExitCode": 0}, False, signal.SIGSEGV) == (None, signal.SIGSEGV)
    assert exit_status({"ExitCode": 137, "OOMKilled": True}, False, None) == (None, signal.SIGKILL)
    assert exit_status({"ExitCode": 139}, False, None) == (None, 11)


def test_keep_tail_bounds_output():
    kept, total = keep_tail([b"a" * 700, b"b" * 700, b"c" * 700], 1000)
    assert total == 2100 and kept == b"b" * 300 + b"c" * 700


def test_cgroup_mounts_parses_v1_and_v2(tmp_path):
    mountinfo = tmp_path / "mountinfo"
    mountinfo.write_text(
        "30 25 0:26 / /sys/fs/cgroup/memory rw,relatime shared:9 - cgroup cgroup rw,memory\n"
        "31 25 0:27 / /sys/fs/cgroup/cpu,cpuacct rw,relatime shared:10 - cgroup cgroup rw,cpu,cpuacct\n"
        "32 25 0:28 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw,nsdelegate\n"
        "22 1 252:1 / / rw,relatime - ext4 /dev/vda rw\n")
    mounts = container_cgroup.cgroup_mounts(mountinfo)
    assert mounts["memory"] == Path("/sys/fs/cgroup/memory")
    assert mounts["cpuacct"] == mounts["cpu"] == Path("/sys/fs/cgroup/cpu,cpuacct")
    assert mounts["unified"] == Path("/sys/fs/cgroup/unified")


def _host_address() -> str:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("10.254.254.254", 1))  # no packet is sent; this only picks a route
        except OSError:
            pytest.skip("this machine has no non-loopback IPv4 address to test isolation against")
        return probe.getsockname()[0]


def _accept_all(server: socket.socket) -> None:
    while True:
        try:
            connection, _ = server.accept()
        except OSError:
            return
        connection.close()


def _remove_quietly(client, container_id: str) -> None:
    import docker

    try:
        client.api.remove_container(container_id, force=True)
    except docker.errors.NotFound:
        pass
