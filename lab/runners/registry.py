"""Every runtime the lab knows: one list of runner classes, in the canonical order; the runtime ids
are their `id` attributes."""

from __future__ import annotations

import os

from lab.errors import LabError
from lab.model import Detection, Invocation
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

RUNNER_CLASSES: tuple[type[Runner], ...] = (
    InterpRunner, WasmtimeEmbeddedRunner, WasmtimeCliRunner, WasmerRunner, NodeRunner, SpiderMonkeyRunner,
    Wasm3Runner, PywasmRunner, NativeRunner, DockerRunner, WasmEdgeRunner, SpinRunner)
RUNTIME_IDS = tuple(cls.id for cls in RUNNER_CLASSES)
# Runtimes that host .wast spec sessions, mapped to (module, class) of the session.
SPEC_SESSIONS = {cls.id: cls.spec_session for cls in RUNNER_CLASSES if cls.spec_session}


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
    disabled = {rid.strip() for rid in os.environ.get(DISABLE_ENV, "").split(",") if rid.strip()}
    return {cls.id: DisabledRunner(cls.id) if cls.id in disabled else cls() for cls in RUNNER_CLASSES}


def get_runner(runtime_id: str) -> Runner:
    runners = all_runners()
    if runtime_id not in runners:
        raise UnknownRuntime(f"unknown runtime {runtime_id!r}; known: {', '.join(runners)}")
    return runners[runtime_id]
