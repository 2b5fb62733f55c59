"""spidermonkey: Firefox's engine through Debian's `gjs`, launched by runners/spidermonkey/run-wasi.js.

gjs exposes the WebAssembly JS API but no WASI, so the launcher brings its own WASI preview 1
in JavaScript (runners/spidermonkey/wasi/, files through Gio, sandboxed to the preopens). The
version is the SpiderMonkey release gjs links (read by the launcher from the mozjs library mapped
into its process; Debian 12's gjs 1.74 runs SpiderMonkey 102 ESR), then gjs's own. Mode `tiered`:
SpiderMonkey's default, a baseline compile first, then optimized Ion code for hot functions.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from functools import lru_cache

from lab.config import REPO_ROOT
from lab.model import Detection, Invocation
from lab.runners.base import Runner

LAUNCHER = REPO_ROOT / "runners" / "spidermonkey" / "run-wasi.js"
MODE = "tiered"


@lru_cache(maxsize=4)
def _launcher_version(binary: str) -> str:
    out = subprocess.run([binary, "-m", str(LAUNCHER), "--version"], check=False, capture_output=True, text=True,
                         timeout=30)
    if out.returncode != 0:
        raise OSError(out.stderr.strip().splitlines()[-1] if out.stderr.strip() else f"exit {out.returncode}")
    return out.stdout.strip()


class SpiderMonkeyRunner(Runner):
    id = "spidermonkey"
    description = "SpiderMonkey via gjs, with wasmlab's WASI preview 1 in JavaScript"
    install_hint = "apt-get install gjs"
    bench_imports = "a bench object in the import object, from runners/spidermonkey/run-wasi.js (GLib monotonic time)"

    def detect(self) -> Detection:
        binary = shutil.which("gjs")
        if not binary:
            return Detection(self.id, False, reason=f"gjs not on PATH; {self.install_hint}")
        try:
            version = _launcher_version(binary)
        except (OSError, subprocess.TimeoutExpired) as error:
            return Detection(self.id, False, path=binary, reason=f"gjs cannot run the WASI launcher: {error}")
        return Detection(self.id, True, version=version, path=binary, modes=[MODE])

    def command(self, invocation: Invocation, mode: str) -> list[str]:
        preopens = [[guest, host] for host, guest in invocation.dirs]
        return ["gjs", "-m", str(LAUNCHER), str(invocation.wasm), json.dumps(preopens),
                json.dumps(dict(invocation.env)), *invocation.args]
