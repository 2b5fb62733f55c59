// WASI preview 1 errno values, and the mapping from the GLib/Gio errors that host calls throw.
import GLib from 'gi://GLib';
import Gio from 'gi://Gio';

export const Errno = Object.freeze({
    SUCCESS: 0, ACCES: 2, AGAIN: 6, BADF: 8, EXIST: 20, FAULT: 21, FBIG: 22, ILSEQ: 25, INVAL: 28,
    IO: 29, ISDIR: 31, LOOP: 32, NAMETOOLONG: 37, NOENT: 44, NOSPC: 51, NOSYS: 52, NOTDIR: 54,
    NOTEMPTY: 55, NOTSOCK: 57, NOTSUP: 58, NOTTY: 59, OVERFLOW: 61, PERM: 63, ROFS: 69, SPIPE: 70,
    XDEV: 75, NOTCAPABLE: 76,
});

// A WASI call fails by throwing one of these; the import wrapper turns it into the return value.
export class WasiError extends Error {
    constructor(errno, message = '') {
        super(message || `errno ${errno}`);
        this.errno = errno;
    }
}

const IO_ERRORS = new Map([
    [Gio.IOErrorEnum.NOT_FOUND, Errno.NOENT], [Gio.IOErrorEnum.EXISTS, Errno.EXIST],
    [Gio.IOErrorEnum.IS_DIRECTORY, Errno.ISDIR], [Gio.IOErrorEnum.NOT_DIRECTORY, Errno.NOTDIR],
    [Gio.IOErrorEnum.NOT_EMPTY, Errno.NOTEMPTY], [Gio.IOErrorEnum.PERMISSION_DENIED, Errno.ACCES],
    [Gio.IOErrorEnum.TOO_MANY_LINKS, Errno.LOOP], [Gio.IOErrorEnum.FILENAME_TOO_LONG, Errno.NAMETOOLONG],
    [Gio.IOErrorEnum.INVALID_ARGUMENT, Errno.INVAL], [Gio.IOErrorEnum.NOT_SUPPORTED, Errno.NOTSUP],
    [Gio.IOErrorEnum.NO_SPACE, Errno.NOSPC], [Gio.IOErrorEnum.READ_ONLY, Errno.ROFS],
    [Gio.IOErrorEnum.NOT_REGULAR_FILE, Errno.INVAL], [Gio.IOErrorEnum.NOT_SYMBOLIC_LINK, Errno.INVAL],
    [Gio.IOErrorEnum.WOULD_BLOCK, Errno.AGAIN], [Gio.IOErrorEnum.NOT_SEEKABLE, Errno.SPIPE],
]);

const FILE_ERRORS = new Map([
    [GLib.FileError.NOENT, Errno.NOENT], [GLib.FileError.EXIST, Errno.EXIST], [GLib.FileError.ISDIR, Errno.ISDIR],
    [GLib.FileError.NOTDIR, Errno.NOTDIR], [GLib.FileError.ACCES, Errno.ACCES], [GLib.FileError.PERM, Errno.PERM],
    [GLib.FileError.LOOP, Errno.LOOP], [GLib.FileError.NAMETOOLONG, Errno.NAMETOOLONG],
    [GLib.FileError.INVAL, Errno.INVAL], [GLib.FileError.NOSPC, Errno.NOSPC], [GLib.FileError.ROFS, Errno.ROFS],
]);

// The errno for anything a host call threw; a non-GLib error is a bug in this file set: rethrow it.
export function errnoOf(error) {
    if (error instanceof WasiError)
        return error.errno;
    if (error instanceof GLib.Error) {
        if (error.domain === Gio.io_error_quark())
            return IO_ERRORS.get(error.code) ?? Errno.IO;
        if (error.domain === GLib.file_error_quark())
            return FILE_ERRORS.get(error.code) ?? Errno.IO;
        return Errno.IO;
    }
    throw error;
}
