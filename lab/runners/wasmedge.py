"""wasmedge: the WasmEdge CLI, `wasmedge [OPTIONS] [--] WASM_OR_SO [ARG ...]`.

WasmEdge is in none of the registries the lab installs from, so this runner drives the documented
CLI wherever `wasmedge` is found (WASMLAB_WASMEDGE, PATH, or the official installer's
~/.wasmedge/bin) and is unavailable, with the install command, everywhere else.

Modes: "interpreter" runs the .wasm as is (WasmEdge interprets modules that were not AOT
compiled); "aot" first compiles it once with `wasmedge compile IN.wasm OUT.so` into the cache
(outside the measured process) and runs the shared object. Preopens use WasmEdge's own order,
`--dir GUEST:HOST` (the reverse of wasmtime's HOST::GUEST).
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
from pathlib import Path

from lab.config import cache_dir
from lab.model import Detection, Invocation
from lab.runners.base import Runner, detect_cli

INSTALL_COMMAND = "curl -sSf https://raw.githubusercontent.com/WasmEdge/WasmEdge/master/utils/install.sh | bash"
MODES = ("interpreter", "aot")
AOT_MIN_VERSION = (0, 13)  # `wasmedge compile` replaced the separate wasmedgec tool in 0.13
COMPILE_TIMEOUT_S = 600
_VERSION_RE = re.compile(r"^wasmedge version (\d+)\.(\d+)\.(\d+)(\S*)", re.MULTILINE)


def parse_version(text: str) -> str:
    """'wasmedge version 0.14.1' (the documented `wasmedge --version` output) -> '0.14.1'; '' if
    the text is not that."""
    match = _VERSION_RE.search(text.strip())
    return ".".join(match.group(1, 2, 3)) + match.group(4) if match else ""


def version_tuple(version: str) -> tuple[int, ...]:
    numbers = re.match(r"(\d+)\.(\d+)", version)
    return (int(numbers.group(1)), int(numbers.group(2))) if numbers else (0, 0)


def modes_for(version: str) -> list[str]:
    return list(MODES) if version_tuple(version) >= AOT_MIN_VERSION else ["interpreter"]


def build_command(binary: str, module: Path, invocation: Invocation) -> list[str]:
    """`wasmedge --dir GUEST:HOST ... --env K=V ... -- MODULE ARGS...` for one run."""
    argv = [binary]
    for host, guest in invocation.dirs:
        argv += ["--dir", f"{guest}:{host}"]
    for key, value in invocation.env:
        argv += ["--env", f"{key}={value}"]
    return [*argv, "--", str(module), *invocation.args]


def compile_command(binary: str, module: Path, output: Path) -> list[str]:
    return [binary, "compile", str(module), str(output)]


def find_wasmedge() -> str | None:
    override = os.environ.get("WASMLAB_WASMEDGE")
    if override:
        return override if os.access(override, os.X_OK) else None
    installed = Path.home() / ".wasmedge" / "bin" / "wasmedge"
    return shutil.which("wasmedge") or (str(installed) if os.access(installed, os.X_OK) else None)


class WasmEdgeRunner(Runner):
    id = "wasmedge"
    description = "the WasmEdge CLI (interpreter, or AOT through wasmedge compile)"
    install_hint = f"install: {INSTALL_COMMAND}"

    def detect(self) -> Detection:
        return detect_cli(self, find_wasmedge(), "WASMLAB_WASMEDGE", parse_version, "'wasmedge version X.Y.Z'",
                          modes_for)

    def command(self, invocation: Invocation, mode: str) -> list[str]:
        detection = self.detection()
        if not detection.available:
            raise RuntimeError(detection.reason)
        if mode not in detection.modes:
            raise ValueError(f"wasmedge {detection.version} has no mode {mode!r}; its modes: "
                             f"{', '.join(detection.modes)}")
        if invocation.wasm is None:
            raise ValueError("this case has no wasm build")
        module = invocation.wasm
        if mode == "aot":
            module = aot_compile(detection.path, detection.version, invocation.wasm)
        return build_command(detection.path, module, invocation)


def aot_output(version: str, module: Path) -> Path:
    """Where the AOT build of `module` for this wasmedge version is cached."""
    digest = hashlib.sha256(Path(module).read_bytes()).hexdigest()[:16]
    return cache_dir() / "wasmedge-aot" / version / f"{Path(module).stem}-{digest}.so"


def aot_compile(binary: str, version: str, module: Path) -> Path:
    """Compile once per (wasmedge version, module content); later runs reuse the .so."""
    output = aot_output(version, module)
    if output.exists():
        return output
    output.parent.mkdir(parents=True, exist_ok=True)
    partial = output.with_name(f".{output.name}.{os.getpid()}.partial.so")
    try:
        done = subprocess.run(compile_command(binary, module, partial), capture_output=True, text=True,
                              timeout=COMPILE_TIMEOUT_S)
        if done.returncode != 0 or not partial.exists():
            tail = (done.stderr or done.stdout).strip().splitlines()[-1:] or ["no output"]
            raise RuntimeError(f"wasmedge compile {Path(module).name} failed (exit {done.returncode}): {tail[0][:300]}")
        os.replace(partial, output)
    except subprocess.TimeoutExpired:
        raise RuntimeError(f"wasmedge compile {Path(module).name} took over {COMPILE_TIMEOUT_S} s") from None
    finally:
        partial.unlink(missing_ok=True)
    return output
