"""The docker runner's `wasmtime` mode: the wasmtime CLI inside a FROM-scratch image, with the
shared libraries it links (read from ldd) and the module beside it, so a report sets bare
wasmtime, containerized wasmtime and the native container side by side.

The image holds /wasmtime, its libraries at their host paths, /module.wasm and the lab's
launcher; it is tagged by the hash of all of them, so a module becomes an image once. The
sample runs `wasmtime run -C cache=n` (the bare wasmtime-cli runner's cold mode) under
wasmlab-spawn, with each preopen bind-mounted at its guest path and passed as --dir.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

from lab.config import REPO_ROOT
from lab.model import Invocation
from lab.runners.wasmtime.cli import MODE_FLAGS, find_wasmtime_binary

DOCKERFILE = REPO_ROOT / "runners" / "docker" / "Dockerfile.wasmtime"
IMAGE_REPOSITORY = "wasmlab/wasmtime"
MODULE = "/module.wasm"
_LDD_PATH = re.compile(r"(/\S+) \(0x[0-9a-f]+\)$")


class WasmImageUnavailable(RuntimeError):
    """The image cannot be assembled here; the message says why."""


def shared_libraries(binary: Path) -> list[Path]:
    """The absolute paths of the libraries `binary` loads (ldd), dynamic loader included."""
    try:
        done = subprocess.run(["ldd", str(binary)], capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired) as error:
        raise WasmImageUnavailable(f"ldd {binary} failed: {error}") from error
    if "not a dynamic executable" in done.stdout + done.stderr:
        return []
    if done.returncode != 0:
        raise WasmImageUnavailable(f"ldd {binary} failed: {done.stderr.strip()[-200:]}")
    paths = []
    for line in done.stdout.splitlines():
        match = _LDD_PATH.search(line.strip())
        if match:
            paths.append(Path(match.group(1)))
    return paths


def image_files(module: Path) -> dict[str, Path]:
    """Build-context name -> host file: the Dockerfile, wasmtime, its libraries, the module."""
    binary, reason = find_wasmtime_binary()
    if binary is None:
        raise WasmImageUnavailable(reason)
    files = {"Dockerfile": DOCKERFILE, "wasmtime": binary, "module.wasm": module}
    for library in shared_libraries(binary):
        files[str(library).lstrip("/")] = library.resolve()  # the file itself, not a symlink
    return files


def entrypoint(invocation: Invocation, spawn_prefix: tuple[str, ...], container_path) -> list[str]:
    """wasmlab-spawn running wasmtime on the module, each preopen mounted at container_path(guest)."""
    dirs = [flag for host, guest in invocation.dirs for flag in ("--dir", f"{container_path(guest)}::{guest}")]
    env = [flag for key, value in invocation.env for flag in ("--env", f"{key}={value}")]
    return [*spawn_prefix, "/wasmtime", "run", *MODE_FLAGS["cranelift"], *dirs, *env, MODULE]
