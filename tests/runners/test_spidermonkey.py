"""The spidermonkey runner: SpiderMonkey under gjs with wasmlab's WASI preview 1 in JavaScript,
on real programs, including the sandbox edges that JavaScript WASI has to get right itself."""

from __future__ import annotations

import re

import pytest

from lab.model import Invocation
from lab.runners import spidermonkey
from lab.runners.spidermonkey import SpiderMonkeyRunner
from tests.runners.guest_runs import run_guest, run_workload

RUNNER = SpiderMonkeyRunner()


def test_detects_spidermonkey_and_gjs_versions():
    detection = RUNNER.detect()
    assert detection.available, detection.reason
    assert re.fullmatch(r"\d+\.\d+\.\d+ \(gjs \d+\.\d+\.\d+\)", detection.version), detection.version
    assert detection.modes == ["tiered"]


def test_without_gjs_on_path_it_is_unavailable(monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))
    spidermonkey._launcher_version.cache_clear()
    detection = RUNNER.detect()
    assert not detection.available
    assert detection.reason == "gjs not on PATH; apt-get install gjs"


@pytest.mark.parametrize("target", ["/etc/hostname", "../outside.txt"])
def test_a_symlink_cannot_leave_the_preopen(echo_env_wasm, tmp_path, target):
    inside = tmp_path / "inside"
    inside.mkdir()
    (tmp_path / "outside.txt").write_text("secret\n")
    (inside / "link").symlink_to(target)
    result = run_guest(RUNNER, Invocation(wasm=echo_env_wasm, args=("/data/link",),
                                          dirs=((str(inside), "/data"),))).process
    assert result.exit_code == 3 and b"secret" not in result.stdout, result.stdout


def test_a_relative_symlink_inside_the_preopen_is_followed(echo_env_wasm, tmp_path):
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "real.txt").write_text("followed\n")
    (tmp_path / "link").symlink_to("sub/real.txt")
    result = run_guest(RUNNER, Invocation(wasm=echo_env_wasm, args=("/data/link",),
                                          dirs=((str(tmp_path), "/data"),))).process
    assert (result.exit_code, result.stdout) == (0, b"env=(unset)\nfollowed\n"), result.stderr


def test_fileio_writes_land_in_the_host_folder(tmp_path):
    result, _ = run_workload(RUNNER, "fileio", tmp_path)
    assert result.exit_code == 0, result.stderr
    assert (tmp_path / "data" / "output.txt").read_text().startswith("000001| ")
