import errno as host

import pytest

from lab.wasi.errno import ERRNO_NAMES, Errno, WasiError, errno_from_host, errno_from_oserror, errno_name


@pytest.mark.parametrize("member, code", [
    (Errno.SUCCESS, 0), (Errno.E2BIG, 1), (Errno.EACCES, 2), (Errno.EAGAIN, 6), (Errno.EBADF, 8),
    (Errno.EEXIST, 20), (Errno.EFAULT, 21), (Errno.EINVAL, 28), (Errno.EISDIR, 31),
    (Errno.ELOOP, 32), (Errno.ENOENT, 44), (Errno.ENOSYS, 52), (Errno.ENOTDIR, 54),
    (Errno.ENOTEMPTY, 55), (Errno.ENOTSOCK, 57), (Errno.ENOTSUP, 58), (Errno.EPERM, 63),
    (Errno.ESPIPE, 70), (Errno.EXDEV, 75), (Errno.ENOTCAPABLE, 76),
])
def test_codes_match_the_witx(member: int, code: int) -> None:
    assert member == code


def test_every_code_is_defined_once() -> None:
    codes = [code for name, code in vars(Errno).items() if name.isupper()]
    assert codes == list(range(77)) and sorted(ERRNO_NAMES) == codes
    assert errno_name(Errno.SUCCESS) == "SUCCESS" and errno_name(Errno.ENOTCAPABLE) == "ENOTCAPABLE"


@pytest.mark.parametrize("host_code, expected", [
    (host.ENOENT, Errno.ENOENT), (host.EEXIST, Errno.EEXIST), (host.ENOTEMPTY, Errno.ENOTEMPTY),
    (host.ELOOP, Errno.ELOOP), (host.EWOULDBLOCK, Errno.EAGAIN), (host.EOPNOTSUPP, Errno.ENOTSUP),
    (host.EISDIR, Errno.EISDIR), (host.ESPIPE, Errno.ESPIPE), (host.EXDEV, Errno.EXDEV),
])
def test_host_errors_map_by_name(host_code: int, expected: int) -> None:
    assert errno_from_host(host_code) == expected
    assert errno_from_oserror(OSError(host_code, "x")) == expected


def test_unknown_host_error_is_eio() -> None:
    assert errno_from_host(None) == Errno.EIO
    assert errno_from_host(100_000) == Errno.EIO


def test_wasi_error_carries_its_errno() -> None:
    error = WasiError(Errno.EBADF, "fd 9")
    assert error.errno == Errno.EBADF and str(error) == "EBADF: fd 9"
