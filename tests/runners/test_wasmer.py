"""The wasmer runner: wasmer-sdk's sandbox (Cranelift) running real WASI programs, with the
preopened folders copied in as package files."""

from __future__ import annotations

import sys

from lab.runners.wasmer_runner import WasmerRunner, package_files

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
