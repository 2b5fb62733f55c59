"""The preview 1 ABI: flag and enum values, struct layouts and the function signatures
(witx `wasi_snapshot_preview1`), plus bounds-checked access to the guest's linear memory."""

from __future__ import annotations

import struct
from collections.abc import Iterator

from lab.wasi.errno import Errno, WasiError

MODULE_NAME = "wasi_snapshot_preview1"

# --- rights (u64 bit flags) -------------------------------------------------------------------
_RIGHT_NAMES = (
    "FD_DATASYNC FD_READ FD_SEEK FD_FDSTAT_SET_FLAGS FD_SYNC FD_TELL FD_WRITE FD_ADVISE "
    "FD_ALLOCATE PATH_CREATE_DIRECTORY PATH_CREATE_FILE PATH_LINK_SOURCE PATH_LINK_TARGET "
    "PATH_OPEN FD_READDIR PATH_READLINK PATH_RENAME_SOURCE PATH_RENAME_TARGET PATH_FILESTAT_GET "
    "PATH_FILESTAT_SET_SIZE PATH_FILESTAT_SET_TIMES FD_FILESTAT_GET FD_FILESTAT_SET_SIZE "
    "FD_FILESTAT_SET_TIMES PATH_SYMLINK PATH_REMOVE_DIRECTORY PATH_UNLINK_FILE POLL_FD_READWRITE "
    "SOCK_SHUTDOWN SOCK_ACCEPT"
).split()
RIGHTS: dict[str, int] = {name: 1 << bit for bit, name in enumerate(_RIGHT_NAMES)}
ALL_RIGHTS = (1 << len(_RIGHT_NAMES)) - 1


def rights(*names: str) -> int:
    """The union of the named rights, e.g. rights("FD_READ", "FD_SEEK")."""
    value = 0
    for name in names:
        value |= RIGHTS[name]
    return value


R = RIGHTS  # short alias for the many checks in the call modules

# What a descriptor of each kind can ever hold; path_open masks requested rights with these.
FILE_RIGHTS = rights(
    "FD_DATASYNC", "FD_READ", "FD_SEEK", "FD_FDSTAT_SET_FLAGS", "FD_SYNC", "FD_TELL", "FD_WRITE",
    "FD_ADVISE", "FD_ALLOCATE", "FD_FILESTAT_GET", "FD_FILESTAT_SET_SIZE",
    "FD_FILESTAT_SET_TIMES", "POLL_FD_READWRITE")
DIRECTORY_RIGHTS = rights(
    "FD_FDSTAT_SET_FLAGS", "FD_SYNC", "FD_ADVISE", "PATH_CREATE_DIRECTORY", "PATH_CREATE_FILE",
    "PATH_LINK_SOURCE", "PATH_LINK_TARGET", "PATH_OPEN", "FD_READDIR", "PATH_READLINK",
    "PATH_RENAME_SOURCE", "PATH_RENAME_TARGET", "PATH_FILESTAT_GET", "PATH_FILESTAT_SET_SIZE",
    "PATH_FILESTAT_SET_TIMES", "FD_FILESTAT_GET", "FD_FILESTAT_SET_TIMES", "PATH_SYMLINK",
    "PATH_REMOVE_DIRECTORY", "PATH_UNLINK_FILE")
DIRECTORY_INHERITING_RIGHTS = DIRECTORY_RIGHTS | FILE_RIGHTS
STREAM_RIGHTS = rights(
    "FD_READ", "FD_WRITE", "FD_FDSTAT_SET_FLAGS", "FD_FILESTAT_GET", "POLL_FD_READWRITE")

# --- enums and flags --------------------------------------------------------------------------
FILETYPE_UNKNOWN, FILETYPE_BLOCK_DEVICE, FILETYPE_CHARACTER_DEVICE, FILETYPE_DIRECTORY = 0, 1, 2, 3
FILETYPE_REGULAR_FILE, FILETYPE_SOCKET_DGRAM, FILETYPE_SOCKET_STREAM = 4, 5, 6
FILETYPE_SYMBOLIC_LINK = 7

FDFLAGS_APPEND, FDFLAGS_DSYNC, FDFLAGS_NONBLOCK, FDFLAGS_RSYNC, FDFLAGS_SYNC = 1, 2, 4, 8, 16
OFLAGS_CREAT, OFLAGS_DIRECTORY, OFLAGS_EXCL, OFLAGS_TRUNC = 1, 2, 4, 8
LOOKUPFLAGS_SYMLINK_FOLLOW = 1
FSTFLAGS_ATIM, FSTFLAGS_ATIM_NOW, FSTFLAGS_MTIM, FSTFLAGS_MTIM_NOW = 1, 2, 4, 8
WHENCE_SET, WHENCE_CUR, WHENCE_END = 0, 1, 2
CLOCKID_REALTIME, CLOCKID_MONOTONIC = 0, 1
CLOCKID_PROCESS_CPUTIME_ID, CLOCKID_THREAD_CPUTIME_ID = 2, 3
EVENTTYPE_CLOCK, EVENTTYPE_FD_READ, EVENTTYPE_FD_WRITE = 0, 1, 2
SUBCLOCKFLAGS_ABSTIME = 1
EVENTRWFLAGS_FD_READWRITE_HANGUP = 1
PREOPENTYPE_DIR = 0
ADVICE_MAX = 5  # normal, sequential, random, willneed, dontneed, noreuse

# --- struct layouts (little-endian, sizes fixed by the witx) ----------------------------------
FDSTAT = struct.Struct("<BxHxxxxQQ")           # filetype, flags, rights_base, rights_inheriting
FILESTAT = struct.Struct("<QQBxxxxxxxQQQQQ")   # dev, ino, filetype, nlink, size, atim, mtim, ctim
PRESTAT = struct.Struct("<BxxxI")              # tag, pr_name_len
DIRENT = struct.Struct("<QQIBxxx")             # d_next, d_ino, d_namlen, d_type
IOVEC = struct.Struct("<II")                   # buf, buf_len
SUBSCRIPTION_SIZE = 48                         # userdata u64, tag u8 @8, union @16
SUBSCRIPTION_CLOCK = struct.Struct("<IxxxxQQH")  # id, timeout, precision, flags (at offset 16)
EVENT = struct.Struct("<QHBxxxxxQHxxxxxx")     # userdata, error, type, nbytes, flags

assert (FDSTAT.size, FILESTAT.size, PRESTAT.size, DIRENT.size, EVENT.size) == (24, 64, 8, 24, 32)

# --- function signatures ----------------------------------------------------------------------
_I, _L = "i32", "i64"
SIGNATURES: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "args_get": ((_I, _I), (_I,)),
    "args_sizes_get": ((_I, _I), (_I,)),
    "environ_get": ((_I, _I), (_I,)),
    "environ_sizes_get": ((_I, _I), (_I,)),
    "clock_res_get": ((_I, _I), (_I,)),
    "clock_time_get": ((_I, _L, _I), (_I,)),
    "fd_advise": ((_I, _L, _L, _I), (_I,)),
    "fd_allocate": ((_I, _L, _L), (_I,)),
    "fd_close": ((_I,), (_I,)),
    "fd_datasync": ((_I,), (_I,)),
    "fd_fdstat_get": ((_I, _I), (_I,)),
    "fd_fdstat_set_flags": ((_I, _I), (_I,)),
    "fd_fdstat_set_rights": ((_I, _L, _L), (_I,)),
    "fd_filestat_get": ((_I, _I), (_I,)),
    "fd_filestat_set_size": ((_I, _L), (_I,)),
    "fd_filestat_set_times": ((_I, _L, _L, _I), (_I,)),
    "fd_pread": ((_I, _I, _I, _L, _I), (_I,)),
    "fd_prestat_get": ((_I, _I), (_I,)),
    "fd_prestat_dir_name": ((_I, _I, _I), (_I,)),
    "fd_pwrite": ((_I, _I, _I, _L, _I), (_I,)),
    "fd_read": ((_I, _I, _I, _I), (_I,)),
    "fd_readdir": ((_I, _I, _I, _L, _I), (_I,)),
    "fd_renumber": ((_I, _I), (_I,)),
    "fd_seek": ((_I, _L, _I, _I), (_I,)),
    "fd_sync": ((_I,), (_I,)),
    "fd_tell": ((_I, _I), (_I,)),
    "fd_write": ((_I, _I, _I, _I), (_I,)),
    "path_create_directory": ((_I, _I, _I), (_I,)),
    "path_filestat_get": ((_I, _I, _I, _I, _I), (_I,)),
    "path_filestat_set_times": ((_I, _I, _I, _I, _L, _L, _I), (_I,)),
    "path_link": ((_I, _I, _I, _I, _I, _I, _I), (_I,)),
    "path_open": ((_I, _I, _I, _I, _I, _L, _L, _I, _I), (_I,)),
    "path_readlink": ((_I, _I, _I, _I, _I, _I), (_I,)),
    "path_remove_directory": ((_I, _I, _I), (_I,)),
    "path_rename": ((_I, _I, _I, _I, _I, _I), (_I,)),
    "path_symlink": ((_I, _I, _I, _I, _I), (_I,)),
    "path_unlink_file": ((_I, _I, _I), (_I,)),
    "poll_oneoff": ((_I, _I, _I, _I), (_I,)),
    "proc_exit": ((_I,), ()),
    "proc_raise": ((_I,), (_I,)),
    "sched_yield": ((), (_I,)),
    "random_get": ((_I, _I), (_I,)),
    "sock_accept": ((_I, _I, _I), (_I,)),
    "sock_recv": ((_I, _I, _I, _I, _I, _I), (_I,)),
    "sock_send": ((_I, _I, _I, _I, _I), (_I,)),
    "sock_shutdown": ((_I, _I), (_I,)),
}


def to_signed64(value: int) -> int:
    """Reinterpret an unsigned 64-bit argument as signed (fd_seek's filedelta)."""
    return value - (1 << 64) if value >= 1 << 63 else value


class GuestMemory:
    """Bounds-checked views into linear memory; any access outside it fails the call with
    EFAULT, never a host IndexError."""

    def __init__(self, buffer: memoryview | bytearray) -> None:
        view = memoryview(buffer)
        self.view = view.cast("B") if view.format != "B" else view

    def release(self) -> None:
        """Drop the view so a bytearray-backed memory can grow again after the call."""
        self.view.release()

    def slice(self, addr: int, length: int) -> memoryview:
        if addr < 0 or length < 0 or addr + length > len(self.view):
            raise WasiError(Errno.EFAULT, f"[{addr}, +{length}) outside memory")
        return self.view[addr:addr + length]

    def read(self, addr: int, length: int) -> bytes:
        return bytes(self.slice(addr, length))

    def write(self, addr: int, data: bytes | bytearray | memoryview) -> None:
        self.slice(addr, len(data))[:] = data

    def pack(self, layout: struct.Struct, addr: int, *values: int) -> None:
        layout.pack_into(self.slice(addr, layout.size), 0, *values)

    def unpack(self, layout: struct.Struct, addr: int) -> tuple[int, ...]:
        return layout.unpack_from(self.slice(addr, layout.size), 0)

    def u32(self, addr: int) -> int:
        return int.from_bytes(self.slice(addr, 4), "little")

    def set_u32(self, addr: int, value: int) -> None:
        self.slice(addr, 4)[:] = (value & 0xFFFFFFFF).to_bytes(4, "little")

    def set_u64(self, addr: int, value: int) -> None:
        self.slice(addr, 8)[:] = (value & 0xFFFFFFFFFFFFFFFF).to_bytes(8, "little")

    def iovecs(self, addr: int, count: int) -> list[memoryview]:
        """The buffers an iovec/ciovec array names, as views into memory (zero copy)."""
        return [self.slice(*self.unpack(IOVEC, addr + i * IOVEC.size)) for i in range(count)]

    def string(self, addr: int, length: int) -> bytes:
        """A guest string argument (a path): must be UTF-8 without NUL, as preview 1 requires."""
        data = self.read(addr, length)
        if b"\0" in data:
            raise WasiError(Errno.EINVAL, "NUL in string")
        try:
            data.decode("utf-8")
        except UnicodeDecodeError:
            raise WasiError(Errno.EILSEQ, "string is not UTF-8") from None
        return data


def write_string_table(memory: GuestMemory, items: list[bytes], ptrs_addr: int,
                       buf_addr: int) -> None:
    """args_get/environ_get: NUL-terminated strings at buf, their addresses at ptrs."""
    offset = buf_addr
    for index, item in enumerate(items):
        memory.set_u32(ptrs_addr + 4 * index, offset)
        memory.write(offset, item + b"\0")
        offset += len(item) + 1


def iter_subscriptions(memory: GuestMemory, addr: int,
                       count: int) -> Iterator[tuple[int, int, int]]:
    """(userdata, tag, address of the union) for each subscription."""
    for index in range(count):
        base = addr + index * SUBSCRIPTION_SIZE
        raw = memory.read(base, SUBSCRIPTION_SIZE)
        yield int.from_bytes(raw[0:8], "little"), raw[8], base + 16
