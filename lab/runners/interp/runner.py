"""interp: our own pure-Python engine, run in a fresh process (`python -S lab/interp/__main__.py
run`, the engine's lean entry point: no site-packages) so its cold start is measured like every
other runtime's."""

from __future__ import annotations

import sys
from pathlib import Path

import lab.interp
from lab.config import cache_dir
from lab.interp.cli import CODE_CACHE_NAME
from lab.interp.runtime import TIERS  # the first is the engine's default
from lab.model import Detection, Invocation
from lab.runners.base import Runner, wasi_flags

ENTRY_POINT = Path(lab.interp.__file__).with_name("__main__.py")


class InterpRunner(Runner):
    id = "interp"
    description = "wasmlab's own WebAssembly engine in pure Python"
    bench_imports = "host functions defined by lab.interp.wasi_host (time.perf_counter)"
    spec_session = ("lab.runners.interp.spec", "InterpSpecSession")

    def detect(self) -> Detection:
        try:
            from lab.interp import api  # noqa: F401
            from lab.interp.cli import main  # noqa: F401  (the process entry point)
        except ImportError as error:
            return Detection(self.id, False, reason=f"lab.interp is incomplete in this checkout ({error})")
        from lab import __version__
        return Detection(self.id, True, version=__version__, path=sys.executable, modes=list(TIERS))

    def suite_unavailable(self, suite: str) -> str:
        if suite == "components":
            return ("lab.interp decodes core modules only: it has no component model (component "
                    "binary format, canonical ABI, WASI 0.2 host), so it cannot run a component")
        return ""

    def command(self, invocation: Invocation, mode: str) -> list[str]:
        tier = mode if mode in TIERS else TIERS[0]
        return [sys.executable, "-S", str(ENTRY_POINT), "run", "--tier", tier,
                "--code-cache", str(cache_dir() / CODE_CACHE_NAME), *wasi_flags(invocation),
                str(invocation.wasm), *invocation.args]

