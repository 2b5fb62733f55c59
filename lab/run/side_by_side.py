"""Runs tasks a few at a time in worker threads, in a way that Ctrl-C or SIGTERM cannot wedge.

Python runs a signal handler in the main thread, between any two bytecodes, and the harness's
handlers raise (KeyboardInterrupt, cli.Terminated). An exception that lands in the main thread
while it holds a lock it shares with the workers can leave that lock taken for good, or leave a
wait half done. concurrent.futures is full of such locks (a worker needs its Future's lock to store
a result), and a run interrupted at the wrong moment hung instead of exiting. Thread.join is no
refuge on CPython 3.11 either: interrupted while the thread still runs, it marks the thread as
finished (the bpo-45274 fix, later reverted).

So the main thread here shares nothing with the workers but a SimpleQueue, list.append and plain
flags, and waits in time.sleep. Thread.start still waits for the new thread on an Event; an
interrupt there can leave that thread starting late or never. So the workers are daemon threads
that check `stopping` before each task: a late one takes none, a stuck one cannot hold up exit.
"""

from __future__ import annotations

import queue
import threading
import time
from typing import Callable, Generic, Sequence, TypeVar

T = TypeVar("T")

POLL_S = 0.05  # how often the main thread looks at the workers: how late it sees them finish


class _Workers(Generic[T]):
    def __init__(self, tasks: Sequence[Callable[[], T]], width: int, name: str) -> None:
        self.todo: queue.SimpleQueue[Callable[[], T]] = queue.SimpleQueue()
        for task in tasks:
            self.todo.put(task)
        self.results: list[T] = []
        self.errors: list[BaseException] = []
        self.stopping = False
        # Each worker appends to `entered` first and to `left` last: the only bookkeeping the
        # main thread reads, and safe to read at any moment.
        self.entered: list[int] = []
        self.left: list[int] = []
        self.threads = [threading.Thread(target=self._work, name=f"{name}-{number}", daemon=True)
                        for number in range(min(width, len(tasks)))]

    def _work(self) -> None:
        self.entered.append(1)
        try:
            while not self.stopping and not self.errors:
                try:
                    task = self.todo.get_nowait()
                except queue.Empty:
                    return
                self.results.append(task())
        except BaseException as error:  # handed to the main thread, which stops the others
            self.errors.append(error)
        finally:
            self.left.append(1)

    def start(self) -> None:
        for thread in self.threads:
            thread.start()

    def all_left(self) -> bool:
        return len(self.left) == len(self.threads)

    def busy(self) -> bool:
        """Whether a worker may still be running a task. Read `left` before `entered`, so a
        worker moving on between the two reads is counted as busy, never as gone."""
        left = len(self.left)
        return len(self.entered) > left

    def drop_pending(self) -> None:
        while True:
            try:
                self.todo.get_nowait()
            except queue.Empty:
                return


def run_side_by_side(tasks: Sequence[Callable[[], T]], width: int, *, on_stop: Callable[[], None],
                     kill: Callable[[], None], name: str = "job") -> list[T]:
    """Run `tasks` at most `width` at a time; returns their results in the order they finished.

    If a task raises, or the main thread is interrupted, `on_stop` runs, no further task starts,
    and `kill` is called again and again until no worker is left in a task (a worker may start a
    program after the first call). Then the exception is raised. Both callables may run several
    times and must not take locks. A second interrupt during that cleanup does not cut it short:
    the tasks must not outlive the caller."""
    workers = _Workers(tasks, width, name)
    try:
        workers.start()
        while not workers.all_left() and not workers.errors:
            time.sleep(POLL_S)
        if workers.errors:
            raise workers.errors[0]
        return workers.results
    except BaseException as stopped:
        _stop(workers, on_stop, kill)
        raise stopped


def _stop(workers: _Workers, on_stop: Callable[[], None], kill: Callable[[], None]) -> None:
    # Every step is safe to repeat, so an interrupt anywhere in here just goes round again.
    # `stopping` comes first: a worker that enters after it never takes a task, so once none is
    # busy, none will be.
    while True:
        try:
            workers.stopping = True
            on_stop()
            workers.drop_pending()
            kill()
            if not workers.busy():
                return
            time.sleep(POLL_S)
        except KeyboardInterrupt:  # another Ctrl-C or SIGTERM: the cleanup still finishes
            continue
