"""The zig toolchain: builds for every target, caching, compiler errors, runnable targets."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from lab.hosts import toolchain
from lab.runners.wasmtime.cli import find_wasmtime_binary
from lab.suites.workloads import STARTUP_EXPECTED, STARTUP_SOURCE

ELF_MACHINE = {"x86_64-linux-musl": 0x3E, "aarch64-linux-musl": 0xB7}

pytestmark = pytest.mark.skipif(not toolchain.detect_zig().available,
                                reason=toolchain.detect_zig().reason or "zig unavailable")


def elf_machine(binary: Path) -> int:
    header = binary.read_bytes()[:20]
    assert header[:4] == b"\x7fELF", f"{binary} is not an ELF file"
    return int.from_bytes(header[18:20], "little")


def test_detect_zig_reports_version_and_path():
    info = toolchain.detect_zig()
    assert info.available and info.reason is None
    assert info.version and info.version[0].isdigit()
    assert info.path is not None and info.path.exists()


@pytest.mark.parametrize("target", toolchain.TARGETS)
def test_hello_builds_for_every_target_and_runs_where_possible(target):
    binary = toolchain.build(STARTUP_SOURCE, target)
    assert binary.parent == toolchain.output_path(STARTUP_SOURCE, target).parent
    if target == toolchain.WASM_TARGET:
        assert binary.suffix == ".wasm" and binary.read_bytes()[:4] == b"\0asm"
        wasmtime, reason = find_wasmtime_binary()
        if wasmtime is None:
            pytest.skip(reason)
        command = [str(wasmtime), "run", str(binary)]
    else:
        assert binary.suffix == ".bin"
        assert elf_machine(binary) == ELF_MACHINE[target]
        runnable, reason = toolchain.can_run_target(target)
        if not runnable:
            pytest.skip(reason)
        command = [*toolchain.launcher(target), str(binary)]
    done = subprocess.run(command, capture_output=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout == STARTUP_EXPECTED


def test_second_build_is_a_cache_hit():
    target = toolchain.native_target()
    first = toolchain.build(STARTUP_SOURCE, target)
    mtime, count = first.stat().st_mtime_ns, toolchain.compilations()
    second = toolchain.build(STARTUP_SOURCE, target)
    assert second == first
    assert toolchain.compilations() == count, "a cached binary was compiled again"
    assert second.stat().st_mtime_ns == mtime


def test_cache_key_covers_flags_target_and_included_headers(tmp_path):
    header = tmp_path / "value.h"
    header.write_text("#define VALUE 1\n")
    source = tmp_path / "prog.c"
    source.write_text('#include "value.h"\nint main(void) { return VALUE - 1; }\n')
    base = toolchain.output_path(source, "wasm32-wasi")
    assert toolchain.output_path(source, "wasm32-wasi") == base
    assert toolchain.output_path(source, "wasm32-wasi", flags=("-O1",)) != base
    assert toolchain.output_path(source, "x86_64-linux-musl").stem != base.stem
    header.write_text("#define VALUE 2\n")
    assert toolchain.output_path(source, "wasm32-wasi") != base


def test_compile_error_raises_build_error_with_compiler_message(tmp_path):
    source = tmp_path / "broken.c"
    source.write_text("int main(void) { return undeclared_thing; }\n")
    before = toolchain.compilations()
    with pytest.raises(toolchain.BuildError) as caught:
        toolchain.build(source, toolchain.WASM_TARGET)
    assert "undeclared_thing" in str(caught.value)
    assert "error" in str(caught.value)
    assert toolchain.compilations() == before + 1
    out = toolchain.output_path(source, toolchain.WASM_TARGET)
    assert not out.exists()
    assert not list(out.parent.glob(f".{out.stem}-*")), "temporary build file left behind"


def test_unknown_target_is_rejected():
    with pytest.raises(ValueError, match="unknown target"):
        toolchain.build(STARTUP_SOURCE, "riscv64-linux-musl")


def test_can_run_target_answers_for_each_target():
    runnable, reason = toolchain.can_run_target(toolchain.native_target())
    assert runnable and "native" in reason
    assert toolchain.launcher(toolchain.native_target()) == []
    assert toolchain.can_run_target(toolchain.WASM_TARGET)[0] is False
    foreign = "aarch64-linux-musl" if toolchain.host_arch() == "x86_64" else "x86_64-linux-musl"
    runnable, reason = toolchain.can_run_target(foreign)
    assert reason and (runnable == (toolchain.launcher(foreign) is not None))
    assert toolchain.is_emulated(foreign) and not toolchain.is_emulated(toolchain.native_target())
