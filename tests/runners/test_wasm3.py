"""The wasm3 runner: pywasm3's interpreter with wasmlab's WASI preview 1, on real programs."""

from __future__ import annotations

import sys

import pytest

from lab.interp.decode import decode_module
from lab.interp.opcodes import NOP
from lab.model import Invocation
from lab.runners.wasm3.compat import narrow_call_indirect_table_index
from lab.runners.wasm3.runner import Wasm3Runner, wasm3_signature
from tests.runners.guest_runs import run_guest

RUNNER = Wasm3Runner()


def test_detects_pywasm3_as_an_interpreter():
    detection = RUNNER.detect()
    assert detection.available, detection.reason
    assert detection.modes == ["interpreter"]
    assert "pywasm3" in detection.version


def test_missing_pywasm3_is_unavailable_with_the_install_command(monkeypatch):
    monkeypatch.setitem(sys.modules, "wasm3", None)  # makes `import wasm3` fail
    detection = RUNNER.detect()
    assert not detection.available
    assert "pip install pywasm3" in detection.reason


def test_signature_notation():
    assert wasm3_signature(("i32", "i64", "i32"), ("i32",)) == "i(iIi)"
    assert wasm3_signature(("i32",), ()) == "v(i)"


def test_narrowing_keeps_every_instruction_but_padding(hello_wasm):
    original = hello_wasm.read_bytes()
    narrowed = narrow_call_indirect_table_index(original)
    assert narrowed != original and len(narrowed) == len(original)
    assert narrow_call_indirect_table_index(narrowed) is narrowed  # nothing left to change
    without_nops = [[op for op in f.code.body if op != (NOP,)] for f in decode_module(narrowed).funcs]
    assert without_nops == [[op for op in f.code.body if op != (NOP,)] for f in decode_module(original).funcs]


@pytest.mark.parametrize("wat", [
    '(func (export "_start") (drop (i32x4.extract_lane 0 (v128.const i32x4 1 2 3 4))))',  # in _start
    '(func $id (param v128) (result v128) local.get 0)'  # in a signature
    '(func (export "_start") (drop (call $id (v128.const i64x2 0 0))))',
    '(func $later (drop (i32x4.extract_lane 0 (v128.const i32x4 1 2 3 4))))'  # in a later call: was a "trap"
    '(func (export "_start") call $later)',
    '(func (export "_start") (local v128))',  # only a local
], ids=["start", "signature", "later-call", "local"])
def test_simd_anywhere_makes_the_cell_unavailable_with_the_reason(wat, tmp_path):
    import wasmtime

    from lab.run.execute import judge

    module = tmp_path / "simd.wasm"
    module.write_bytes(wasmtime.wat2wasm(f'(module (memory (export "memory") 1) {wat})'))
    result = run_guest(RUNNER, Invocation(wasm=module)).process
    assert result.exit_code == 69, result.stderr
    status, reason = judge(result, b"")
    assert status == "unavailable" and reason.startswith("unsupported feature: fixed-width SIMD"), reason
