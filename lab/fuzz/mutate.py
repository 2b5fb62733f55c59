"""Mutation of real modules: the seed corpus (spec testsuite modules, WASI testsuite binaries,
our workload builds) and byte-level mutators that keep most of a module's structure, so the
decoder and validator see near-valid input deep into the file."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Iterable

from lab.fuzz.choices import Choices, chance, pick, sized_bytes

_INTERESTING_BYTES = (0x00, 0x01, 0x0B, 0x40, 0x7F, 0x80, 0xFF, 0x41, 0x60, 0x70, 0x6F, 0xFC, 0xFD, 0x10, 0x11)
_BIG_LEBS = (b"\xff\xff\xff\xff\x0f", b"\x80\x80\x80\x80\x10", b"\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01",
             b"\x80\x80\x80\x80\x80\x00", b"\xff\xff\x03")


def _flip_bit(c: Choices, data: bytearray) -> None:
    data[c.integer(0, len(data) - 1)] ^= 1 << c.integer(0, 7)


def _set_byte(c: Choices, data: bytearray) -> None:
    data[c.integer(0, len(data) - 1)] = pick(c, _INTERESTING_BYTES)


def _delete(c: Choices, data: bytearray) -> None:
    start = c.integer(0, len(data) - 1)
    del data[start:start + c.integer(1, 16)]


def _insert(c: Choices, data: bytearray) -> None:
    at = c.integer(0, len(data))
    data[at:at] = sized_bytes(c, 8) or b"\x00"


def _duplicate(c: Choices, data: bytearray) -> None:
    start = c.integer(0, len(data) - 1)
    chunk = data[start:start + c.integer(1, 64)]
    at = c.integer(0, len(data))
    data[at:at] = chunk


def _big_leb(c: Choices, data: bytearray) -> None:
    at = c.integer(0, len(data) - 1)
    leb = pick(c, _BIG_LEBS)
    data[at:at + c.integer(1, len(leb))] = leb


def _truncate(c: Choices, data: bytearray) -> None:
    del data[c.integer(0, len(data) - 1):]


MUTATORS = (_flip_bit, _set_byte, _set_byte, _delete, _insert, _duplicate, _big_leb, _truncate)


def mutate(c: Choices, seed: bytes) -> bytes:
    """One to four stacked mutations of `seed`; the 8-byte header is usually left alone."""
    data = bytearray(seed)
    for _ in range(c.integer(1, 4)):
        if len(data) <= 8:
            data += sized_bytes(c, 8) or b"\x00"
        if chance(c, 90):
            head, body = data[:8], bytearray(data[8:])
            if not body:
                body += b"\x00"
            pick(c, MUTATORS)(c, body)
            data = head + body
        else:
            pick(c, MUTATORS)(c, data)
    return bytes(data)


# -- seed corpus ---------------------------------------------------------------------------------

def spec_modules(wast_files: Iterable[Path]) -> list[bytes]:
    """Every module of the scripts, valid or not, that wat2wasm can encode (binary ones as given)."""
    from lab.suites import wast
    modules = []
    for path in wast_files:
        for command in wast.parse_file(str(path)):
            source = getattr(command, "source", None)
            if source is None or source.form == "quote":
                continue
            try:
                modules.append(source.to_wasm())
            except Exception:  # text the installed wat2wasm cannot encode (e.g. invalid on purpose)
                continue
    return modules


def binary_files(paths: Iterable[Path]) -> list[bytes]:
    return [p.read_bytes() for p in paths]


def workload_modules(names: Iterable[str] = ()) -> list[bytes]:
    """The workloads' wasm32-wasi builds (built through the toolchain cache if needed)."""
    from lab.hosts import toolchain
    from lab.suites import workloads
    chosen = set(names)
    return [toolchain.build(w.source, toolchain.WASM_TARGET, name=w.name).read_bytes()
            for w in workloads.load_manifest() if not chosen or w.name in chosen]


def default_corpus(data_dir: Path, wast_names: Iterable[str] | None = None, workloads: Iterable[str] = (),
                   include_workloads: bool = True) -> list[bytes]:
    """Seeds from the pinned testsuites and the workloads, deduplicated, smallest first."""
    spec_dir = data_dir / "wasm-testsuite-2.0"
    wast_files = sorted(spec_dir.glob("*.wast")) if wast_names is None else [spec_dir / n for n in wast_names]
    seeds = spec_modules(wast_files)
    seeds += binary_files(sorted((data_dir / "wasi-testsuite").rglob("*.wasm")))
    if include_workloads:
        seeds += workload_modules(workloads)
    unique = {hashlib.sha1(s).digest(): s for s in seeds}
    return sorted(unique.values(), key=len)
