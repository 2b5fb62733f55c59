"""Builds one C source for wasm and native targets with zig's bundled clang (PyPI `ziglang`).

The same source and the same flags go to every target, so wasm and native numbers compare like
for like. Outputs are cached by a hash of everything that decides the binary (source and the
headers it includes, flags, target, zig version); zig's own caches live in the project cache so
its libc (about 30 s per target on first use) is compiled once.
"""

from __future__ import annotations

import functools
import hashlib
import os
import platform
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Sequence

from lab.config import cache_dir
from lab.errors import LabError

TARGETS: tuple[str, ...] = ("wasm32-wasi", "x86_64-linux-musl", "aarch64-linux-musl")
WASM_TARGET = "wasm32-wasi"

# One flag set for every target. -ffp-contract=off: aarch64 would otherwise fuse a*b+c into FMA
# and print different floats than x86_64 and wasm. -static is a no-op for wasm and makes the
# native twins self-contained (they also run FROM scratch in containers and under qemu-user).
DEFAULT_FLAGS: tuple[str, ...] = ("-O2", "-s", "-static", "-ffp-contract=off", "-Wall")

# zig cc can take minutes on a first libc build for a target on a slow machine.
BUILD_TIMEOUT_S = 900
STDERR_TAIL_CHARS = 4000

_INCLUDE_RE = re.compile(rb'^\s*#\s*include\s+"([^"]+)"', re.MULTILINE)

# Counts actual compiler invocations in this process; lets tests prove a cache hit.
_compilations = 0


class BuildError(LabError):
    """The compiler failed; the message carries the tail of its stderr."""


class ToolchainUnavailable(BuildError):
    """zig is not installed or does not run; the message says how to fix it."""


@dataclass(frozen=True)
class ToolchainInfo:
    available: bool
    version: str | None
    path: Path | None
    reason: str | None


@functools.lru_cache(maxsize=1)
def detect_zig() -> ToolchainInfo:
    """Find the zig binary shipped by the `ziglang` wheel and ask its version."""
    try:
        import ziglang
    except ImportError:
        return ToolchainInfo(False, None, None, "PyPI package `ziglang` not installed; pip install ziglang")
    zig = Path(ziglang.__file__).parent / ("zig.exe" if os.name == "nt" else "zig")
    if not zig.exists():
        return ToolchainInfo(False, None, None, f"ziglang installed but {zig} is missing")
    try:
        done = subprocess.run([str(zig), "version"], capture_output=True, text=True, timeout=60)
    except OSError as error:
        return ToolchainInfo(False, None, zig, f"cannot run {zig}: {error}")
    if done.returncode != 0:
        return ToolchainInfo(False, None, zig, f"`zig version` failed: {done.stderr.strip()[-500:]}")
    return ToolchainInfo(True, done.stdout.strip(), zig, None)


def output_suffix(target: str) -> str:
    return ".wasm" if target == WASM_TARGET else ".bin"


def _check_target(target: str) -> None:
    if target not in TARGETS:
        raise ValueError(f"unknown target {target!r}; known: {', '.join(TARGETS)}")


def _included_files(source: Path, seen: set[Path] | None = None) -> list[Path]:
    """The source and, recursively, the local headers it includes with #include "..."."""
    seen = set() if seen is None else seen
    source = source.resolve()
    if source in seen or not source.is_file():
        return []
    seen.add(source)
    files = [source]
    for match in _INCLUDE_RE.finditer(source.read_bytes()):
        header = source.parent / match.group(1).decode()
        files.extend(_included_files(header, seen))
    return files


def build_key(source: Path, target: str, flags: Sequence[str], zig_version: str) -> str:
    """Hash of everything that decides the output binary."""
    digest = hashlib.sha256()
    for part in (target, zig_version, "\0".join(flags)):
        digest.update(part.encode() + b"\0")
    for path in _included_files(source):
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()[:16]


def output_path(source: Path, target: str, *, flags: Sequence[str] = DEFAULT_FLAGS,
                name: str | None = None) -> Path:
    """Where build() puts (or finds) the binary for this source, target and flags."""
    _check_target(target)
    info = _require_zig()
    key = build_key(Path(source), target, flags, info.version or "")
    stem = name or Path(source).stem
    return cache_dir() / "build" / target / f"{stem}-{key}{output_suffix(target)}"


def _require_zig() -> ToolchainInfo:
    info = detect_zig()
    if not info.available:
        raise ToolchainUnavailable(info.reason or "zig unavailable")
    return info


def _zig_env() -> dict[str, str]:
    env = dict(os.environ)
    env["ZIG_GLOBAL_CACHE_DIR"] = str(cache_dir() / "zig-global")
    env["ZIG_LOCAL_CACHE_DIR"] = str(cache_dir() / "zig-local")
    return env


def compilations() -> int:
    """How many times this process has invoked the compiler (cache hits do not count)."""
    return _compilations


def build(source: Path, target: str, *, flags: Sequence[str] = DEFAULT_FLAGS,
          name: str | None = None) -> Path:
    """Compile `source` for `target` and return the cached binary's path.

    Raises BuildError (with the compiler's stderr tail) when compilation fails.
    """
    global _compilations
    source = Path(source)
    if not source.is_file():
        raise BuildError(f"source not found: {source}")
    info = _require_zig()
    out = output_path(source, target, flags=flags, name=name)
    if out.exists():
        return out
    out.parent.mkdir(parents=True, exist_ok=True)
    # Build under a temporary name in the same folder, then rename: a reader never sees half a
    # binary, and two concurrent builds of the same key just replace each other atomically.
    fd, tmp_name = tempfile.mkstemp(prefix=f".{out.stem}-", suffix=out.suffix, dir=out.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    command = [str(info.path), "cc", "-target", target, *flags, str(source), "-o", str(tmp)]
    try:
        _compilations += 1
        try:
            done = subprocess.run(command, capture_output=True, text=True, env=_zig_env(),
                                  timeout=BUILD_TIMEOUT_S)
        except subprocess.TimeoutExpired as error:
            raise BuildError(f"zig cc timed out after {BUILD_TIMEOUT_S}s building {source.name} "
                             f"for {target}") from error
        if done.returncode != 0:
            raise BuildError(f"zig cc failed building {source.name} for {target} "
                             f"(exit {done.returncode}):\n{done.stderr[-STDERR_TAIL_CHARS:]}")
        os.chmod(tmp, 0o755)
        os.replace(tmp, out)
    finally:
        tmp.unlink(missing_ok=True)
    return out


def build_all(sources: Iterable[Path], targets: Iterable[str] = TARGETS, *,
              flags: Sequence[str] = DEFAULT_FLAGS) -> dict[tuple[str, str], Path]:
    """Build every source for every target, one at a time; keyed by (source stem, target)."""
    targets = list(targets)
    built: dict[tuple[str, str], Path] = {}
    for source in sources:
        for target in targets:
            built[(Path(source).stem, target)] = build(Path(source), target, flags=flags)
    return built


# ---- running native binaries ---------------------------------------------------------------

_ARCH_ALIASES = {"x86_64": "x86_64", "amd64": "x86_64", "aarch64": "aarch64", "arm64": "aarch64"}


def host_arch() -> str:
    machine = platform.machine().lower()
    return _ARCH_ALIASES.get(machine, machine)


def native_target() -> str:
    """The musl target matching this host's CPU (the reference build for expected outputs)."""
    target = f"{host_arch()}-linux-musl"
    if target not in TARGETS:
        raise RuntimeError(f"no native target for host architecture {host_arch()}")
    return target


def target_arch(target: str) -> str:
    _check_target(target)
    return target.split("-", 1)[0]


def _binfmt_enabled(arch: str) -> bool:
    entry = Path("/proc/sys/fs/binfmt_misc") / f"qemu-{arch}"
    try:
        return entry.read_text().splitlines()[0].strip() == "enabled"
    except (OSError, IndexError):
        return False


def launcher(target: str) -> list[str] | None:
    """The command prefix that runs a native binary of `target` here ([] when it runs directly,
    ["qemu-aarch64-static"] when only the emulator is on PATH), or None when it cannot run."""
    arch = target_arch(target)
    if target == WASM_TARGET:
        return None
    if arch == host_arch() or _binfmt_enabled(arch):
        return []
    for emulator in (f"qemu-{arch}-static", f"qemu-{arch}"):
        found = shutil.which(emulator)
        if found:
            return [found]
    return None


def can_run_target(target: str) -> tuple[bool, str]:
    """Whether a native binary for `target` can be executed on this host, and why (not)."""
    arch = target_arch(target)
    if target == WASM_TARGET:
        return False, "wasm32-wasi modules run through a WebAssembly runtime, not directly"
    if arch == host_arch():
        return True, f"native {arch} host"
    if _binfmt_enabled(arch):
        return True, f"emulated: qemu-{arch} registered with binfmt_misc"
    prefix = launcher(target)
    if prefix:
        return True, f"emulated: {prefix[0]} (no binfmt_misc entry; run through the emulator)"
    return False, (f"host is {host_arch()}; {arch} binaries need qemu-user: "
                   "apt-get install qemu-user-static (registers binfmt_misc)")


def is_emulated(target: str) -> bool:
    """True when `target` binaries run here only through an emulator."""
    return target != WASM_TARGET and target_arch(target) != host_arch()
