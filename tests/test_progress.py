"""Run progress: a line per finished job in a log, and signs of life from a job that runs long."""

from __future__ import annotations

import io
import time

from lab.model import Job
from lab.run.progress import Progress, duration


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def _job(case: str = "fib") -> Job:
    return Job(host="local", runtime="pywasm", mode="interpreter", suite="workloads", case=case, size="medium")


def test_durations_read_at_a_glance():
    assert [duration(s) for s in (0, 59.9, 60, 754, 3599, 3600, 7530)] == \
        ["0s", "59s", "1m00s", "12m34s", "59m59s", "1h00m", "2h05m"]


def test_a_log_gets_a_line_per_finished_job_and_heartbeats_for_a_long_one():
    log = io.StringIO()
    progress = Progress(log, heartbeat_s=0.3, tick_s=0.05)
    progress(1, 2, _job("fib"), "running")
    progress(1, 2, _job("fib"), "ok")
    progress(2, 2, _job("matmul"), "running")
    time.sleep(1.0)
    progress(2, 2, _job("matmul"), "timeout")
    progress.close()
    lines = log.getvalue().splitlines()
    assert lines[0].startswith("[1/2] pywasm:interpreter workloads/fib medium: ok in 0s (run 0s)")
    beats = [line for line in lines if "still running" in line]
    assert 2 <= len(beats) <= 4, lines  # one per 0.3 s of the 1 s job, none for the short one
    assert all(line.startswith("[2/2] pywasm:interpreter workloads/matmul medium: still running after")
               for line in beats)
    assert lines[-1].startswith("[2/2] pywasm:interpreter workloads/matmul medium: timeout in 1s")


def test_a_terminal_line_counts_the_running_jobs_time():
    terminal = _Terminal()
    progress = Progress(terminal, tick_s=0.05)
    progress(1, 1, _job(), "running")
    time.sleep(1.2)
    progress(1, 1, _job(), "ok")
    progress.close()
    text = terminal.getvalue()
    assert "running 1s" in text and "\n" not in text[:-1] and text.endswith("\n")
    assert "still running" not in text  # heartbeats are for logs


def test_jobs_running_side_by_side_each_get_their_own_time_and_the_terminal_counts_them():
    log = io.StringIO()
    progress = Progress(log, heartbeat_s=0.4, tick_s=0.05)
    progress(1, 2, _job("fib"), "running")
    time.sleep(0.6)
    progress(2, 2, _job("sort"), "running")
    time.sleep(0.5)
    progress(1, 2, _job("fib"), "ok")
    progress(2, 2, _job("sort"), "timeout")
    progress.close()
    lines = log.getvalue().splitlines()
    beats = [line.split(": still")[0] for line in lines if "still running" in line]
    # fib ran 1.1 s (beats at 0.4 and 0.8), sort 0.5 s (a beat at 0.4): each job keeps its own count
    assert beats.count("[1/2] pywasm:interpreter workloads/fib medium") == 2, lines
    assert beats.count("[2/2] pywasm:interpreter workloads/sort medium") == 1, lines
    assert any(line.startswith("[1/2] pywasm:interpreter workloads/fib medium: ok in 1s") for line in lines), lines
    assert any(line.startswith("[2/2] pywasm:interpreter workloads/sort medium: timeout in 0s") for line in lines)

    terminal = _Terminal()
    progress = Progress(terminal, tick_s=0.05)
    progress(1, 2, _job("fib"), "running")
    progress(2, 2, _job("sort"), "running")
    time.sleep(0.2)
    progress.close()
    assert "workloads/sort medium … running 0s eta 0s (+1 more running)" in terminal.getvalue()
