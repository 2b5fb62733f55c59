"""`wasmlab doctor`: what can run here, at which version, and what to install for the rest."""

from __future__ import annotations

import sys

from lab.hosts import detect_hosts, python_build, toolchain
from lab.model import Detection
from lab.run import measure
from lab.run.fleet import assemble


def detect_runtimes(host_id: str = "local") -> dict[str, Detection]:
    """Every known runtime's detection on one host, keyed by runtime id."""
    fleet = assemble((host_id,))
    return {rid: det for (_, rid), det in fleet.detections.items()}


def detect_toolchains() -> list[Detection]:
    zig = toolchain.detect_zig()
    found = [Detection("zig", zig.available, version=zig.version or "", path=str(zig.path or ""),
                       modes=list(toolchain.TARGETS) if zig.available else [], reason=zig.reason or "")]
    for target in toolchain.TARGETS:
        if target == toolchain.WASM_TARGET:
            continue
        runs, why = toolchain.can_run_target(target)
        found.append(Detection(f"run:{target}", runs, reason="" if runs else why, version=why if runs else ""))
    return found


def detect_measurement() -> list[Detection]:
    """How exact this machine's process figures are: the launcher, and peak RSS read at exit (a
    probe process, since ptrace can be refused by a seccomp profile or Yama's scope)."""
    launcher = measure.spawner()
    found = [Detection("launcher", launcher is not None, path=str(launcher or ""),
                       version="wasmlab-spawn: each program's own peak RSS and times",
                       reason="" if launcher else measure.NO_SPAWNER_RSS_NOTE)]
    probe = measure.run_process([sys.executable, "-c", ""], timeout_s=60)
    exact = probe.status == "ok" and not probe.rss_note
    found.append(Detection("peak-rss", exact, version="VmHWM read as each program exits (ptrace exit stop)",
                           reason="" if exact else probe.rss_note or f"probe failed: {probe.describe()}"))
    # Not a failure, but the speed of every Python-hosted engine depends on it: say which it is.
    found.append(Detection("python", True, version=f"hosts interp, pywasm and the embeddings: {python_build()}"))
    return found


def doctor_report(host_id: str = "local") -> dict:
    """The JSON shape of `wasmlab doctor --json`: runtimes as they are on `host_id`."""
    return {
        "runtimes": [d.as_dict() for d in detect_runtimes(host_id).values()],
        "hosts": [d.as_dict() for d in detect_hosts()],
        "toolchains": [d.as_dict() for d in detect_toolchains()],
        "measurement": [d.as_dict() for d in detect_measurement()],
    }


def format_report(report: dict) -> str:
    lines = []
    for section in ("runtimes", "hosts", "toolchains", "measurement"):
        lines.append(section.upper())
        for item in report[section]:
            mark = "ok " if item["available"] else "-- "
            detail = item["version"] if item["available"] else item["reason"]
            modes = f"  [{', '.join(item['modes'])}]" if item["available"] and item["modes"] else ""
            lines.append(f"  {mark}{item['name']:<22} {detail}{modes}")
        lines.append("")
    return "\n".join(lines).rstrip()
