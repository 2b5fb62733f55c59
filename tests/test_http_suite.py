"""The http suite: wasi:http handlers built from Python by componentize-py, served by wasmtime
serve and jco serve (and natively), under a bounded loopback load; figures stored as rows."""

from __future__ import annotations

import http.server
import os
import signal
import subprocess
import sys
import threading
import time

import pytest

from lab.http import handlers as http_handlers
from lab.http import loadgen
from lab.run.orchestrate import start_run
from lab.run.plan import RunConfig
from lab.store import load
from lab.suites.http import expected_body

SERVERS = ("wasmtime-cli:cranelift-cache", "node", "native")


@pytest.fixture(scope="module")
def http_run(tmp_path_factory):
    config = RunConfig(suites=("http",), runtimes=(*SERVERS, "docker", "spin"), allow_unavailable=True, repeat=1,
                       warmup=0, timeout_s=120, http_requests=200, http_concurrency=4, http_seconds=3)
    return start_run(config, tmp_path_factory.mktemp("results"))


def _cells(run) -> dict:
    frame = load(run.path)
    counted = frame[~frame["warmup"]]
    return {(row["runtime"], row["case"], row["metric"]): row for row in counted.to_dict("records")}


def test_handlers_under_load_on_wasmtime_serve_jco_serve_and_native(http_run):
    cells = _cells(http_run)
    for runtime in ("wasmtime-cli", "node", "native"):
        for handler in http_handlers.HANDLERS:
            wall = cells[(runtime, handler, "wall_time")]
            assert wall["status"] == "ok", (runtime, handler, wall["reason"])
            assert 0 < wall["value"] < 120  # cold start to the first (checked) response
            assert cells[(runtime, handler, "errors")]["value"] == 0
            assert 1 <= cells[(runtime, handler, "requests")]["value"] <= 200  # the run's --http-requests
            assert cells[(runtime, handler, "concurrency")]["value"] == 4
            assert cells[(runtime, handler, "requests_per_s")]["value"] > 0
            p50, p90, p99 = (cells[(runtime, handler, f"latency_p{p}")]["value"] for p in (50, 90, 99))
            assert 0 < p50 <= p90 <= p99
            assert cells[(runtime, handler, "peak_rss")]["value"] > 1 << 20


def test_native_server_in_a_container(http_run):
    from lab.runners.docker.runner import DockerRunner

    detection = DockerRunner().detection()
    if not detection.available:
        pytest.skip(f"no Docker daemon: {detection.reason}")
    cells = _cells(http_run)
    for handler in http_handlers.HANDLERS:
        assert cells[("docker", handler, "wall_time")]["status"] == "ok", cells[("docker", handler, "wall_time")]
        assert cells[("docker", handler, "errors")]["value"] == 0
        assert "cgroup" in cells[("docker", handler, "peak_rss")]["reason"]
    leftover = subprocess.run(["docker", "ps", "-aq", "--filter", f"label=wasmlab.owner-pid={os.getpid()}"],
                              capture_output=True, text=True).stdout.split()
    assert not leftover  # every server container was removed


def test_spin_is_unavailable_with_the_install_command(http_run):
    spin = _cells(http_run)[("spin", "hello", "wall_time")]
    assert spin["status"] == "unavailable" and "install" in spin["reason"]


def test_no_server_is_left_running(http_run):
    leftover = subprocess.run(["pgrep", "-f", "wasmtime serve|jco serve|lab.http.native_server"], capture_output=True,
                              text=True).stdout.split()
    assert not [pid for pid in leftover if int(pid) != os.getpid()]


def test_sha256_handler_answers_the_native_digest():
    import hashlib

    digest = b""
    for _ in range(4):
        digest = hashlib.sha256(digest + bytes(range(256)) * 256).digest()
    assert expected_body("sha256") == digest.hex().encode() + b"\n"


class _Flaky(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    count = 0

    def do_GET(self) -> None:  # noqa: N802
        type(self).count += 1
        body = b"ok" if self.count % 5 else b"no"
        self.send_response(200)
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args) -> None:
        pass


def test_loadgen_counts_wrong_bodies_and_stays_bounded():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Flaky)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        result = loadgen.run_load(server.server_address[1], requests=100, concurrency=3, budget_s=10,
                                  expected_body=b"ok")
        assert result.requests == 100 and result.errors == 20
        assert len(result.latencies_s) == 80 and "b'no'" in result.first_error
        begin = time.perf_counter()
        bounded = loadgen.run_load(server.server_address[1], requests=10**9, concurrency=2, budget_s=0.5)
        assert time.perf_counter() - begin < 3 and bounded.requests < 10**9
    finally:
        server.shutdown()


def test_loadgen_refuses_other_hosts():
    with pytest.raises(loadgen.NotLoopback):
        loadgen.run_load(80, requests=1, concurrency=1, budget_s=1, host="192.0.2.1")


def test_ctrl_c_stops_the_server(tmp_path):
    # A run interrupted while a server is up must not leave it behind.
    env = {**os.environ, "PYTHONPATH": os.getcwd()}
    run = subprocess.Popen([sys.executable, "-m", "lab.cli", "run", "--suite", "http", "--runtime", "native",
                            "--repeat", "1", "--warmup", "0", "--http-requests", "100000", "--http-seconds", "60",
                            "--out", str(tmp_path)], env=env,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 60
    while time.time() < deadline and not _native_servers():
        time.sleep(0.2)
    assert _native_servers(), "the native server never started"
    run.send_signal(signal.SIGINT)
    run.wait(timeout=30)
    time.sleep(0.5)
    assert not _native_servers()


def _native_servers() -> list[str]:
    return subprocess.run(["pgrep", "-f", "lab.http.native_server"], capture_output=True, text=True).stdout.split()


def test_site_renders_the_http_figures(http_run, tmp_path):
    from lab.report.site import build_site

    build_site([http_run], out=tmp_path)
    page = (tmp_path / "http.html").read_text()
    for server in ("wasmtime-cli (cranelift-cache)", "node (v8)", "native (static)"):
        assert page.count(f"<td>{server}</td>") == len(http_handlers.HANDLERS)
    assert "req/s" in page and "p99" in page and "spin not on PATH" in page
