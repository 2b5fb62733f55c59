"""node: V8 through Node.js's node:wasi (WASI preview 1), launched by runners/node/run-wasi.mjs;
components (WASI 0.2) run transpiled by jco on its preview2 shim (runners/node/run-component.mjs)."""

from __future__ import annotations

import json
import shutil
import subprocess
from functools import lru_cache

from lab.config import REPO_ROOT
from lab.hosts import components, npm_tools
from lab.model import Detection, Invocation
from lab.runners.base import Runner

LAUNCHER = REPO_ROOT / "runners" / "node" / "run-wasi.mjs"
COMPONENT_LAUNCHER = REPO_ROOT / "runners" / "node" / "run-component.mjs"
MIN_MAJOR = 20  # WASI getImportObject() and version: 'preview1' need a recent Node


@lru_cache(maxsize=1)
def _node_version(binary: str) -> str:
    out = subprocess.run([binary, "--version"], capture_output=True, text=True, timeout=30)
    return out.stdout.strip().lstrip("v")


class NodeRunner(Runner):
    id = "node"
    description = "V8 via Node.js node:wasi"
    install_hint = "apt-get install nodejs (Node 20 or newer)"
    bench_imports = "a bench object in the import object, from runners/node/run-wasi.mjs (performance.now())"
    measured_suites = ("startup", "workloads", "user", "components", "http")  # http: jco serve

    def detect(self) -> Detection:
        binary = shutil.which("node")
        if not binary:
            return Detection(self.id, False, reason=f"node not on PATH; {self.install_hint}")
        try:
            version = _node_version(binary)
        except (OSError, subprocess.TimeoutExpired) as error:
            return Detection(self.id, False, path=binary, reason=f"node --version failed: {error}")
        major = int(version.split(".")[0]) if version.split(".")[0].isdigit() else 0
        if major < MIN_MAJOR:
            return Detection(self.id, False, version=version, path=binary,
                             reason=f"node {version} is too old for node:wasi preview1; need {MIN_MAJOR}+")
        return Detection(self.id, True, version=f"{version} (V8)", path=binary, modes=["v8"])

    def command(self, invocation: Invocation, mode: str) -> list[str]:
        preopens = {guest: host for host, guest in invocation.dirs}
        env = dict(invocation.env)
        if invocation.wasm is not None and components.is_component(invocation.wasm):
            # Transpiled once and cached, like a build step: the sample times node running it.
            return ["node", "--no-warnings", str(COMPONENT_LAUNCHER), str(components.transpiled_for(invocation.wasm)),
                    str(npm_tools.shim_dir()), json.dumps(preopens), json.dumps(env), *invocation.args]
        return ["node", "--no-warnings", str(LAUNCHER), str(invocation.wasm), json.dumps(preopens),
                json.dumps(env), *invocation.args]
