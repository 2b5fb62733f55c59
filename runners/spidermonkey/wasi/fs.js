// The guest's descriptors and its sandboxed view of the host filesystem, through Gio.
// Paths are resolved one component at a time below the directory descriptor they start from:
// absolute paths, '..' above that directory and absolute symlink targets are refused
// (NOTCAPABLE), and relative symlinks are followed by splicing their target into the walk.
import GLib from 'gi://GLib';
import Gio from 'gi://Gio';
import { Errno, WasiError } from './errno.js';

export const FileType = Object.freeze({
    UNKNOWN: 0, BLOCK_DEVICE: 1, CHARACTER_DEVICE: 2, DIRECTORY: 3, REGULAR_FILE: 4,
    SOCKET_STREAM: 6, SYMBOLIC_LINK: 7,
});
const RIGHT_NAMES = ('FD_DATASYNC FD_READ FD_SEEK FD_FDSTAT_SET_FLAGS FD_SYNC FD_TELL FD_WRITE FD_ADVISE ' +
    'FD_ALLOCATE PATH_CREATE_DIRECTORY PATH_CREATE_FILE PATH_LINK_SOURCE PATH_LINK_TARGET PATH_OPEN ' +
    'FD_READDIR PATH_READLINK PATH_RENAME_SOURCE PATH_RENAME_TARGET PATH_FILESTAT_GET ' +
    'PATH_FILESTAT_SET_SIZE PATH_FILESTAT_SET_TIMES FD_FILESTAT_GET FD_FILESTAT_SET_SIZE ' +
    'FD_FILESTAT_SET_TIMES PATH_SYMLINK PATH_REMOVE_DIRECTORY PATH_UNLINK_FILE POLL_FD_READWRITE ' +
    'SOCK_SHUTDOWN SOCK_ACCEPT').split(' ');
export const Right = Object.freeze(Object.fromEntries(RIGHT_NAMES.map((name, bit) => [name, 1n << BigInt(bit)])));
const rights = names => names.split(' ').reduce((all, name) => all | Right[name], 0n);
export const FILE_RIGHTS = rights('FD_DATASYNC FD_READ FD_SEEK FD_FDSTAT_SET_FLAGS FD_SYNC FD_TELL FD_WRITE ' +
    'FD_ADVISE FD_ALLOCATE FD_FILESTAT_GET FD_FILESTAT_SET_SIZE FD_FILESTAT_SET_TIMES POLL_FD_READWRITE');
export const DIRECTORY_RIGHTS = rights('FD_FDSTAT_SET_FLAGS FD_SYNC FD_ADVISE PATH_CREATE_DIRECTORY ' +
    'PATH_CREATE_FILE PATH_LINK_SOURCE PATH_LINK_TARGET PATH_OPEN FD_READDIR PATH_READLINK PATH_RENAME_SOURCE ' +
    'PATH_RENAME_TARGET PATH_FILESTAT_GET PATH_FILESTAT_SET_SIZE PATH_FILESTAT_SET_TIMES FD_FILESTAT_GET ' +
    'FD_FILESTAT_SET_TIMES PATH_SYMLINK PATH_REMOVE_DIRECTORY PATH_UNLINK_FILE');
const STREAM_RIGHTS = rights('FD_READ FD_WRITE FD_FDSTAT_SET_FLAGS FD_FILESTAT_GET POLL_FD_READWRITE');
export const FDFLAGS_APPEND = 1;

const STAT_ATTRIBUTES = 'standard::type,standard::size,unix::device,unix::inode,unix::nlink,unix::mode,time::*';
const MAX_SYMLINKS = 32;
const NONE = Gio.FileQueryInfoFlags.NONE;
const NOFOLLOW = Gio.FileQueryInfoFlags.NOFOLLOW_SYMLINKS;

function fileTypeOfMode(mode) {
    switch (mode & 0o170000) {
    case 0o100000: return FileType.REGULAR_FILE;
    case 0o040000: return FileType.DIRECTORY;
    case 0o120000: return FileType.SYMBOLIC_LINK;
    case 0o020000: return FileType.CHARACTER_DEVICE;
    case 0o060000: return FileType.BLOCK_DEVICE;
    case 0o140000: return FileType.SOCKET_STREAM;
    default: return FileType.UNKNOWN;
    }
}

function nanoseconds(info, name) {
    const seconds = BigInt(info.get_attribute_uint64(`time::${name}`));
    const nsec = info.has_attribute(`time::${name}-nsec`)
        ? BigInt(info.get_attribute_uint32(`time::${name}-nsec`))
        : BigInt(info.get_attribute_uint32(`time::${name}-usec`)) * 1000n;
    return seconds * 1000000000n + nsec;
}

// A WASI filestat from a Gio FileInfo queried with STAT_ATTRIBUTES.
function filestatOf(info) {
    return {
        dev: BigInt(info.get_attribute_uint32('unix::device')), ino: BigInt(info.get_attribute_uint64('unix::inode')),
        filetype: fileTypeOfMode(info.get_attribute_uint32('unix::mode')),
        nlink: BigInt(info.get_attribute_uint32('unix::nlink')), size: BigInt(info.get_size()),
        atim: nanoseconds(info, 'access'), mtim: nanoseconds(info, 'modified'), ctim: nanoseconds(info, 'changed'),
    };
}

export function statPath(hostPath, follow) {
    return filestatOf(Gio.File.new_for_path(hostPath).query_info(STAT_ATTRIBUTES, follow ? NONE : NOFOLLOW, null));
}

// The target of the symlink at hostPath, or null when it is not a symlink (or does not exist).
export function symlinkTarget(hostPath) {
    let info;
    try {
        info = Gio.File.new_for_path(hostPath).query_info('standard::is-symlink,standard::symlink-target', NOFOLLOW, null);
    } catch (error) {
        return null;
    }
    return info.get_is_symlink() ? info.get_symlink_target() : null;
}

export function setTimes(hostPath, follow, atim, mtim) {
    const file = Gio.File.new_for_path(hostPath);
    const flags = follow ? NONE : NOFOLLOW;
    for (const [name, value] of [['access', atim], ['modified', mtim]]) {
        if (value === null)
            continue;
        file.set_attribute_uint64(`time::${name}`, value / 1000000000n, flags, null);
        file.set_attribute_uint32(`time::${name}-nsec`, Number(value % 1000000000n), flags, null);
    }
}

// --- descriptors ------------------------------------------------------------------------------

// The process's own stdin, stdout or stderr.
export class StreamFd {
    constructor(fd) {
        this.rights = STREAM_RIGHTS;
        this.flags = 0;
        this.hostFd = fd;
        this.input = fd === 0 ? Gio.UnixInputStream.new(fd, false) : null;
        this.output = fd === 0 ? null : Gio.UnixOutputStream.new(fd, false);
        this.stat = statPath(`/proc/self/fd/${fd}`, true);
        this.filetype = this.stat.filetype === FileType.REGULAR_FILE ? FileType.REGULAR_FILE : FileType.CHARACTER_DEVICE;
    }

    read(length) {
        if (!this.input)
            throw new WasiError(Errno.BADF);
        return this.input.read_bytes(length, null).toArray();
    }

    write(bytes) {
        if (!this.output)
            throw new WasiError(Errno.BADF);
        return this.output.write_all(bytes, null)[1];
    }

    seek() { throw new WasiError(Errno.SPIPE); }
    filestat() { return { ...this.stat, filetype: this.filetype }; }
    close() {}
}

// A regular file opened by path_open.
export class FileFd {
    constructor(hostPath, stream, rights, flags) {
        this.hostPath = hostPath;
        this.stream = stream;  // Gio.FileIOStream (writable) or Gio.FileInputStream (read-only)
        this.writable = stream instanceof Gio.FileIOStream;
        this.input = this.writable ? stream.get_input_stream() : stream;
        this.output = this.writable ? stream.get_output_stream() : null;
        this.filetype = FileType.REGULAR_FILE;
        this.rights = rights;
        this.flags = flags;
    }

    read(length) {
        return this.input.read_bytes(length, null).toArray();
    }

    write(bytes) {
        if (!this.output)
            throw new WasiError(Errno.BADF);
        if (this.flags & FDFLAGS_APPEND)
            this.stream.seek(0, GLib.SeekType.END, null);
        return this.output.write_all(bytes, null)[1];
    }

    seek(offset, whence) {
        const types = [GLib.SeekType.SET, GLib.SeekType.CUR, GLib.SeekType.END];
        if (!(whence in types))
            throw new WasiError(Errno.INVAL);
        const target = whence === 0 ? offset : whence === 1 ? BigInt(this.stream.tell()) + offset : this.filestat().size + offset;
        if (target < 0n)
            throw new WasiError(Errno.INVAL);
        this.stream.seek(Number(target), GLib.SeekType.SET, null);
        return BigInt(this.stream.tell());
    }

    // Read or write at an offset without moving the file position.
    at(offset, work) {
        const saved = this.stream.tell();
        this.stream.seek(Number(offset), GLib.SeekType.SET, null);
        try {
            return work();
        } finally {
            this.stream.seek(saved, GLib.SeekType.SET, null);
        }
    }

    truncate(size) {
        if (!this.writable)
            throw new WasiError(Errno.BADF);
        this.stream.truncate(Number(size), null);
    }

    filestat() { return filestatOf(this.stream.query_info(STAT_ATTRIBUTES, null)); }
    close() { this.stream.close(null); }
}

// A directory: a preopen (with its guest name) or one opened by path_open.
export class DirFd {
    constructor(hostPath, rights, inheriting, preopenName = null) {
        this.hostPath = hostPath;
        this.preopenName = preopenName;
        this.filetype = FileType.DIRECTORY;
        this.rights = rights;
        this.inheriting = inheriting;
        this.flags = 0;
    }

    read() { throw new WasiError(Errno.ISDIR); }
    write() { throw new WasiError(Errno.BADF); }
    seek() { throw new WasiError(Errno.BADF); }
    filestat() { return statPath(this.hostPath, true); }
    close() {}

    // [{name, ino, type}] with '.' and '..' first, the rest sorted by name.
    entries() {
        const parent = this.hostPath.replace(/\/[^/]*\/?$/, '') || '/';
        const list = [
            { name: '.', ino: statPath(this.hostPath, true).ino, type: FileType.DIRECTORY },
            { name: '..', ino: statPath(parent, true).ino, type: FileType.DIRECTORY },
        ];
        const children = Gio.File.new_for_path(this.hostPath).enumerate_children(
            'standard::name,unix::inode,unix::mode', NOFOLLOW, null);
        const rest = [];
        for (let info = children.next_file(null); info; info = children.next_file(null)) {
            rest.push({ name: info.get_name(), ino: BigInt(info.get_attribute_uint64('unix::inode')),
                type: fileTypeOfMode(info.get_attribute_uint32('unix::mode')) });
        }
        children.close(null);
        rest.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
        return list.concat(rest);
    }
}

// The host path a guest path names below `dir`, walking symlinks inside the sandbox.
// Returns {host, trailingSlash}.
export function resolve(dir, path, followFinal) {
    if (!(dir instanceof DirFd))
        throw new WasiError(Errno.NOTDIR);
    if (path.includes('\0'))
        throw new WasiError(Errno.INVAL);
    if (path === '')
        throw new WasiError(Errno.NOENT);
    if (path.startsWith('/'))
        throw new WasiError(Errno.NOTCAPABLE);
    const trailingSlash = path.endsWith('/');
    let pending = components(path);
    const walked = [];
    let links = 0;
    while (pending.length > 0) {
        const name = pending.shift();
        if (name === '..') {
            if (walked.length === 0)
                throw new WasiError(Errno.NOTCAPABLE);
            walked.pop();
            continue;
        }
        const isFinal = pending.length === 0;
        const target = (!isFinal || followFinal || trailingSlash) ? symlinkTarget(join(dir.hostPath, [...walked, name])) : null;
        if (target === null) {
            walked.push(name);
            continue;
        }
        if (++links > MAX_SYMLINKS)
            throw new WasiError(Errno.LOOP);
        if (target.startsWith('/'))
            throw new WasiError(Errno.NOTCAPABLE);
        pending = [...components(target), ...pending];
    }
    return { host: join(dir.hostPath, walked), trailingSlash };
}

function components(path) {
    return path.split('/').filter(part => part !== '' && part !== '.');
}

function join(base, parts) {
    return parts.length ? `${base.replace(/\/$/, '')}/${parts.join('/')}` : base;
}
