"""`wasmlab exec`: run any WASI command module on any runtime, with the guest's own stdio."""

from __future__ import annotations

import os
import signal
import subprocess
from collections.abc import Sequence
from pathlib import Path

from lab.errors import LabError
from lab.model import Invocation
from lab.runners.registry import get_runner

WASM_MAGIC = b"\0asm"


class ExecError(LabError):
    """The guest could not be started; the message is one line for the user."""


class ExecTimeout(ExecError):
    """The guest ran past --timeout and was killed. Exits 124, as timeout(1) does, so a script
    can tell it from a guest that exits 2 by itself."""

    exit_code = 124


def check_module(path: Path, artifact: str) -> None:
    if not path.is_file():
        raise ExecError(f"{path}: no such file")
    with open(path, "rb") as handle:
        head = handle.read(4)
    if artifact == "wasm" and head != WASM_MAGIC:
        raise ExecError(f"{path}: not a WebAssembly module (no \\0asm header)")
    if artifact == "native" and head != b"\x7fELF":
        raise ExecError(f"{path}: not a native executable (no ELF header)")


def parse_dir(spec: str) -> tuple[str, str]:
    """HOST[::GUEST] -> (absolute host path, guest path); the guest path defaults to the host's."""
    host, _, guest = spec.partition("::")
    if not Path(host).is_dir():
        raise ExecError(f"--dir {spec}: {host} is not a directory")
    return str(Path(host).resolve()), guest or host


def parse_env(spec: str) -> tuple[str, str]:
    key, sep, value = spec.partition("=")
    if not sep or not key:
        raise ExecError(f"--env {spec}: expected KEY=VALUE")
    return key, value


def exec_guest(runtime: str, module: Path, args: list[str], *, env: Sequence[str] = (), dirs: Sequence[str] = (),
               mode: str = "", timeout_s: float | None = None) -> int:
    """Run the module; returns the guest's exit code (128+N when killed by signal N, 124 on timeout)."""
    if timeout_s is not None and not timeout_s > 0:
        raise ExecError(f"--timeout must be a positive number of seconds, not {timeout_s:g}")
    runner = get_runner(runtime)
    detection = runner.detect()
    if not detection.available:
        raise ExecError(f"{runtime} is not available here: {detection.reason}")
    if mode and mode not in detection.modes:
        raise ExecError(f"{runtime} has no mode {mode!r}; its modes: {', '.join(detection.modes)}")
    check_module(module, runner.artifact)
    artifact = module.resolve()
    bench = runner.artifact == "wasm" and uses_bench_protocol(artifact, runner)
    invocation = Invocation(wasm=artifact if runner.artifact == "wasm" else None,
                            native=artifact if runner.artifact == "native" else None,
                            args=tuple(args), env=tuple(parse_env(e) for e in env),
                            dirs=tuple(parse_dir(d) for d in dirs), bench=bench)
    argv = runner.command(invocation, mode or runner.default_mode())
    proc = subprocess.Popen(argv, env=runner.environment(invocation), start_new_session=True)
    try:
        return _exit_code(proc.wait(timeout=timeout_s))
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        raise ExecTimeout(f"timed out after {timeout_s:g} s; the guest's process group was killed") from None
    except KeyboardInterrupt:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        raise


def uses_bench_protocol(module: Path, runner) -> bool:
    """Whether the module imports bench.start/bench.end (Sightglass's protocol); ExecError when
    the runtime cannot supply them. exec runs it once and reports no region."""
    from lab.protocol.bench import uses_bench
    from lab.runners.bench_protocol import unsupported_reason
    from lab.runners.wasm_interface import NotWasm, module_interface

    try:
        imports, _ = module_interface(module.read_bytes())
    except NotWasm as error:
        raise ExecError(f"{module}: {error}") from None
    if not uses_bench(imports):
        return False
    reason = unsupported_reason(runner)
    if reason:
        raise ExecError(f"{module} imports bench.start/bench.end: {reason}")
    return True


def _exit_code(returncode: int) -> int:
    return 128 - returncode if returncode < 0 else returncode
