"""Get a Docker daemon answering on this machine, for the docker runner (`python -m lab.runners.docker.setup`).

Detection never starts daemons; setup does (quickstart.sh calls this module). As root on Debian:
install `docker.io` when dockerd is missing, then start dockerd in the background with the flags
below, logging to the cache folder, and wait (bounded) until it answers.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

from lab.config import cache_dir

# Why these flags (checked in the project's Firecracker sandbox, Debian 12, docker.io 20.10):
# - cgroupfs driver: the runner reads each container's figures from a cgroup_parent given as a
#   plain path (lab/runners/docker/cgroup.py); the systemd driver would want slices, and there
#   is no systemd here anyway.
# - --bridge=none --iptables=false: every container runs with network_mode="none", so the daemon
#   needs no bridge and no NAT rules; skipping them removes the iptables/netfilter dependency that
#   sandboxes and minimal VMs often lack.
# overlay2 works here (ext4 root, kernel overlay support); where it does not (a daemon inside an
# overlay root, an old kernel) we retry once with vfs, which copies each image's layers per
# container -- cheap for our FROM-scratch images holding one static binary.
DAEMON_FLAGS = ("--exec-opt", "native.cgroupdriver=cgroupfs", "--bridge=none", "--iptables=false")
FALLBACK_STORAGE = ("--storage-driver=vfs",)
START_WAIT_S = 60.0
APT_LOCK_WAIT_S = 300  # another apt-get (a teammate's setup) may hold the dpkg lock for a while
INSTALL_HINT = "as root: apt-get install docker.io && dockerd &  (or start Docker Desktop / your daemon)"


def daemon_log() -> Path:
    return cache_dir() / "docker" / "dockerd.log"


class DaemonUnavailable(Exception):
    """No Docker daemon answers; the message says where we looked and why it failed."""


def daemon_address() -> str:
    return os.environ.get("DOCKER_HOST") or "unix:///var/run/docker.sock"


def connect(timeout_s: float = 60):
    """A docker SDK client whose daemon has answered a ping (DaemonUnavailable otherwise)."""
    try:
        import docker
    except ImportError:
        raise DaemonUnavailable("the docker Python SDK is missing; pip install docker") from None
    try:
        client = docker.from_env(timeout=timeout_s)
        client.ping()
    except Exception as error:  # noqa: BLE001 - the SDK raises DockerException, requests and socket errors alike
        raise DaemonUnavailable(f"no Docker daemon answers at {daemon_address()} ({_root_cause(error)})") from None
    return client


def ping() -> tuple[bool, str]:
    """Whether a daemon answers, and why not."""
    try:
        connect(timeout_s=10).close()
    except DaemonUnavailable as error:
        return False, str(error)
    return True, ""


def ensure_daemon(wait_s: float = START_WAIT_S) -> tuple[bool, str]:
    """Make a daemon answer: (True, what was done) or (False, why not and what to do)."""
    answers, reason = ping()
    if answers:
        return True, "a Docker daemon answers"
    if os.geteuid() != 0:
        return False, f"{reason}; not root, so not starting one: {INSTALL_HINT}"
    dockerd = shutil.which("dockerd")
    if dockerd is None:
        installed, why = install_docker_io()
        if not installed:
            return False, why
        dockerd = shutil.which("dockerd")
        if dockerd is None:
            return False, "apt-get installed docker.io but dockerd is still not on PATH"
    for extra in ((), FALLBACK_STORAGE):
        started, why = start_dockerd(dockerd, (*DAEMON_FLAGS, *extra), wait_s)
        if started:
            return True, why
    return False, why


def install_docker_io() -> tuple[bool, str]:
    if shutil.which("apt-get") is None:
        return False, f"dockerd not found and no apt-get to install it; {INSTALL_HINT}"
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    command = ["apt-get", "-o", f"DPkg::Lock::Timeout={APT_LOCK_WAIT_S}", "install", "-y", "-qq", "docker.io"]
    done = subprocess.run(command, capture_output=True, text=True, env=env)
    if done.returncode != 0:
        return False, f"apt-get install docker.io failed: {last_line(done.stderr or done.stdout)}"
    return True, "installed docker.io"


def start_dockerd(dockerd: str, flags: tuple[str, ...], wait_s: float) -> tuple[bool, str]:
    """Start dockerd detached (it outlives this process) and wait until it answers or dies."""
    log = daemon_log()
    log.parent.mkdir(parents=True, exist_ok=True)
    with open(log, "ab") as out:
        daemon = subprocess.Popen([dockerd, *flags], stdin=subprocess.DEVNULL, stdout=out, stderr=out,
                                  start_new_session=True)
    deadline = time.monotonic() + wait_s
    while time.monotonic() < deadline:
        if daemon.poll() is not None:
            return False, f"dockerd {' '.join(flags)} exited with {daemon.returncode}; see {log}"
        if ping()[0]:
            return True, f"started dockerd {' '.join(flags)} (pid {daemon.pid}, log {log})"
        time.sleep(0.5)
    daemon.terminate()
    return False, f"dockerd did not answer within {wait_s:.0f} s; see {log}"


def sweep() -> int:
    """Remove what killed runs left behind: labelled containers and empty sample cgroups."""
    from lab.runners.docker import cgroup as container_cgroup
    from lab.runners.docker.runner import sweep_containers

    client = connect()
    try:
        removed = sweep_containers(client)
    finally:
        client.close()
    container_cgroup.sweep_empty_parents()
    return removed


def last_line(error: object) -> str:
    """The last line of an error message (where tools put the actual reason), capped."""
    text = str(error).strip()
    return text.splitlines()[-1][:300] if text else type(error).__name__


def _root_cause(error: BaseException) -> str:
    """The innermost reason (e.g. 'No such file or directory'), not the SDK's wrapping layers."""
    inner = error.__cause__ or error.__context__
    while inner is not None:
        error, inner = inner, inner.__cause__ or inner.__context__
    return getattr(error, "strerror", None) or last_line(error)


def main() -> int:
    ok, message = ensure_daemon()
    if not ok:
        print(f"docker: unavailable: {message}", file=sys.stderr)
        return 1
    removed = sweep()
    leftovers = f"; removed {removed} leftover container(s)" if removed else ""
    print(f"docker: {message}{leftovers}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
