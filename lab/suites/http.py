"""The `http` suite: wasi:http handler components (lab.http.handlers) served by wasmtime serve,
jco serve on node and spin up, beside the same handler as a native server, bare or in a
container (lab.runners.http_servers).

One sample starts a server, times cold start to its first response (checked against the
handler's native answer), puts a bounded loopback load on it (lab.http.loadgen: fixed concurrency,
request count and time budget), reads the peak memory and CPU time of its processes and stops
it. Rows: phase "process" (wall_time = cold start, user/sys time, peak_rss of the server) and
phase "load" (requests_per_s, latency p50/p90/p99, requests, errors, concurrency).
"""

from __future__ import annotations

import time
from contextlib import ExitStack

from lab.hosts import npm_tools
from lab.http import handlers as http_handlers
from lab.http import loadgen
from lab.model import STATUS_ERROR, STATUS_OK, STATUS_TIMEOUT, STATUS_UNAVAILABLE, Case, Invocation
from lab.run.scratch import scratch_dir
from lab.runners import http_servers, server_probe
from lab.runners.base import Limits

SUITE = "http"
ROUTE = "/"


def expected_body(handler: str) -> bytes:
    """The handler's answer computed natively, by the very function the component runs."""
    return http_handlers.handler_function(handler)(ROUTE)


def http_cases() -> list[Case]:
    """One case per handler; a handler that does not build is an error in its own cells."""
    cases = []
    for name in http_handlers.HANDLERS:
        component, error = None, ""
        try:
            component = http_handlers.build_handler(name)
        except (http_handlers.HandlerBuildError, npm_tools.NpmToolUnavailable) as failure:
            error = f"handler build failed: {failure}"
        cases.append(Case(suite=SUITE, name=name, size="-", invocation=Invocation(wasm=component),
                          expected_stdout=expected_body(name), build_error=error))
    return cases


def measure_http_sample(case: Case, runtime: str, mode: str, base: dict, limits: Limits,
                        load_settings: tuple[int, int, float]) -> list[dict]:
    """One server start and its load of (requests, concurrency, seconds) (RunConfig.http_load), as
    rows (see the module's docstring)."""
    assert case.invocation.wasm is not None  # a case without a component has a build error
    with scratch_dir("http") as folder, ExitStack() as stop:  # the server stops before the folder goes
        port = server_probe.free_port()
        deadline = limits.timeout_s or 120.0
        begin = time.perf_counter()
        try:
            server = stop.enter_context(http_servers.start_server(
                runtime, mode, case.name, case.invocation.wasm, port, folder, limits.memory_limit_bytes))
        except (http_servers.ServerUnavailable, npm_tools.NpmToolUnavailable) as error:
            return [_row(base, "process", "wall_time", float("nan"), "s", STATUS_UNAVAILABLE, str(error))]
        try:
            first = server_probe.wait_for_http(port, ROUTE, begin, deadline, server.process)
        except server_probe.ServerGone as gone:
            return [_row(base, "process", "wall_time", float("nan"), "s", STATUS_ERROR,
                         f"{gone}: {http_servers.stderr_tail(folder)}")]
        if first is None:
            return [_row(base, "process", "wall_time", deadline, "s", STATUS_TIMEOUT,
                         f"no response within {deadline:g} s: {http_servers.stderr_tail(folder)}")]
        status, reason = STATUS_OK, ""
        if first.status != 200 or first.body != case.expected_stdout:
            status, reason = STATUS_ERROR, f"first response HTTP {first.status} {first.body[:80]!r}"
        requests, concurrency, seconds = load_settings
        load = loadgen.run_load(port, ROUTE, requests=requests, concurrency=concurrency, budget_s=seconds,
                                expected_body=case.expected_stdout)
        usage = server.usage()
        if status == STATUS_OK and load.errors:
            status, reason = STATUS_ERROR, f"{load.errors} of {load.requests} requests failed: {load.first_error}"
    note = reason or server.rss_note
    rows = [_row(base, "process", "wall_time", first.seconds, "s", status, reason),
            _row(base, "process", "user_time", usage.user_s, "s", status, reason),
            _row(base, "process", "sys_time", usage.sys_s, "s", status, reason),
            _row(base, "process", "peak_rss", usage.peak_rss_kib * 1024.0, "bytes", status, note),
            _row(base, "load", "requests_per_s", load.per_second, "req/s", status, reason),
            _row(base, "load", "requests", float(load.requests), "requests", status, reason),
            _row(base, "load", "errors", float(load.errors), "requests", status, reason),
            _row(base, "load", "concurrency", float(concurrency), "connections", status, reason)]
    rows += [_row(base, "load", f"latency_p{p}", load.percentile(p), "s", status, reason)
             for p in loadgen.PERCENTILES]
    return rows


def _row(base: dict, phase: str, metric: str, value: float, unit: str, status: str, reason: str) -> dict:
    return {**base, "phase": phase, "metric": metric, "value": value, "unit": unit, "status": status,
            "reason": reason}


