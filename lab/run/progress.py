"""Progress of a run on stderr: one redrawn line on a terminal, one line per finished job in a log.

A single job can run for an hour (pywasm at size medium), so progress also shows that a long job
is alive: on a terminal the line counts the job's time every second; in a log (CI, nohup) a
"still running" line follows every `heartbeat_s` of the job.
"""

from __future__ import annotations

import threading
import time
from typing import TextIO

from lab.model import Job

TERMINAL_WIDTH = 150


def job_label(position: int, total: int, job: Job) -> str:
    label = f"[{position}/{total}] {job.runtime}{':' + job.mode if job.mode else ''} {job.suite}/{job.case}"
    return label + (f" {job.size}" if job.size != "-" else "")


def duration(seconds: float) -> str:
    """45s, 12m03s, 2h05m: short enough for a progress line, exact enough to compare jobs."""
    seconds = int(seconds)
    if seconds < 60:
        return f"{seconds}s"
    if seconds < 3600:
        return f"{seconds // 60}m{seconds % 60:02d}s"
    return f"{seconds // 3600}h{seconds % 3600 // 60:02d}m"


class Progress:
    """A ProgressFn (see lab.run.execute) that writes to `stream`; call close() when the run ends."""

    def __init__(self, stream: TextIO, heartbeat_s: float = 600.0, tick_s: float = 1.0) -> None:
        self.stream = stream
        self.tty = stream.isatty()
        self.heartbeat_s = heartbeat_s
        self.tick_s = tick_s
        self.started = time.monotonic()
        self.width = 0
        self._lock = threading.Lock()  # the ticker and the run's thread both write
        # label -> (start, eta text, heartbeats written) of each running job; several run at
        # once when a runtime's jobs run side by side (--parallel)
        self._running: dict[str, tuple[float, str, int]] = {}
        self._closed = threading.Event()
        self._ticker: threading.Thread | None = None

    def __call__(self, position: int, total: int, job: Job, state: str) -> None:
        now = time.monotonic()
        label = job_label(position, total, job)
        with self._lock:
            if state == "running":
                done = position - 1
                eta = f" eta {duration((now - self.started) / done * (total - done))}" if done else ""
                self._running[label] = (now, eta, 0)
                self._draw(f"{label} … running{eta}{self._others(label)}")
                self._start_ticker()
            else:
                started, _, _ = self._running.pop(label, (now, "", 0))
                took = now - started
                if self.tty:
                    self._draw(f"{label} … {state}")
                else:
                    self._write(f"{label}: {state} in {duration(took)} (run {duration(now - self.started)})\n")

    def close(self) -> None:
        self._closed.set()
        with self._lock:
            if self.tty and self.width:
                self._write("\n")
                self.width = 0

    def _start_ticker(self) -> None:
        if self._ticker is None:
            self._ticker = threading.Thread(target=self._tick, name="progress", daemon=True)
            self._ticker.start()

    def _tick(self) -> None:
        while not self._closed.wait(self.tick_s):
            with self._lock:
                now = time.monotonic()
                if self.tty and self._running:
                    label = next(reversed(self._running))  # the latest job; the others are counted
                    started, eta, _ = self._running[label]
                    self._draw(f"{label} … running {duration(now - started)}{eta}{self._others(label)}")
                for label, (started, eta, beats) in list(self._running.items()):
                    if not self.tty and now - started >= (beats + 1) * self.heartbeat_s:
                        self._running[label] = (started, eta, beats + 1)
                        self._write(f"{label}: still running after {duration(now - started)}\n")

    def _others(self, label: str) -> str:
        others = len(self._running) - (label in self._running)
        return f" (+{others} more running)" if others > 0 else ""

    def _draw(self, line: str) -> None:
        if self.tty:
            line = line[:TERMINAL_WIDTH]
            self._write("\r" + line.ljust(self.width))
            self.width = len(line)

    def _write(self, text: str) -> None:
        try:
            self.stream.write(text)
            self.stream.flush()
        except (OSError, ValueError):
            pass  # a closed or broken stderr must not stop the run
