"""poll_oneoff: clock subscriptions, and fd readiness for files and standard streams.

Regular files are always ready. Streams backed by a host descriptor are polled with select();
in-memory streams are ready at once. Without a ready fd, the call sleeps until the earliest
clock deadline and reports every clock that has then expired.
"""

from __future__ import annotations

import os
import select
import time

from lab.interp.record import Record
from lab.wasi import abi
from lab.wasi.abi import GuestMemory, R
from lab.wasi.clocks import Clock
from lab.wasi.errno import Errno, WasiError
from lab.wasi.fs import FdTable


class _Event(Record):
    __slots__ = _fields = ("userdata", "error", "kind", "nbytes")

    def __init__(self, userdata: int, error: int, kind: int, nbytes: int = 0) -> None:
        self.userdata = userdata
        self.error = error
        self.kind = kind
        self.nbytes = nbytes


class PollCalls:
    fds: FdTable
    clock: Clock

    def _fd_event(self, userdata: int, kind: int, fd: int) -> tuple[_Event | None, int | None]:
        """The event for an fd subscription if it is ready now, else the host fd to wait on."""
        try:
            entry = self.fds.get(fd)
            entry.require(R["POLL_FD_READWRITE"])
        except WasiError as exc:
            return _Event(userdata, exc.errno, kind), None
        for_write = kind == abi.EVENTTYPE_FD_WRITE
        if entry.stream is None:
            nbytes = 0
            if not for_write and entry.host_fd is not None and not entry.is_directory:
                size = os.fstat(entry.host_fd).st_size
                nbytes = max(0, size - os.lseek(entry.host_fd, 0, os.SEEK_CUR))
            return _Event(userdata, Errno.SUCCESS, kind, nbytes), None
        if entry.stream.ready(for_write):
            return _Event(userdata, Errno.SUCCESS, kind), None
        return None, entry.stream.host_fd()

    def _deadline_ns(self, m: GuestMemory, union_addr: int) -> tuple[int, int]:
        """(clock id, absolute deadline in that clock's ns) of a clock subscription."""
        clock_id, timeout, _precision, flags = m.unpack(abi.SUBSCRIPTION_CLOCK, union_addr)
        now = self.clock.now_ns(clock_id)
        return clock_id, timeout if flags & abi.SUBCLOCKFLAGS_ABSTIME else now + timeout

    def poll_oneoff(self, m: GuestMemory, in_ptr: int, out_ptr: int, nsubscriptions: int,
                    nevents_ptr: int) -> None:
        if nsubscriptions == 0:
            raise WasiError(Errno.EINVAL, "no subscriptions")
        ready: list[_Event] = []
        clocks: list[tuple[int, int, int]] = []          # userdata, clock id, deadline
        waiting: dict[int, list[tuple[int, int]]] = {}   # host fd -> [(userdata, kind)]
        for userdata, tag, union_addr in abi.iter_subscriptions(m, in_ptr, nsubscriptions):
            if tag == abi.EVENTTYPE_CLOCK:
                try:
                    clocks.append((userdata, *self._deadline_ns(m, union_addr)))
                except WasiError as exc:
                    ready.append(_Event(userdata, exc.errno, tag))
            elif tag in (abi.EVENTTYPE_FD_READ, abi.EVENTTYPE_FD_WRITE):
                event, host_fd = self._fd_event(userdata, tag, m.u32(union_addr))
                if event is not None:
                    ready.append(event)
                elif host_fd is not None:
                    waiting.setdefault(host_fd, []).append((userdata, tag))
            else:
                raise WasiError(Errno.EINVAL, f"unknown subscription tag {tag}")
        if not ready:
            ready = self._wait(clocks, waiting)
        for index, event in enumerate(ready):
            m.pack(abi.EVENT, out_ptr + index * abi.EVENT.size, event.userdata, event.error,
                   event.kind, event.nbytes, 0)
        m.set_u32(nevents_ptr, len(ready))

    def _wait(self, clocks: list[tuple[int, int, int]],
              waiting: dict[int, list[tuple[int, int]]]) -> list[_Event]:
        """Block until a waited-on host fd is ready or the earliest clock expires."""
        while True:
            remaining = [deadline - self.clock.now_ns(clock_id) for _, clock_id, deadline in clocks]
            expired = [_Event(userdata, Errno.SUCCESS, abi.EVENTTYPE_CLOCK)
                       for (userdata, _, _), left in zip(clocks, remaining, strict=True) if left <= 0]
            if expired:
                return expired
            timeout = min(remaining) / 1e9 if remaining else None
            if not waiting:
                if timeout is None:
                    return []
                time.sleep(timeout)
                continue
            reads = [fd for fd, subs in waiting.items()
                     if any(kind == abi.EVENTTYPE_FD_READ for _, kind in subs)]
            writes = [fd for fd, subs in waiting.items()
                      if any(kind == abi.EVENTTYPE_FD_WRITE for _, kind in subs)]
            readable, writable, _ = select.select(reads, writes, [], timeout)
            events = [_Event(userdata, Errno.SUCCESS, kind)
                      for fd, subs in waiting.items() for userdata, kind in subs
                      if fd in (readable if kind == abi.EVENTTYPE_FD_READ else writable)]
            if events:
                return events
