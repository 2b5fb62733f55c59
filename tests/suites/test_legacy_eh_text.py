"""The folded legacy-EH rewrite applied before wat2wasm (lab/suites/legacy_eh_text.py)."""

from __future__ import annotations

import pytest

from lab.suites.legacy_eh_text import unfold_legacy_try

wasmtime = pytest.importorskip("wasmtime")

FOLDED = """(module
  (tag $e (param i32))
  (func (export "f") (param i32) (result i32)
    (try $outer (result i32)  ;; a comment
      (do (try (do (throw $e (local.get 0))) (delegate $outer)))
      (catch $e (i32.add (i32.const 1)))
      (catch_all (i32.const 0)))))"""

FLAT = """(module
  (tag $e (param i32))
  (func (export "f") (param i32) (result i32)
    try $outer (result i32)
      try (throw $e (local.get 0)) delegate $outer
    catch $e (i32.add (i32.const 1))
    catch_all (i32.const 0)
    end))"""


def test_folded_try_becomes_the_flat_instructions() -> None:
    with pytest.raises(wasmtime.WasmtimeError):  # what the rewrite is for: the tool refuses it
        wasmtime.wat2wasm(FOLDED)
    assert bytes(wasmtime.wat2wasm(unfold_legacy_try(FOLDED))) == bytes(wasmtime.wat2wasm(FLAT))


def test_text_without_folded_try_is_unchanged() -> None:
    # "(try" only in a comment and a string: nothing to rewrite, every character kept
    text = '(module (func (block (try_table (nop)))) ;; (try\n (data "(try (do))"))'
    assert unfold_legacy_try(text) == text
