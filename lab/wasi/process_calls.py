"""Arguments, environment, clocks, randomness, process control and the socket stubs."""

from __future__ import annotations

import os

from lab.wasi import abi
from lab.wasi.abi import GuestMemory
from lab.wasi.clocks import Clock, RandomSource
from lab.wasi.errno import Errno, WasiError
from lab.wasi.fs import FdTable


class ProcExit(BaseException):
    """The guest called proc_exit(code). Like SystemExit it derives from BaseException, so an
    engine's `except Exception` around host calls lets it unwind the guest to the runner."""

    def __init__(self, code: int) -> None:
        super().__init__(f"proc_exit({code})")
        self.code = code


class ProcessCalls:
    args: list[bytes]
    environ: list[bytes]
    clock: Clock
    random: RandomSource
    fds: FdTable

    def args_sizes_get(self, m: GuestMemory, argc_ptr: int, size_ptr: int) -> None:
        m.set_u32(argc_ptr, len(self.args))
        m.set_u32(size_ptr, sum(len(arg) + 1 for arg in self.args))

    def args_get(self, m: GuestMemory, argv_ptr: int, buf_ptr: int) -> None:
        abi.write_string_table(m, self.args, argv_ptr, buf_ptr)

    def environ_sizes_get(self, m: GuestMemory, count_ptr: int, size_ptr: int) -> None:
        m.set_u32(count_ptr, len(self.environ))
        m.set_u32(size_ptr, sum(len(item) + 1 for item in self.environ))

    def environ_get(self, m: GuestMemory, environ_ptr: int, buf_ptr: int) -> None:
        abi.write_string_table(m, self.environ, environ_ptr, buf_ptr)

    def clock_res_get(self, m: GuestMemory, clock_id: int, result_ptr: int) -> None:
        m.set_u64(result_ptr, self.clock.resolution_ns(clock_id))

    def clock_time_get(self, m: GuestMemory, clock_id: int, precision: int,
                       result_ptr: int) -> None:
        m.set_u64(result_ptr, self.clock.now_ns(clock_id))

    def random_get(self, m: GuestMemory, buf: int, length: int) -> None:
        m.write(buf, self.random(length)[:length])

    def proc_exit(self, m: GuestMemory, code: int) -> None:
        raise ProcExit(code)

    def proc_raise(self, m: GuestMemory, signal: int) -> None:
        raise WasiError(Errno.ENOSYS, "proc_raise is not supported")

    def sched_yield(self, m: GuestMemory) -> None:
        os.sched_yield()

    # No socket can be opened through preview 1 here, so every descriptor is "not a socket".
    def _not_a_socket(self, fd: int) -> None:
        self.fds.get(fd)
        raise WasiError(Errno.ENOTSOCK, f"fd {fd} is not a socket")

    def sock_accept(self, m: GuestMemory, fd: int, flags: int, result_ptr: int) -> None:
        self._not_a_socket(fd)

    def sock_recv(self, m: GuestMemory, fd: int, ri_data: int, ri_len: int, ri_flags: int,
                  ro_len_ptr: int, ro_flags_ptr: int) -> None:
        self._not_a_socket(fd)

    def sock_send(self, m: GuestMemory, fd: int, si_data: int, si_len: int, si_flags: int,
                  so_len_ptr: int) -> None:
        self._not_a_socket(fd)

    def sock_shutdown(self, m: GuestMemory, fd: int, how: int) -> None:
        self._not_a_socket(fd)
