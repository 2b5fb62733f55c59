"""The http suite's wasi:http handlers, built from Python sources (suites/http/handlers) with
componentize-py and cached in the build cache.

Every handler is the same app (app.py) answering with one function of logic.py, which the
native twin (lab/http/native_server.py) serves too: a Wasm function and a native server do the same
work per request. The WIT is jco's bundled WASI 0.2 (lab.hosts.npm_tools) under a world that includes
wasi:http/proxy.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import importlib.util
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

from lab.config import REPO_ROOT, cache_dir
from lab.hosts import npm_tools

HANDLER_DIR = REPO_ROOT / "suites" / "http" / "handlers"
HANDLERS = ("hello", "sha256")  # logic.HANDLERS
WASI_VERSION = "0.2.12"
WORLD = f"""package wasmlab:http;
world handler {{
  include wasi:http/proxy@{WASI_VERSION};
}}
"""
BUILD_TIMEOUT_S = 600


class HandlerBuildError(RuntimeError):
    """componentize-py is missing or failed; the message says which and how to fix it."""


def handler_function(name: str) -> Callable[[str], bytes]:
    """The Python function of handler `name` (path -> body), loaded from the handlers' logic.py,
    the very source the component bundles."""
    spec = importlib.util.spec_from_file_location("wasmlab_http_logic", HANDLER_DIR / "logic.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.HANDLERS[name]


def componentize_py() -> Path:
    """The componentize-py command of this Python, or HandlerBuildError with the install hint."""
    found = Path(sys.executable).with_name("componentize-py")
    if found.exists():
        return found
    on_path = shutil.which("componentize-py")
    if on_path:
        return Path(on_path)
    raise HandlerBuildError("componentize-py not installed (it builds the wasi:http handlers): "
                            "pip install componentize-py==0.25.1")


def _sources() -> list[Path]:
    return sorted(HANDLER_DIR.glob("*.py"))


def handler_path(name: str) -> Path:
    """Where the component of handler `name` is cached: keyed by its sources and the tool."""
    digest = hashlib.sha256(name.encode() + WORLD.encode())
    try:
        digest.update(importlib.metadata.version("componentize-py").encode())
    except importlib.metadata.PackageNotFoundError:
        pass
    for source in _sources():
        digest.update(source.name.encode() + b"\0" + source.read_bytes())
    return cache_dir() / "build" / "http" / f"{name}-{digest.hexdigest()[:16]}.wasm"


def _wit_folder(folder: Path) -> Path:
    wit = folder / "wit"
    builtin = npm_tools.package_dir("@bytecodealliance/jco") / "lib" / "wit" / "builtin" / WASI_VERSION
    npm_tools.ensure_installed()
    shutil.copytree(builtin, wit / "deps")
    (wit / "world.wit").write_text(WORLD)
    return wit


def build_handler(name: str) -> Path:
    """The wasi:http component of handler `name`, built on first use."""
    if name not in HANDLERS:
        raise ValueError(f"unknown handler {name!r}; known: {', '.join(HANDLERS)}")
    out = handler_path(name)
    if out.exists():
        return out
    tool = componentize_py()
    out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=f"wasmlab-handler-{name}-") as folder:
        wit = _wit_folder(Path(folder))
        src = Path(folder) / "src"
        shutil.copytree(HANDLER_DIR, src)
        (src / "handler_name.py").write_text(f"NAME = {name!r}\n")
        built = Path(folder) / f"{name}.wasm"
        try:
            done = subprocess.run([str(tool), "-d", str(wit), "-w", "handler", "componentize", "-p", str(src),
                                   "app", "-o", str(built)], capture_output=True, text=True,
                                  timeout=BUILD_TIMEOUT_S, cwd=folder)
        except (OSError, subprocess.TimeoutExpired) as error:
            raise HandlerBuildError(f"componentize-py {name} failed: {error}") from error
        if done.returncode != 0 or not built.exists():
            raise HandlerBuildError(f"componentize-py {name} failed (exit {done.returncode}): "
                                    f"{(done.stderr or done.stdout).strip()[-600:]}")
        tmp = out.with_name(f".{out.name}-{os.getpid()}")
        shutil.copyfile(built, tmp)
        os.replace(tmp, out)
    return out
