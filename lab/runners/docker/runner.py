"""docker: the case's static native binary in a Linux container, through the docker Python SDK.

Images are built FROM scratch (runners/docker/Dockerfile; no registry is reachable) and tagged by
the content hash of what they hold, so a binary becomes an image once. Each sample is a fresh container
with no network, a memory limit and the workload's input folder bind-mounted at its guest path,
and it is always removed, whatever happens (errors, timeouts, Ctrl-C). Every container carries
labels naming the harness process that owns it, so `python -m lab.runners.docker.setup` sweeps leftovers
of killed runs without touching a concurrent run's containers.

Figures per sample: wall time from container start to exit as the harness sees it; the program's
own wall time, timed inside the container by wasmlab-spawn (phase "run"); the create call (phase
"container_create"); CPU time and peak memory from the container's cgroup (container_cgroup.py).
The cgroup peak is the container's memory, not the program's RSS: it includes runc's init process
before it execs the program, and page cache the program brought in, but not file pages already
cached: the kernel charges a page-cache page to the cgroup that first read it. So the wasmtime
mode's peak (4.3 MB for hello) sits far below bare wasmtime's RSS (21.7 MB), of which 19.5 MB
is the wasmtime binary's mapped file pages (RssFile; RssAnon is 2.1 MB): an earlier container
or the image build had already read them.

Modes: "container" (the native binary), "wasmtime" (the wasmtime CLI in the image, docker/wasm.py),
"shim" (a containerd Wasm shim runs the module, docker/shim.py; unavailable where none is installed).
"""

from __future__ import annotations

import hashlib
import io
import os
import posixpath
import shutil
import signal
import tarfile
import tempfile
import time
import uuid
from collections.abc import Iterable
from pathlib import Path

from lab.config import REPO_ROOT
from lab.hosts import toolchain
from lab.model import Detection, Invocation
from lab.run.measure import ProcessResult, read_spawn_report
from lab.run.scratch import pid_alive
from lab.runners.base import Limits, Runner, RunnerUnavailable, Sample
from lab.runners.docker import shim as docker_shim
from lab.runners.docker import wasm as docker_wasm
from lab.runners.docker.cgroup import SampleCgroup
from lab.runners.docker.setup import DaemonUnavailable, connect, last_line
from lab.runners.wasmtime.cli import find_wasmtime_binary

DOCKERFILE = REPO_ROOT / "runners" / "docker" / "Dockerfile"
IMAGE_REPOSITORY = "wasmlab/native"
LABEL_RUNNER = "wasmlab.runner"  # on every image and container this runner makes
LABEL_OWNER = "wasmlab.owner-pid"  # the harness process a container belongs to
PIDS_LIMIT = 512
KILL_WAIT_S = 30
SPAWN_SOURCE = REPO_ROOT / "runners" / "spawn" / "spawn.c"
REPORT_MOUNT = "/wasmlab-report"
WORKDIR = "/wasmlab-work"  # a relative guest path (a data mount of ".") lives under this working directory
REPORT_FILE = "usage"
# The program runs under the lab's launcher inside the container, so its own wall time is timed
# there (the daemon's StartedAt/FinishedAt stamps come from two clocks and can even be negative
# for a millisecond program); the memory limit is the container's, hence 0 for the launcher.
SPAWN_ENTRYPOINT = ("/wasmlab-spawn", f"{REPORT_MOUNT}/{REPORT_FILE}", "0", "/program")
CGROUP_NOTE = ("container cgroup peak (includes runc init and page cache it read, not file pages already "
               "cached), not the program's RSS")


class DockerRunner(Runner):
    id = "docker"
    counts_in_process = False  # dockerd runs the program
    description = "the static native binary in a FROM-scratch Linux container (docker SDK)"
    artifact = "native"
    measured_suites = ("startup", "workloads", "user", "http")  # http: the native server in a container
    install_hint = "as root: python -m lab.runners.docker.setup (installs Debian docker.io, starts dockerd)"

    def __init__(self) -> None:
        self._client = None
        self._cgroup_version = 1

    def detect(self) -> Detection:
        try:
            client = self.client()
            info = client.info()
        except RunnerUnavailable as error:
            return Detection(self.id, False, reason=str(error))
        except Exception as error:  # noqa: BLE001 - any SDK/socket failure means "no daemon"
            return Detection(self.id, False, reason=f"the Docker daemon did not answer: {error}; {self.install_hint}")
        driver = info.get("CgroupDriver", "")
        if driver != "cgroupfs":
            return Detection(self.id, False, version=info.get("ServerVersion", ""),
                             reason=f"the daemon uses the {driver or 'unknown'} cgroup driver; the docker "
                                    "runner reads container memory from cgroupfs paths: start dockerd with "
                                    "--exec-opt native.cgroupdriver=cgroupfs")
        self._cgroup_version = int(info.get("CgroupVersion") or 1)
        version = f"{info.get('ServerVersion', '?')} (cgroup v{self._cgroup_version}, {info.get('Driver', '?')})"
        # wasmtime: the wasmtime CLI inside the container, running the case's module (docker_wasm);
        # shim: a containerd Wasm shim runs the module (docker_shim; unavailable with the reason
        # at run time where none is installed, so the cell says why)
        modes = ["container", "wasmtime", "shim"] if find_wasmtime_binary()[0] is not None else ["container", "shim"]
        return Detection(self.id, True, version=version, path=str(client.api.base_url), modes=modes)

    def client(self):
        """The SDK client, connected once per runner object (never starts a daemon)."""
        if self._client is None:
            try:
                self._client = connect()
            except DaemonUnavailable as error:
                raise RunnerUnavailable(f"{error}; {self.install_hint}") from None
        return self._client

    def command(self, invocation: Invocation, mode: str) -> list[str]:
        """The equivalent `docker run` command line (used by `wasmlab exec`); the measured path is run()."""
        if mode not in ("", "container"):
            raise RuntimeError(f"`wasmlab exec` runs docker's container mode only; its {mode} mode runs in `run`")
        if invocation.native is None:
            raise ValueError("this case has no native build")
        docker_cli = shutil.which("docker")
        if docker_cli is None:
            raise RuntimeError("the docker command-line client is not on PATH (apt-get install docker.io)")
        image = ensure_image(self.client(), invocation.native)
        argv = [docker_cli, "run", "--rm", "-i", "--network", "none", "--pids-limit", str(PIDS_LIMIT),
                "--label", f"{LABEL_RUNNER}=docker", "--label", f"{LABEL_OWNER}={os.getpid()}"]
        for host, guest in invocation.dirs:
            argv += ["--volume", f"{host}:{container_path(guest)}"]
        if any(not guest.startswith("/") for _, guest in invocation.dirs):
            argv += ["--workdir", WORKDIR]
        for key, value in invocation.env:
            argv += ["--env", f"{key}={value}"]
        return [*argv, image, *invocation.args]

    def run(self, invocation: Invocation, mode: str, limits: Limits, cwd: Path | None = None) -> Sample:
        detection = self.detection()
        if not detection.available:
            raise RunnerUnavailable(detection.reason)
        client = self.client()
        if mode == "wasmtime":
            if invocation.wasm is None:
                raise ValueError("this case has no wasm module")
            try:
                files = docker_wasm.image_files(invocation.wasm)
            except docker_wasm.WasmImageUnavailable as error:
                raise RunnerUnavailable(str(error)) from None
            image = build_image(client, {**files, "wasmlab-spawn": spawn_binary()}, docker_wasm.IMAGE_REPOSITORY)
            entry = docker_wasm.entrypoint(invocation, SPAWN_ENTRYPOINT[:-1], container_path)
            return run_container(client, image, invocation, limits, SampleCgroup(self._cgroup_version), entry)
        if mode == "shim":
            return run_in_shim(client, invocation, limits)
        if invocation.native is None:
            raise ValueError("this case has no native build")
        image = ensure_image(client, invocation.native)
        return run_container(client, image, invocation, limits, SampleCgroup(self._cgroup_version))


def run_in_shim(client, invocation: Invocation, limits: Limits) -> Sample:
    """One sample of the module under a containerd Wasm shim, or RunnerUnavailable saying why not."""
    if invocation.wasm is None:
        raise ValueError("this case has no wasm module")
    try:
        shim = docker_shim.find_shim()
        tag = build_image(client, {"Dockerfile": docker_shim.DOCKERFILE, "module.wasm": invocation.wasm},
                          docker_shim.IMAGE_REPOSITORY)
        reference = docker_shim.import_image(shim, client, tag)
    except docker_shim.ShimUnavailable as error:
        raise RunnerUnavailable(str(error)) from None
    return Sample(process=docker_shim.run_sample(shim, reference, invocation, limits, container_path, WORKDIR))


def run_container(client, image: str, invocation: Invocation, limits: Limits, cgroup: SampleCgroup,
                  entrypoint: list[str] | None = None) -> Sample:
    """One fresh container: create, start, wait (bounded), collect, and always remove it.
    `entrypoint` defaults to wasmlab-spawn running the image's /program."""
    import requests

    name = f"wasmlab-{uuid.uuid4().hex[:12]}"
    container = None
    with tempfile.TemporaryDirectory(prefix="wasmlab-docker-") as report_dir:
        try:
            begin = time.perf_counter()
            container = client.containers.create(
                image, entrypoint=entrypoint or list(SPAWN_ENTRYPOINT), command=list(invocation.args), name=name,
                **container_options(invocation, limits, cgroup.parent, report_dir))
            created_s = time.perf_counter() - begin
            begin = time.perf_counter()
            container.start()
            timed_out = False
            try:
                container.wait(timeout=limits.timeout_s)
            except (requests.exceptions.ReadTimeout, requests.exceptions.ConnectionError):
                timed_out = True
                _kill(container)
                container.wait(timeout=KILL_WAIT_S)
            wall_s = time.perf_counter() - begin
            container.reload()
            state = container.attrs["State"]
            stdout, stdout_total = keep_tail(container.logs(stdout=True, stderr=False, stream=True), limits.output_cap)
            stderr, stderr_total = keep_tail(container.logs(stdout=False, stderr=True, stream=True), limits.output_cap)
            figures = cgroup.read()
        finally:
            _remove(client, container.id if container is not None else name)
            cgroup.remove()
        report = read_spawn_report(Path(report_dir) / REPORT_FILE)
    if report is None and not timed_out and int(state.get("ExitCode", 0)) == 127:
        raise RuntimeError("the container could not start its program: "
                           f"{stderr.decode(errors='replace').strip()[-300:]}")
    exit_code, term_signal = exit_status(state, timed_out, report.wait_status if report else None)
    result = ProcessResult(
        wall_s=wall_s, user_s=figures.user_s, sys_s=figures.sys_s,
        max_rss_kib=figures.peak_memory_bytes // 1024,
        exit_code=exit_code, term_signal=term_signal, timed_out=timed_out,
        stdout=stdout, stderr=stderr, stdout_bytes=stdout_total, stderr_bytes=stderr_total,
        rss_note=CGROUP_NOTE)
    phases = {"container_create": created_s}
    if report is not None:
        phases["run"] = report.wall_s  # the program's own wall time, timed inside the container
    return Sample(process=result, phases=phases)


def container_options(invocation: Invocation, limits: Limits, cgroup_parent: str, report_dir: str) -> dict:
    """Isolation and limits for one sample's container (docker SDK keyword arguments)."""
    options = {
        "network_mode": "none",
        "pids_limit": PIDS_LIMIT,
        "cgroup_parent": cgroup_parent,
        "labels": {LABEL_RUNNER: "docker", LABEL_OWNER: str(os.getpid())},
        "environment": dict(invocation.env),
        # Mount each input folder at its guest path: the program sees /data/... exactly as a wasm
        # guest sees its preopen, so its arguments pass through unchanged.
        "volumes": {host: {"bind": container_path(guest), "mode": "rw"} for host, guest in invocation.dirs}
                   | {report_dir: {"bind": REPORT_MOUNT, "mode": "rw"}},
        "log_config": {"type": "json-file", "config": {}},
    }
    if any(not guest.startswith("/") for _, guest in invocation.dirs):
        options["working_dir"] = WORKDIR
    if limits.memory_limit_bytes:
        options["mem_limit"] = limits.memory_limit_bytes
        options["memswap_limit"] = limits.memory_limit_bytes  # no swap on top of the limit
    return options


def container_path(guest: str) -> str:
    """Where a preopen's guest path is mounted: itself when absolute, else under WORKDIR (docker
    mounts only at absolute paths; the program runs in WORKDIR, so `./file` resolves the same)."""
    return guest if guest.startswith("/") else posixpath.normpath(posixpath.join(WORKDIR, guest))


def ensure_image(client, binary: Path) -> str:
    """The tag of the FROM-scratch image holding `binary` (and the launcher), built once."""
    files = {"Dockerfile": DOCKERFILE, "wasmlab-spawn": spawn_binary(), "program": Path(binary)}
    return build_image(client, files, IMAGE_REPOSITORY)


def build_image(client, files: dict[str, Path], repository: str) -> str:
    """The tag of the image built from `files` (build-context name -> host file), built once:
    the tag is the hash of every file."""
    import docker

    digest = hashlib.sha256()
    for arcname, path in files.items():
        digest.update(arcname.encode() + b"\0" + path.read_bytes() + b"\0")
    tag = f"{repository}:{digest.hexdigest()[:20]}"
    try:
        client.images.get(tag)
        return tag
    except docker.errors.ImageNotFound:
        pass
    try:
        client.images.build(fileobj=build_context(files), custom_context=True, tag=tag, rm=True, forcerm=True,
                            network_mode="none", labels={LABEL_RUNNER: "docker"})
    except (docker.errors.BuildError, docker.errors.APIError) as error:
        raise RuntimeError(f"building the container image {tag} failed: {last_line(error)}") from None
    return tag


def spawn_binary() -> Path:
    """The lab's static launcher for this host (built through the toolchain cache)."""
    try:
        return toolchain.build(SPAWN_SOURCE, toolchain.native_target(), name="wasmlab-spawn")
    except toolchain.BuildError as error:
        raise RuntimeError(f"cannot build wasmlab-spawn for the container image: {last_line(error)}") from None


def build_context(files: dict[str, Path]) -> io.BytesIO:
    """An in-memory build context: each file under its name, executables owned by root."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        for arcname, path in files.items():
            info = tar.gettarinfo(str(path), arcname=arcname)
            info.mode = 0o644 if arcname == "Dockerfile" else 0o755
            info.uid = info.gid = 0
            info.uname = info.gname = "root"
            with open(path, "rb") as handle:
                tar.addfile(info, handle)
    buffer.seek(0)
    return buffer


def exit_status(state: dict, timed_out: bool, wait_status: int | None) -> tuple[int | None, int | None]:
    """(exit code, signal) of the program. wasmlab-spawn's report has its exact wait status; without
    one (killed by the timeout or the OOM killer with its launcher) the container's state decides."""
    if wait_status is not None:
        if os.WIFSIGNALED(wait_status):
            return None, os.WTERMSIG(wait_status)
        return os.WEXITSTATUS(wait_status), None
    if timed_out or state.get("OOMKilled"):
        return None, int(signal.SIGKILL)
    code = int(state.get("ExitCode", -1))
    return (None, code - 128) if code > 128 else (code, None)  # docker reports signal N as 128+N


def keep_tail(chunks: Iterable[bytes], cap: int) -> tuple[bytes, int]:
    """The last `cap` bytes of a stream and its total length (a flood cannot exhaust memory)."""
    kept = bytearray()
    total = 0
    for chunk in chunks:
        total += len(chunk)
        kept += chunk
        if len(kept) > 2 * cap:
            del kept[:-cap]
    return bytes(kept[-cap:]) if cap else b"", total


def sweep_containers(client) -> int:
    """Remove this runner's containers whose owning harness process is gone; returns how many."""
    removed = 0
    for container in client.containers.list(all=True, filters={"label": f"{LABEL_RUNNER}=docker"}):
        owner = container.labels.get(LABEL_OWNER, "")
        if owner.isdigit() and pid_alive(int(owner)):
            continue
        _remove(client, container.id)
        removed += 1
    return removed


def _kill(container) -> None:
    import docker

    try:
        container.kill()
    except docker.errors.APIError:
        pass  # it exited between the timeout and the kill


def _remove(client, container_id: str) -> None:
    import docker

    try:
        client.api.remove_container(container_id, force=True, v=True)
    except docker.errors.NotFound:
        pass
