"""spin: the Spin framework serving the lab's HTTP app (runners/spin), driven through `spin up`.

Spin is in none of the registries the lab installs from, so this runner drives the documented CLI
wherever `spin` is found (WASMLAB_SPIN or PATH) and is unavailable, with the install command,
everywhere else. It is the counterpart of the startup case: one sample starts `spin up` on a
fresh copy of the app, polls 127.0.0.1 until the first response (the sample's wall time: cold
start to first answer, whose body is checked like the startup program's stdout), then times
REQUEST_COUNT sequential requests (phase "request": mean seconds per request, so requests per
second is its inverse), reads the process group's peak memory and CPU time, and kills the group.
Workload cases do not apply: the app takes no arguments.
"""

from __future__ import annotations

import os
import re
import resource
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path

from lab.config import REPO_ROOT
from lab.hosts import toolchain
from lab.model import Detection, Invocation
from lab.run.measure import ProcessResult
from lab.runners import server_probe
from lab.runners.base import Limits, Runner, RunnerUnavailable, Sample, detect_cli

INSTALL_COMMAND = "curl -fsSL https://developer.fermyon.com/downloads/install.sh | bash"
APP_DIR = REPO_ROOT / "runners" / "spin"
HANDLER_SOURCE = APP_DIR / "hello_http.c"
HANDLER_MODULE = "hello_http.wasm"  # the name spin.toml's component source expects
ROUTE = "/"
EXPECTED_BODY = b"hello from wasmlab\n"
REQUEST_COUNT = 200
REQUEST_BUDGET_S = 10.0  # the throughput phase stops here even if REQUEST_COUNT is not reached
KILL_WAIT_S = 10.0
RSS_NOTE = "sum of the peak RSS of spin's processes (spin up and its trigger), read before the kill"
# `spin --version` prints "spin 3.1.0 (a4f77e2 2025-04-01)". Another program called spin (the
# Promela model checker prints "Spin Version 6.5.2 -- ...") must not pass for it.
_VERSION_RE = re.compile(r"^spin (\d+\.\d+\.\d+\S*)", re.MULTILINE)


def parse_version(text: str) -> str:
    """'spin 3.1.0 (a4f77e2 2025-04-01)' -> '3.1.0'; '' when the text is not Spin's."""
    match = _VERSION_RE.search(text.strip())
    return match.group(1) if match else ""


def build_up_command(binary: str, manifest: Path, port: int) -> list[str]:
    """`spin up -f MANIFEST --listen 127.0.0.1:PORT` (`-f` is the manifest in Spin 1, 2 and 3)."""
    return [binary, "up", "-f", str(manifest), "--listen", f"127.0.0.1:{port}"]


def find_spin() -> str | None:
    override = os.environ.get("WASMLAB_SPIN")
    if override:
        return override if os.access(override, os.X_OK) else None
    return shutil.which("spin")


def prepare_app(folder: Path) -> Path:
    """A runnable copy of the app in `folder` (Spin writes its logs beside the manifest); returns
    the manifest's path. The handler is built with the lab's toolchain (cached)."""
    handler = toolchain.build(HANDLER_SOURCE, toolchain.WASM_TARGET, name="spin_hello_http")
    shutil.copyfile(APP_DIR / "spin.toml", folder / "spin.toml")
    shutil.copyfile(handler, folder / HANDLER_MODULE)
    return folder / "spin.toml"


class SpinRunner(Runner):
    id = "spin"
    counts_in_process = False  # its server process, not the command, handles the request
    description = "Spin (spin up) serving the lab's WAGI hello app: cold start to first response, requests/s"
    install_hint = f"install: {INSTALL_COMMAND}"
    measured_suites = ("startup", "http")  # HTTP apps (its own, and the http suite's handlers), not commands

    def detect(self) -> Detection:
        return detect_cli(self, find_spin(), "WASMLAB_SPIN", parse_version, "Fermyon Spin's 'spin X.Y.Z'",
                          lambda version: ["wagi"])

    def command(self, invocation: Invocation, mode: str) -> list[str]:
        raise ValueError("spin serves an HTTP app rather than running a command module; "
                         "measure it with: wasmlab run --runtime spin --suite startup")

    def run(self, invocation: Invocation, mode: str, limits: Limits, cwd: Path | None = None) -> Sample:
        if invocation.args:
            raise ValueError("spin measures its bundled HTTP app (the startup case); workload arguments do not apply")
        detection = self.detection()
        if not detection.available:
            raise RunnerUnavailable(detection.reason)
        with tempfile.TemporaryDirectory(prefix="wasmlab-spin-") as folder:
            manifest = prepare_app(Path(folder))
            port = server_probe.free_port()
            return serve_and_measure(build_up_command(detection.path, manifest, port), port, Path(folder), limits)


def serve_and_measure(argv: list[str], port: int, folder: Path, limits: Limits) -> Sample:
    """Start the server, time its first response and REQUEST_COUNT more, then kill its group."""
    with open(folder / "spin-stderr.log", "w+b") as stderr:
        begin = time.perf_counter()
        server = subprocess.Popen(argv, cwd=folder, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                  stderr=stderr, start_new_session=True,
                                  preexec_fn=_data_limit(limits.memory_limit_bytes))
        try:
            first = server_probe.wait_for_http(port, ROUTE, begin, limits.timeout_s or 60.0, server)
            if first is None:
                usage = server_probe.group_usage(server.pid)
                return Sample(_result(limits.timeout_s or 60.0, usage, None, b"", timed_out=True))
            if first.status != 200:
                raise RuntimeError(f"spin's first response was HTTP {first.status}: {first.body[:200]!r}")
            throughput = server_probe.time_requests(port, ROUTE, REQUEST_COUNT, REQUEST_BUDGET_S, EXPECTED_BODY)
            if throughput.failures:
                raise RuntimeError(f"{throughput.failures} of {throughput.requests} requests to spin failed "
                                   "or answered another body")
            usage = server_probe.group_usage(server.pid)
        except server_probe.ServerGone as gone:
            stderr.seek(0)
            tail = stderr.read().decode(errors="replace").strip()[-300:]
            raise RuntimeError(f"{gone}: {tail}") from None
        finally:
            _kill_group(server)
        return Sample(_result(first.seconds, usage, 0, first.body), phases={"request": throughput.mean_s})


def _result(wall_s: float, usage: server_probe.GroupUsage, exit_code: int | None, body: bytes,
            timed_out: bool = False) -> ProcessResult:
    return ProcessResult(wall_s=wall_s, user_s=usage.user_s, sys_s=usage.sys_s, max_rss_kib=usage.peak_rss_kib,
                         exit_code=exit_code, term_signal=None, timed_out=timed_out, stdout=body, stderr=b"",
                         stdout_bytes=len(body), stderr_bytes=0, rss_note=RSS_NOTE)


def _data_limit(limit_bytes: int | None):
    # RLIMIT_DATA rather than RLIMIT_AS, as in lab.run.measure: wasmtime inside Spin reserves large
    # PROT_NONE guard regions that are not memory use.
    if not limit_bytes:
        return None
    return lambda: resource.setrlimit(resource.RLIMIT_DATA, (limit_bytes, limit_bytes))


def _kill_group(server: subprocess.Popen) -> None:
    try:
        os.killpg(server.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    try:
        server.wait(timeout=KILL_WAIT_S)
    except subprocess.TimeoutExpired:
        pass
