"""The wasmer runner: wasmer-sdk's sandbox (Cranelift) running real WASI programs, with the
preopened folders copied in as package files."""

from __future__ import annotations

import sys

import pytest

from lab.model import Invocation
from lab.runners.phases import TRAP_EXIT_CODE
from lab.runners.wasmer_runner import WasmerRunner, package_files
from lab.suites.workloads import STARTUP_EXPECTED
from tests.runners.guest_runs import WORKLOADS, run_echo_env, run_guest, run_workload, trap_module

RUNNER = WasmerRunner()


def test_detects_the_sdk_and_its_engine():
    detection = RUNNER.detect()
    assert detection.available, detection.reason
    assert detection.modes == ["cranelift"]
    assert detection.version.startswith("wasmer-sdk ")


def test_missing_sdk_is_unavailable_with_the_install_command(monkeypatch):
    monkeypatch.setitem(sys.modules, "wasmer_sdk", None)  # makes `import wasmer_sdk` fail
    detection = RUNNER.detect()
    assert not detection.available
    assert "pip install wasmer-sdk" in detection.reason


def test_preopened_folders_become_files_at_their_guest_paths(tmp_path):
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "a.txt").write_bytes(b"A")
    (tmp_path / "in" / "sub").mkdir()
    (tmp_path / "in" / "sub" / "b.bin").write_bytes(b"\0B")
    (tmp_path / "in" / "link").symlink_to("a.txt")
    files = package_files(((str(tmp_path / "in"), "/data"), (str(tmp_path / "in" / "sub"), "/")))
    assert files == {"/data/a.txt": b"A", "/data/sub/b.bin": b"\0B", "/b.bin": b"\0B"}
    # relative guest paths (`--dir .::.`) become canonical absolute ones: wasmer refuses /./a.txt
    assert package_files(((str(tmp_path / "in" / "sub"), "."), (str(tmp_path / "in" / "sub"), "./x/"))) == \
        {"/b.bin": b"\0B", "/x/b.bin": b"\0B"}


def test_hello_prints_and_reports_phases(hello_wasm):
    sample = run_guest(RUNNER, Invocation(wasm=hello_wasm))
    assert (sample.process.exit_code, sample.process.stdout) == (0, STARTUP_EXPECTED), sample.process.stderr
    assert set(sample.phases) == {"sandbox", "execute"}


def test_env_preopened_file_and_exit_code(echo_env_wasm, tmp_path):
    result = run_echo_env(RUNNER, echo_env_wasm, tmp_path)
    assert result.stdout == b"env=hi\nfrom the host\n", result.stderr
    assert result.exit_code == 5


@pytest.mark.parametrize("name", WORKLOADS)
def test_workload_output_matches_native(name, tmp_path):
    result, expected = run_workload(RUNNER, name, tmp_path)
    assert result.exit_code == 0, result.stderr
    assert result.stdout == expected


def test_a_trap_exits_134_with_a_message(tmp_path):
    result = run_guest(RUNNER, Invocation(wasm=trap_module(tmp_path))).process
    assert result.exit_code == TRAP_EXIT_CODE
    assert b"wasm trap: command execution failed: RuntimeError: unreachable" in result.stderr
