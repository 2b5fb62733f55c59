"""The runner interface: how the lab detects, launches and measures one runtime.

Every runner launches a fresh process per sample (cold figures). Runners that embed an engine in
Python run a small child entry point that also reports its own phases (compile, instantiate,
execute) through the file named by PHASES_ENV; the harness reads it after the child exits.
"""

from __future__ import annotations

import importlib
import importlib.metadata
import os
import subprocess
import sys
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType

from lab.hosts import Host
from lab.model import Detection, Invocation
from lab.protocol.phases import PHASES_ENV, read_phases
from lab.run.measure import ProcessResult, run_process
from lab.run.scratch import scratch_dir


class RunnerUnavailable(Exception):
    """The runtime cannot run here; the message says why and how to install it."""


@dataclass(frozen=True)
class Limits:
    timeout_s: float | None = 60.0
    memory_limit_bytes: int | None = 8 << 30
    output_cap: int = 1 << 20


@dataclass
class Sample:
    """One measured process: how it ended, and the phases it reported about itself."""

    process: ProcessResult
    phases: dict[str, float] = field(default_factory=dict)


class Runner(ABC):
    """One runtime. Subclasses set `id`, `artifact` and implement detect() and command()."""

    id: str = ""
    description: str = ""
    artifact: str = "wasm"  # which build of a case it runs: "wasm" or "native"
    measured_suites: tuple[str, ...] = ("startup", "workloads", "user")  # the measured suites it can run
    # Whether the program runs in the process command() starts, so valgrind can count it
    # (--instructions). Not when a daemon runs it (docker's containers, spin's server).
    counts_in_process: bool = True
    # How it supplies the bench.start/bench.end imports of Sightglass-protocol modules; "" when it
    # cannot (lab.runners.bench_protocol).
    bench_imports: str = ""
    install_hint: str = ""
    # (module, class) of its .wast spec session, imported only when a spec suite runs (the
    # engines are optional); None: it cannot host spec sessions (lab.suites.spec).
    spec_session: tuple[str, str] | None = None

    def suite_unavailable(self, suite: str) -> str:
        """Why this runtime cannot run `suite` at all (a feature it lacks), or "" when it can or
        merely does not take part (see measured_suites)."""
        return ""

    @abstractmethod
    def detect(self) -> Detection:
        """Whether the runtime is usable here (version, path, modes) or why not."""

    def detection(self) -> Detection:
        """detect(), asked once per runner object: versions do not change within a run."""
        cached = self.__dict__.get("_detection")
        if cached is None:
            cached = self.__dict__["_detection"] = self.detect()
        return cached

    def default_mode(self) -> str:
        modes = self.detection().modes
        return modes[0] if modes else "default"

    def on_host(self, host: Host) -> "Runner":
        """This runtime as it runs on `host`. Runners serve the local machine; those that can
        also serve other hosts (an emulated architecture, later a remote one) override this."""
        if host.reach == "local":
            return self
        raise RunnerUnavailable(f"{self.id} has no runner for host {host.id} ({host.arch}, {host.reach})")

    @abstractmethod
    def command(self, invocation: Invocation, mode: str) -> list[str]:
        """The argv that runs the invocation's guest as one process."""

    def environment(self, invocation: Invocation) -> dict[str, str]:
        """The child's environment (the host's, minus nothing by default)."""
        return dict(os.environ)

    def run(self, invocation: Invocation, mode: str, limits: Limits, cwd: Path | None = None) -> Sample:
        """Run one sample in a fresh process and collect the phases it reports, if any."""
        detection = self.detection()
        if not detection.available:
            raise RunnerUnavailable(detection.reason)
        argv = self.command(invocation, mode)
        env = self.environment(invocation)
        with scratch_dir("phases") as scratch:
            phases_file = scratch / "phases.json"
            env[PHASES_ENV] = str(phases_file)
            result = run_process(argv, env=env, cwd=cwd, timeout_s=limits.timeout_s,
                                 memory_limit_bytes=limits.memory_limit_bytes,
                                 output_cap=limits.output_cap)
            return Sample(process=result, phases=read_phases(phases_file))


def wasi_flags(invocation: Invocation, dir_flag: str = "--dir", env_flag: str = "--env") -> list[str]:
    """`--dir HOST::GUEST` and `--env K=V` flags, the convention shared by wasmtime and our CLIs."""
    flags: list[str] = []
    for host, guest in invocation.dirs:
        flags += [dir_flag, f"{host}::{guest}"]
    for key, value in invocation.env:
        flags += [env_flag, f"{key}={value}"]
    return flags


def detect_python_package(runner: Runner, dist: str, module: str, modes: Sequence[str],
                          describe: Callable[[str, ModuleType], str] = lambda version, _: version) -> Detection:
    """Detection of a runtime that is a PyPI package: its version, or why it cannot be imported."""
    try:
        version = importlib.metadata.version(dist)
        imported = importlib.import_module(module)
    except (ImportError, OSError) as error:  # not installed, or its native library cannot load
        return Detection(runner.id, False, reason=f"PyPI {dist} not importable ({error}); {runner.install_hint}")
    return Detection(runner.id, True, version=describe(version, imported), path=sys.executable, modes=list(modes))


def detect_cli(runner: Runner, binary: str | None, override_env: str, parse_version: Callable[[str], str],
               expected: str, modes: Callable[[str], list[str]]) -> Detection:
    """Detection of a runtime that is a command-line program found on PATH (or via override_env):
    `--version` must print what `parse_version` recognises (`expected` describes it)."""
    if binary is None:
        where = os.environ.get(override_env)
        missing = f"{override_env}={where} is not executable" if where else f"{runner.id} not on PATH"
        return Detection(runner.id, False, reason=f"{missing}; {runner.install_hint}")
    try:
        done = subprocess.run([binary, "--version"], capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired) as error:
        return Detection(runner.id, False, path=binary, reason=f"{binary} --version failed: {error}")
    version = parse_version(done.stdout)
    if not version:
        seen = (done.stdout or done.stderr).strip()[:80]
        return Detection(runner.id, False, path=binary,
                         reason=f"{binary} --version printed {seen!r}, not {expected}; {runner.install_hint}")
    return Detection(runner.id, True, version=version, path=binary, modes=modes(version))
