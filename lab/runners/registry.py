"""Every runtime id the lab knows, mapped to its runner."""

from __future__ import annotations

from lab.model import RUNTIME_IDS, Detection, Invocation
from lab.runners.base import Runner
from lab.runners.interp import InterpRunner
from lab.runners.native import NativeRunner
from lab.runners.node import NodeRunner
from lab.runners.pywasm_runner import PywasmRunner
from lab.runners.wasmtime_cli import WasmtimeCliRunner
from lab.runners.wasmtime_embedded import WasmtimeEmbeddedRunner


class UnknownRuntime(ValueError):
    pass


class NoRunnerYet(Runner):
    """A runtime id the lab promises but has no adapter for in this version: always unavailable,
    with that said plainly, so it is never mistaken for a runtime that ran."""

    def __init__(self, runtime_id: str, install_hint: str) -> None:
        self.id = runtime_id
        self.install_hint = install_hint

    def detect(self) -> Detection:
        return Detection(self.id, False, reason=f"no {self.id} runner in this wasmlab version yet ({self.install_hint})")

    def command(self, invocation: Invocation, mode: str) -> list[str]:
        raise NotImplementedError(self.detect().reason)


_PENDING = {
    "wasmer": "will use PyPI wasmer-sdk",
    "spidermonkey": "will use Debian gjs",
    "wasm3": "will use PyPI pywasm3",
    "docker": "will use Debian docker.io",
    "wasmedge": "install: curl -sSf https://raw.githubusercontent.com/WasmEdge/WasmEdge/master/utils/install.sh | bash",
    "spin": "install: curl -fsSL https://developer.fermyon.com/downloads/install.sh | bash",
}


def all_runners() -> dict[str, Runner]:
    """One runner per stable runtime id, in the project's canonical order."""
    implemented: dict[str, Runner] = {r.id: r for r in (
        InterpRunner(), WasmtimeEmbeddedRunner(), WasmtimeCliRunner(), NodeRunner(), NativeRunner(),
        PywasmRunner())}
    return {rid: implemented.get(rid) or NoRunnerYet(rid, _PENDING[rid]) for rid in RUNTIME_IDS}


def get_runner(runtime_id: str) -> Runner:
    runners = all_runners()
    if runtime_id not in runners:
        raise UnknownRuntime(f"unknown runtime {runtime_id!r}; known: {', '.join(runners)}")
    return runners[runtime_id]
