"""`python -m lab.interp`: real WASI programs on our own engine, as the harness launches them."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import wasmtime

from lab.model import Invocation
from lab.runners.base import Limits
from lab.runners.interp.runner import InterpRunner
from lab.suites import wasi as suite
from lab.suites.wasi_runs import run_wasi_test


def interp(*argv: str | Path, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "lab.interp", *map(str, argv)], cwd=cwd,
                          capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL)


def wat_module(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_bytes(wasmtime.wat2wasm(text))
    return path


def test_hello_prints_its_line(hello_wasm: Path) -> None:
    result = interp("run", hello_wasm)
    assert (result.returncode, result.stdout, result.stderr) == (0, "hello from wasmlab\n", "")


def test_args_env_and_dirs_reach_the_guest(echo_env_wasm: Path, tmp_path: Path) -> None:
    (tmp_path / "note.txt").write_text("a line from the host\n")
    result = interp("run", "--env", "WASMLAB_GREETING=bonjour", "--dir", f"{tmp_path}::/data",
                    echo_env_wasm, "/data/note.txt", "7")
    assert result.stdout == "env=bonjour\na line from the host\n"
    assert result.returncode == 7


def test_a_dir_without_guest_path_keeps_the_host_path(echo_env_wasm: Path, tmp_path: Path) -> None:
    (tmp_path / "note.txt").write_text("same path\n")
    result = interp("run", "--dir", tmp_path, echo_env_wasm, tmp_path / "note.txt")
    assert (result.returncode, result.stdout) == (0, "env=(unset)\nsame path\n")


def test_the_guest_cannot_open_what_was_not_preopened(echo_env_wasm: Path, tmp_path: Path) -> None:
    (tmp_path / "note.txt").write_text("secret\n")
    result = interp("run", echo_env_wasm, tmp_path / "note.txt")
    assert result.returncode == 3 and "cannot open" in result.stdout


def test_phases_are_reported_to_the_harness(hello_wasm: Path) -> None:
    sample = InterpRunner().run(Invocation(wasm=hello_wasm), "translate", Limits(timeout_s=120))
    assert sample.process.exit_code == 0
    assert set(sample.phases) == {"compile", "instantiate", "execute"}
    assert all(seconds > 0 for seconds in sample.phases.values())


def test_a_malformed_module_gives_one_clear_line(tmp_path: Path) -> None:
    broken = tmp_path / "broken.wasm"
    broken.write_bytes(b"\0asm\x01\0\0\0\x01\x05")   # a type section cut short
    for command in ("run", "validate"):
        result = interp(command, broken)
        assert result.returncode != 0
        assert result.stdout == ""
        lines = result.stderr.splitlines()
        assert len(lines) == 1 and "broken.wasm: malformed module" in lines[0]


def test_a_component_and_a_non_command_are_named_in_one_line(tmp_path: Path) -> None:
    component = tmp_path / "component.wasm"
    component.write_bytes(wasmtime.wat2wasm("(component (core module))"))
    gc = wat_module(tmp_path, "gc.wasm", "(module (type (struct (field i64))))")  # GC: decodes
    for path, words in ((component, "this is a component, not a core module"),
                        (gc, "the module exports no _start function")):
        result = subprocess.run([sys.executable, "-S", "lab/interp/__main__.py", "run", str(path)],
                                capture_output=True, text=True, timeout=120,
                                stdin=subprocess.DEVNULL, cwd=Path(__file__).parents[2])
        assert result.returncode != 0 and result.stdout == ""
        lines = result.stderr.splitlines()
        assert len(lines) == 1 and f"{path.name}: " in lines[0] and words in lines[0]


def test_validate_accepts_a_valid_module(hello_wasm: Path) -> None:
    result = interp("validate", hello_wasm)
    assert (result.returncode, result.stdout) == (0, "OK\n")


def test_a_missing_file_and_a_missing_dir_are_one_line_each(hello_wasm: Path, tmp_path: Path) -> None:
    for argv in (("run", tmp_path / "absent.wasm"),
                 ("run", "--dir", f"{tmp_path / 'absent'}::/", hello_wasm)):
        result = interp(*argv)
        assert result.returncode == 1
        assert len(result.stderr.splitlines()) == 1 and "absent" in result.stderr


def test_a_trap_exits_134_with_the_trap_on_stderr(tmp_path: Path) -> None:
    module = wat_module(tmp_path, "trap.wasm",
                        '(module (memory (export "memory") 1) '
                        '(func (export "_start") unreachable))')
    result = interp("run", module)
    assert result.returncode == 134
    assert "unreachable" in result.stderr and "Traceback" not in result.stderr


def test_fuel_stops_an_infinite_loop(tmp_path: Path) -> None:
    module = wat_module(tmp_path, "loop.wasm",
                        '(module (memory (export "memory") 1) '
                        '(func (export "_start") (loop (br 0))))')
    result = interp("run", "--fuel", "20000", module)
    assert result.returncode == 134
    assert "fuel" in result.stderr and "20000" in result.stderr


def test_max_memory_pages_refuses_growth(tmp_path: Path) -> None:
    module = wat_module(tmp_path, "grow.wasm",
                        '(module (memory (export "memory") 1) (func (export "_start") '
                        '(if (i32.eq (memory.grow (i32.const 10)) (i32.const -1)) '
                        '(then unreachable))))')
    assert interp("run", "--max-memory-pages", "50", module).returncode == 0
    assert interp("run", "--max-memory-pages", "5", module).returncode == 134


def test_a_missing_wasi_function_is_named(tmp_path: Path) -> None:
    module = wat_module(tmp_path, "future.wasm",
                        '(module (import "wasi_snapshot_preview1" "no_such_call" (func)) '
                        '(memory (export "memory") 1) (func (export "_start")))')
    result = interp("run", module)
    assert result.returncode == 1 and "no_such_call" in result.stderr
    assert len(result.stderr.splitlines()) == 1


# A representative slice of the WASI testsuite, run the way `wasmlab run --suite wasi-p1` does:
# a fresh copy of the test's root, the interp runner's own process, the suite's own check.
SLICE = [
    "assemblyscript/args_get-multiple-arguments", "assemblyscript/environ_get-multiple-variables",
    "assemblyscript/fd_write-to-stdout",            # imports fd_write twice
    "assemblyscript/proc_exit-failure",
    "c/fopen-with-access", "c/lseek", "c/pwrite-with-append", "c/stat-dev-ino",
    "rust/fd_readdir", "rust/path_rename", "rust/symlink_filestat", "rust/file_pread_pwrite",
]
TESTS = {test.name: test for test in suite.load_wasi_tests()}


@pytest.mark.parametrize("name", SLICE)
def test_wasi_testsuite_slice(name: str, tmp_path: Path) -> None:
    assert run_wasi_test(TESTS[name], InterpRunner(), "translate", Limits(timeout_s=120)) == ("pass", "")


def test_the_lean_entry_point_runs_without_site_packages_from_any_folder(hello_wasm: Path,
                                                                          tmp_path: Path) -> None:
    # The command the harness times: `python -S .../lab/interp/__main__.py run ...`.
    command = InterpRunner().command(Invocation(wasm=hello_wasm), "translate")
    assert "-S" in command
    result = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, timeout=120,
                            stdin=subprocess.DEVNULL)
    assert (result.returncode, result.stdout, result.stderr) == (0, "hello from wasmlab\n", "")


def test_the_command_line_parser_keeps_guest_arguments_and_reports_mistakes() -> None:
    from lab.interp.cli import UsageError, parse_args

    options = parse_args(["run", "--dir=/a::/b", "--env", "K=V", "--fuel", "9", "--tier", "interpreter",
                          "m.wasm", "--fuel", "x", "-h"])
    assert options is not None
    assert (options.dir, options.env, options.fuel, options.tier) == (["/a::/b"], ["K=V"], 9, "interpreter")
    assert (options.module, options.args) == ("m.wasm", ["--fuel", "x", "-h"])  # the guest's own
    dashed = parse_args(["run", "--", "-odd-name.wasm", "1"])
    assert dashed is not None and (dashed.module, dashed.args) == ("-odd-name.wasm", ["1"])
    assert parse_args(["--help"]) is None and parse_args(["run", "-h", "m.wasm"]) is None
    for argv, complaint in ((["run"], "module is required"), (["run", "--fuel", "-1", "m.wasm"], "negative"),
                            (["run", "--fuel"], "expects a value"), (["run", "--tier=jit", "m.wasm"], "jit"),
                            (["run", "--fast", "m.wasm"], "--fast"), (["compile", "m.wasm"], "compile"),
                            (["validate", "a.wasm", "b.wasm"], "one module")):
        with pytest.raises(UsageError, match=complaint):
            parse_args(argv)


def test_usage_errors_exit_2_with_one_line_and_help_exits_0() -> None:
    wrong = interp("run", "--fuel", "lots", "m.wasm")
    assert wrong.returncode == 2 and "--fuel" in wrong.stderr and "Traceback" not in wrong.stderr
    helped = interp("--help")
    assert helped.returncode == 0 and "--max-memory-pages" in helped.stdout
