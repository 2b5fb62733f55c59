"""WASI Preview 2 components built from the lab's core modules, cached in the build cache.

A component is the zig-built core module wrapped by `jco new --wasi-command` (jco's preview1
command adapter), so a component and a core module of one workload run the same machine code
and differ only in what the component model adds: the adapter, canonical ABI and WASI 0.2.
For node the component is transpiled once (`jco transpile`) into JavaScript plus core modules;
the transpiled folder lives under the npm prefix so its imports of the preview2 shim resolve.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from lab.config import cache_dir
from lab.hosts import npm_tools
from lab.runners.wasmtime.component import COMPONENT_HEADER

JCO_TIMEOUT_S = 300


class ComponentBuildError(RuntimeError):
    """jco failed on a module; the message carries the tail of its stderr."""


def is_component(path: Path) -> bool:
    """Whether the file is a component (as opposed to a core module), by its header."""
    try:
        with open(path, "rb") as handle:
            return handle.read(8) == COMPONENT_HEADER
    except OSError:
        return False


def _jco_tag() -> str:
    return "jco" + npm_tools.PINS["@bytecodealliance/jco"]


def _run_jco(args: list[str], what: str) -> None:
    try:
        done = subprocess.run([str(npm_tools.jco()), *args], capture_output=True, text=True,
                              timeout=JCO_TIMEOUT_S)
    except (OSError, subprocess.TimeoutExpired) as error:
        raise ComponentBuildError(f"jco {args[0]} {what} failed: {error}") from error
    if done.returncode != 0:
        raise ComponentBuildError(f"jco {args[0]} {what} failed (exit {done.returncode}): "
                                  f"{(done.stderr or done.stdout).strip()[-600:]}")


def component_path(core: Path) -> Path:
    """Where the component of a core module is cached (the core's name carries its build hash)."""
    return cache_dir() / "build" / "component" / f"{core.stem}-{_jco_tag()}.wasm"


def component_for(core: Path) -> Path:
    """The WASI command component wrapping `core`, built with jco on first use."""
    out = component_path(core)
    if out.exists():
        return out
    out.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{out.stem}-", suffix=".wasm", dir=out.parent)
    os.close(fd)
    try:
        _run_jco(["new", str(core), "--wasi-command", "-o", tmp], core.name)
        if not is_component(Path(tmp)):
            raise ComponentBuildError(f"jco new {core.name} wrote no component")
        os.replace(tmp, out)  # atomic: a concurrent reader never sees half a component
    finally:
        Path(tmp).unlink(missing_ok=True)
    return out


def transpiled_for(component: Path) -> Path:
    """The JavaScript entry module of `component` transpiled for node, built on first use."""
    folder = npm_tools.prefix() / "transpiled" / component.stem
    entry = folder / "component.js"
    if entry.exists():
        return entry
    folder.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{component.stem}-", dir=folder.parent))
    try:
        _run_jco(["transpile", str(component), "-o", str(tmp), "--name", "component", "--quiet"],
                 component.name)
        try:
            tmp.rename(folder)
        except OSError:  # another run finished the same transpile first
            if not entry.exists():
                raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return entry
