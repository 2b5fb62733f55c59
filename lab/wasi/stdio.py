"""The three standard streams as the guest sees them.

A stream is either a host file descriptor we borrow (never closed by us), bytes fed to stdin,
or an in-memory sink that captures what the guest writes to stdout or stderr.
"""

from __future__ import annotations

import io
import os
import select
import stat

from lab.wasi import abi

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (~8 ms); mypy reads it as True
if TYPE_CHECKING:
    from typing import BinaryIO, Protocol, TypeAlias
else:
    Protocol = object  # at run time Stream is a plain class: nothing checks against it


class Stream(Protocol):
    filetype: int

    def read_into(self, buffers: list[memoryview]) -> int: ...
    def write_from(self, buffers: list[memoryview]) -> int: ...
    def host_fd(self) -> int | None: ...
    def ready(self, for_write: bool) -> bool: ...


class CapturedOutput:
    """An output stream collected in memory: `data` holds everything written."""

    filetype = abi.FILETYPE_UNKNOWN

    def __init__(self) -> None:
        self.data = bytearray()

    def read_into(self, buffers: list[memoryview]) -> int:
        raise OSError(9, "captured output is write-only")  # EBADF

    def write_from(self, buffers: list[memoryview]) -> int:
        before = len(self.data)
        for buffer in buffers:
            self.data += buffer
        return len(self.data) - before

    def host_fd(self) -> None:
        return None

    def ready(self, for_write: bool) -> bool:
        return for_write


class BytesInput:
    """stdin fed from bytes; reads past the end return 0 (end of file)."""

    filetype = abi.FILETYPE_UNKNOWN

    def __init__(self, data: bytes = b"") -> None:
        self._source = io.BytesIO(data)

    def read_into(self, buffers: list[memoryview]) -> int:
        total = 0
        for buffer in buffers:
            count = self._source.readinto(buffer)
            total += count
            if count < len(buffer):
                break
        return total

    def write_from(self, buffers: list[memoryview]) -> int:
        raise OSError(9, "stdin is read-only")

    def host_fd(self) -> None:
        return None

    def ready(self, for_write: bool) -> bool:
        return not for_write


class HostStream:
    """A borrowed host descriptor (a terminal, pipe or file the harness owns)."""

    def __init__(self, fd: int) -> None:
        self.fd = fd
        mode = os.fstat(fd).st_mode
        self.filetype = (abi.FILETYPE_CHARACTER_DEVICE if stat.S_ISCHR(mode)
                         else abi.FILETYPE_REGULAR_FILE if stat.S_ISREG(mode)
                         else abi.FILETYPE_UNKNOWN)

    def read_into(self, buffers: list[memoryview]) -> int:
        return os.readv(self.fd, buffers) if buffers else 0

    def write_from(self, buffers: list[memoryview]) -> int:
        return os.writev(self.fd, buffers) if buffers else 0

    def host_fd(self) -> int:
        return self.fd

    def ready(self, for_write: bool) -> bool:
        waiting: tuple[list[int], list[int], list[int]] = ([], [self.fd], []) if for_write else ([self.fd], [], [])
        try:
            readable, writable, _ = select.select(*waiting, 0)
        except (OSError, ValueError):
            return True  # not pollable (a regular file): always ready
        return bool(readable or writable)


StdioSpec: TypeAlias = "None | bytes | int | BinaryIO | Stream"  # a string: BinaryIO is typing's
CAPTURE = "capture"


def make_stream(spec: StdioSpec | str, for_output: bool) -> Stream:
    """Turn a constructor argument into a Stream.

    None: empty stdin / discarded output; "capture": collect output in memory; bytes: stdin
    content; int or a file object with fileno(): borrow that host descriptor; a Stream: as is.
    """
    if spec == CAPTURE:
        return CapturedOutput()
    if spec is None:
        return CapturedOutput() if for_output else BytesInput()
    if isinstance(spec, (bytes, bytearray)):
        return BytesInput(bytes(spec))
    if isinstance(spec, int):
        return HostStream(spec)
    if hasattr(spec, "fileno"):
        return HostStream(spec.fileno())
    return spec  # type: ignore[return-value]
