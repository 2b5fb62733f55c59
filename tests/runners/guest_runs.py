"""Real guest runs shared by the runner tests: each runs one WASI program through a runner's
ordinary `run()` (a fresh, measured process, as the harness does) and returns what it did."""

from __future__ import annotations

import shutil
from pathlib import Path

from lab.hosts import toolchain
from lab.model import Invocation
from lab.run.measure import ProcessResult
from lab.runners.base import Limits, Runner, Sample
from lab.suites import workloads
from lab.suites.measured import GUEST_DATA_DIR, WASM_TARGET

LIMITS = Limits(timeout_s=120)
WORKLOADS = ("fib", "sha256", "fileio")  # recursion, bytes, and files through WASI


def run_guest(runner: Runner, invocation: Invocation) -> Sample:
    return runner.run(invocation, runner.default_mode(), LIMITS)


def run_echo_env(runner: Runner, echo_env_wasm: Path, tmp_path: Path) -> ProcessResult:
    """echo_env reads WASMLAB_GREETING, prints /data/note.txt and exits with code 5."""
    (tmp_path / "note.txt").write_text("from the host\n")
    return run_guest(runner, Invocation(wasm=echo_env_wasm, args=("/data/note.txt", "5"),
                                        env=(("WASMLAB_GREETING", "hi"),), dirs=((str(tmp_path), "/data"),))).process


def run_workload(runner: Runner, name: str, tmp_path: Path) -> tuple[ProcessResult, bytes]:
    """(the run, the expected stdout) of one workload at size small, inputs on a fresh copy."""
    workload = workloads.by_name(name)
    wasm = toolchain.build(workload.source, WASM_TARGET, name=workload.name)
    dirs: tuple[tuple[str, str], ...] = ()
    if workload.inputs_dir is not None:
        data = tmp_path / "data"
        shutil.copytree(workload.inputs_dir, data)
        dirs = ((str(data), GUEST_DATA_DIR),)
    result = run_guest(runner, Invocation(wasm=wasm, args=tuple(workload.args["small"]), dirs=dirs)).process
    return result, workloads.expected_output(workload, "small")


def trap_module(tmp_path: Path) -> Path:
    """A command module whose _start traps at once (unreachable)."""
    import wasmtime

    path = tmp_path / "trap.wasm"
    path.write_bytes(wasmtime.wat2wasm('(module (memory (export "memory") 1) (func (export "_start") unreachable))'))
    return path
