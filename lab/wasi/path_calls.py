"""The path_* calls. Each resolves its path with fs.resolve (which keeps it inside the
directory descriptor) and then makes one *at host call on the final component."""

from __future__ import annotations

import os

from lab.wasi import abi
from lab.wasi.abi import GuestMemory, R
from lab.wasi.errno import WasiError
from lab.wasi.fd_calls import resolve_times
from lab.wasi.fs import ESCAPE_ERRNO, Descriptor, FdTable, filestat_fields, filetype_of_mode, resolve

_WRITE_RIGHTS = R["FD_WRITE"] | R["FD_ALLOCATE"] | R["FD_FILESTAT_SET_SIZE"]
_FDFLAGS_TO_HOST = {abi.FDFLAGS_APPEND: os.O_APPEND, abi.FDFLAGS_DSYNC: os.O_DSYNC,
                    abi.FDFLAGS_NONBLOCK: os.O_NONBLOCK, abi.FDFLAGS_RSYNC: os.O_RSYNC,
                    abi.FDFLAGS_SYNC: os.O_SYNC}
_OFLAGS_TO_HOST = {abi.OFLAGS_CREAT: os.O_CREAT, abi.OFLAGS_DIRECTORY: os.O_DIRECTORY,
                   abi.OFLAGS_EXCL: os.O_EXCL, abi.OFLAGS_TRUNC: os.O_TRUNC}


def host_open_flags(oflags: int, fdflags: int, rights_base: int) -> int:
    """os.open flags for a path_open: access mode from the requested rights. O_NOFOLLOW is
    always set because fs.resolve has already expanded every link the guest may follow."""
    reading = rights_base & (R["FD_READ"] | R["FD_READDIR"])
    writing = rights_base & _WRITE_RIGHTS
    flags = os.O_RDWR if reading and writing else os.O_WRONLY if writing else os.O_RDONLY
    flags |= os.O_NOFOLLOW | os.O_CLOEXEC | os.O_NOCTTY
    for table, given in ((_OFLAGS_TO_HOST, oflags), (_FDFLAGS_TO_HOST, fdflags)):
        for wasi_flag, host_flag in table.items():
            if given & wasi_flag:
                flags |= host_flag
    return flags


class PathCalls:
    fds: FdTable

    def _path(self, m: GuestMemory, ptr: int, length: int) -> bytes:
        return m.string(ptr, length)

    def path_open(self, m: GuestMemory, fd: int, dirflags: int, path: int, path_len: int,
                  oflags: int, rights_base: int, rights_inheriting: int, fdflags: int,
                  result_ptr: int) -> None:
        needed = R["PATH_OPEN"]
        if oflags & abi.OFLAGS_CREAT:
            needed |= R["PATH_CREATE_FILE"]
        if oflags & abi.OFLAGS_TRUNC:
            needed |= R["PATH_FILESTAT_SET_SIZE"]
        parent = self.fds.directory(fd, needed)
        name = self._path(m, path, path_len)
        flags = host_open_flags(oflags, fdflags, rights_base)
        follow = bool(dirflags & abi.LOOKUPFLAGS_SYMLINK_FOLLOW)
        with resolve(parent.dir_fd, name, follow) as where:
            host_fd = os.open(where.name, flags, 0o666, dir_fd=where.dir_fd)
        try:
            filetype = filetype_of_mode(os.fstat(host_fd).st_mode)
        except OSError:
            os.close(host_fd)
            raise
        is_dir = filetype == abi.FILETYPE_DIRECTORY
        # New rights: what was asked for, within what the parent passes on and what this
        # kind of descriptor can hold at all.
        base = rights_base & parent.rights_inheriting
        inheriting = rights_inheriting & parent.rights_inheriting
        if is_dir:
            base &= abi.DIRECTORY_RIGHTS
            inheriting &= abi.DIRECTORY_INHERITING_RIGHTS
        else:
            base &= abi.FILE_RIGHTS
            inheriting = 0
        entry = Descriptor(filetype, base, inheriting, fdflags=fdflags, host_fd=host_fd)
        m.set_u32(result_ptr, self.fds.add(entry))

    def path_create_directory(self, m: GuestMemory, fd: int, path: int, path_len: int) -> None:
        parent = self.fds.directory(fd, R["PATH_CREATE_DIRECTORY"])
        with resolve(parent.dir_fd, self._path(m, path, path_len), False) as where:
            os.mkdir(where.name, 0o777, dir_fd=where.dir_fd)

    def path_remove_directory(self, m: GuestMemory, fd: int, path: int, path_len: int) -> None:
        parent = self.fds.directory(fd, R["PATH_REMOVE_DIRECTORY"])
        with resolve(parent.dir_fd, self._path(m, path, path_len), False) as where:
            os.rmdir(where.name, dir_fd=where.dir_fd)

    def path_unlink_file(self, m: GuestMemory, fd: int, path: int, path_len: int) -> None:
        parent = self.fds.directory(fd, R["PATH_UNLINK_FILE"])
        with resolve(parent.dir_fd, self._path(m, path, path_len), False) as where:
            os.unlink(where.name, dir_fd=where.dir_fd)

    def path_filestat_get(self, m: GuestMemory, fd: int, flags: int, path: int, path_len: int,
                          result_ptr: int) -> None:
        parent = self.fds.directory(fd, R["PATH_FILESTAT_GET"])
        follow = bool(flags & abi.LOOKUPFLAGS_SYMLINK_FOLLOW)
        with resolve(parent.dir_fd, self._path(m, path, path_len), follow) as where:
            result = os.stat(where.name, dir_fd=where.dir_fd, follow_symlinks=False)
        m.pack(abi.FILESTAT, result_ptr, *filestat_fields(result))

    def path_filestat_set_times(self, m: GuestMemory, fd: int, flags: int, path: int,
                                path_len: int, atim: int, mtim: int, fstflags: int) -> None:
        parent = self.fds.directory(fd, R["PATH_FILESTAT_SET_TIMES"])
        follow = bool(flags & abi.LOOKUPFLAGS_SYMLINK_FOLLOW)
        with resolve(parent.dir_fd, self._path(m, path, path_len), follow) as where:
            current = os.stat(where.name, dir_fd=where.dir_fd, follow_symlinks=False)
            times = resolve_times(fstflags, atim, mtim, current)
            if times is not None:
                os.utime(where.name, ns=times, dir_fd=where.dir_fd, follow_symlinks=False)

    def path_readlink(self, m: GuestMemory, fd: int, path: int, path_len: int, buf: int,
                      buf_len: int, bufused_ptr: int) -> None:
        parent = self.fds.directory(fd, R["PATH_READLINK"])
        with resolve(parent.dir_fd, self._path(m, path, path_len), False) as where:
            target = os.readlink(where.name, dir_fd=where.dir_fd)
        m.write(buf, target[:buf_len])   # truncated to the buffer, as the spec allows
        m.set_u32(bufused_ptr, min(len(target), buf_len))

    def path_symlink(self, m: GuestMemory, old_path: int, old_len: int, fd: int, new_path: int,
                     new_len: int) -> None:
        parent = self.fds.directory(fd, R["PATH_SYMLINK"])
        # Relative contents are stored verbatim (resolve() refuses to follow them outside);
        # absolute ones could never resolve inside, so they are refused up front, as wasmtime does.
        target = self._path(m, old_path, old_len)
        if target.startswith(b"/"):
            raise WasiError(ESCAPE_ERRNO, "symbolic link to an absolute path")
        with resolve(parent.dir_fd, self._path(m, new_path, new_len), False) as where:
            os.symlink(target, where.name, dir_fd=where.dir_fd)

    def path_link(self, m: GuestMemory, old_fd: int, old_flags: int, old_path: int,
                  old_len: int, new_fd: int, new_path: int, new_len: int) -> None:
        source = self.fds.directory(old_fd, R["PATH_LINK_SOURCE"])
        dest = self.fds.directory(new_fd, R["PATH_LINK_TARGET"])
        follow = bool(old_flags & abi.LOOKUPFLAGS_SYMLINK_FOLLOW)
        with resolve(source.dir_fd, self._path(m, old_path, old_len), follow) as src, \
                resolve(dest.dir_fd, self._path(m, new_path, new_len), False) as dst:
            os.link(src.name, dst.name, src_dir_fd=src.dir_fd, dst_dir_fd=dst.dir_fd,
                    follow_symlinks=False)

    def path_rename(self, m: GuestMemory, fd: int, old_path: int, old_len: int, new_fd: int,
                    new_path: int, new_len: int) -> None:
        source = self.fds.directory(fd, R["PATH_RENAME_SOURCE"])
        dest = self.fds.directory(new_fd, R["PATH_RENAME_TARGET"])
        with resolve(source.dir_fd, self._path(m, old_path, old_len), False) as src, \
                resolve(dest.dir_fd, self._path(m, new_path, new_len), False) as dst:
            os.rename(src.name, dst.name, src_dir_fd=src.dir_fd, dst_dir_fd=dst.dir_fd)
