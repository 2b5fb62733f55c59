"""WASI preview 1 errno values and the mapping from host OSError to them.

The members are the POSIX names (the witx names with an E prefix: Errno.E2BIG), coded by their
position in the witx file, so the host mapping is derived by name instead of by hand. They are
spelled out, not generated, so the type checker sees them.

Errno is a namespace of plain ints, not an IntEnum: importing enum costs a few ms of every cold
start of the engine. errno_name() gives a code's name.
"""

from __future__ import annotations

import errno as host_errno


class Errno:
    """The WASI preview 1 errno codes (u16) as int constants; Errno.SUCCESS is 0."""

    SUCCESS = 0
    E2BIG = 1
    EACCES = 2
    EADDRINUSE = 3
    EADDRNOTAVAIL = 4
    EAFNOSUPPORT = 5
    EAGAIN = 6
    EALREADY = 7
    EBADF = 8
    EBADMSG = 9
    EBUSY = 10
    ECANCELED = 11
    ECHILD = 12
    ECONNABORTED = 13
    ECONNREFUSED = 14
    ECONNRESET = 15
    EDEADLK = 16
    EDESTADDRREQ = 17
    EDOM = 18
    EDQUOT = 19
    EEXIST = 20
    EFAULT = 21
    EFBIG = 22
    EHOSTUNREACH = 23
    EIDRM = 24
    EILSEQ = 25
    EINPROGRESS = 26
    EINTR = 27
    EINVAL = 28
    EIO = 29
    EISCONN = 30
    EISDIR = 31
    ELOOP = 32
    EMFILE = 33
    EMLINK = 34
    EMSGSIZE = 35
    EMULTIHOP = 36
    ENAMETOOLONG = 37
    ENETDOWN = 38
    ENETRESET = 39
    ENETUNREACH = 40
    ENFILE = 41
    ENOBUFS = 42
    ENODEV = 43
    ENOENT = 44
    ENOEXEC = 45
    ENOLCK = 46
    ENOLINK = 47
    ENOMEM = 48
    ENOMSG = 49
    ENOPROTOOPT = 50
    ENOSPC = 51
    ENOSYS = 52
    ENOTCONN = 53
    ENOTDIR = 54
    ENOTEMPTY = 55
    ENOTRECOVERABLE = 56
    ENOTSOCK = 57
    ENOTSUP = 58
    ENOTTY = 59
    ENXIO = 60
    EOVERFLOW = 61
    EOWNERDEAD = 62
    EPERM = 63
    EPIPE = 64
    EPROTO = 65
    EPROTONOSUPPORT = 66
    EPROTOTYPE = 67
    ERANGE = 68
    EROFS = 69
    ESPIPE = 70
    ESRCH = 71
    ESTALE = 72
    ETIMEDOUT = 73
    ETXTBSY = 74
    EXDEV = 75
    ENOTCAPABLE = 76


ERRNO_NAMES: dict[int, str] = {code: name for name, code in vars(Errno).items() if name.isupper()}
"""WASI errno code -> name ("EBADF")."""


def errno_name(code: int) -> str:
    """The name of a WASI errno code ("EBADF"), or the number for an unknown one."""
    return ERRNO_NAMES.get(code, str(code))


def _host_to_wasi() -> dict[int, int]:
    table: dict[int, int] = {}
    for code, name in ERRNO_NAMES.items():
        host_code = getattr(host_errno, name, None)
        if host_code is not None:
            table.setdefault(host_code, code)
    # Aliases the by-name pass cannot see: Linux has one number for each pair.
    for alias, target in (("EWOULDBLOCK", Errno.EAGAIN), ("EOPNOTSUPP", Errno.ENOTSUP),
                          ("EDEADLOCK", Errno.EDEADLK)):
        if hasattr(host_errno, alias):
            table.setdefault(getattr(host_errno, alias), target)
    return table


HOST_TO_WASI: dict[int, int] = _host_to_wasi()


def errno_from_host(code: int | None) -> int:
    """The WASI errno for a host errno number; EIO when the host code has no WASI twin."""
    if code is None:
        return Errno.EIO
    return HOST_TO_WASI.get(code, Errno.EIO)


def errno_from_oserror(exc: OSError) -> int:
    """The WASI errno for a host OSError."""
    return errno_from_host(exc.errno)


class WasiError(Exception):
    """Raised inside the implementation to end a call with a non-zero errno."""

    def __init__(self, errno: int, detail: str = "") -> None:
        name = errno_name(errno)
        super().__init__(f"{name}: {detail}" if detail else name)
        self.errno = errno
