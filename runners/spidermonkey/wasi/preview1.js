// WASI preview 1 (wasi_snapshot_preview1) for SpiderMonkey under gjs: the import object a
// command module links against. Every function returns an errno; proc_exit throws ProcExit.
import GLib from 'gi://GLib';
import Gio from 'gi://Gio';
import { Errno, WasiError, errnoOf } from './errno.js';
import {
    DIRECTORY_RIGHTS, DirFd, FDFLAGS_APPEND, FILE_RIGHTS, FileFd, FileType, Right, StreamFd, resolve, setTimes,
    statPath, symlinkTarget,
} from './fs.js';

export class ProcExit {
    constructor(code) { this.code = code; }
}

const OFLAGS_CREAT = 1, OFLAGS_DIRECTORY = 2, OFLAGS_EXCL = 4, OFLAGS_TRUNC = 8;
const LOOKUP_SYMLINK_FOLLOW = 1;
const FSTFLAGS_ATIM = 1, FSTFLAGS_ATIM_NOW = 2, FSTFLAGS_MTIM = 4, FSTFLAGS_MTIM_NOW = 8;
const CLOCK_REALTIME = 0, CLOCK_MONOTONIC = 1;
const EVENTTYPE_CLOCK = 0;
const SUBCLOCKFLAGS_ABSTIME = 1;
const DIRENT_SIZE = 24, SUBSCRIPTION_SIZE = 48, EVENT_SIZE = 32;
const utf8 = new TextEncoder();
const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

function clockNow(id) {
    if (id === CLOCK_REALTIME)
        return BigInt(GLib.get_real_time()) * 1000n;
    if (id === CLOCK_MONOTONIC)
        return BigInt(GLib.get_monotonic_time()) * 1000n;
    // Process and thread CPU clocks: gjs gives no CPU time, and wall time would be a wrong answer.
    throw new WasiError(id <= 3 ? Errno.NOTSUP : Errno.INVAL);
}

export class WasiPreview1 {
    // args: the full argv; env: {name: value}; preopens: [[guestPath, hostPath], ...] as fds 3, 4, ...
    constructor(args, env, preopens) {
        this.args = args.map(arg => utf8.encode(`${arg}\0`));
        this.environ = Object.entries(env).map(([key, value]) => utf8.encode(`${key}=${value}\0`));
        this.fds = [new StreamFd(0), new StreamFd(1), new StreamFd(2)];
        for (const [guest, host] of preopens)
            this.fds.push(new DirFd(host, DIRECTORY_RIGHTS, DIRECTORY_RIGHTS | FILE_RIGHTS, guest));
        this.memory = null;  // set to the instance's exported memory before _start
        this.urandom = null;
    }

    // {name: function} for WebAssembly.instantiate's "wasi_snapshot_preview1" namespace.
    imports() {
        const table = {};
        for (const name of Object.getOwnPropertyNames(WasiPreview1.prototype)) {
            if (name === 'constructor' || name === 'imports' || name.startsWith('_'))
                continue;
            const call = this[name].bind(this);
            table[name] = (...args) => {
                try {
                    call(...args);
                    return Errno.SUCCESS;
                } catch (error) {
                    if (error instanceof ProcExit)
                        throw error;
                    return errnoOf(error);
                }
            };
        }
        return table;
    }

    // --- memory ---------------------------------------------------------------------------------
    _view() { return new DataView(this.memory.buffer); }

    _bytes(ptr, length) {
        ptr >>>= 0;
        length >>>= 0;
        if (ptr + length > this.memory.buffer.byteLength)
            throw new WasiError(Errno.FAULT);
        return new Uint8Array(this.memory.buffer, ptr, length);
    }

    _string(ptr, length) {
        try {
            return strictUtf8.decode(this._bytes(ptr, length));
        } catch (error) {
            if (error instanceof TypeError)
                throw new WasiError(Errno.ILSEQ);
            throw error;
        }
    }

    _u32(ptr, value) { this._bytes(ptr, 4); this._view().setUint32(ptr >>> 0, value >>> 0, true); }
    _u64(ptr, value) { this._bytes(ptr, 8); this._view().setBigUint64(ptr >>> 0, BigInt(value), true); }

    _iovecs(ptr, count) {
        this._bytes(ptr, count * 8);
        const view = this._view();
        const vectors = [];
        for (let i = 0; i < count >>> 0; i++)
            vectors.push(this._bytes(view.getUint32(ptr + i * 8, true), view.getUint32(ptr + i * 8 + 4, true)));
        return vectors;
    }

    // The descriptor `fd`, which must hold `needed` (a rights mask) for the call.
    _fd(fd, needed = 0n) {
        const entry = this.fds[fd >>> 0];
        if (!entry)
            throw new WasiError(Errno.BADF);
        if ((entry.rights & needed) !== needed)
            throw new WasiError(Errno.NOTCAPABLE);
        return entry;
    }

    _dir(fd, needed = 0n) {
        const entry = this._fd(fd);
        if (!(entry instanceof DirFd))
            throw new WasiError(Errno.NOTDIR);
        return this._fd(fd, needed);
    }

    _writeFilestat(ptr, stat) {
        this._bytes(ptr, 64);
        const view = this._view();
        view.setBigUint64(ptr, stat.dev, true);
        view.setBigUint64(ptr + 8, stat.ino, true);
        view.setUint8(ptr + 16, stat.filetype);
        view.setBigUint64(ptr + 24, stat.nlink, true);
        view.setBigUint64(ptr + 32, stat.size, true);
        view.setBigUint64(ptr + 40, stat.atim, true);
        view.setBigUint64(ptr + 48, stat.mtim, true);
        view.setBigUint64(ptr + 56, stat.ctim, true);
    }

    _strings(items, pointersPtr, bufferPtr) {
        let offset = bufferPtr >>> 0;
        items.forEach((item, i) => {
            this._u32(pointersPtr + i * 4, offset);
            this._bytes(offset, item.length).set(item);
            offset += item.length;
        });
    }

    _sizes(items, countPtr, sizePtr) {
        this._u32(countPtr, items.length);
        this._u32(sizePtr, items.reduce((total, item) => total + item.length, 0));
    }

    // --- args, environment, clocks, randomness, process ----------------------------------------
    args_get(argv, buffer) { this._strings(this.args, argv, buffer); }
    args_sizes_get(countPtr, sizePtr) { this._sizes(this.args, countPtr, sizePtr); }
    environ_get(environ, buffer) { this._strings(this.environ, environ, buffer); }
    environ_sizes_get(countPtr, sizePtr) { this._sizes(this.environ, countPtr, sizePtr); }

    clock_res_get(id, resultPtr) {
        clockNow(id);  // validates the clock
        this._u64(resultPtr, 1000n);  // GLib's clocks count microseconds
    }

    clock_time_get(id, _precision, resultPtr) { this._u64(resultPtr, clockNow(id)); }

    random_get(ptr, length) {
        const target = this._bytes(ptr, length);
        this.urandom ??= Gio.File.new_for_path('/dev/urandom').read(null);
        for (let filled = 0; filled < target.length;) {
            const chunk = this.urandom.read_bytes(target.length - filled, null).toArray();
            this._bytes(ptr, length).set(chunk, filled);
            filled += chunk.length;
        }
    }

    proc_exit(code) { throw new ProcExit(code >>> 0); }
    proc_raise() { throw new WasiError(Errno.NOSYS); }
    sched_yield() {}

    poll_oneoff(inPtr, outPtr, count, eventsPtr) {
        if (count >>> 0 === 0)
            throw new WasiError(Errno.INVAL);
        const input = this._bytes(inPtr, count * SUBSCRIPTION_SIZE);
        const view = new DataView(input.buffer, input.byteOffset, input.byteLength);
        const clocks = [], ready = [];
        for (let i = 0; i < count; i++) {
            const at = i * SUBSCRIPTION_SIZE;
            const userdata = view.getBigUint64(at, true), tag = view.getUint8(at + 8);
            if (tag === EVENTTYPE_CLOCK) {
                const id = view.getUint32(at + 16, true), timeout = view.getBigUint64(at + 24, true);
                let error = Errno.SUCCESS, wait = 0n;
                try {
                    const absolute = view.getUint16(at + 40, true) & SUBCLOCKFLAGS_ABSTIME;
                    wait = absolute ? timeout - clockNow(id) : timeout;
                } catch (failure) {
                    error = errnoOf(failure);
                }
                clocks.push({ userdata, error, type: tag, wait });
            } else {
                // Descriptors are always ready here: reads and writes never block for long.
                let error = Errno.SUCCESS;
                try {
                    this._fd(view.getUint32(at + 16, true));
                } catch (failure) {
                    error = errnoOf(failure);
                }
                ready.push({ userdata, error, type: tag, wait: 0n });
            }
        }
        if (ready.length === 0 && clocks.length > 0) {
            const soonest = clocks.reduce((least, clock) => (clock.wait < least ? clock.wait : least), clocks[0].wait);
            if (soonest > 0n)
                GLib.usleep(Number((soonest + 999n) / 1000n));
            ready.push(...clocks.filter(clock => clock.wait <= soonest || clock.error));
        } else {
            ready.push(...clocks.filter(clock => clock.wait <= 0n || clock.error));
        }
        const out = this._bytes(outPtr, ready.length * EVENT_SIZE);
        out.fill(0);
        const events = new DataView(out.buffer, out.byteOffset, out.byteLength);
        ready.forEach((event, i) => {
            events.setBigUint64(i * EVENT_SIZE, event.userdata, true);
            events.setUint16(i * EVENT_SIZE + 8, event.error, true);
            events.setUint8(i * EVENT_SIZE + 10, event.type);
        });
        this._u32(eventsPtr, ready.length);
    }

    // --- descriptors ---------------------------------------------------------------------------
    fd_read(fd, iovs, count, nreadPtr) {
        const entry = this._fd(fd, Right.FD_READ);
        let total = 0;
        for (const buffer of this._iovecs(iovs, count)) {
            const chunk = entry.read(buffer.length);
            this._bytes(buffer.byteOffset, chunk.length).set(chunk);
            total += chunk.length;
            if (chunk.length < buffer.length)
                break;
        }
        this._u32(nreadPtr, total);
    }

    fd_write(fd, iovs, count, nwrittenPtr) {
        const entry = this._fd(fd, Right.FD_WRITE);
        const vectors = this._iovecs(iovs, count);
        const data = new Uint8Array(vectors.reduce((total, vector) => total + vector.length, 0));
        let offset = 0;
        for (const vector of vectors) {
            data.set(vector, offset);
            offset += vector.length;
        }
        this._u32(nwrittenPtr, data.length ? entry.write(data) : 0);
    }

    fd_pread(fd, iovs, count, offset, nreadPtr) {
        const entry = this._fd(fd);
        if (!(entry instanceof FileFd))
            throw new WasiError(entry instanceof DirFd ? Errno.ISDIR : Errno.SPIPE);
        entry.at(offset, () => this.fd_read(fd, iovs, count, nreadPtr));
    }

    fd_pwrite(fd, iovs, count, offset, nwrittenPtr) {
        const entry = this._fd(fd);
        if (!(entry instanceof FileFd))
            throw new WasiError(entry instanceof DirFd ? Errno.ISDIR : Errno.SPIPE);
        const append = entry.flags & FDFLAGS_APPEND;
        entry.at(offset, () => {
            entry.flags &= ~FDFLAGS_APPEND;  // pwrite writes at its offset even in append mode
            try {
                this.fd_write(fd, iovs, count, nwrittenPtr);
            } finally {
                entry.flags |= append;
            }
        });
    }

    fd_seek(fd, offset, whence, resultPtr) { this._u64(resultPtr, this._fd(fd).seek(offset, whence)); }
    fd_tell(fd, resultPtr) { this._u64(resultPtr, this._fd(fd).seek(0n, 1)); }

    fd_close(fd) {
        this._fd(fd).close();
        delete this.fds[fd >>> 0];
    }

    fd_renumber(from, to) {
        const entry = this._fd(from);
        this._fd(to).close();
        this.fds[to >>> 0] = entry;
        delete this.fds[from >>> 0];
    }

    fd_fdstat_get(fd, ptr) {
        const entry = this._fd(fd);
        this._bytes(ptr, 24).fill(0);
        const view = this._view();
        view.setUint8(ptr, entry.filetype);
        view.setUint16(ptr + 2, entry.flags, true);
        view.setBigUint64(ptr + 8, entry.rights, true);
        view.setBigUint64(ptr + 16, entry.inheriting ?? 0n, true);
    }

    fd_fdstat_set_flags(fd, flags) {
        const entry = this._fd(fd);
        if (flags & ~FDFLAGS_APPEND)
            throw new WasiError(Errno.NOTSUP);
        entry.flags = flags;
    }

    fd_fdstat_set_rights(fd, base, inheriting) {
        const entry = this._fd(fd);
        base = BigInt.asUintN(64, base);
        inheriting = BigInt.asUintN(64, inheriting);
        if (base & ~entry.rights || inheriting & ~(entry.inheriting ?? 0n))
            throw new WasiError(Errno.NOTCAPABLE);
        entry.rights = base;
        if (entry.inheriting !== undefined)
            entry.inheriting = inheriting;
    }

    fd_filestat_get(fd, ptr) { this._writeFilestat(ptr, this._fd(fd).filestat()); }

    fd_filestat_set_size(fd, size) {
        const entry = this._fd(fd, Right.FD_FILESTAT_SET_SIZE);
        if (!(entry instanceof FileFd))
            throw new WasiError(Errno.BADF);
        entry.truncate(size);
    }

    fd_filestat_set_times(fd, atim, mtim, flags) {
        const entry = this._fd(fd);
        if (!entry.hostPath)
            throw new WasiError(Errno.BADF);
        setTimes(entry.hostPath, true, ...requestedTimes(atim, mtim, flags));
    }

    fd_advise(fd) {
        if (!(this._fd(fd) instanceof FileFd))
            throw new WasiError(Errno.BADF);
    }

    fd_allocate(fd) {
        if (!(this._fd(fd) instanceof FileFd))
            throw new WasiError(Errno.BADF);
        throw new WasiError(Errno.NOTSUP);  // no fallocate in GLib or Gio
    }

    fd_sync(fd) { this._fd(fd); }
    fd_datasync(fd) { this._fd(fd); }

    fd_prestat_get(fd, ptr) {
        const entry = this._fd(fd);
        if (!(entry instanceof DirFd) || entry.preopenName === null)
            throw new WasiError(Errno.BADF);
        this._u32(ptr, 0);
        this._u32(ptr + 4, utf8.encode(entry.preopenName).length);
    }

    fd_prestat_dir_name(fd, ptr, length) {
        const entry = this._fd(fd);
        if (!(entry instanceof DirFd) || entry.preopenName === null)
            throw new WasiError(Errno.BADF);
        const name = utf8.encode(entry.preopenName);
        if (length >>> 0 < name.length)
            throw new WasiError(Errno.NAMETOOLONG);
        this._bytes(ptr, name.length).set(name);
    }

    fd_readdir(fd, bufPtr, length, cookie, usedPtr) {
        const entry = this._fd(fd);
        if (!(entry instanceof DirFd))
            throw new WasiError(Errno.NOTDIR);
        this._fd(fd, Right.FD_READDIR);
        const target = this._bytes(bufPtr, length);
        let used = 0;
        const entries = entry.entries();
        for (let index = Number(cookie); index < entries.length && used < target.length; index++) {
            const name = utf8.encode(entries[index].name);
            const record = new Uint8Array(DIRENT_SIZE + name.length);
            const view = new DataView(record.buffer);
            view.setBigUint64(0, BigInt(index + 1), true);
            view.setBigUint64(8, entries[index].ino, true);
            view.setUint32(16, name.length, true);
            view.setUint8(20, entries[index].type);
            record.set(name, DIRENT_SIZE);
            const fits = Math.min(record.length, target.length - used);  // the last record may be cut short
            target.set(record.subarray(0, fits), used);
            used += fits;
        }
        this._u32(usedPtr, used);
    }

    // --- paths ---------------------------------------------------------------------------------
    path_open(dirfd, lookupflags, pathPtr, pathLength, oflags, rightsBase, rightsInheriting, fdflags, fdPtr) {
        const dir = this._dir(dirfd, Right.PATH_OPEN | (oflags & OFLAGS_CREAT ? Right.PATH_CREATE_FILE : 0n) |
            (oflags & OFLAGS_TRUNC ? Right.PATH_FILESTAT_SET_SIZE : 0n));
        rightsBase = BigInt.asUintN(64, rightsBase) & dir.inheriting;
        const follow = (lookupflags & LOOKUP_SYMLINK_FOLLOW) !== 0;
        const { host, trailingSlash } = resolve(dir, this._string(pathPtr, pathLength), follow);
        const file = Gio.File.new_for_path(host);
        let stat = null;
        try {
            stat = statPath(host, follow);
        } catch (error) {
            if (errnoOf(error) !== Errno.NOENT)
                throw error;
        }
        const wantsWrite = (rightsBase & (Right.FD_WRITE | Right.FD_FILESTAT_SET_SIZE | Right.FD_ALLOCATE)) !== 0n ||
            (oflags & OFLAGS_TRUNC) !== 0 || (fdflags & FDFLAGS_APPEND) !== 0;
        let opened;
        if (stat === null) {
            if (!(oflags & OFLAGS_CREAT))
                throw new WasiError(Errno.NOENT);
            if (oflags & OFLAGS_DIRECTORY || trailingSlash)
                throw new WasiError(Errno.ISDIR);
            opened = new FileFd(host, file.create_readwrite(Gio.FileCreateFlags.NONE, null), rightsBase & FILE_RIGHTS, fdflags);
        } else if (oflags & OFLAGS_CREAT && oflags & OFLAGS_EXCL) {
            throw new WasiError(Errno.EXIST);
        } else if (stat.filetype === FileType.SYMBOLIC_LINK) {
            throw new WasiError(oflags & OFLAGS_DIRECTORY ? Errno.NOTDIR : Errno.LOOP);
        } else if (stat.filetype === FileType.DIRECTORY) {
            if (wantsWrite)
                throw new WasiError(Errno.ISDIR);
            opened = new DirFd(host, rightsBase & DIRECTORY_RIGHTS,
                BigInt.asUintN(64, rightsInheriting) & dir.inheriting);
        } else if (oflags & OFLAGS_DIRECTORY || trailingSlash) {
            throw new WasiError(Errno.NOTDIR);
        } else {
            const stream = wantsWrite ? file.open_readwrite(null) : file.read(null);
            if (oflags & OFLAGS_TRUNC)
                stream.truncate(0, null);
            opened = new FileFd(host, stream, rightsBase & FILE_RIGHTS, fdflags);
        }
        let fd = this.fds.findIndex(entry => entry === undefined);
        fd = fd < 0 ? this.fds.length : fd;
        this.fds[fd] = opened;
        this._u32(fdPtr, fd);
    }

    path_filestat_get(dirfd, lookupflags, pathPtr, pathLength, ptr) {
        const follow = (lookupflags & LOOKUP_SYMLINK_FOLLOW) !== 0;
        const { host } = resolve(this._dir(dirfd), this._string(pathPtr, pathLength), follow);
        this._writeFilestat(ptr, statPath(host, follow));
    }

    path_filestat_set_times(dirfd, lookupflags, pathPtr, pathLength, atim, mtim, flags) {
        const follow = (lookupflags & LOOKUP_SYMLINK_FOLLOW) !== 0;
        const { host } = resolve(this._dir(dirfd), this._string(pathPtr, pathLength), follow);
        setTimes(host, follow, ...requestedTimes(atim, mtim, flags));
    }

    path_create_directory(dirfd, pathPtr, pathLength) {
        const { host } = resolve(this._dir(dirfd), this._string(pathPtr, pathLength), false);
        Gio.File.new_for_path(host).make_directory(null);
    }

    path_remove_directory(dirfd, pathPtr, pathLength) {
        const { host } = resolve(this._dir(dirfd), this._string(pathPtr, pathLength), false);
        if (statPath(host, false).filetype !== FileType.DIRECTORY)
            throw new WasiError(Errno.NOTDIR);
        Gio.File.new_for_path(host).delete(null);
    }

    path_unlink_file(dirfd, pathPtr, pathLength) {
        const { host, trailingSlash } = resolve(this._dir(dirfd), this._string(pathPtr, pathLength), false);
        const type = statPath(host, false).filetype;
        if (type === FileType.DIRECTORY)
            throw new WasiError(Errno.ISDIR);
        if (trailingSlash)
            throw new WasiError(Errno.NOTDIR);
        Gio.File.new_for_path(host).delete(null);
    }

    path_rename(fromDir, fromPtr, fromLength, toDir, toPtr, toLength) {
        const from = resolve(this._dir(fromDir), this._string(fromPtr, fromLength), false);
        const to = resolve(this._dir(toDir), this._string(toPtr, toLength), false);
        const source = statPath(from.host, false);
        if ((from.trailingSlash || to.trailingSlash) && source.filetype !== FileType.DIRECTORY)
            throw new WasiError(Errno.NOTDIR);
        replaceableTarget(source, to.host);
        // NO_FALLBACK_FOR_MOVE: rename(2) or fail, never a copy and delete.
        Gio.File.new_for_path(from.host).move(Gio.File.new_for_path(to.host),
            Gio.FileCopyFlags.OVERWRITE | Gio.FileCopyFlags.NOFOLLOW_SYMLINKS | Gio.FileCopyFlags.NO_FALLBACK_FOR_MOVE,
            null, null);
    }

    path_symlink(targetPtr, targetLength, dirfd, pathPtr, pathLength) {
        const target = this._string(targetPtr, targetLength);
        const { host, trailingSlash } = resolve(this._dir(dirfd), this._string(pathPtr, pathLength), false);
        if (target.startsWith('/'))
            throw new WasiError(Errno.NOTCAPABLE);
        if (trailingSlash)
            throw new WasiError(symlinkTarget(host) !== null || exists(host) ? Errno.EXIST : Errno.NOENT);
        Gio.File.new_for_path(host).make_symbolic_link(target, null);
    }

    path_readlink(dirfd, pathPtr, pathLength, bufPtr, bufLength, usedPtr) {
        const { host } = resolve(this._dir(dirfd), this._string(pathPtr, pathLength), false);
        const target = symlinkTarget(host);
        if (target === null)
            throw new WasiError(exists(host) ? Errno.INVAL : Errno.NOENT);
        const bytes = utf8.encode(target).subarray(0, bufLength >>> 0);
        this._bytes(bufPtr, bytes.length).set(bytes);
        this._u32(usedPtr, bytes.length);
    }

    path_link() { throw new WasiError(Errno.NOTSUP); }  // neither GLib nor Gio can make hard links

    // --- sockets: none are ever open ---------------------------------------------------------
    sock_accept(fd) { this._notSocket(fd); }
    sock_recv(fd) { this._notSocket(fd); }
    sock_send(fd) { this._notSocket(fd); }
    sock_shutdown(fd) { this._notSocket(fd); }
    _notSocket(fd) {
        this._fd(fd);
        throw new WasiError(Errno.NOTSOCK);
    }
}

function exists(host) {
    return GLib.file_test(host, GLib.FileTest.EXISTS);
}

// [atim, mtim] to set (null: leave alone) from fd/path_filestat_set_times arguments.
function requestedTimes(atim, mtim, flags) {
    if ((flags & FSTFLAGS_ATIM && flags & FSTFLAGS_ATIM_NOW) || (flags & FSTFLAGS_MTIM && flags & FSTFLAGS_MTIM_NOW) ||
        flags & ~0xF)
        throw new WasiError(Errno.INVAL);
    const now = clockNow(CLOCK_REALTIME);
    const pick = (value, set, setNow) => (flags & setNow ? now : flags & set ? BigInt.asUintN(64, value) : null);
    return [pick(atim, FSTFLAGS_ATIM, FSTFLAGS_ATIM_NOW), pick(mtim, FSTFLAGS_MTIM, FSTFLAGS_MTIM_NOW)];
}

// rename(2)'s rules for an existing target, which Gio's move() does not follow: a directory may
// only replace an empty directory (removed here first), a file only a non-directory.
function replaceableTarget(source, to) {
    let target;
    try {
        target = statPath(to, false);
    } catch (error) {
        if (errnoOf(error) === Errno.NOENT)
            return;
        throw error;
    }
    const sourceIsDir = source.filetype === FileType.DIRECTORY, targetIsDir = target.filetype === FileType.DIRECTORY;
    if (sourceIsDir && !targetIsDir)
        throw new WasiError(Errno.NOTDIR);
    if (!sourceIsDir && targetIsDir)
        throw new WasiError(Errno.ISDIR);
    if (targetIsDir)
        Gio.File.new_for_path(to).delete(null);  // fails with NOTEMPTY unless empty
}
