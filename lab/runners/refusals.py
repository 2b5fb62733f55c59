"""How a runner says it cannot run a module, in one wording for every runtime.

An import the runtime does not supply: each engine says it its own way (a Python traceback, a
KeyError of the module name, a raw JS stack, a "wasm trap"); the lab says `unknown import
MODULE.NAME` on one line with exit code 1, and the harness files the sample as a link error, not
a trap. The runner children print `unknown_import_line`; `link_error_reason` finds the same fact
in any runtime's stderr (the wasmtime CLI's included, which we do not control).

A feature the runtime lacks (wasm3 and SIMD): the child prints `PROG: unsupported feature: WHAT`
and exits UNSUPPORTED_EXIT_CODE; the harness records the cell as unavailable with that reason,
the way a runtime that is not installed is, instead of an error that reads like a bug.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

LINK_ERROR_EXIT_CODE = 1
UNSUPPORTED_EXIT_CODE = 69  # EX_UNAVAILABLE of sysexits.h; a guest's own exit code needs the line too
UNSUPPORTED = "unsupported feature: "
_UNSUPPORTED_LINE = re.compile(r"^\S+: unsupported feature: (?P<what>.+)$")

_WORDINGS = (
    re.compile(r"unknown import (?P<module>[^\s.]+)\.(?P<name>\S+)$", re.M),  # ours
    re.compile(r"unknown import: `(?P<module>[^`]+)::(?P<name>[^`]+)` has not been defined"),  # wasmtime
    re.compile(r'Error while importing "(?P<module>[^"]*)"\."(?P<name>[^"]*)": unknown import'),  # wasmer
    re.compile(r"missing imported function \('(?P<module>[^.']*)\.(?P<name>[^']*)'\)"),  # wasm3
)


def unknown_import_line(module: str, name: str) -> str:
    return f"unknown import {module}.{name}"


def unknown_import(message: str) -> str:
    """`unknown import M.N` when an engine's message says an import was not supplied, else ''."""
    for wording in _WORDINGS:
        found = wording.search(message)
        if found:
            return unknown_import_line(found["module"], found["name"])
    return ""


def first_missing(imports: Iterable[tuple[str, str]], supplied: dict) -> str:
    """`unknown import M.N` for the first (module, name) that `supplied` ({module: {name: ...}})
    lacks, else ''. For engines whose own error does not name the import (pywasm)."""
    for module, name in imports:
        if name not in supplied.get(module, {}):
            return unknown_import_line(module, name)
    return ""


def link_error_reason(stderr: str) -> str:
    """The reason a failed sample gets when its stderr says an import was missing, else ''."""
    found = unknown_import(stderr)
    return f"link error: {found}" if found else ""


def unsupported_reason(exit_code: int | None, stderr: str) -> str:
    """What the runtime said it lacks, when the child refused the module that way, else ''."""
    if exit_code != UNSUPPORTED_EXIT_CODE:
        return ""
    last = stderr.strip().splitlines()[-1:] or [""]
    found = _UNSUPPORTED_LINE.match(last[0])
    return f"{UNSUPPORTED}{found['what']}" if found else ""
