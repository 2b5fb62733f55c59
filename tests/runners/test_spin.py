"""The spin runner: version parsing and the `spin up` command line against Spin's documented CLI,
detection when Spin is missing, the app's handler built for real, and the measurement helpers.

Spin itself is not installable here: the real measurement test skips (never passes) without it.
The HTTP helper tests below run against a tiny local server started by the test: they test the
polling and timing helpers only, and say nothing about Spin."""

from __future__ import annotations

import http.server
import subprocess
import sys
import threading
import time
import tomllib
from pathlib import Path

import pytest

from lab.model import Invocation
from lab.runners import server_probe
from lab.runners.base import Limits
from lab.runners.spin import (
    APP_DIR,
    EXPECTED_BODY,
    HANDLER_MODULE,
    INSTALL_COMMAND,
    SpinRunner,
    build_up_command,
    parse_version,
    prepare_app,
)
from lab.suites.workloads import STARTUP_EXPECTED


@pytest.mark.parametrize("text, version", [
    ("spin 3.1.0 (a4f77e2 2025-04-01)\n", "3.1.0"),
    ("spin 2.7.0 (c2ba0ea 2024-07-30)", "2.7.0"),
    ("spin 3.2.0-pre0 (abcdef0 2025-05-01)", "3.2.0-pre0"),
    ("Spin Version 6.5.2 -- 6 December 2019", ""),  # the Promela model checker, also called spin
    ("", ""),
])
def test_parse_version(text, version):
    assert parse_version(text) == version


def test_up_command_line():
    assert build_up_command("/usr/local/bin/spin", Path("/tmp/app/spin.toml"), 41234) == [
        "/usr/local/bin/spin", "up", "-f", "/tmp/app/spin.toml", "--listen", "127.0.0.1:41234"]


def test_unavailable_without_the_binary_names_the_installer(monkeypatch, tmp_path):
    monkeypatch.delenv("WASMLAB_SPIN", raising=False)
    monkeypatch.setenv("PATH", str(tmp_path))
    detection = SpinRunner().detect()
    assert not detection.available
    assert "spin not on PATH" in detection.reason and INSTALL_COMMAND in detection.reason


def test_another_program_called_spin_is_refused(monkeypatch, tmp_path):
    promela = tmp_path / "spin"
    promela.write_text("#!/bin/sh\necho 'Spin Version 6.5.2 -- 6 December 2019'\n")
    promela.chmod(0o755)
    monkeypatch.setenv("WASMLAB_SPIN", str(promela))
    detection = SpinRunner().detect()
    assert not detection.available and "not Fermyon Spin" in detection.reason


def test_app_manifest_routes_to_the_built_handler(tmp_path):
    manifest = tomllib.loads((APP_DIR / "spin.toml").read_text())
    assert manifest["spin_manifest_version"] == 2
    trigger = manifest["trigger"]["http"][0]
    assert trigger["executor"] == {"type": "wagi"}
    assert manifest["component"][trigger["component"]]["source"] == HANDLER_MODULE
    prepared = prepare_app(tmp_path)
    module = (prepared.parent / HANDLER_MODULE).read_bytes()
    assert module[:4] == b"\0asm"


def test_handler_prints_a_cgi_response_with_the_startup_line(tmp_path):
    # Run the WAGI handler as the plain WASI command it is (wasmtime CLI): headers, blank line, body.
    from lab.runners.wasmtime.cli import find_wasmtime_binary

    wasmtime, reason = find_wasmtime_binary()
    if wasmtime is None:
        pytest.skip(reason)
    prepare_app(tmp_path)
    done = subprocess.run([str(wasmtime), "run", str(tmp_path / HANDLER_MODULE)], capture_output=True, timeout=60)
    headers, _, body = done.stdout.partition(b"\n\n")
    assert b"Content-Type: text/plain" in headers
    assert body == EXPECTED_BODY == STARTUP_EXPECTED


def test_workload_cases_are_refused_before_anything_starts():
    with pytest.raises(ValueError, match="workload arguments do not apply"):
        SpinRunner().run(Invocation(wasm=Path("x.wasm"), args=("20",)), "wagi", Limits())


@pytest.fixture(scope="module")
def installed() -> SpinRunner:
    runner = SpinRunner()
    if not runner.detection().available:
        pytest.skip(f"spin unavailable here: {runner.detection().reason}")
    return runner


def test_real_spin_cold_start_and_requests(installed, hello_wasm):
    sample = installed.run(Invocation(wasm=hello_wasm), "wagi", Limits(timeout_s=60))
    assert sample.process.status == "ok"
    assert sample.process.stdout == STARTUP_EXPECTED
    assert sample.process.max_rss_kib > 0 and sample.phases["request"] > 0


# ---- helpers only: a local stand-in server, NOT Spin -------------------------------------------

class _Hello(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, like Spin

    def do_GET(self):
        body = EXPECTED_BODY if self.path == "/" else b"other\n"
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def _serve_after(delay_s: float, port: int) -> threading.Thread:
    def serve():
        time.sleep(delay_s)
        server = http.server.ThreadingHTTPServer(("127.0.0.1", port), _Hello)
        server.timeout = 0.2
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            server.handle_request()
        server.server_close()
    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    return thread


def test_helper_wait_for_http_waits_until_the_server_answers():
    port = server_probe.free_port()
    begin = time.perf_counter()
    _serve_after(0.3, port)
    first = server_probe.wait_for_http(port, "/", begin, 5.0)
    assert first is not None and first.status == 200 and first.body == EXPECTED_BODY
    assert 0.3 <= first.seconds < 5.0


def test_helper_wait_for_http_gives_up_at_the_deadline():
    begin = time.perf_counter()
    assert server_probe.wait_for_http(server_probe.free_port(), "/", begin, 0.3) is None
    assert time.perf_counter() - begin < 2


def test_helper_wait_for_http_notices_a_dead_server():
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    with pytest.raises(server_probe.ServerGone):
        server_probe.wait_for_http(server_probe.free_port(), "/", time.perf_counter(), 5.0, dead)


def test_helper_time_requests_counts_wrong_bodies_as_failures():
    port = server_probe.free_port()
    _serve_after(0, port)
    assert server_probe.wait_for_http(port, "/", time.perf_counter(), 5.0) is not None
    good = server_probe.time_requests(port, "/", 50, 5.0, EXPECTED_BODY)
    assert good.requests == 50 and good.failures == 0 and good.per_second > 0
    wrong = server_probe.time_requests(port, "/elsewhere", 5, 5.0, EXPECTED_BODY)
    assert wrong.failures == 5


def test_helper_group_usage_reads_a_live_process_group():
    child = subprocess.Popen([sys.executable, "-c", "b = bytearray(40 << 20); import time; time.sleep(30)"],
                             start_new_session=True)
    try:
        deadline = time.monotonic() + 10
        usage = server_probe.group_usage(child.pid)
        while usage.peak_rss_kib < 40 * 1024 and time.monotonic() < deadline:
            time.sleep(0.05)
            usage = server_probe.group_usage(child.pid)
        assert usage.processes == 1
        assert usage.peak_rss_kib >= 40 * 1024
    finally:
        child.kill()
        child.wait()
