"""Hosts: where jobs run, and the fingerprint every run records about them."""

from __future__ import annotations

import os
import platform
from pathlib import Path

from lab.model import Detection, Host

LOCAL = Host(id="local", arch=platform.machine())

KNOWN_HOSTS = {"local": LOCAL}


class UnknownHost(ValueError):
    pass


def get_host(host_id: str) -> Host:
    try:
        return KNOWN_HOSTS[host_id]
    except KeyError:
        raise UnknownHost(f"unknown host {host_id!r}; known: {', '.join(KNOWN_HOSTS)}") from None


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
        "cpu": cpu_model(),
        "cores": os.cpu_count(),
        "kernel": platform.release(),
        "os": platform.platform(),
        "python": platform.python_version(),
        "hostname": platform.node(),
    }


def detect_hosts() -> list[Detection]:
    """Hosts for `doctor`: the local machine is always there."""
    return [Detection(name=h.id, available=True, version=h.arch, reason="") for h in KNOWN_HOSTS.values()]
