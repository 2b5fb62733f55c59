"""The npm tools the component suites need (jco and its preview2 shim), pinned and installed on
demand into the lab's cache folder, never into the repository.

`jco new --wasi-command` wraps a core module as a component (jco carries the preview1 adapters),
`jco transpile` turns a component into JavaScript that runs on node with the preview2 shim,
`jco serve` serves a wasi:http handler on node and `jco componentize` builds one from JS.
"""

from __future__ import annotations

import fcntl
import json
import shutil
import subprocess
from pathlib import Path

from lab.config import cache_dir

# Pinned together: the shim must be the one jco's transpiled code was generated against.
PINS = {"@bytecodealliance/jco": "1.35.0", "@bytecodealliance/preview2-shim": "0.26.1"}
INSTALL_TIMEOUT_S = 600


class NpmToolUnavailable(RuntimeError):
    """npm is missing or the install failed; the message says which and how to fix it."""


def prefix() -> Path:
    """The npm prefix (per machine: it lives in the cache folder)."""
    return cache_dir() / "npm"


def package_dir(package: str) -> Path:
    return prefix() / "node_modules" / package


def installed_version(package: str) -> str:
    """The version of `package` in the prefix, or "" when it is not there."""
    try:
        return json.loads((package_dir(package) / "package.json").read_text())["version"]
    except (OSError, ValueError, KeyError):
        return ""


def missing_pins() -> list[str]:
    """`name@version` of every pinned package not installed at its pinned version."""
    return [f"{name}@{version}" for name, version in PINS.items() if installed_version(name) != version]


def ensure_installed() -> Path:
    """The prefix, with every pin installed (npm runs once, under a lock, when one is missing)."""
    if not missing_pins():
        return prefix()
    npm = shutil.which("npm")
    if npm is None:
        raise NpmToolUnavailable(f"npm not on PATH, needed to install {', '.join(missing_pins())}: "
                                 "apt-get install npm")
    prefix().mkdir(parents=True, exist_ok=True)
    with open(prefix() / ".install.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # a concurrent run installs once, the other waits
        missing = missing_pins()
        if missing:
            try:
                done = subprocess.run([npm, "install", "--prefix", str(prefix()), "--no-audit", "--no-fund",
                                       "--save-exact", *missing], capture_output=True, text=True,
                                      timeout=INSTALL_TIMEOUT_S)
            except (OSError, subprocess.TimeoutExpired) as error:
                raise NpmToolUnavailable(f"npm install {' '.join(missing)} failed: {error}") from error
            if done.returncode != 0 or missing_pins():
                raise NpmToolUnavailable(f"npm install {' '.join(missing)} failed (exit {done.returncode}): "
                                         f"{done.stderr.strip()[-600:]}")
    return prefix()


def jco() -> Path:
    """The jco command, installed first if needed."""
    return ensure_installed() / "node_modules" / ".bin" / "jco"


def shim_dir() -> Path:
    """The preview2 shim the transpiled components import (installed first if needed)."""
    ensure_installed()
    return package_dir("@bytecodealliance/preview2-shim")


def main() -> int:
    """`python -m lab.hosts.npm_tools`: install the pins (quickstart's setup); says why when it cannot."""
    try:
        print(f"npm tools ready in {ensure_installed()}: {', '.join(f'{k}@{v}' for k, v in PINS.items())}")
    except NpmToolUnavailable as error:
        print(f"npm tools not installed: {error}")
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
