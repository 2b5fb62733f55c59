"""The fd_* calls: reading, writing, seeking and describing open descriptors."""

from __future__ import annotations

import fcntl
import os
import time

from lab.wasi import abi
from lab.wasi.abi import GuestMemory, R
from lab.wasi.dirlist import list_directory, pack_dirents
from lab.wasi.errno import Errno, WasiError
from lab.wasi.fs import Descriptor, FdTable, filestat_fields

# fdflags the host lets us change on an open descriptor (F_SETFL); the sync flags are fixed.
_SETTABLE_FDFLAGS = {abi.FDFLAGS_APPEND: os.O_APPEND, abi.FDFLAGS_NONBLOCK: os.O_NONBLOCK}
_WHENCE = {abi.WHENCE_SET: os.SEEK_SET, abi.WHENCE_CUR: os.SEEK_CUR, abi.WHENCE_END: os.SEEK_END}


def resolve_times(fstflags: int, atim: int, mtim: int, current: os.stat_result | None
                  ) -> tuple[int, int] | None:
    """The (atime, mtime) in ns to set for a *_set_times call, or None when nothing changes.

    Python's utime cannot leave one time untouched (UTIME_OMIT), so an omitted time is
    written back with its current value.
    """
    if (fstflags & abi.FSTFLAGS_ATIM and fstflags & abi.FSTFLAGS_ATIM_NOW) or \
            (fstflags & abi.FSTFLAGS_MTIM and fstflags & abi.FSTFLAGS_MTIM_NOW):
        raise WasiError(Errno.EINVAL, "a time and its _NOW flag are exclusive")
    if fstflags & ~0xF:
        raise WasiError(Errno.EINVAL, "unknown fstflags")
    if not fstflags & 0xF:
        return None
    now = time.time_ns()

    def pick(value: int, given: int, use_now: int, old: int) -> int:
        return value if fstflags & given else now if fstflags & use_now else old

    assert current is not None
    return (pick(atim, abi.FSTFLAGS_ATIM, abi.FSTFLAGS_ATIM_NOW, current.st_atime_ns),
            pick(mtim, abi.FSTFLAGS_MTIM, abi.FSTFLAGS_MTIM_NOW, current.st_mtime_ns))


class FdCalls:
    fds: FdTable

    # --- helpers ------------------------------------------------------------------------------
    def _host_fd(self, entry: Descriptor) -> int:
        """The host fd behind a file or directory; EBADF-like failures for streams."""
        if entry.host_fd is None:
            raise WasiError(Errno.ESPIPE if entry.stream is not None else Errno.EBADF)
        return entry.host_fd

    def _file(self, fd: int, needed: int) -> Descriptor:
        """A non-directory descriptor with `needed` rights (directories fail with EISDIR)."""
        entry = self.fds.get(fd)
        entry.require(needed)
        if entry.is_directory:
            raise WasiError(Errno.EISDIR)
        return entry

    # --- data ---------------------------------------------------------------------------------
    def fd_read(self, m: GuestMemory, fd: int, iovs: int, iovs_len: int, nread_ptr: int) -> None:
        entry = self._file(fd, R["FD_READ"])
        buffers = m.iovecs(iovs, iovs_len)
        if entry.stream is not None:
            count = entry.stream.read_into(buffers)
        else:
            count = os.readv(self._host_fd(entry), buffers) if buffers else 0
        m.set_u32(nread_ptr, count)

    def fd_write(self, m: GuestMemory, fd: int, iovs: int, iovs_len: int,
                 nwritten_ptr: int) -> None:
        entry = self._file(fd, R["FD_WRITE"])
        buffers = m.iovecs(iovs, iovs_len)
        if entry.stream is not None:
            count = entry.stream.write_from(buffers)
        else:
            count = os.writev(self._host_fd(entry), buffers) if buffers else 0
        m.set_u32(nwritten_ptr, count)

    def fd_pread(self, m: GuestMemory, fd: int, iovs: int, iovs_len: int, offset: int,
                 nread_ptr: int) -> None:
        entry = self._file(fd, R["FD_READ"] | R["FD_SEEK"])
        buffers = m.iovecs(iovs, iovs_len)
        host_fd = self._host_fd(entry)
        m.set_u32(nread_ptr, os.preadv(host_fd, buffers, offset) if buffers else 0)

    def fd_pwrite(self, m: GuestMemory, fd: int, iovs: int, iovs_len: int, offset: int,
                  nwritten_ptr: int) -> None:
        entry = self._file(fd, R["FD_WRITE"] | R["FD_SEEK"])
        buffers = m.iovecs(iovs, iovs_len)
        host_fd = self._host_fd(entry)
        m.set_u32(nwritten_ptr, os.pwritev(host_fd, buffers, offset) if buffers else 0)

    # --- position -----------------------------------------------------------------------------
    def fd_seek(self, m: GuestMemory, fd: int, offset: int, whence: int,
                newoffset_ptr: int) -> None:
        offset = abi.to_signed64(offset)
        telling = whence == abi.WHENCE_CUR and offset == 0
        entry = self._file(fd, R["FD_TELL"] if telling else R["FD_SEEK"])
        if whence not in _WHENCE:
            raise WasiError(Errno.EINVAL, f"whence {whence}")
        m.set_u64(newoffset_ptr, os.lseek(self._host_fd(entry), offset, _WHENCE[whence]))

    def fd_tell(self, m: GuestMemory, fd: int, offset_ptr: int) -> None:
        entry = self._file(fd, R["FD_TELL"])
        m.set_u64(offset_ptr, os.lseek(self._host_fd(entry), 0, os.SEEK_CUR))

    # --- durability and space -----------------------------------------------------------------
    def fd_sync(self, m: GuestMemory, fd: int) -> None:
        entry = self.fds.get(fd)
        entry.require(R["FD_SYNC"])
        os.fsync(self._host_fd(entry))

    def fd_datasync(self, m: GuestMemory, fd: int) -> None:
        entry = self.fds.get(fd)
        entry.require(R["FD_DATASYNC"])
        os.fdatasync(self._host_fd(entry))

    def fd_advise(self, m: GuestMemory, fd: int, offset: int, length: int, advice: int) -> None:
        entry = self._file(fd, R["FD_ADVISE"])
        if advice > abi.ADVICE_MAX:
            raise WasiError(Errno.EINVAL, f"advice {advice}")
        # WASI's advice values are POSIX_FADV_* in the same order.
        os.posix_fadvise(self._host_fd(entry), offset, length, advice)

    def fd_allocate(self, m: GuestMemory, fd: int, offset: int, length: int) -> None:
        entry = self._file(fd, R["FD_ALLOCATE"])
        os.posix_fallocate(self._host_fd(entry), offset, length)

    # --- metadata -----------------------------------------------------------------------------
    def fd_fdstat_get(self, m: GuestMemory, fd: int, result_ptr: int) -> None:
        entry = self.fds.get(fd)
        m.pack(abi.FDSTAT, result_ptr, entry.filetype, entry.fdflags, entry.rights_base,
               entry.rights_inheriting)

    def fd_fdstat_set_flags(self, m: GuestMemory, fd: int, flags: int) -> None:
        entry = self.fds.get(fd)
        entry.require(R["FD_FDSTAT_SET_FLAGS"])
        fixed = ~(abi.FDFLAGS_APPEND | abi.FDFLAGS_NONBLOCK)
        if flags & fixed != entry.fdflags & fixed:
            raise WasiError(Errno.ENOTSUP, "sync flags cannot change after opening")
        if entry.host_fd is not None:
            host_flags = fcntl.fcntl(entry.host_fd, fcntl.F_GETFL)
            for wasi_flag, host_flag in _SETTABLE_FDFLAGS.items():
                host_flags = (host_flags | host_flag) if flags & wasi_flag \
                    else (host_flags & ~host_flag)
            fcntl.fcntl(entry.host_fd, fcntl.F_SETFL, host_flags)
        entry.fdflags = flags

    def fd_fdstat_set_rights(self, m: GuestMemory, fd: int, base: int, inheriting: int) -> None:
        entry = self.fds.get(fd)
        if base & ~entry.rights_base or inheriting & ~entry.rights_inheriting:
            raise WasiError(Errno.ENOTCAPABLE, "rights can only be dropped")
        entry.rights_base, entry.rights_inheriting = base, inheriting

    def fd_filestat_get(self, m: GuestMemory, fd: int, result_ptr: int) -> None:
        entry = self.fds.get(fd)
        entry.require(R["FD_FILESTAT_GET"])
        host_fd = entry.host_fd if entry.stream is None else entry.stream.host_fd()
        if host_fd is None:   # an in-memory stream has no host metadata
            fields: tuple[int, ...] = (0, 0, entry.filetype, 0, 0, 0, 0, 0)
        else:
            fields = filestat_fields(os.fstat(host_fd))
        m.pack(abi.FILESTAT, result_ptr, *fields)

    def fd_filestat_set_size(self, m: GuestMemory, fd: int, size: int) -> None:
        entry = self._file(fd, R["FD_FILESTAT_SET_SIZE"])
        os.ftruncate(self._host_fd(entry), size)

    def fd_filestat_set_times(self, m: GuestMemory, fd: int, atim: int, mtim: int,
                              fstflags: int) -> None:
        entry = self.fds.get(fd)
        entry.require(R["FD_FILESTAT_SET_TIMES"])
        host_fd = self._host_fd(entry)
        times = resolve_times(fstflags, atim, mtim, os.fstat(host_fd))
        if times is not None:
            os.utime(host_fd, ns=times)

    def fd_readdir(self, m: GuestMemory, fd: int, buf: int, buf_len: int, cookie: int,
                   bufused_ptr: int) -> None:
        entry = self.fds.directory(fd, R["FD_READDIR"])
        if cookie == 0 or entry.dir_listing is None:
            # A fresh listing at cookie 0; later cookies index into it, so entries stay stable
            # while the guest pages through the directory.
            entry.dir_listing = list_directory(self._host_fd(entry))
        data = pack_dirents(entry.dir_listing, cookie, buf_len)
        m.write(buf, data)
        m.set_u32(bufused_ptr, len(data))

    # --- the table itself ---------------------------------------------------------------------
    def fd_close(self, m: GuestMemory, fd: int) -> None:
        self.fds.pop(fd).close()

    def fd_renumber(self, m: GuestMemory, fd: int, to: int) -> None:
        self.fds.renumber(fd, to)

    def fd_prestat_get(self, m: GuestMemory, fd: int, result_ptr: int) -> None:
        entry = self.fds.get(fd)
        if entry.preopen_name is None:
            raise WasiError(Errno.EBADF, f"fd {fd} is not a preopen")
        m.pack(abi.PRESTAT, result_ptr, abi.PREOPENTYPE_DIR, len(entry.preopen_name))

    def fd_prestat_dir_name(self, m: GuestMemory, fd: int, path: int, path_len: int) -> None:
        entry = self.fds.get(fd)
        if entry.preopen_name is None:
            raise WasiError(Errno.EBADF, f"fd {fd} is not a preopen")
        if path_len < len(entry.preopen_name):
            raise WasiError(Errno.ENAMETOOLONG, "buffer shorter than the name")
        m.write(path, entry.preopen_name)
