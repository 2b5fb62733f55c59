"""Measuring a long-running server process: time to first HTTP response, request throughput, and
the peak memory and CPU time of its whole process group, read from /proc before it is killed.

Servers never exit by themselves, so wait4's rusage (how measure.py times commands) does not
apply: the figures are read while the processes are still alive.
"""

from __future__ import annotations

import http.client
import os
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

POLL_INTERVAL_S = 0.005


class ServerGone(RuntimeError):
    """The server process exited before it answered."""


@dataclass(frozen=True)
class FirstResponse:
    seconds: float  # from `since` to the first complete response
    status: int
    body: bytes


@dataclass(frozen=True)
class Throughput:
    requests: int
    seconds: float
    failures: int

    @property
    def per_second(self) -> float:
        return self.requests / self.seconds if self.seconds > 0 else 0.0

    @property
    def mean_s(self) -> float:
        return self.seconds / self.requests if self.requests else float("nan")


@dataclass(frozen=True)
class GroupUsage:
    peak_rss_kib: int  # sum of each process's own peak (VmHWM): an upper bound of the group's peak
    user_s: float
    sys_s: float
    processes: int


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def get(host: str, port: int, path: str, timeout_s: float, connection: http.client.HTTPConnection | None = None
        ) -> tuple[int, bytes]:
    """One GET; reuses `connection` (keep-alive) when given."""
    conn = connection or http.client.HTTPConnection(host, port, timeout=timeout_s)
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        if connection is None:
            conn.close()


def wait_for_http(port: int, path: str, since: float, deadline_s: float,
                  process: subprocess.Popen | None = None, host: str = "127.0.0.1") -> FirstResponse | None:
    """Poll until the server answers a GET (any status), the process dies (ServerGone) or
    `deadline_s` seconds pass since `since` (a time.perf_counter() stamp): then None."""
    while time.perf_counter() - since < deadline_s:
        if process is not None and process.poll() is not None:
            raise ServerGone(f"the server exited with {process.returncode} before answering")
        try:
            status, body = get(host, port, path, timeout_s=max(0.1, deadline_s - (time.perf_counter() - since)))
            return FirstResponse(time.perf_counter() - since, status, body)
        except (http.client.HTTPException, OSError):  # refused, reset, timed out, garbled
            time.sleep(POLL_INTERVAL_S)
    return None


def time_requests(port: int, path: str, count: int, budget_s: float, expected_body: bytes | None = None,
                  host: str = "127.0.0.1") -> Throughput:
    """Up to `count` sequential GETs on one keep-alive connection, stopping after `budget_s`.
    A request that fails, or answers with another body than `expected_body`, is a failure."""
    connection = http.client.HTTPConnection(host, port, timeout=budget_s)
    done = failures = 0
    begin = time.perf_counter()
    try:
        while done < count and time.perf_counter() - begin < budget_s:
            try:
                status, body = get(host, port, path, budget_s, connection)
                ok = status == 200 and (expected_body is None or body == expected_body)
            except (http.client.HTTPException, OSError):  # refused, reset, timed out, garbled
                ok = False
                connection.close()  # the next request opens a fresh connection
            done += 1
            failures += not ok
    finally:
        connection.close()
    return Throughput(done, time.perf_counter() - begin, failures)


def group_usage(pgid: int, proc: Path = Path("/proc")) -> GroupUsage:
    """Peak memory and CPU time of every live process in process group `pgid`."""
    ticks = os.sysconf("SC_CLK_TCK")
    peak = user = system = count = 0
    for entry in proc.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            # Fields after the parenthesised command name: state ppid pgrp ... utime(14) stime(15).
            fields = stat[stat.rindex(")") + 2:].split()
            if int(fields[2]) != pgid:
                continue
            user += int(fields[11])
            system += int(fields[12])
            peak += _vm_hwm_kib(entry / "status")
            count += 1
        except (OSError, ValueError, IndexError):
            continue  # it exited while we looked
    return GroupUsage(peak, user / ticks, system / ticks, count)


def _vm_hwm_kib(status: Path) -> int:
    for line in status.read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return 0
