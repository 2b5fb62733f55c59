"""Hosts: where jobs run, how the lab reaches them, and the fingerprint every run records.

A host says how it is reached (`reach`): "local" runs programs directly on this machine;
"qemu-user" runs programs of another architecture on this machine through qemu-user and
binfmt_misc (emulated: timings are flagged and never mixed with native ones). Remote hosts (an
Arm CI runner, a machine over SSH) get their own `reach` later without changing the runners:
each runner says which hosts it can serve through `Runner.on_host()`.
"""

from __future__ import annotations

import os
import platform
import sys
from dataclasses import dataclass
from pathlib import Path

from lab.errors import LabError
from lab.model import Detection


@dataclass(frozen=True)
class Host:
    id: str
    arch: str  # x86_64 or aarch64
    emulated: bool = False
    reach: str = "local"  # "local" or "qemu-user"
    description: str = ""

    @property
    def native_target(self) -> str:
        return f"{self.arch}-linux-musl"


def _machine_arch() -> str:
    machine = platform.machine().lower()
    return {"amd64": "x86_64", "arm64": "aarch64"}.get(machine, machine)


LOCAL = Host(id="local", arch=_machine_arch(), description="this machine")
ARM64_EMULATED = Host(id="arm64-emulated", arch="aarch64", emulated=True, reach="qemu-user",
                      description="aarch64 programs on this machine under qemu-user (emulated timings)")

KNOWN_HOSTS = {host.id: host for host in (LOCAL, ARM64_EMULATED)}


class UnknownHost(LabError, ValueError):
    pass


def get_host(host_id: str) -> Host:
    try:
        return KNOWN_HOSTS[host_id]
    except KeyError:
        raise UnknownHost(f"unknown host {host_id!r}; known: {', '.join(KNOWN_HOSTS)}") from None


def host_status(host: Host) -> tuple[bool, str]:
    """Whether jobs can run on the host now, or why not (and how to fix it)."""
    if host.reach == "local":
        return True, ""
    if host.reach == "qemu-user":
        from lab.hosts.toolchain import can_run_target
        if host.arch == LOCAL.arch:
            return True, ""
        runs, why = can_run_target(host.native_target)
        return runs, "" if runs else why
    return False, f"host {host.id}: unknown reach {host.reach!r}"


def cpu_model() -> str:
    """The CPU's model name from /proc/cpuinfo (x86: 'model name'; Arm: 'CPU part' fallbacks)."""
    try:
        text = Path("/proc/cpuinfo").read_text(errors="replace")
    except OSError:
        return platform.processor() or "unknown"
    for key in ("model name", "Model", "Hardware", "CPU part"):
        for line in text.splitlines():
            if line.split(":")[0].strip() == key and ":" in line:
                return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown"


def fingerprint(host: Host) -> dict:
    """What a run records about a host, so numbers from different machines are never confused."""
    return {
        "id": host.id,
        "arch": host.arch,
        "emulated": host.emulated,
        "reach": host.reach,
        "machine_arch": LOCAL.arch,
        "cpu": cpu_model(),
        "cores": os.cpu_count(),
        "kernel": platform.release(),
        "os": platform.platform(),
        "python": platform.python_version(),
        "python_build": python_build(),
        "hostname": platform.node(),
    }


def python_build() -> str:
    """Which CPython hosts the Python-hosted engines (interp, pywasm, and the embeddings), and how
    it was built where that matters: a libpython shared library (pyenv's and most source builds)
    is compiled position-independent and typically made without PGO, and runs a pure-Python
    engine 10-25% slower than a distribution's build with the interpreter linked in."""
    executable = os.path.realpath(sys.executable)
    try:
        maps = Path("/proc/self/maps").read_text()
    except OSError:
        maps = ""
    linkage = "libpython shared (slower)" if "/libpython" in maps else "libpython linked in"
    return f"{platform.python_implementation()} {platform.python_version()} at {executable}, {linkage}"


def detect_hosts() -> list[Detection]:
    """Hosts for `doctor`."""
    found = []
    for host in KNOWN_HOSTS.values():
        ok, reason = host_status(host)
        label = f"{host.arch}{' (emulated)' if host.emulated else ''}"
        found.append(Detection(name=host.id, available=ok, version=label if ok else "", reason=reason,
                               modes=[host.reach]))
    return found
