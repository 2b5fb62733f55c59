"""Directory listings for fd_readdir: what the host holds, encoded as WASI dirents."""

from __future__ import annotations

import os

from lab.wasi import abi
from lab.wasi.fs import filetype_of_mode

DirEntry = tuple[bytes, int, int]   # name, inode, WASI filetype


def _entry_type(entry: os.DirEntry[str]) -> int:
    if entry.is_symlink():
        return abi.FILETYPE_SYMBOLIC_LINK
    if entry.is_dir(follow_symlinks=False):
        return abi.FILETYPE_DIRECTORY
    if entry.is_file(follow_symlinks=False):
        return abi.FILETYPE_REGULAR_FILE
    try:
        return filetype_of_mode(entry.stat(follow_symlinks=False).st_mode)
    except OSError:
        return abi.FILETYPE_UNKNOWN


def list_directory(dir_fd: int) -> list[DirEntry]:
    """`.`, `..` and the entries of the directory open at `dir_fd` (which stays open)."""
    own = os.fstat(dir_fd)
    try:
        parent_ino = os.stat(b"..", dir_fd=dir_fd).st_ino
    except OSError:
        parent_ino = own.st_ino
    listing: list[DirEntry] = [(b".", own.st_ino, abi.FILETYPE_DIRECTORY),
                               (b"..", parent_ino, abi.FILETYPE_DIRECTORY)]
    # scandir works on its own duplicate of the descriptor and rewinds it when done.
    with os.scandir(dir_fd) as entries:
        for entry in entries:
            listing.append((os.fsencode(entry.name), entry.inode(), _entry_type(entry)))
    return listing


def pack_dirents(listing: list[DirEntry], cookie: int, buf_len: int) -> bytes:
    """Dirents from position `cookie` on, cut at `buf_len` bytes. A full buffer tells the guest
    there may be more; the last entry may be truncated, as the spec allows."""
    out = bytearray()
    for position in range(cookie, len(listing)):
        name, inode, filetype = listing[position]
        out += abi.DIRENT.pack(position + 1, inode, len(name), filetype) + name
        if len(out) >= buf_len:
            break
    return bytes(out[:buf_len])
