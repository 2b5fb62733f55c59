"""A module that imports what no runtime supplies (`bench.start`, Sightglass's protocol): every
runner says `unknown import bench.start` on one line and exits 1, and the harness files the
sample as a link error, not a trap."""

from __future__ import annotations

from pathlib import Path

import pytest

from lab.execute import judge
from lab.model import Invocation
from lab.runners.refusals import first_missing, link_error_reason, unknown_import
from lab.runners.registry import get_runner
from tests.runners.guest_runs import run_guest

WASM_RUNTIMES = ("interp", "wasmtime", "wasmtime-cli", "wasmer", "node", "spidermonkey", "wasm3", "pywasm")
# Runners whose child we write print exactly this; the wasmtime CLI words it itself.
OUR_CHILDREN = set(WASM_RUNTIMES) - {"wasmtime-cli"}


@pytest.fixture(scope="module")
def unlinkable(tmp_path_factory) -> Path:
    import wasmtime

    path = tmp_path_factory.mktemp("link") / "unlinkable.wasm"
    path.write_bytes(wasmtime.wat2wasm("""(module (import "bench" "start" (func $start))
        (memory (export "memory") 1) (func (export "_start") call $start))"""))
    return path


@pytest.mark.parametrize("runtime", WASM_RUNTIMES)
def test_an_unknown_import_is_one_line_exit_1_and_a_link_error(runtime, unlinkable):
    runner = get_runner(runtime)
    if not runner.detection().available:
        pytest.fail(f"{runtime} should be installed here: {runner.detection().reason}")
    result = run_guest(runner, Invocation(wasm=unlinkable)).process
    stderr = result.stderr.decode(errors="replace")
    assert result.exit_code == 1, stderr
    if runtime in OUR_CHILDREN:
        lines = stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].endswith(": unknown import bench.start"), stderr
    status, reason = judge(result, None)
    assert status == "error" and reason.startswith("link error: unknown import bench.start"), reason
    assert "trap" not in reason


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
