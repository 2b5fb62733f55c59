"""A representative slice of the wasi-testsuite through our WASI bound into the wasmtime
embedding, checked exactly as the suite's README says."""

from pathlib import Path

import pytest

from lab.runners.wasi_bindings import run_with_wasmtime_embedded
from lab.suites import wasi as suite

SLICE = [
    "assemblyscript/args_get-multiple-arguments", "assemblyscript/environ_get-multiple-variables",
    "assemblyscript/fd_write-to-stdout", "assemblyscript/proc_exit-failure",
    "assemblyscript/random_get-non-zero-length",
    "c/fdopendir-with-access", "c/fopen-with-access", "c/lseek", "c/pwrite-with-append",
    "c/stat-dev-ino", "c/sock_shutdown-not_sock", "c/clock_gettime-monotonic",
    "rust/fd_readdir", "rust/interesting_paths", "rust/nofollow_errors", "rust/path_link",
    "rust/path_rename", "rust/symlink_create", "rust/symlink_filestat", "rust/file_pread_pwrite",
    "rust/fd_fdstat_set_rights", "rust/readlink", "rust/path_filestat", "rust/renumber",
    "rust/close_preopen", "rust/poll_oneoff_stdio", "rust/unlink_file_trailing_slashes",
]
TESTS = {test.name: test for test in suite.load_wasi_tests()}


def embedded(test: suite.WasiTest, root: Path | None) -> tuple[int, bytes, bytes]:
    preopens = [(root, "/")] if root is not None else []
    return run_with_wasmtime_embedded(test.wasm, test.args, test.env, preopens)


@pytest.mark.parametrize("name", SLICE)
def test_passes_through_our_wasi(name: str, tmp_path: Path) -> None:
    test = TESTS[name]
    assert suite.run_test(test, embedded, tmp_path) == ("pass", "")
    if test.language == "rust" and test.root is not None:   # these remove what they made
        leftovers = list((tmp_path / test.root.name).rglob("*.cleanup"))
        assert leftovers == []


def test_a_wrong_exit_code_is_reported() -> None:
    test = TESTS["assemblyscript/proc_exit-failure"]
    wrong = suite.WasiTest(test.name, test.language, test.wasm, exit_code=0)
    outcome, reason = suite.run_test(wrong, embedded, Path("/nonexistent"))
    assert outcome == "fail" and "exit code 33" in reason
