"""How the harness reads a runtime's refusal: every engine's wording of an unknown import, and
what is not one. (Each runner's own refusal is part of tests/runners/test_contract.py.)"""

from __future__ import annotations

import pytest

from lab.runners.refusals import first_missing, link_error_reason, unknown_import


@pytest.mark.parametrize("message", [
    "Error: failed to run main module `m.wasm`\n\nCaused by:\n    0: failed to instantiate\n"
    "    1: unknown import: `bench::start` has not been defined",
    'wasm trap: Failed to create the instance - Error while importing "bench"."start": unknown import. Expected',
    "wasm3: cannot instantiate m.wasm: missing imported function ('bench.start')",
    "node: unknown import bench.start",
])
def test_every_engines_wording_is_recognised(message):
    assert unknown_import(message) == "unknown import bench.start"
    assert link_error_reason(message) == "link error: unknown import bench.start"


def test_a_trap_is_not_a_link_error():
    assert link_error_reason("wasm trap: unreachable executed") == ""
    assert first_missing([("wasi_snapshot_preview1", "fd_write"), ("bench", "end")],
                         {"wasi_snapshot_preview1": {"fd_write": 1}}) == "unknown import bench.end"
    assert first_missing([("wasi_snapshot_preview1", "fd_write")], {"wasi_snapshot_preview1": {"fd_write": 1}}) == ""
