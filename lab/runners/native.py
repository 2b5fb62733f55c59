"""native: the case's static binary, run directly. The physical reference for every ratio."""

from __future__ import annotations

import platform

from lab.hosts import Host, host_status
from lab.model import Detection, Invocation
from lab.runners.base import Runner, RunnerUnavailable


class NativeRunner(Runner):
    id = "native"
    description = "the same C source built as a static native binary (zig cc, musl)"
    artifact = "native"
    measured_suites = ("startup", "workloads", "user", "http")  # http: the handler's own function, served natively

    def detect(self) -> Detection:
        return Detection(name=self.id, available=True, version=f"{platform.machine()}-linux-musl static",
                         path="", modes=["static"])

    def on_host(self, host: Host) -> Runner:
        """Any host whose architecture runs here: the executor hands it that host's build."""
        runs, why = host_status(host)
        if not runs:
            raise RunnerUnavailable(why)
        return self

    def command(self, invocation: Invocation, mode: str) -> list[str]:
        if invocation.native is None:
            raise ValueError("this case has no native build")
        return [str(invocation.native), *host_paths(invocation)]


def host_paths(invocation: Invocation) -> list[str]:
    """Arguments with guest paths rewritten to the host folders they are preopened from: a native
    program sees the host's file system where a wasm guest sees its preopens."""
    mounts = sorted(invocation.dirs, key=lambda d: len(d[1]), reverse=True)
    rewritten = []
    for arg in invocation.args:
        for host, guest in mounts:
            prefix = guest.rstrip("/") + "/"
            if arg == guest or arg.startswith(prefix):
                arg = host.rstrip("/") + "/" + arg[len(prefix):] if arg != guest else host
                break
        rewritten.append(arg)
    return rewritten
