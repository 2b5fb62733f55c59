"""fs.resolve: the one place that keeps guest paths inside their directory."""

import os
from pathlib import Path

import pytest

from lab.wasi.errno import Errno, WasiError
from lab.wasi.fs import ESCAPE_ERRNO, resolve


@pytest.fixture
def root(tmp_path: Path) -> Path:
    root = tmp_path / "root"
    (root / "dir" / "nested").mkdir(parents=True)
    (root / "dir" / "nested" / "file").write_text("x")
    (root / "file").write_text("y")
    os.symlink("dir/nested", root / "to_nested")
    os.symlink("/", root / "to_root")
    os.symlink("..", root / "to_parent")
    os.symlink("dir/../..", root / "sneaky")
    os.symlink("loop", root / "loop")
    os.symlink("file", root / "to_file")
    (tmp_path / "outside").write_text("secret")
    return root


@pytest.fixture
def base_fd(root: Path):
    fd = os.open(root, os.O_RDONLY | os.O_DIRECTORY)
    yield fd
    os.close(fd)


def lands_on(base_fd: int, path: bytes, follow: bool = True) -> tuple[os.stat_result, bytes]:
    with resolve(base_fd, path, follow) as where:
        return os.stat(where.name, dir_fd=where.dir_fd, follow_symlinks=False), where.name


def failure(base_fd: int, path: bytes, follow: bool = True) -> int:
    with pytest.raises(WasiError) as caught:
        with resolve(base_fd, path, follow):
            pass
    return caught.value.errno


def test_dots_and_repeated_slashes(root: Path, base_fd: int) -> None:
    found, name = lands_on(base_fd, b"dir/.//nested/../../dir/nested/../nested///./file")
    assert found.st_ino == (root / "dir/nested/file").stat().st_ino
    assert name == b"file"


def test_path_naming_the_directory_itself(root: Path, base_fd: int) -> None:
    assert lands_on(base_fd, b".")[0].st_ino == root.stat().st_ino
    assert lands_on(base_fd, b"dir/..")[1] == b"."


@pytest.mark.parametrize("path", [b"..", b"../outside", b"dir/../../outside", b"/etc/passwd",
                                  b"/", b"to_root/etc/passwd", b"to_parent/outside",
                                  b"sneaky/outside", b"to_nested/../../../outside"])
def test_escapes_are_refused(base_fd: int, path: bytes) -> None:
    assert failure(base_fd, path) == ESCAPE_ERRNO == Errno.EPERM


def test_final_link_to_outside_is_refused_only_when_followed(base_fd: int) -> None:
    assert failure(base_fd, b"to_root", follow=True) == ESCAPE_ERRNO
    stat, name = lands_on(base_fd, b"to_root", follow=False)   # the link itself
    assert name == b"to_root" and os.path.stat.S_ISLNK(stat.st_mode)


def test_trailing_slash_on_escaping_link_is_refused_even_without_follow(base_fd: int) -> None:
    assert failure(base_fd, b"to_root/", follow=False) == ESCAPE_ERRNO
    assert failure(base_fd, b"to_parent/", follow=False) == ESCAPE_ERRNO


def test_trailing_slash_is_kept_for_the_host(base_fd: int) -> None:
    assert lands_on(base_fd, b"dir/nested/")[1] == b"nested/"
    assert lands_on(base_fd, b"to_nested/", follow=False)[1] == b"to_nested/"


def test_links_inside_are_followed(root: Path, base_fd: int) -> None:
    assert lands_on(base_fd, b"to_nested/file")[0].st_ino == \
        (root / "dir/nested/file").stat().st_ino
    assert lands_on(base_fd, b"to_file")[1] == b"file"


def test_loops_end_with_eloop(base_fd: int) -> None:
    assert failure(base_fd, b"loop/x") == Errno.ELOOP
    assert failure(base_fd, b"loop", follow=True) == Errno.ELOOP


@pytest.mark.parametrize("path, errno", [(b"", Errno.ENOENT), (b"missing/x", Errno.ENOENT),
                                         (b"file/x", Errno.ENOTDIR)])
def test_bad_intermediate_components(base_fd: int, path: bytes, errno: int) -> None:
    assert failure(base_fd, path) == errno


def test_no_descriptor_leaks(base_fd: int) -> None:
    before = len(os.listdir("/proc/self/fd"))
    for path in (b"dir/nested/file", b"to_nested/file", b"dir/nested/../../..", b"loop/x"):
        try:
            lands_on(base_fd, path)
        except WasiError:
            pass
    assert len(os.listdir("/proc/self/fd")) == before
