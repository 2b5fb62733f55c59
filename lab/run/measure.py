"""Measure one child process: wall, user and system time, peak RSS, exit status, and a bounded
tail of its output.

Why not subprocess.run: we need the child's own rusage (peak RSS, CPU times) from wait4, a kill
of the whole process group on timeout (runtimes spawn helpers), and output capture that cannot
exhaust our memory when a guest prints gigabytes.

Linux carries a process's peak RSS across fork and exec, so a program forked straight from this
(large) Python process would report our footprint as its own. The program is therefore started
through wasmlab-spawn (runners/spawn/spawn.c), a tiny static binary that forks it, waits with
wait4 and reports wall time, CPU times and peak RSS, the latter read as the program exits (see
spawn.c: the kernel's ru_maxrss alone can read 0 for a small program). Without a C toolchain, or
where ptrace is refused, the figure is less exact and `ProcessResult.rss_note` says so.
"""

from __future__ import annotations

import os
import resource
import signal
import subprocess
import threading
import time
from collections import deque
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import IO, NamedTuple, Sequence

from lab.run.scratch import scratch_dir

DEFAULT_OUTPUT_CAP = 1 << 20  # bytes kept per stream; the rest is counted, not stored
UNTRACED_RSS_NOTE = ("peak RSS from wait4 only (ptrace refused here): the kernel's per-CPU counters "
                     "can make it read a few hundred KiB low, or 0 for a tiny program")
NO_SPAWNER_RSS_NOTE = "peak RSS includes the harness's forked image (wasmlab-spawn unavailable)"
LAUNCHER_GRACE_S = 5.0  # after a timeout, how long the launcher may take to kill and report


@dataclass
class ProcessResult:
    wall_s: float
    user_s: float
    sys_s: float
    max_rss_kib: int
    exit_code: int | None  # None when killed by a signal
    term_signal: int | None  # the signal that killed it, if any
    timed_out: bool
    stdout: bytes  # the last `output_cap` bytes
    stderr: bytes
    stdout_bytes: int  # total produced, kept or not
    stderr_bytes: int
    rss_note: str = ""  # set when peak RSS includes the harness's own image (no spawner)

    @property
    def stdout_truncated(self) -> bool:
        return self.stdout_bytes > len(self.stdout)

    @property
    def status(self) -> str:
        """ok, timeout, signal, or exit (non-zero exit code)."""
        if self.timed_out:
            return "timeout"
        if self.term_signal is not None:
            return "signal"
        return "ok" if self.exit_code == 0 else "exit"

    def describe(self) -> str:
        """One line saying how the process ended, for reasons and error messages."""
        if self.timed_out:
            return f"timed out after {self.wall_s:.1f} s (process group killed)"
        if self.term_signal is not None:
            return f"killed by signal {signal_name(self.term_signal)}"
        return f"exit code {self.exit_code}"


class _TailReader(threading.Thread):
    """Drains a pipe, keeping only the last `cap` bytes so a flood cannot exhaust memory."""

    def __init__(self, stream: IO[bytes], cap: int) -> None:
        super().__init__(daemon=True)
        self.stream = stream
        self.cap = cap
        self.chunks: deque[bytes] = deque()
        self.kept = 0
        self.total = 0

    def run(self) -> None:
        read = self.stream.read1 if hasattr(self.stream, "read1") else self.stream.read
        while True:
            chunk = read(65536)
            if not chunk:
                break
            self.total += len(chunk)
            self.chunks.append(chunk)
            self.kept += len(chunk)
            while self.kept - len(self.chunks[0]) >= self.cap:
                self.kept -= len(self.chunks.popleft())
        self.stream.close()

    def data(self) -> bytes:
        return b"".join(self.chunks)[-self.cap:] if self.cap else b""


def _limit_child(memory_limit_bytes: int | None) -> None:
    # RLIMIT_DATA, not RLIMIT_AS: engines such as wasmtime and V8 reserve large PROT_NONE regions
    # (guard pages) that would trip an address-space limit without using memory.
    if memory_limit_bytes:
        resource.setrlimit(resource.RLIMIT_DATA, (memory_limit_bytes, memory_limit_bytes))


def run_process(
    argv: Sequence[str],
    *,
    env: dict[str, str] | None = None,
    cwd: str | Path | None = None,
    timeout_s: float | None = None,
    memory_limit_bytes: int | None = None,
    output_cap: int = DEFAULT_OUTPUT_CAP,
    stdin: bytes | None = None,
) -> ProcessResult:
    """Run `argv` to completion (or timeout) and measure it. Raises OSError (FileNotFoundError,
    PermissionError) when the program cannot be started; everything after the start is recorded
    in the result, never raised."""
    launcher = spawner()
    with scratch_dir("measure") as scratch:
        report = scratch / "usage"
        if launcher:
            full_argv = [str(launcher), str(report), str(memory_limit_bytes or 0), *argv]
            preexec = None
        else:
            full_argv = list(argv)
            preexec = (lambda: _limit_child(memory_limit_bytes)) if memory_limit_bytes else None
        start = time.perf_counter()
        proc = subprocess.Popen(
            full_argv,
            stdin=subprocess.PIPE if stdin is not None else subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=env,
            cwd=cwd,
            start_new_session=True,  # its own process group, so a timeout kills helpers too
            preexec_fn=preexec,
        )
        assert proc.stdout is not None and proc.stderr is not None  # both are PIPE
        _running_groups.add(proc.pid)
        overrun = Overrun(proc.pid, through_launcher=launcher is not None)
        timed_out = overrun.fired
        timer = threading.Timer(timeout_s, overrun.stop) if timeout_s else None
        if timer:
            # Daemon, like the readers: an interrupt that lands inside timer.start() can leave the
            # thread unable to start (see lab/run/side_by_side.py), and exit must not wait for it.
            timer.daemon = True
        # Everything from here runs under the kill below: a SIGTERM that lands while the reader
        # threads start (the program may already be running) must not leave it orphaned.
        try:
            readers = [_TailReader(proc.stdout, output_cap), _TailReader(proc.stderr, output_cap)]
            for reader in readers:
                reader.start()
            if stdin is not None:
                threading.Thread(target=_feed, args=(proc.stdin, stdin), daemon=True).start()
            if timer:
                timer.start()
            _, status, usage = _wait4(proc.pid)
            wall = time.perf_counter() - start
        except BaseException:  # Ctrl-C or SIGTERM while the program runs: the harness will exit
            _kill_group(proc.pid)
            _reap(proc.pid)
            _wait_until_group_gone(proc.pid)  # so nothing we started is still alive when we exit
            raise
        finally:
            if timer:
                timer.cancel()
            overrun.cancel()
            # Leftover children in the group (daemonised helpers) must not outlive the sample.
            _kill_group(proc.pid)
            _running_groups.discard(proc.pid)
        proc.returncode = os.waitstatus_to_exitcode(status)  # reaped by wait4: keep Popen consistent
        for reader in readers:
            reader.join(timeout=5)
        stderr = readers[1].data()
        measured = read_spawn_report(report) if launcher else None
        if launcher and measured is None and not timed_out.is_set():
            if os.WIFEXITED(status) and os.WEXITSTATUS(status) == 127 and b"wasmlab-spawn: cannot execute" in stderr:
                raise FileNotFoundError(stderr.decode(errors="replace").strip().removeprefix("wasmlab-spawn: "))
    if measured:
        wall, user, system, rss, status = measured[:5]
        rss_note = "" if measured.traced else UNTRACED_RSS_NOTE
    else:
        user, system, rss = usage.ru_utime, usage.ru_stime, usage.ru_maxrss
        rss_note = NO_SPAWNER_RSS_NOTE if not launcher else ""
    return ProcessResult(
        wall_s=wall,
        user_s=user,
        sys_s=system,
        max_rss_kib=rss,  # Linux reports KiB
        exit_code=os.WEXITSTATUS(status) if os.WIFEXITED(status) else None,
        term_signal=os.WTERMSIG(status) if os.WIFSIGNALED(status) else None,
        timed_out=timed_out.is_set(),
        stdout=readers[0].data(),
        stderr=stderr,
        stdout_bytes=readers[0].total,
        stderr_bytes=readers[1].total,
        rss_note=rss_note,
    )


# Process groups of the programs being measured now, by any thread (jobs may run side by side).
_running_groups: set[int] = set()


def kill_running_programs() -> None:
    """Kill every program being measured, with its group: the harness is interrupted while other
    threads wait for theirs. Each of those samples then ends as killed (see Run.stop_writing)."""
    for pgid in list(_running_groups):
        _kill_group(pgid)


class Overrun:
    """Stops a program that ran past its time limit. Through the launcher, SIGTERM to it: it kills
    the program and still reports the CPU time and memory used so far (see spawn.c). The group is
    killed outright without a launcher, or when the launcher has not finished after a grace."""

    def __init__(self, pgid: int, through_launcher: bool) -> None:
        self.pgid = pgid
        self.through_launcher = through_launcher
        self.fired = threading.Event()
        self._fallback: threading.Timer | None = None

    def stop(self) -> None:
        self.fired.set()
        if not self.through_launcher:
            _kill_group(self.pgid)
            return
        self._fallback = threading.Timer(LAUNCHER_GRACE_S, _kill_group, args=(self.pgid,))
        self._fallback.daemon = True
        self._fallback.start()
        _signal(self.pgid, signal.SIGTERM)  # the launcher leads the group: its pid is the pgid

    def cancel(self) -> None:
        if self._fallback:
            self._fallback.cancel()


@lru_cache(maxsize=1)
def spawner() -> Path | None:
    """The wasmlab-spawn binary for this host, built once through the toolchain cache."""
    if os.environ.get("WASMLAB_NO_SPAWNER"):
        return None
    from lab.config import REPO_ROOT
    from lab.hosts import toolchain
    try:
        return toolchain.build(REPO_ROOT / "runners" / "spawn" / "spawn.c",
                               f"{toolchain.host_arch()}-linux-musl", name="wasmlab-spawn")
    except (toolchain.BuildError, ValueError):
        return None


class SpawnReport(NamedTuple):
    """What wasmlab-spawn wrote after its program ended."""
    wall_s: float
    user_s: float
    sys_s: float
    max_rss_kib: int
    wait_status: int  # as from wait4
    traced: bool  # peak RSS read at exit under ptrace (exact), not from wait4 alone


def read_spawn_report(path: Path) -> SpawnReport | None:
    try:
        wall_ns, user_us, sys_us, rss_kib, status, traced = path.read_text().split()
        return SpawnReport(int(wall_ns) / 1e9, int(user_us) / 1e6, int(sys_us) / 1e6, int(rss_kib), int(status),
                           traced == "1")
    except (OSError, ValueError):
        return None


def signal_name(number: int) -> str:
    try:
        return signal.Signals(number).name
    except ValueError:
        return str(number)


def _wait4(pid: int) -> tuple[int, int, resource.struct_rusage]:
    while True:
        try:
            return os.wait4(pid, 0)
        except InterruptedError:  # pragma: no cover - PEP 475 retries, kept for clarity
            continue


def _kill_group(pgid: int) -> None:
    try:
        os.killpg(pgid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def _signal(pid: int, signo: int) -> None:
    try:
        os.kill(pid, signo)
    except (ProcessLookupError, PermissionError):
        pass


def _reap(pid: int) -> None:
    try:
        os.waitpid(pid, 0)
    except ChildProcessError:
        pass


def _wait_until_group_gone(pgid: int, limit_s: float = 5.0) -> None:
    """Wait (bounded) until no live process is left in the group. A killed program can take a
    moment to finish exiting, e.g. while the launcher that traces it is itself being killed."""
    deadline = time.monotonic() + limit_s
    while _group_members(pgid) and time.monotonic() < deadline:
        time.sleep(0.01)


def _group_members(pgid: int) -> list[int]:
    """Live (not zombie) processes whose process group is `pgid`, from /proc."""
    members = []
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            fields = Path(f"/proc/{name}/stat").read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if fields[0] != "Z" and int(fields[2]) == pgid:
            members.append(int(name))
    return members


def _feed(pipe: IO[bytes], data: bytes) -> None:
    try:
        pipe.write(data)
        pipe.close()
    except (BrokenPipeError, OSError):
        pass
