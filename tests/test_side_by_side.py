"""lab.run.side_by_side: tasks run a few at a time, and an interrupt or a failing task stops them all,
without leaving a worker behind and without ever hanging."""

from __future__ import annotations

import random
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from lab.run.side_by_side import run_side_by_side

REPO = Path(__file__).resolve().parents[1]


class Stuck:
    """Tasks that block like a guest program does, until `kill` releases them."""

    def __init__(self) -> None:
        self.released = threading.Event()
        self.counting = threading.Lock()
        self.started = 0
        self.running = 0
        self.kills = 0
        self.stops = 0
        self.over = False  # set once run_side_by_side has returned: no task may start after that
        self.late = 0

    def task(self) -> str:
        with self.counting:  # workers only: the main thread, which gets the signals, never takes it
            self.started += 1
            self.late += self.over
            self.running += 1
        self.released.wait(30)
        with self.counting:
            self.running -= 1
        return "killed"

    def kill(self) -> None:
        self.kills += 1
        self.released.set()

    def stop(self) -> None:
        self.stops += 1


def test_every_result_comes_back_and_no_more_than_width_run_at_once():
    lock, running, most = threading.Lock(), [0], [0]

    def task(number: int) -> int:
        with lock:
            running[0] += 1
            most[0] = max(most[0], running[0])
        time.sleep(0.05)  # long enough for all three workers to be in a task together
        with lock:
            running[0] -= 1
        return number * number

    results = run_side_by_side([lambda n=n: task(n) for n in range(9)], 3, on_stop=pytest.fail, kill=pytest.fail)
    assert sorted(results) == [n * n for n in range(9)]
    assert most[0] == 3


def test_a_failing_task_stops_the_others_and_its_error_is_raised():
    stuck = Stuck()

    def broken() -> str:
        time.sleep(0.05)  # the stuck task is running by now
        raise OSError("disk full")

    tasks = [stuck.task, broken, stuck.task, stuck.task]
    with pytest.raises(OSError, match="disk full"):
        run_side_by_side(tasks, 2, on_stop=stuck.stop, kill=stuck.kill)
    assert stuck.started == 1, "no task may start once one has failed"
    assert stuck.stops >= 1 and stuck.kills >= 1
    assert stuck.running == 0, "the runner returned with a task still running"


class Interrupt(KeyboardInterrupt):
    pass


def _raise_interrupt(signum, frame):
    raise Interrupt


def stress(rounds: int) -> None:
    """Interrupt the main thread at random moments of a side-by-side run (a second time during
    the cleanup in some rounds); every round must end with Interrupt and no worker left.
    Run in a child process by the test below, which kills it if a round hangs."""
    signal.signal(signal.SIGUSR1, _raise_interrupt)
    main = threading.main_thread().ident
    assert main is not None
    rounds_run = []
    for number in range(rounds):
        stuck = Stuck()
        rounds_run.append(stuck)
        delays = [random.uniform(0, 0.003)] + ([random.uniform(0, 0.002)] if number % 3 == 0 else [])

        def interrupt(delays=delays) -> None:
            for delay in delays:
                time.sleep(delay)
                signal.pthread_kill(main, signal.SIGUSR1)

        sender = threading.Thread(target=interrupt)
        try:
            sender.start()
            run_side_by_side([stuck.task] * 4, 2, on_stop=stuck.stop, kill=stuck.kill)
            raise AssertionError("never interrupted")
        except Interrupt:
            stuck.over = True
        assert stuck.running == 0, f"{stuck.running} task(s) left running"
        while sender.is_alive():  # a late second signal may still be on its way
            try:
                sender.join()
            except Interrupt:
                pass
        assert stuck.started <= 2
        assert stuck.stops >= 1 or stuck.started == 0  # interrupted before the workers started
    time.sleep(0.2)  # a worker that started late would take its task by now
    assert sum(stuck.late for stuck in rounds_run) == 0, "a task started after the run stopped"


def test_an_interrupt_at_any_moment_never_hangs_the_run():
    # A hang is the failure to catch, so the rounds run in a child process with a deadline.
    # With concurrent.futures in place of lab.run.side_by_side, a round wedged once in a few hundred.
    done = subprocess.run([sys.executable, "-c", "from tests.test_side_by_side import stress; stress(400)"],
                          cwd=REPO, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-3000:]
