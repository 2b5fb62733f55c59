"""Which revision of the spec the validator follows where revisions disagree.

Wasm 3.0 accepts modules that Wasm 2.0 rejects, and the 2.0 spec tests check some of those
rejections (in 2.0 a constant expression that reads a global defined in the module is an
"unknown global"). The engine validates against Wasm 3.0 by default; the spec session passes
WASM_2_0 for the spec-2.0 files (see lab/runners/interp/spec.py). Only the differences a test
observes are gated: instructions that are new in 3.0 (tail calls, wide arithmetic) decode and
validate under every feature set, since no 2.0 module contains them.
"""

from __future__ import annotations

EXTENDED_CONST = "extended-const"
"""Constant expressions may use i32/i64 add, sub and mul, and global.get of any immutable
global before them: imported ones and, in a global's initializer, the globals defined before it
(every global in element and data segment offsets)."""

WASM_2_0: frozenset[str] = frozenset()
WASM_3_0: frozenset[str] = frozenset({EXTENDED_CONST})


def for_suite(suite: str) -> frozenset[str]:
    """The feature set a spec-test suite ("spec-2.0", "spec-3.0") is written for."""
    return WASM_2_0 if suite == "spec-2.0" else WASM_3_0
