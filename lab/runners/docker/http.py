"""The http suite's native server in a container (runc, through the docker daemon): the same
handler function as `native` (lab.http.native_server), run by the host's CPython inside a FROM-scratch
container that sees the interpreter, its libraries and the lab read-only through bind mounts.

The container shares the host's network namespace, so the server listens on the host's
127.0.0.1 and the load stays on loopback; everything else (pid, mount, ipc, uts namespaces, a
memory-limited cgroup) is the container's. Memory and CPU come from the container's cgroup, as
the docker runner reads them. The container is killed and removed however the sample ends.
"""

from __future__ import annotations

import os
import sys
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from lab.config import REPO_ROOT
from lab.runners.docker.cgroup import SampleCgroup
from lab.runners.docker.runner import LABEL_OWNER, LABEL_RUNNER, PIDS_LIMIT, DockerRunner, _remove, build_image
from lab.runners.server_probe import GroupUsage

IMAGE_REPOSITORY = "wasmlab/http-native"
LAB_MOUNT = "/wasmlab"
RSS_NOTE = "container cgroup peak (includes runc init and page cache), not the server's RSS"
_DOCKERFILE = "FROM scratch\nCOPY marker /wasmlab-http-native\n"


class ContainerServer:
    """A running container server: `alive()` for the first-response wait, `usage()` before the stop."""

    def __init__(self, container, cgroup: SampleCgroup) -> None:
        self.container = container
        self.cgroup = cgroup

    def poll(self) -> int | None:
        """Like Popen.poll(): None while the container runs, else its exit code."""
        self.container.reload()
        state = self.container.attrs["State"]
        return None if state.get("Running") else int(state.get("ExitCode", -1))

    @property
    def returncode(self) -> int | None:
        return self.poll()

    def usage(self) -> GroupUsage:
        figures = self.cgroup.read()
        return GroupUsage(figures.peak_memory_bytes // 1024, figures.user_s, figures.sys_s, 1)


def _image(client) -> str:
    with tempfile.TemporaryDirectory(prefix="wasmlab-http-image-") as folder:
        dockerfile, marker = Path(folder) / "Dockerfile", Path(folder) / "marker"
        dockerfile.write_text(_DOCKERFILE)
        marker.write_text("the native HTTP server runs the host's python through read-only mounts\n")
        return build_image(client, {"Dockerfile": dockerfile, "marker": marker}, IMAGE_REPOSITORY)


def _mounts() -> dict[str, dict[str, str]]:
    """The interpreter's prefix, the system libraries and the lab, read-only."""
    python = Path(sys.base_prefix)
    paths = {str(python), "/usr", "/lib", "/lib64", "/etc/ld.so.cache"}
    mounts = {path: {"bind": path, "mode": "ro"} for path in sorted(paths) if os.path.exists(path)}
    mounts[str(REPO_ROOT)] = {"bind": LAB_MOUNT, "mode": "ro"}
    return mounts


@contextmanager
def serving_in_container(handler: str, port: int, memory_limit_bytes: int | None) -> Iterator[ContainerServer]:
    runner = DockerRunner()
    detection = runner.detection()
    if not detection.available:
        from lab.runners.http_servers import ServerUnavailable

        raise ServerUnavailable(detection.reason)
    client = runner.client()
    cgroup = SampleCgroup(runner._cgroup_version)
    python = str(Path(sys.base_prefix) / "bin" / f"python{sys.version_info.major}.{sys.version_info.minor}")
    options = {"network_mode": "host", "pids_limit": PIDS_LIMIT, "cgroup_parent": cgroup.parent,
               "labels": {LABEL_RUNNER: "docker", LABEL_OWNER: str(os.getpid())}, "volumes": _mounts(),
               "environment": {"PYTHONPATH": LAB_MOUNT, "PYTHONDONTWRITEBYTECODE": "1"}, "working_dir": "/"}
    if memory_limit_bytes:
        options.update(mem_limit=memory_limit_bytes, memswap_limit=memory_limit_bytes)
    container = None
    name = f"wasmlab-http-{uuid.uuid4().hex[:12]}"
    try:
        container = client.containers.create(_image(client), entrypoint=[python, "-m", "lab.http.native_server"],
                                             command=[handler, str(port)], name=name, **options)
        container.start()
        yield ContainerServer(container, cgroup)
    finally:
        _remove(client, container.id if container is not None else name)
        cgroup.remove()
