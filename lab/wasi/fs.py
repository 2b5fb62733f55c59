"""The guest's file-descriptor table and sandboxed path resolution.

Every path the guest names is resolved component by component from a directory descriptor
with openat-style calls (`dir_fd=`, O_NOFOLLOW): symbolic links are read and expanded here, never
by the host kernel, so `..`, absolute paths and links pointing out of a preopened directory are
refused (with EPERM, as wasmtime does) instead of reaching the host file system.
"""

from __future__ import annotations

import os
import stat

from lab.interp.record import Record
from lab.wasi import abi
from lab.wasi.errno import Errno, WasiError, errno_from_oserror

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing; mypy reads it as True
if TYPE_CHECKING:

    from lab.wasi.stdio import Stream

# The errno for a path that would leave its directory. The spec's ENOTCAPABLE would do as well;
# EPERM is what wasmtime answers, so the two implementations can be compared call for call.
ESCAPE_ERRNO = Errno.EPERM
MAX_SYMLINK_EXPANSIONS = 40  # Linux's limit; beyond it a lookup fails with ELOOP
_DIR_OPEN_FLAGS = (os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
                   | getattr(os, "O_PATH", 0))


class Descriptor(Record):
    """One open guest descriptor: a host fd (file or directory) or a stdio stream."""

    __slots__ = _fields = ("filetype", "rights_base", "rights_inheriting", "fdflags", "host_fd",
                           "stream", "preopen_name", "dir_listing")

    def __init__(self, filetype: int, rights_base: int, rights_inheriting: int, fdflags: int = 0,
                 host_fd: int | None = None, stream: Stream | None = None,
                 preopen_name: bytes | None = None,
                 dir_listing: list[tuple[bytes, int, int]] | None = None) -> None:
        self.filetype = filetype
        self.rights_base = rights_base
        self.rights_inheriting = rights_inheriting
        self.fdflags = fdflags
        self.host_fd = host_fd
        self.stream = stream
        self.preopen_name = preopen_name  # the guest path of a preopened directory
        self.dir_listing = dir_listing

    def __repr__(self) -> str:
        return self._repr(self._fields[:-1])  # without dir_listing, which can be long

    @property
    def is_directory(self) -> bool:
        return self.filetype == abi.FILETYPE_DIRECTORY

    @property
    def dir_fd(self) -> int:
        """The host fd of a directory descriptor (FdTable.directory has checked that it has one)."""
        if self.host_fd is None:
            raise WasiError(Errno.ENOTDIR, "not an open directory")
        return self.host_fd

    def require(self, needed: int) -> None:
        """ENOTCAPABLE unless the descriptor holds every right in `needed`."""
        if self.rights_base & needed != needed:
            raise WasiError(Errno.ENOTCAPABLE, f"missing rights {needed & ~self.rights_base:#x}")

    def close(self) -> None:
        if self.host_fd is not None:
            os.close(self.host_fd)
            self.host_fd = None


class FdTable:
    """Guest fd numbers to descriptors; new descriptors take the lowest free number."""

    def __init__(self) -> None:
        self._entries: dict[int, Descriptor] = {}

    def get(self, fd: int) -> Descriptor:
        try:
            return self._entries[fd]
        except KeyError:
            raise WasiError(Errno.EBADF, f"fd {fd} is not open") from None

    def directory(self, fd: int, needed: int = 0) -> Descriptor:
        """A directory descriptor holding `needed` rights (EBADF / ENOTDIR / ENOTCAPABLE)."""
        entry = self.get(fd)
        if not entry.is_directory or entry.host_fd is None:
            raise WasiError(Errno.ENOTDIR, f"fd {fd} is not a directory")
        entry.require(needed)
        return entry

    def add(self, entry: Descriptor) -> int:
        fd = 0
        while fd in self._entries:
            fd += 1
        self._entries[fd] = entry
        return fd

    def place(self, fd: int, entry: Descriptor) -> None:
        self._entries[fd] = entry

    def pop(self, fd: int) -> Descriptor:
        entry = self.get(fd)
        del self._entries[fd]
        return entry

    def renumber(self, source: int, target: int) -> None:
        moving = self.get(source)
        replaced = self.get(target)
        if source == target:
            return
        replaced.close()
        self._entries[target] = moving
        del self._entries[source]

    def close_all(self) -> None:
        for entry in self._entries.values():
            entry.close()
        self._entries.clear()


# --- path resolution ---------------------------------------------------------------------------

class Resolved(Record):
    """Where a guest path ends: the host directory fd holding the last component, and that
    component's name (b"." when the path names the directory itself; with a trailing b"/"
    when the guest wrote one, so the host applies the same must-be-a-directory rule)."""

    __slots__ = _fields = ("dir_fd", "name")

    def __init__(self, dir_fd: int, name: bytes) -> None:
        self.dir_fd = dir_fd
        self.name = name


def _split(path: bytes) -> list[bytes]:
    return [part for part in path.split(b"/") if part not in (b"", b".")]


def _read_link(dir_fd: int, name: bytes) -> bytes | None:
    """The target of `name` if it is a symbolic link, else None (also when it is missing)."""
    try:
        return os.readlink(name, dir_fd=dir_fd)
    except OSError:
        return None


def resolve(base_fd: int, path: bytes, follow_final: bool) -> _Resolution:
    """Resolve `path` under the directory `base_fd` without ever leaving it; use as
    `with resolve(...) as where:` (a Resolved).

    Intermediate directories are opened with O_NOFOLLOW and closed when the block ends. A
    final symbolic link is expanded when `follow_final`. When a trailing slash would make the
    host follow a final link that we must not expand, its target is checked first.
    """
    return _Resolution(base_fd, path, follow_final)


class _Resolution:
    """The context manager behind resolve() (a class, not contextlib: contextlib and the
    collections and functools it imports cost ~2.5 ms of every engine start)."""

    def __init__(self, base_fd: int, path: bytes, follow_final: bool) -> None:
        self.base_fd, self.path, self.follow_final = base_fd, path, follow_final
        self.opened: list[tuple[int, bytes]] = []   # directories entered below base_fd: (fd, name)

    def __enter__(self) -> Resolved:
        try:
            return self._walk()
        except BaseException:
            self._close()
            raise

    def __exit__(self, *exc_info: object) -> None:
        self._close()

    def _close(self) -> None:
        while self.opened:
            os.close(self.opened.pop()[0])

    def _walk(self) -> Resolved:
        base_fd, path, follow_final, opened = self.base_fd, self.path, self.follow_final, self.opened
        if not path:
            raise WasiError(Errno.ENOENT, "empty path")
        if path.startswith(b"/"):
            raise WasiError(ESCAPE_ERRNO, "absolute path")
        trailing_slash = path.endswith((b"/", b"/."))
        pending = _split(path)[::-1]   # a stack: the next component is last
        expansions = 0
        final = b"."
        while pending:
            name = pending.pop()
            current = opened[-1][0] if opened else base_fd
            if name == b"..":
                if not opened:
                    raise WasiError(ESCAPE_ERRNO, "path leaves its directory")
                os.close(opened.pop()[0])
                continue
            is_last = not pending
            target = _read_link(current, name)
            if target is not None and (not is_last or follow_final or trailing_slash):
                expansions += 1
                if expansions > MAX_SYMLINK_EXPANSIONS:
                    raise WasiError(Errno.ELOOP, "too many symbolic links")
                if target.startswith(b"/"):
                    raise WasiError(ESCAPE_ERRNO, "symbolic link to an absolute path")
                if is_last and not follow_final:
                    # The host will follow this link because of the trailing slash: check
                    # that its target stays inside, then leave the name as the guest wrote it.
                    walked = b"/".join([entry[1] for entry in opened] + [target])
                    with resolve(base_fd, walked + b"/", follow_final=True):
                        pass
                    final = name
                    break
                pending.extend(reversed(_split(target)))
                continue
            if is_last:
                final = name
                break
            try:
                opened.append((os.open(name, _DIR_OPEN_FLAGS, dir_fd=current), name))
            except OSError as exc:
                raise WasiError(errno_from_oserror(exc), f"opening {name!r}") from None
        if trailing_slash and final != b".":
            final += b"/"
        return Resolved(opened[-1][0] if opened else base_fd, final)


# --- host stat to WASI ------------------------------------------------------------------------

def filetype_of_mode(mode: int) -> int:
    if stat.S_ISREG(mode):
        return abi.FILETYPE_REGULAR_FILE
    if stat.S_ISDIR(mode):
        return abi.FILETYPE_DIRECTORY
    if stat.S_ISLNK(mode):
        return abi.FILETYPE_SYMBOLIC_LINK
    if stat.S_ISCHR(mode):
        return abi.FILETYPE_CHARACTER_DEVICE
    if stat.S_ISBLK(mode):
        return abi.FILETYPE_BLOCK_DEVICE
    if stat.S_ISSOCK(mode):
        return abi.FILETYPE_SOCKET_STREAM
    return abi.FILETYPE_UNKNOWN


def filestat_fields(result: os.stat_result) -> tuple[int, ...]:
    """The values of a WASI filestat struct, in abi.FILESTAT order."""
    return (result.st_dev, result.st_ino, filetype_of_mode(result.st_mode), result.st_nlink,
            result.st_size, result.st_atime_ns, result.st_mtime_ns, result.st_ctime_ns)
