"""WasiPreview1 called directly, as an engine would, with a bytearray as linear memory."""

import struct
import time
from pathlib import Path

import pytest

from lab.wasi import SIGNATURES, Errno, ProcExit, WasiPreview1, abi
from lab.wasi.abi import R
from tests.wasi.guest import FakeGuest

PREOPEN = 3


@pytest.fixture
def root(tmp_path: Path) -> Path:
    (tmp_path / "data.txt").write_bytes(b"0123456789")
    return tmp_path


@pytest.fixture
def guest(root: Path):
    with WasiPreview1(args=["prog", "a b", "ü"], env={"A": "1", "EMPTY": ""},
                      preopens=[(root, "/sandbox")], stdin=b"typed input",
                      random=lambda n: bytes(range(n))) as wasi:
        yield FakeGuest(wasi)


def test_table_covers_every_preview1_function(guest: FakeGuest) -> None:
    table = guest.wasi.table()
    assert len(table) == 46 and set(table) == set(SIGNATURES)
    assert table["fd_seek"][:2] == (("i32", "i64", "i32", "i32"), ("i32",))
    assert table["proc_exit"][:2] == (("i32",), ())


def test_args_and_environ(guest: FakeGuest) -> None:
    sizes = guest.alloc(8)
    assert guest.call("args_sizes_get", sizes, sizes + 4) == 0
    count, size = guest.u32(sizes), guest.u32(sizes + 4)
    assert (count, size) == (3, len(b"prog\0a b\0\xc3\xbc\0"))
    argv, buf = guest.alloc(4 * count), guest.alloc(size)
    assert guest.call("args_get", argv, buf) == 0
    assert guest.memory[guest.u32(argv + 4):guest.u32(argv + 4) + 4] == b"a b\0"
    assert bytes(guest.memory[buf:buf + size]) == b"prog\0a b\0\xc3\xbc\0"
    assert guest.call("environ_sizes_get", sizes, sizes + 4) == 0
    assert (guest.u32(sizes), guest.u32(sizes + 4)) == (2, len(b"A=1\0EMPTY=\0"))


def test_stdio_capture_and_stdin(guest: FakeGuest) -> None:
    out = guest.alloc(4)
    iovs = guest.iovec(guest.put(b"hello "), guest.put(b"world"))
    assert guest.call("fd_write", 1, *iovs, out) == 0 and guest.u32(out) == 11
    assert guest.call("fd_write", 2, *guest.iovec(guest.put(b"oops")), out) == 0
    assert guest.wasi.stdout_bytes == b"hello world" and guest.wasi.stderr_bytes == b"oops"
    buf = guest.alloc(5)
    assert guest.call("fd_read", 0, *guest.iovec((buf, 5)), out) == 0
    assert guest.u32(out) == 5 and guest.memory[buf:buf + 5] == b"typed"
    assert guest.call("fd_read", 1, *guest.iovec((buf, 5)), out) == Errno.ENOTCAPABLE


def test_out_of_bounds_is_efault_and_memory_can_grow_after(guest: FakeGuest) -> None:
    out = guest.alloc(4)
    assert guest.call("fd_write", 1, *guest.iovec((65530, 100)), out) == Errno.EFAULT
    assert guest.call("args_sizes_get", 65535, 0) == Errno.EFAULT
    guest.memory.extend(bytes(65536))   # an engine's memory.grow must still be possible
    assert guest.call("args_sizes_get", 65535, 0) == 0


def test_signed_arguments_are_read_unsigned(guest: FakeGuest) -> None:
    # wasmtime hands i32 values over signed: -4 is address 0xFFFFFFFC, far outside memory.
    assert guest.call("clock_time_get", abi.CLOCKID_MONOTONIC, 0, -4) == Errno.EFAULT


def test_clocks_and_random(guest: FakeGuest) -> None:
    out = guest.alloc(8)
    assert guest.call("clock_time_get", abi.CLOCKID_REALTIME, 1, out) == 0
    assert abs(guest.u64(out) - time.time_ns()) < 5_000_000_000
    assert guest.call("clock_res_get", abi.CLOCKID_MONOTONIC, out) == 0 and guest.u64(out) > 0
    assert guest.call("clock_time_get", 99, 0, out) == Errno.EINVAL
    assert guest.call("random_get", out, 5) == 0 and guest.memory[out:out + 5] == bytes(range(5))


def test_preopen_description(guest: FakeGuest) -> None:
    prestat = guest.alloc(8)
    assert guest.call("fd_prestat_get", PREOPEN, prestat) == 0
    assert struct.unpack_from("<BxxxI", guest.memory, prestat) == (0, len("/sandbox"))
    name = guest.alloc(16)
    assert guest.call("fd_prestat_dir_name", PREOPEN, name, 3) == Errno.ENAMETOOLONG
    assert guest.call("fd_prestat_dir_name", PREOPEN, name, 16) == 0
    assert guest.memory[name:name + 8] == b"/sandbox"
    assert guest.call("fd_prestat_get", 1, prestat) == Errno.EBADF
    assert guest.call("fd_prestat_get", 4, prestat) == Errno.EBADF


def test_file_read_seek_and_rights(guest: FakeGuest, root: Path) -> None:
    errno, fd = guest.open(PREOPEN, "data.txt", rights=R["FD_READ"] | R["FD_SEEK"])
    assert errno == 0
    out, buf = guest.alloc(8), guest.alloc(4)
    assert guest.call("fd_seek", fd, -3, abi.WHENCE_END, out) == 0 and guest.u64(out) == 7
    assert guest.call("fd_read", fd, *guest.iovec((buf, 4)), out) == 0
    assert guest.u32(out) == 3 and guest.memory[buf:buf + 3] == b"789"
    assert guest.call("fd_write", fd, *guest.iovec((buf, 1)), out) == Errno.ENOTCAPABLE
    assert guest.call("fd_tell", fd, out) == Errno.ENOTCAPABLE
    # Rights only shrink.
    assert guest.call("fd_fdstat_set_rights", fd, R["FD_READ"], 0) == 0
    assert guest.call("fd_seek", fd, 0, abi.WHENCE_SET, out) == Errno.ENOTCAPABLE
    assert guest.call("fd_fdstat_set_rights", fd, R["FD_READ"] | R["FD_SEEK"], 0) == \
        Errno.ENOTCAPABLE
    fdstat = guest.alloc(24)
    assert guest.call("fd_fdstat_get", fd, fdstat) == 0
    assert abi.FDSTAT.unpack_from(guest.memory, fdstat) == \
        (abi.FILETYPE_REGULAR_FILE, 0, R["FD_READ"], 0)
    assert guest.call("fd_close", fd) == 0
    assert guest.call("fd_close", fd) == Errno.EBADF


def test_readdir_pages_through_a_directory(guest: FakeGuest, root: Path) -> None:
    for index in range(20):
        (root / f"entry{index:02}").touch()
    names, cookie, buf = [], 0, guest.alloc(64)
    used = guest.alloc(4)
    while True:   # a 64-byte buffer holds one or two dirents at a time
        assert guest.call("fd_readdir", PREOPEN, buf, 64, cookie, used) == 0
        data = bytes(guest.memory[buf:buf + guest.u32(used)])
        while len(data) >= 24:
            d_next, _ino, namlen, _type = abi.DIRENT.unpack_from(data)
            if len(data) < 24 + namlen:
                break
            names.append(data[24:24 + namlen].decode())
            cookie, data = d_next, data[24 + namlen:]
        if guest.u32(used) < 64:
            break
    assert sorted(names) == sorted([".", "..", "data.txt"] + [f"entry{i:02}" for i in range(20)])


def test_poll_clock_timeout_and_ready_stdout(guest: FakeGuest) -> None:
    subs, events, count = guest.alloc(96), guest.alloc(64), guest.alloc(4)
    struct.pack_into("<QB7xIxxxxQQH", guest.memory, subs, 77, abi.EVENTTYPE_CLOCK,
                     abi.CLOCKID_MONOTONIC, 20_000_000, 0, 0)
    started = time.monotonic()
    assert guest.call("poll_oneoff", subs, events, 1, count) == 0
    assert time.monotonic() - started >= 0.019
    assert guest.u32(count) == 1
    assert abi.EVENT.unpack_from(guest.memory, events)[:3] == (77, 0, abi.EVENTTYPE_CLOCK)
    # With a 5 s clock and an fd_write subscription on captured stdout: ready at once.
    struct.pack_into("<QB7xIxxxxQQH", guest.memory, subs, 77, abi.EVENTTYPE_CLOCK,
                     abi.CLOCKID_MONOTONIC, 5_000_000_000, 0, 0)
    struct.pack_into("<QB7xI", guest.memory, subs + 48, 5, abi.EVENTTYPE_FD_WRITE, 1)
    started = time.monotonic()
    assert guest.call("poll_oneoff", subs, events, 2, count) == 0
    assert time.monotonic() - started < 2.5 and guest.u32(count) == 1
    assert abi.EVENT.unpack_from(guest.memory, events)[:3] == (5, 0, abi.EVENTTYPE_FD_WRITE)
    assert guest.call("poll_oneoff", subs, events, 0, count) == Errno.EINVAL


def test_process_calls(guest: FakeGuest) -> None:
    with pytest.raises(ProcExit) as exited:
        guest.call("proc_exit", 42)
    assert exited.value.code == 42
    assert guest.call("proc_raise", 6) == Errno.ENOSYS
    assert guest.call("sched_yield") == 0
    assert guest.call("sock_shutdown", 1, 0) == Errno.ENOTSOCK
    assert guest.call("sock_shutdown", 99, 0) == Errno.EBADF


def test_renumber_moves_and_closes(guest: FakeGuest) -> None:
    fdstat = guest.alloc(24)
    assert guest.call("fd_renumber", 1, PREOPEN) == 0
    assert guest.call("fd_fdstat_get", 1, fdstat) == Errno.EBADF
    assert guest.call("fd_prestat_get", PREOPEN, fdstat) == Errno.EBADF   # now stdout
    assert guest.call("fd_renumber", 1, 2) == Errno.EBADF
