"""Every runtime id the lab knows, mapped to its runner."""

from __future__ import annotations

import os

from lab.errors import LabError
from lab.model import RUNTIME_IDS, Detection, Invocation
from lab.runners.base import Runner, RunnerUnavailable
from lab.runners.docker.runner import DockerRunner
from lab.runners.interp.runner import InterpRunner
from lab.runners.native import NativeRunner
from lab.runners.node import NodeRunner
from lab.runners.pywasm.runner import PywasmRunner
from lab.runners.spidermonkey import SpiderMonkeyRunner
from lab.runners.spin import SpinRunner
from lab.runners.wasm3.runner import Wasm3Runner
from lab.runners.wasmedge import WasmEdgeRunner
from lab.runners.wasmer_runner import WasmerRunner
from lab.runners.wasmtime.cli import WasmtimeCliRunner
from lab.runners.wasmtime.embedded import WasmtimeEmbeddedRunner


class UnknownRuntime(LabError, ValueError):
    pass


DISABLE_ENV = "WASMLAB_DISABLE"  # comma-separated runtime ids to treat as unavailable


class DisabledRunner(Runner):
    """A runtime switched off with WASMLAB_DISABLE (a flaky install, a CI job that must not use
    it): always unavailable, with that reason, so it is never mistaken for one that ran."""

    def __init__(self, runtime_id: str) -> None:
        self.id = runtime_id

    def detect(self) -> Detection:
        return Detection(self.id, False, reason=f"{self.id} disabled by {DISABLE_ENV}")

    def command(self, invocation: Invocation, mode: str) -> list[str]:
        raise RunnerUnavailable(self.detect().reason)


def all_runners() -> dict[str, Runner]:
    """One runner per stable runtime id, in the project's canonical order."""
    implemented: dict[str, Runner] = {r.id: r for r in (
        InterpRunner(), WasmtimeEmbeddedRunner(), WasmtimeCliRunner(), NodeRunner(), NativeRunner(),
        PywasmRunner(), DockerRunner(), WasmEdgeRunner(), SpinRunner(), WasmerRunner(), Wasm3Runner(),
        SpiderMonkeyRunner())}
    disabled = {rid.strip() for rid in os.environ.get(DISABLE_ENV, "").split(",") if rid.strip()}
    return {rid: DisabledRunner(rid) if rid in disabled else implemented[rid] for rid in RUNTIME_IDS}


def get_runner(runtime_id: str) -> Runner:
    runners = all_runners()
    if runtime_id not in runners:
        raise UnknownRuntime(f"unknown runtime {runtime_id!r}; known: {', '.join(runners)}")
    return runners[runtime_id]
