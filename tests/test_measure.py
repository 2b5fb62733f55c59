"""Process measurement against real processes and real signals."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest

from lab.run.measure import LAUNCHER_GRACE_S, Overrun, SpawnReport, read_spawn_report, run_process, spawner

PY = sys.executable


def test_spawner_is_built_here():
    assert spawner() is not None, "wasmlab-spawn must build with the bundled zig toolchain"


def test_exit_code_and_output_are_captured():
    result = run_process([PY, "-c", "import sys; print('out'); print('err', file=sys.stderr); sys.exit(3)"])
    assert result.exit_code == 3
    assert result.status == "exit"
    assert result.stdout == b"out\n"
    assert result.stderr == b"err\n"
    assert result.describe() == "exit code 3"


def test_native_peak_rss_is_the_childs_own(hello_native):
    # A forked Python harness is ~60 MiB; the static hello program uses well under 4 MiB. wait4
    # alone reports 0 KiB for it on kernels with per-CPU RSS counters; read at exit it is exact.
    result = run_process([str(hello_native)])
    assert result.status == "ok"
    assert 0 < result.max_rss_kib < 4096
    assert result.rss_note == ""
    assert result.stdout == b"hello from wasmlab\n"


def test_signals_reach_the_traced_program_unchanged():
    script = ("import os, signal; signal.signal(signal.SIGUSR1, lambda *a: print('handled')); "
              "os.kill(os.getpid(), signal.SIGUSR1); os.kill(os.getpid(), signal.SIGSTOP); print('resumed')")
    # SIGSTOP must stop it as it would untraced; a watcher resumes it with SIGCONT.
    watcher = subprocess.Popen([PY, "-c", _RESUME_STOPPED_CHILD_OF_PARENT_OF.format(pid=os.getpid())])
    try:
        result = run_process([PY, "-c", script], timeout_s=60)
    finally:
        watcher.kill()
    assert result.status == "ok", result.describe()
    assert result.stdout == b"handled\nresumed\n"
    assert result.wall_s >= 0.2  # it really stayed stopped until the watcher saw it


# Finds a stopped process whose grandparent is the test process, holds it stopped for 0.2 s, and
# sends SIGCONT (the program runs under wasmlab-spawn, a child of the test process).
_RESUME_STOPPED_CHILD_OF_PARENT_OF = """
import os, signal, time
def parent(pid):
    return int(open(f"/proc/{{pid}}/stat").read().rsplit(")", 1)[1].split()[1])
def state(pid):
    return open(f"/proc/{{pid}}/stat").read().rsplit(")", 1)[1].split()[0]
deadline = time.monotonic() + 50
while time.monotonic() < deadline:
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            pid = int(name)
            if parent(parent(pid)) == {pid} and state(pid) in "tT":
                time.sleep(0.2)
                if state(pid) in "tT":  # still stopped: not a passing signal-delivery stop
                    os.kill(pid, signal.SIGCONT)
                    raise SystemExit
        except (OSError, ValueError, IndexError):
            pass
    time.sleep(0.02)
"""


def test_peak_rss_sees_a_large_allocation():
    result = run_process([PY, "-c", "b = bytearray(300 * 2**20); b[::4096] = b'x' * len(b[::4096])"])
    assert result.status == "ok"
    assert result.max_rss_kib > 300 * 1024


def test_timeout_kills_the_whole_process_group(tmp_path):
    pid_file = tmp_path / "grandchild.pid"
    script = (f"import subprocess, time; p = subprocess.Popen(['sleep', '60']); "
              f"open({str(pid_file)!r}, 'w').write(str(p.pid)); time.sleep(60)")
    started = time.monotonic()
    result = run_process([PY, "-c", script], timeout_s=1.5)
    assert time.monotonic() - started < 20
    assert result.timed_out and result.status == "timeout"
    grandchild = int(pid_file.read_text())
    time.sleep(0.2)
    assert not _alive(grandchild)


def test_a_timed_out_program_keeps_the_cpu_time_and_memory_it_had_used():
    # The launcher kills the program on the harness's SIGTERM and still reports it: before, a
    # killed launcher left the sample with its own ~0 s of CPU time.
    script = "data = bytearray(64 << 20)\nwhile True: pass"
    result = run_process([PY, "-c", script], timeout_s=1.5)
    assert result.timed_out and result.status == "timeout"
    assert 1.5 <= result.wall_s < 1.5 + LAUNCHER_GRACE_S
    assert result.user_s > 0.3, result  # a busy loop for 1.5 s, even on a loaded machine
    assert result.max_rss_kib > 64 << 10


def test_a_launcher_that_does_not_stop_has_its_group_killed_after_the_grace(monkeypatch):
    monkeypatch.setattr("lab.run.measure.LAUNCHER_GRACE_S", 0.5)
    process = subprocess.Popen([PY, "-c", "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); "
                                "time.sleep(60)"], start_new_session=True)
    time.sleep(0.5)  # let it install its handler
    overrun = Overrun(process.pid, through_launcher=True)
    overrun.stop()
    assert process.wait(timeout=10) == -signal.SIGKILL and overrun.fired.is_set()


def test_killed_by_signal_is_recorded():
    result = run_process([PY, "-c", "import os, signal; os.kill(os.getpid(), signal.SIGSEGV)"])
    assert result.term_signal == signal.SIGSEGV
    assert result.exit_code is None
    assert result.status == "signal"
    assert "SIGSEGV" in result.describe()


def test_output_flood_is_capped_but_counted():
    result = run_process([PY, "-c", "import sys; sys.stdout.buffer.write(b'x' * (20 * 2**20))"],
                         output_cap=4096)
    assert result.status == "ok"
    assert len(result.stdout) == 4096
    assert result.stdout_bytes == 20 * 2**20
    assert result.stdout_truncated


def test_memory_limit_stops_a_greedy_child():
    result = run_process([PY, "-c", "b = bytearray(2 * 2**30)"], memory_limit_bytes=512 * 2**20)
    assert result.status != "ok"
    assert b"MemoryError" in result.stderr


def test_missing_program_raises():
    with pytest.raises(FileNotFoundError):
        run_process(["/nonexistent/program"])


def _alive(pid: int) -> bool:
    """Running (a zombie left for init to reap counts as gone: it was killed)."""
    try:
        state = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return False
    return state != "Z"


def test_spawn_report_says_whether_the_peak_was_read_at_exit(tmp_path):
    report = tmp_path / "usage"
    report.write_text("2000000000 1500000 250000 4096 0 1\n")
    assert read_spawn_report(report) == SpawnReport(2.0, 1.5, 0.25, 4096, 0, True)
    report.write_text("2000000000 1500000 250000 4096 0 0\n")  # ptrace refused: wait4's figure
    assert read_spawn_report(report).traced is False
    report.write_text("truncated 12")
    assert read_spawn_report(report) is None
