"""The wasmtime-embedding binding with hand-written guests: memory access, exit codes, traps."""

from pathlib import Path

import wasmtime

from lab.runners.wasi_bindings import TRAP_EXIT_CODE, run_with_wasmtime_embedded

IMPORTS = """
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "path_open"
    (func $path_open (param i32 i32 i32 i32 i32 i64 i64 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $proc_exit (param i32)))
  (memory (export "memory") 1)
"""


def build(tmp_path: Path, body: str) -> Path:
    wasm = tmp_path / "guest.wasm"
    wasm.write_bytes(wasmtime.wat2wasm(f"(module {IMPORTS} {body})"))
    return wasm


def test_write_then_exit(tmp_path: Path) -> None:
    wasm = build(tmp_path, """
      (data (i32.const 8) "\\10\\00\\00\\00\\05\\00\\00\\00")   ;; iovec {16, 5}
      (data (i32.const 16) "hello")
      (func (export "_start")
        (drop (call $fd_write (i32.const 1) (i32.const 8) (i32.const 1) (i32.const 32)))
        (drop (call $fd_write (i32.const 2) (i32.const 8) (i32.const 1) (i32.const 32)))
        (call $proc_exit (i32.const 7)))""")
    assert run_with_wasmtime_embedded(wasm) == (7, b"hello", b"hello")


def test_errno_comes_back_to_the_guest(tmp_path: Path) -> None:
    # Exit with path_open's errno for "../x" from preopen 3: EPERM (63), as wasmtime answers.
    wasm = build(tmp_path, """
      (data (i32.const 16) "../x")
      (func (export "_start")
        (call $proc_exit (call $path_open (i32.const 3) (i32.const 0) (i32.const 16)
          (i32.const 4) (i32.const 0) (i64.const 2) (i64.const 0) (i32.const 0) (i32.const 64))))""")
    assert run_with_wasmtime_embedded(wasm, preopens=[(tmp_path, "/")])[0] == 63


def test_trap_gives_the_cli_exit_code(tmp_path: Path) -> None:
    wasm = build(tmp_path, '(func (export "_start") unreachable)')
    code, stdout, stderr = run_with_wasmtime_embedded(wasm)
    assert (code, stdout) == (TRAP_EXIT_CODE, b"") and b"unreachable" in stderr


def test_returning_from_start_is_exit_zero(tmp_path: Path) -> None:
    wasm = build(tmp_path, '(func (export "_start"))')
    assert run_with_wasmtime_embedded(wasm) == (0, b"", b"")
