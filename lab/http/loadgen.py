"""A bounded HTTP/1.1 load generator for loopback servers: a fixed number of keep-alive
connections issue GETs until a request count or a time budget is used up, and every response's
latency, status and body are recorded.

Ours rather than wrk or oha so it checks every body and is bounded in count as well as time; it
is asyncio in one thread, so on a small machine its own ceiling (thousands of requests per
second) is far above the Wasm servers it measures, and it shares the CPU with the server (the
report says so). It refuses any host but loopback.
"""

from __future__ import annotations

import asyncio
import ipaddress
import math
import time
from dataclasses import dataclass, field

PERCENTILES = (50, 90, 99)


class NotLoopback(ValueError):
    """Load is only ever sent to this machine's loopback interface."""


@dataclass
class LoadResult:
    requests: int = 0  # requests answered or failed
    errors: int = 0  # refused, reset, timed out, non-200 or a body other than the expected one
    seconds: float = 0.0
    latencies_s: list[float] = field(default_factory=list)  # of the successful requests
    first_error: str = ""

    @property
    def per_second(self) -> float:
        return (self.requests - self.errors) / self.seconds if self.seconds > 0 else 0.0

    def percentile(self, p: float) -> float:
        """Nearest-rank percentile of the successful requests' latencies (NaN when none)."""
        if not self.latencies_s:
            return math.nan
        ordered = sorted(self.latencies_s)
        rank = max(1, math.ceil(p / 100 * len(ordered)))
        return ordered[rank - 1]


def check_loopback(host: str) -> None:
    if not ipaddress.ip_address(host).is_loopback:
        raise NotLoopback(f"load goes to loopback only, not {host}")


async def _read_response(reader: asyncio.StreamReader) -> tuple[int, bytes, bool]:
    """(status, body, keep-alive) of one response; Content-Length and chunked bodies."""
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = {name.strip().lower(): value.strip() for name, _, value in
               (line.partition(":") for line in lines[1:] if line)}
    if headers.get("transfer-encoding", "").lower() == "chunked":
        body = b""
        while True:
            size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
            chunk = await reader.readexactly(size + 2)
            if size == 0:
                break
            body += chunk[:-2]
    else:
        body = await reader.readexactly(int(headers.get("content-length", "0")))
    return status, body, headers.get("connection", "").lower() != "close"


async def _connection(host: str, port: int, path: str, expected: bytes | None, result: LoadResult,
                      tickets: list[int], deadline: float, timeout_s: float) -> None:
    """One connection's requests while tickets[0] (requests left to issue) is positive."""
    request = f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\n\r\n".encode()
    writer = None
    reader = None
    while tickets[0] > 0 and time.perf_counter() < deadline:
        tickets[0] -= 1
        begin = time.perf_counter()
        try:
            if writer is None:
                reader, writer = await asyncio.wait_for(asyncio.open_connection(host, port), timeout_s)
            assert reader is not None and writer is not None
            writer.write(request)
            status, body, keep = await asyncio.wait_for(_read_response(reader), timeout_s)
            problem = "" if status == 200 else f"status {status}"
            if not problem and expected is not None and body != expected:
                problem = f"body {body[:60]!r} is not {expected[:60]!r}"
        except (OSError, asyncio.TimeoutError, asyncio.IncompleteReadError, asyncio.LimitOverrunError,
                ValueError, IndexError) as error:
            problem, keep = f"{type(error).__name__}: {error}", False
        result.requests += 1
        if problem:
            result.errors += 1
            result.first_error = result.first_error or problem
        else:
            result.latencies_s.append(time.perf_counter() - begin)
        if not keep and writer is not None:
            writer.close()
            writer = None
    if writer is not None:
        writer.close()


def run_load(port: int, path: str = "/", *, requests: int, concurrency: int, budget_s: float,
             expected_body: bytes | None = None, host: str = "127.0.0.1", timeout_s: float = 10.0) -> LoadResult:
    """`concurrency` connections share `requests` GETs, stopping after `budget_s` seconds."""
    check_loopback(host)
    if requests < 1 or concurrency < 1 or not budget_s > 0:
        raise ValueError("requests and concurrency must be at least 1 and the budget positive")
    result = LoadResult()
    tickets = [requests]  # shared by the connections (one thread: no lock needed)

    async def main() -> None:
        deadline = time.perf_counter() + budget_s
        await asyncio.gather(*(_connection(host, port, path, expected_body, result, tickets, deadline,
                                           min(timeout_s, budget_s)) for _ in range(concurrency)))

    begin = time.perf_counter()
    asyncio.run(main())
    result.seconds = time.perf_counter() - begin
    return result
