"""Escape attempts through the WASI calls themselves: each must fail with wasmtime's errno and
leave everything outside the preopened directory untouched."""

import os
from pathlib import Path

import pytest

from lab.wasi import WasiPreview1
from lab.wasi.abi import ALL_RIGHTS, DIRECTORY_RIGHTS, OFLAGS_CREAT, OFLAGS_DIRECTORY
from lab.wasi.errno import Errno
from tests.wasi.guest import FakeGuest

PREOPEN = 3
EPERM, ENOENT = int(Errno.EPERM), int(Errno.ENOENT)


@pytest.fixture
def world(tmp_path: Path):
    root = tmp_path / "root"
    root.mkdir()
    (tmp_path / "outside.txt").write_text("secret")
    (tmp_path / "outside_dir").mkdir()
    os.symlink("/", root / "to_root")
    os.symlink("..", root / "to_parent")
    os.symlink("../outside.txt", root / "to_outside_file")
    with WasiPreview1(args=["t"], preopens=[(root, "/")]) as wasi:
        yield FakeGuest(wasi), tmp_path


def snapshot(folder: Path) -> dict[str, tuple[int, int, bytes]]:
    """Every entry outside root/: name, size, mtime, content (for files)."""
    result = {}
    for path in sorted(folder.rglob("*")):
        if "root" in path.relative_to(folder).parts:
            continue
        stat = path.lstat()
        content = path.read_bytes() if path.is_file() and not path.is_symlink() else b""
        result[str(path)] = (stat.st_size, stat.st_mtime_ns, content)
    return result


@pytest.mark.parametrize("path, follow", [
    ("../outside.txt", False), ("/etc/passwd", False), ("/outside.txt", False),
    ("to_root/etc/passwd", True), ("to_root/etc/passwd", False), ("to_parent/outside.txt", False),
    ("to_outside_file", True), ("to_root", True), ("to_parent", True),
])
def test_open_escapes_fail_with_eperm(world, path: str, follow: bool) -> None:
    guest, outside = world
    before = snapshot(outside)
    errno, _ = guest.open(PREOPEN, path, rights=ALL_RIGHTS, follow=follow)
    assert errno == EPERM
    errno, _ = guest.open(PREOPEN, path, OFLAGS_CREAT, rights=ALL_RIGHTS, follow=follow)
    assert errno in (EPERM, int(Errno.ELOOP))  # the final link itself, never its target
    assert snapshot(outside) == before


def test_a_link_opened_without_follow_is_not_followed(world) -> None:
    guest, _ = world
    assert guest.open(PREOPEN, "to_outside_file", rights=ALL_RIGHTS)[0] == int(Errno.ELOOP)


def test_path_calls_cannot_touch_outside(world) -> None:
    guest, outside = world
    before = snapshot(outside)
    put = lambda text: guest.put(text.encode())  # noqa: E731
    stat = guest.alloc(64)
    attempts = {
        "mkdir ../new": guest.call("path_create_directory", PREOPEN, *put("../new")),
        "mkdir to_parent/new": guest.call("path_create_directory", PREOPEN, *put("to_parent/new")),
        "unlink ../outside.txt": guest.call("path_unlink_file", PREOPEN, *put("../outside.txt")),
        "unlink via link dir": guest.call("path_unlink_file", PREOPEN,
                                          *put("to_parent/outside.txt")),
        "rmdir ../outside_dir": guest.call("path_remove_directory", PREOPEN,
                                           *put("../outside_dir")),
        "rename out": guest.call("path_rename", PREOPEN, *put("to_root"), PREOPEN,
                                 *put("../moved")),
        "rename in": guest.call("path_rename", PREOPEN, *put("../outside.txt"), PREOPEN,
                                *put("stolen")),
        "link in": guest.call("path_link", PREOPEN, 0, *put("to_parent/outside.txt"), PREOPEN,
                              *put("hard")),
        "link followed": guest.call("path_link", PREOPEN, 1, *put("to_outside_file"), PREOPEN,
                                    *put("hard")),
        "symlink to /": guest.call("path_symlink", *put("/etc"), PREOPEN, *put("new_link")),
        "symlink out": guest.call("path_symlink", *put("x"), PREOPEN, *put("../new_link")),
        "stat followed": guest.call("path_filestat_get", PREOPEN, 1, *put("to_outside_file"), stat),
        "stat ../": guest.call("path_filestat_get", PREOPEN, 0, *put("../outside.txt"), stat),
        "set times": guest.call("path_filestat_set_times", PREOPEN, 1, *put("to_outside_file"),
                                0, 0, 0b1010),
        "readlink ../": guest.call("path_readlink", PREOPEN, *put("../x"), stat, 16, stat + 32),
    }
    assert attempts == {name: EPERM for name in attempts}
    assert snapshot(outside) == before


def test_directory_fds_opened_inside_stay_confined(world) -> None:
    guest, outside = world
    (outside / "root" / "sub").mkdir()
    errno, sub = guest.open(PREOPEN, "sub", OFLAGS_DIRECTORY, rights=DIRECTORY_RIGHTS)
    assert errno == 0
    # ".." of a directory opened below the preopen is still outside that directory fd.
    assert guest.open(sub, "../to_root", rights=ALL_RIGHTS)[0] == EPERM
    assert guest.open(sub, "..", rights=ALL_RIGHTS)[0] == EPERM


def test_ordinary_paths_still_work(world) -> None:
    guest, outside = world
    errno, fd = guest.open(PREOPEN, "made.txt", OFLAGS_CREAT, rights=ALL_RIGHTS)
    assert errno == 0 and fd > PREOPEN
    assert guest.call("fd_close", fd) == 0
    assert (outside / "root" / "made.txt").exists()
    assert guest.open(PREOPEN, "missing/../x", rights=ALL_RIGHTS)[0] == ENOENT
