"""What every WebAssembly runner promises, checked on each with the same real programs: the
start-up program prints its line and the phases the runner times, env, a preopened file and the
exit code reach the guest, the workloads give the native build's output, and a trap exits 134
with a "wasm trap" line, and an import nobody supplies is one line and a link error. A runner's
own file keeps only what is particular to it."""

from __future__ import annotations

import pytest

from lab.model import Invocation
from lab.protocol.phases import TRAP_EXIT_CODE
from lab.runners.registry import get_runner
from lab.suites.workloads import STARTUP_EXPECTED
from tests.runners.guest_runs import WORKLOADS, run_echo_env, run_guest, run_workload, trap_module

# runtime -> the phases it times from inside its process (the wasmtime CLI times none).
PHASES = {
    "interp": {"compile", "instantiate", "execute"},
    "wasmtime": {"compile", "instantiate", "execute"},
    "wasmtime-cli": set(),
    "wasmer": {"sandbox", "execute"},
    "node": {"compile", "instantiate", "execute"},
    "spidermonkey": {"compile", "instantiate", "execute"},
    "wasm3": {"compile", "instantiate", "execute"},
    "pywasm": {"instantiate", "execute"},
}
# runtime -> what its "wasm trap" line says of `unreachable`
TRAP_TEXT = {
    "interp": b"wasm trap: unreachable",
    "wasmtime": b"wasm trap: wasm `unreachable` instruction executed",
    "wasmtime-cli": b"wasm trap: wasm `unreachable` instruction executed",
    "wasmer": b"wasm trap: command execution failed: RuntimeError: unreachable",
    "node": b"wasm trap: RuntimeError: unreachable",
    "spidermonkey": b"wasm trap: RuntimeError: unreachable executed",
    "wasm3": b"wasm trap: [trap] unreachable executed",
    "pywasm": b"wasm trap:",
}
RUNTIMES = sorted(PHASES)


@pytest.fixture(params=RUNTIMES)
def runner(request):
    runner = get_runner(request.param)
    detection = runner.detection()
    assert detection.available, f"{request.param} is installed by setup: {detection.reason}"
    return runner


def test_hello_prints_and_reports_its_phases(runner, hello_wasm):
    sample = run_guest(runner, Invocation(wasm=hello_wasm))
    assert (sample.process.exit_code, sample.process.stdout) == (0, STARTUP_EXPECTED), sample.process.stderr
    assert set(sample.phases) == PHASES[runner.id]
    assert all(seconds >= 0 for seconds in sample.phases.values())


def test_env_preopened_file_and_exit_code(runner, echo_env_wasm, tmp_path):
    result = run_echo_env(runner, echo_env_wasm, tmp_path)
    assert result.stdout == b"env=hi\nfrom the host\n", result.stderr
    assert result.exit_code == 5


# (runtime, workload) -> why it does not give the native output; it must keep failing, so a fix shows
KNOWN_FAILURES = {("pywasm", "fileio"): "pywasm's own WASI cannot open the preopened input ([Errno 2])"}


@pytest.mark.parametrize("name", WORKLOADS)
def test_workload_output_matches_native(runner, name, tmp_path):
    result, expected = run_workload(runner, name, tmp_path)
    if (runner.id, name) in KNOWN_FAILURES:
        assert (result.exit_code, result.stdout) != (0, expected), "it passes now: drop it from KNOWN_FAILURES"
        return
    assert result.exit_code == 0, result.stderr
    assert result.stdout == expected


def test_a_trap_exits_134_with_a_message(runner, tmp_path):
    result = run_guest(runner, Invocation(wasm=trap_module(tmp_path))).process
    assert result.exit_code == TRAP_EXIT_CODE
    assert TRAP_TEXT[runner.id] in result.stderr, result.stderr


def test_an_unknown_import_is_one_line_exit_1_and_a_link_error(runner, tmp_path):
    import wasmtime

    from lab.run.execute import judge

    module = tmp_path / "unlinkable.wasm"
    module.write_bytes(wasmtime.wat2wasm("""(module (import "nowhere" "hook" (func $hook))
        (memory (export "memory") 1) (func (export "_start") call $hook))"""))
    result = run_guest(runner, Invocation(wasm=module)).process
    stderr = result.stderr.decode(errors="replace")
    assert result.exit_code == 1, stderr
    if runner.id != "wasmtime-cli":  # the children we write say it in one line; the wasmtime CLI in its own words
        lines = stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].endswith(": unknown import nowhere.hook"), stderr
    status, reason = judge(result, None)
    assert status == "error" and reason.startswith("link error: unknown import nowhere.hook"), reason
