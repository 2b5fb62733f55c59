"""A stand-in guest for calling WasiPreview1 directly, without any engine: a bytearray
memory with a bump allocator, and `call` going through the same table an engine binds."""

from __future__ import annotations

import struct

from lab.wasi import WasiPreview1


class FakeGuest:
    def __init__(self, wasi: WasiPreview1, pages: int = 1) -> None:
        self.wasi = wasi
        self.memory = bytearray(65536 * pages)
        self._next = 1024
        self._table = wasi.table()

    def call(self, name: str, *args: int) -> int | None:
        return self._table[name][2](lambda: self.memory, *args)

    def alloc(self, size: int) -> int:
        addr = self._next
        self._next += (size + 7) & ~7
        return addr

    def put(self, data: bytes) -> tuple[int, int]:
        """Copy bytes into memory; returns (address, length), the shape WASI strings take."""
        addr = self.alloc(len(data) or 1)
        self.memory[addr:addr + len(data)] = data
        return addr, len(data)

    def iovec(self, *buffers: tuple[int, int]) -> tuple[int, int]:
        addr = self.alloc(8 * len(buffers))
        for index, (buf, length) in enumerate(buffers):
            struct.pack_into("<II", self.memory, addr + 8 * index, buf, length)
        return addr, len(buffers)

    def u32(self, addr: int) -> int:
        return struct.unpack_from("<I", self.memory, addr)[0]

    def u64(self, addr: int) -> int:
        return struct.unpack_from("<Q", self.memory, addr)[0]

    def open(self, dir_fd: int, path: str, oflags: int = 0, rights: int = 0,
             follow: bool = False, fdflags: int = 0) -> tuple[int, int]:
        """path_open; returns (errno, new fd or -1)."""
        out = self.alloc(4)
        errno = self.call("path_open", dir_fd, int(follow), *self.put(path.encode()), oflags,
                          rights, rights, fdflags, out)
        return errno, self.u32(out) if errno == 0 else -1
