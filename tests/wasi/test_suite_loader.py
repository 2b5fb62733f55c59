from collections import Counter
from pathlib import Path

import pytest

from lab.suites import wasi as suite
from lab.suites.wasi import WasiTest


@pytest.fixture(scope="module")
def tests() -> dict[str, WasiTest]:
    return {test.name: test for test in suite.load_wasi_tests()}


def test_all_72_tests_in_three_languages(tests) -> None:
    assert Counter(t.language for t in tests.values()) == \
        {"assemblyscript": 12, "c": 14, "rust": 46}


def test_defaults_and_overrides(tests) -> None:
    plain = tests["assemblyscript/proc_exit-success"]
    assert (plain.args, dict(plain.env), plain.root, plain.exit_code, plain.stdout) == \
        ((), {}, None, 0, None)
    assert tests["assemblyscript/args_get-multiple-arguments"].args == \
        ("first", 'the "second" arg', "3")
    assert tests["assemblyscript/environ_get-multiple-variables"].env["c"] == "new\nline"
    assert tests["assemblyscript/proc_exit-failure"].exit_code == 33
    assert tests["assemblyscript/fd_write-to-stdout"].stdout == "hello"
    rooted = tests["c/lseek"]
    assert rooted.root is not None and (rooted.root / "lseek.txt").is_file()


def test_prepare_root_gives_a_fresh_copy_without_cleanup_leftovers(tmp_path: Path) -> None:
    fixture = tmp_path / "data" / "fs-tests.dir"
    (fixture / "sub" / "old.cleanup").mkdir(parents=True)
    (fixture / "sub" / "old.cleanup" / "inner").write_text("x")
    (fixture / "file.cleanup").write_text("x")
    (fixture / "keep.txt").write_text("keep")
    test = WasiTest("rust/t", "rust", tmp_path / "t.wasm", root=fixture)
    copy = suite.prepare_root(test, tmp_path / "run")
    assert copy is not None and copy != fixture
    assert sorted(p.relative_to(copy).as_posix() for p in copy.rglob("*")) == ["keep.txt", "sub"]
    (copy / "keep.txt").write_text("changed")
    assert (fixture / "keep.txt").read_text() == "keep"
    assert suite.prepare_root(test, tmp_path / "run") == copy          # reusable folder
    assert (copy / "keep.txt").read_text() == "keep"
    assert suite.prepare_root(WasiTest("c/x", "c", tmp_path / "x.wasm"), tmp_path) is None


def test_check_result_compares_exactly() -> None:
    test = WasiTest("as/x", "assemblyscript", Path("x.wasm"), exit_code=3, stdout="hello")
    assert suite.check_result(test, 3, b"hello", b"anything") == ("pass", "")
    assert suite.check_result(test, 3, "hello", "") == ("pass", "")
    outcome, reason = suite.check_result(test, 0, b"hello", b"boom\n")
    assert outcome == "fail" and "exit code 0, expected 3" in reason and "boom" in reason
    assert suite.check_result(test, 3, b"hello\n", b"")[0] == "fail"
    strict = WasiTest("as/y", "assemblyscript", Path("y.wasm"), stderr="")
    assert suite.check_result(strict, 0, b"ignored", b"")[0] == "pass"
    assert suite.check_result(strict, 0, b"", b"noise")[0] == "fail"


def test_expectations(tmp_path: Path) -> None:
    (tmp_path / "rt.toml").write_text('[known_failures]\n"rust/a" = "no poll support"\n')
    known = suite.load_expectations("rt", tmp_path)
    assert known == {"rust/a": "no poll support"}
    assert suite.load_expectations("absent", tmp_path) == {}
    assert suite.apply_expectations("rust/a", "fail", "exit 1", known)[0] == "xfail"
    assert suite.apply_expectations("rust/a", "pass", "", known)[0] == "xpass"
    assert suite.apply_expectations("rust/b", "fail", "exit 1", known) == ("fail", "exit 1")
    (tmp_path / "bad.toml").write_text('[known_failures]\n"rust/a" = ""\n')
    with pytest.raises(ValueError):
        suite.load_expectations("bad", tmp_path)


def test_wasmtime_expectation_file_loads(tests) -> None:
    known = suite.load_expectations("wasmtime")
    assert set(known) <= set(tests)
