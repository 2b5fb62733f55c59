"""The wasmedge runner: version parsing and command lines checked against WasmEdge's documented
CLI (https://wasmedge.org/docs/start/build-and-run/cli), detection when it is missing, and real
runs wherever `wasmedge` is installed (they skip, never pass, elsewhere)."""

from __future__ import annotations

from pathlib import Path

import pytest

from lab.model import Invocation
from lab.runners.base import Limits
from lab.runners.wasmedge import (
    INSTALL_COMMAND,
    WasmEdgeRunner,
    build_command,
    compile_command,
    modes_for,
    parse_version,
)


@pytest.mark.parametrize("text, version", [
    ("wasmedge version 0.16.1\n", "0.16.1"),  # the docs' `wasmedge -v` example
    ("wasmedge version 0.14.1", "0.14.1"),
    ("wasmedge version 0.15.0-alpha.1\n", "0.15.0-alpha.1"),
    ("Spin Version 6.5.2 -- 6 December 2019", ""),
    ("", ""),
])
def test_parse_version(text, version):
    assert parse_version(text) == version


def test_aot_needs_the_compile_subcommand():
    assert modes_for("0.14.1") == ["interpreter", "aot"]
    assert modes_for("0.12.1") == ["interpreter"]


def test_command_line_maps_preopens_guest_first_and_passes_args():
    invocation = Invocation(wasm=Path("/m/fileio.wasm"), args=("1", "/data/input.txt", "--flag"),
                            env=(("K", "V"),), dirs=(("/tmp/host data", "/data"),))
    assert build_command("/usr/bin/wasmedge", Path("/m/fileio.wasm"), invocation) == [
        "/usr/bin/wasmedge", "--dir", "/data:/tmp/host data", "--env", "K=V",
        "--", "/m/fileio.wasm", "1", "/data/input.txt", "--flag"]


def test_compile_command():
    assert compile_command("wasmedge", Path("in.wasm"), Path("out.so")) == ["wasmedge", "compile", "in.wasm", "out.so"]


def test_unavailable_without_the_binary_names_the_installer(monkeypatch, tmp_path):
    monkeypatch.delenv("WASMLAB_WASMEDGE", raising=False)
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setenv("HOME", str(tmp_path))
    detection = WasmEdgeRunner().detect()
    assert not detection.available
    assert "wasmedge not on PATH" in detection.reason and INSTALL_COMMAND in detection.reason


def test_a_binary_that_is_not_wasmedge_is_refused(monkeypatch, tmp_path):
    impostor = tmp_path / "wasmedge"
    impostor.write_text("#!/bin/sh\necho 'something else 1.0'\n")
    impostor.chmod(0o755)
    monkeypatch.setenv("WASMLAB_WASMEDGE", str(impostor))
    detection = WasmEdgeRunner().detect()
    assert not detection.available and "not 'wasmedge version" in detection.reason


@pytest.fixture(scope="module")
def installed() -> WasmEdgeRunner:
    runner = WasmEdgeRunner()
    if not runner.detection().available:
        pytest.skip(f"wasmedge unavailable here: {runner.detection().reason}")
    return runner


@pytest.mark.parametrize("mode", ["interpreter", "aot"])
def test_real_wasmedge_runs_hello(installed, hello_wasm, mode):
    if mode not in installed.detection().modes:
        pytest.skip(f"wasmedge {installed.detection().version} has no {mode} mode")
    sample = installed.run(Invocation(wasm=hello_wasm), mode, Limits(timeout_s=120))
    assert sample.process.status == "ok", sample.process.stderr
    assert sample.process.stdout == b"hello from wasmlab\n"
