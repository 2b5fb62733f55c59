"""WASI preview 1 errno values and the mapping from host OSError to them.

The WASI names are the POSIX names without the leading E, in the order the witx file defines
them (the code is the position), so the host mapping is derived by name instead of by hand.
"""

from __future__ import annotations

import errno as host_errno
import enum

_NAMES = (
    "SUCCESS 2BIG ACCES ADDRINUSE ADDRNOTAVAIL AFNOSUPPORT AGAIN ALREADY BADF BADMSG BUSY "
    "CANCELED CHILD CONNABORTED CONNREFUSED CONNRESET DEADLK DESTADDRREQ DOM DQUOT EXIST FAULT "
    "FBIG HOSTUNREACH IDRM ILSEQ INPROGRESS INTR INVAL IO ISCONN ISDIR LOOP MFILE MLINK MSGSIZE "
    "MULTIHOP NAMETOOLONG NETDOWN NETRESET NETUNREACH NFILE NOBUFS NODEV NOENT NOEXEC NOLCK "
    "NOLINK NOMEM NOMSG NOPROTOOPT NOSPC NOSYS NOTCONN NOTDIR NOTEMPTY NOTRECOVERABLE NOTSOCK "
    "NOTSUP NOTTY NXIO OVERFLOW OWNERDEAD PERM PIPE PROTO PROTONOSUPPORT PROTOTYPE RANGE ROFS "
    "SPIPE SRCH STALE TIMEDOUT TXTBSY XDEV NOTCAPABLE"
).split()

# "2BIG" is not a valid identifier, so members are spelled with the E prefix: Errno.E2BIG.
Errno = enum.IntEnum("Errno", [("E" + name if name != "SUCCESS" else name, code)
                               for code, name in enumerate(_NAMES)])
Errno.__doc__ = "A WASI preview 1 errno (u16); Errno.SUCCESS is 0."


def _host_to_wasi() -> dict[int, Errno]:
    table: dict[int, Errno] = {}
    for member in Errno:
        host_code = getattr(host_errno, member.name, None)
        if host_code is not None:
            table.setdefault(host_code, member)
    # Aliases the by-name pass cannot see: Linux has one number for each pair.
    for alias, target in (("EWOULDBLOCK", Errno.EAGAIN), ("EOPNOTSUPP", Errno.ENOTSUP),
                          ("EDEADLOCK", Errno.EDEADLK)):
        if hasattr(host_errno, alias):
            table.setdefault(getattr(host_errno, alias), target)
    return table


HOST_TO_WASI: dict[int, Errno] = _host_to_wasi()


def errno_from_host(code: int | None) -> Errno:
    """The WASI errno for a host errno number; EIO when the host code has no WASI twin."""
    if code is None:
        return Errno.EIO
    return HOST_TO_WASI.get(code, Errno.EIO)


def errno_from_oserror(exc: OSError) -> Errno:
    """The WASI errno for a host OSError."""
    return errno_from_host(exc.errno)


class WasiError(Exception):
    """Raised inside the implementation to end a call with a non-zero errno."""

    def __init__(self, errno: Errno, detail: str = "") -> None:
        super().__init__(f"{errno.name}: {detail}" if detail else errno.name)
        self.errno = errno
