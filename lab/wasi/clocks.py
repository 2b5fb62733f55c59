"""Clock and randomness sources. The defaults read the host; tests and reproducible benchmark
runs can pass their own (any object with the same two methods / any callable)."""

from __future__ import annotations

import os
import time
from collections.abc import Callable

from lab.wasi import abi
from lab.wasi.errno import Errno, WasiError

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (~8 ms); mypy reads it as True
if TYPE_CHECKING:
    from typing import Protocol
else:
    Protocol = object  # at run time Clock is a plain class: nothing checks against it

RandomSource = Callable[[int], bytes]


class Clock(Protocol):
    def now_ns(self, clock_id: int) -> int: ...
    def resolution_ns(self, clock_id: int) -> int: ...


_HOST_CLOCKS = {
    abi.CLOCKID_REALTIME: time.CLOCK_REALTIME,
    abi.CLOCKID_MONOTONIC: time.CLOCK_MONOTONIC,
    abi.CLOCKID_PROCESS_CPUTIME_ID: time.CLOCK_PROCESS_CPUTIME_ID,
    abi.CLOCKID_THREAD_CPUTIME_ID: time.CLOCK_THREAD_CPUTIME_ID,
}


class HostClock:
    """The host's POSIX clocks; an unknown clock id is EINVAL."""

    @staticmethod
    def _host_id(clock_id: int) -> int:
        try:
            return _HOST_CLOCKS[clock_id]
        except KeyError:
            raise WasiError(Errno.EINVAL, f"unknown clock {clock_id}") from None

    def now_ns(self, clock_id: int) -> int:
        return time.clock_gettime_ns(self._host_id(clock_id))

    def resolution_ns(self, clock_id: int) -> int:
        return max(1, round(time.clock_getres(self._host_id(clock_id)) * 1e9))


def host_random(length: int) -> bytes:
    return os.urandom(length)
