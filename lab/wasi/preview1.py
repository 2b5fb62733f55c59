"""WasiPreview1: the whole of `wasi_snapshot_preview1`, independent of any engine.

An engine binds `table()` entries as host functions. Each callable takes a memory accessor (a
zero-argument function returning the guest's current linear memory as a writable buffer; it is
called once per call because memory can grow between calls) and the wasm integer arguments, and
returns the errno as an int. proc_exit returns nothing: it raises ProcExit, which the binding
must let unwind the guest.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence

from lab.wasi import abi
from lab.wasi.abi import GuestMemory
from lab.wasi.clocks import Clock, HostClock, RandomSource, host_random
from lab.wasi.errno import Errno, WasiError, errno_from_oserror
from lab.wasi.fd_calls import FdCalls
from lab.wasi.fs import Descriptor, FdTable
from lab.wasi.path_calls import PathCalls
from lab.wasi.poll import PollCalls
from lab.wasi.process_calls import ProcessCalls, ProcExit
from lab.wasi.stdio import CAPTURE, CapturedOutput, Stream, make_stream

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (~8 ms); mypy reads it as True
if TYPE_CHECKING:
    from typing import Any

    from lab.wasi.stdio import StdioSpec

MemoryAccessor = Callable[[], "Any"]   # returns a writable buffer (bytearray, memoryview, ctypes)
HostFunction = Callable[..., "int | None"]
_MASKS = {"i32": 0xFFFFFFFF, "i64": 0xFFFFFFFFFFFFFFFF}


def _encode(value: str | bytes) -> bytes:
    return value if isinstance(value, bytes) else value.encode("utf-8")


class WasiPreview1(ProcessCalls, FdCalls, PathCalls, PollCalls):
    """One guest's WASI world: argv, environment, standard streams and preopened directories.

    args: the full argv, program name first. env: a mapping or "KEY=VALUE" strings, the whole
    environment. preopens: (host_dir, guest_path) pairs, given fds 3, 4, ... in order.
    stdin/stdout/stderr: see stdio.make_stream; stdout and stderr are captured by default and
    read back with `stdout_bytes` / `stderr_bytes`. Use as a context manager (or call close())
    to release the host descriptors.
    """

    def __init__(self, args: Sequence[str | bytes] = (),
                 env: Mapping[str, str] | Sequence[str] = (),
                 preopens: Sequence[tuple[str | os.PathLike[str], str]] = (),
                 stdin: StdioSpec = None, stdout: StdioSpec | str = CAPTURE,
                 stderr: StdioSpec | str = CAPTURE, clock: Clock | None = None,
                 random: RandomSource | None = None) -> None:
        self.args = [_encode(arg) for arg in args]
        items = [f"{key}={value}" for key, value in env.items()] if isinstance(env, Mapping) \
            else list(env)
        self.environ = [_encode(item) for item in items]
        self.clock = clock or HostClock()
        self.random = random or host_random
        self.fds = FdTable()
        self._streams: list[Stream] = []
        for spec, readable in ((stdin, True), (stdout, False), (stderr, False)):
            stream = make_stream(spec, for_output=not readable)
            self._streams.append(stream)
            access = abi.rights("FD_READ") if readable else abi.rights("FD_WRITE")
            other = abi.STREAM_RIGHTS & ~abi.rights("FD_READ", "FD_WRITE")
            self.fds.add(Descriptor(stream.filetype, access | other, 0, stream=stream))
        try:
            for host_dir, guest_path in preopens:
                self.add_preopen(host_dir, guest_path)
        except BaseException:
            self.close()
            raise

    def add_preopen(self, host_dir: str | os.PathLike[str], guest_path: str) -> int:
        """Open `host_dir` as a preopened directory the guest knows as `guest_path`."""
        # "" is the current directory, as it was when this went through pathlib.Path.
        host_fd = os.open(os.fspath(host_dir) or ".", os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
        return self.fds.add(Descriptor(
            abi.FILETYPE_DIRECTORY, abi.DIRECTORY_RIGHTS, abi.DIRECTORY_INHERITING_RIGHTS,
            host_fd=host_fd, preopen_name=_encode(guest_path)))

    # --- results ------------------------------------------------------------------------------
    def _captured(self, index: int) -> bytes:
        stream = self._streams[index]
        return bytes(stream.data) if isinstance(stream, CapturedOutput) else b""

    @property
    def stdout_bytes(self) -> bytes:
        return self._captured(1)

    @property
    def stderr_bytes(self) -> bytes:
        return self._captured(2)

    # --- binding ------------------------------------------------------------------------------
    def table(self) -> dict[str, tuple[tuple[str, ...], tuple[str, ...], HostFunction]]:
        """{name: (param types, result types, callable(memory_accessor, *args))} for every
        wasi_snapshot_preview1 function."""
        return {name: (params, results, self._host_function(name, params))
                for name, (params, results) in abi.SIGNATURES.items()}

    def _host_function(self, name: str, params: tuple[str, ...]) -> HostFunction:
        method = getattr(self, name)
        masks = [_MASKS[kind] for kind in params]

        def call(memory: MemoryAccessor, *args: int) -> int:
            # Arguments arrive signed or unsigned depending on the engine: normalise.
            unsigned = [value & mask for value, mask in zip(args, masks, strict=True)]
            guest = GuestMemory(memory())
            try:
                method(guest, *unsigned)
            except WasiError as exc:
                return int(exc.errno)
            except OSError as exc:
                return int(errno_from_oserror(exc))
            finally:
                guest.release()
            return int(Errno.SUCCESS)

        call.__name__ = name
        return call

    # --- lifetime -----------------------------------------------------------------------------
    def close(self) -> None:
        self.fds.close_all()

    def __enter__(self) -> "WasiPreview1":
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


__all__ = ["WasiPreview1", "ProcExit", "MemoryAccessor", "HostFunction"]
