"""The workload suite: C programs listed in suites/workloads/manifest.toml, their sizes, input
files and expected outputs.

Expected outputs come from the native build (record_expected); every runtime's stdout is checked
against them (check_output) before its time counts.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Mapping

from lab.config import REPO_ROOT
from lab.errors import LabError
from lab.hosts import toolchain

SUITE_DIR = REPO_ROOT / "suites" / "workloads"
MANIFEST = SUITE_DIR / "manifest.toml"
MANIFEST_ENV = "WASMLAB_WORKLOADS_MANIFEST"  # another workload list (crafted guests, private suites)
STARTUP_SOURCE = REPO_ROOT / "suites" / "startup" / "hello.c"
STARTUP_EXPECTED = b"hello from wasmlab\n"

SIZES: tuple[str, ...] = ("small", "medium", "large")
KINDS = frozenset({"recursion", "integer", "float", "alloc", "sort", "bytes", "compress", "parse",
                   "matrix", "memory", "dispatch", "io"})
NATIVE_TIMEOUT_S = 120


class ManifestError(LabError):
    """The manifest is malformed; the message names the entry and the problem."""


@dataclass(frozen=True)
class Workload:
    name: str
    source: Path
    kind: str
    description: str
    args: Mapping[str, tuple[str, ...]]  # guest view: input files named under data_mount
    inputs_dir: Path | None  # copied fresh for every run and preopened at data_mount
    expected: Mapping[str, Path]
    data_mount: str = "/data"

    def argv(self, size: str, host_data_dir: str | None = None) -> list[str]:
        """Arguments for `size` (without argv[0]). With host_data_dir, guest paths under
        data_mount are rewritten to it, for a native run that has no preopens."""
        if host_data_dir is None:
            return list(self.args[size])
        prefix = self.data_mount.rstrip("/") + "/"
        host = host_data_dir.rstrip("/") + "/"
        return [host + arg[len(prefix):] if arg.startswith(prefix) else arg
                for arg in self.args[size]]

    @property
    def inputs(self) -> list[Path]:
        """The input files a run sees in its data folder."""
        if self.inputs_dir is None:
            return []
        return sorted(p for p in self.inputs_dir.rglob("*") if p.is_file())


def _str_list(value: object, where: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, (str, int)) for v in value):
        raise ManifestError(f"{where}: expected a list of strings")
    return tuple(str(v) for v in value)


def _parse_entry(entry: dict, suite_dir: Path, sizes: tuple[str, ...], expected_pattern: str,
                 data_mount: str) -> Workload:
    name = entry.get("name")
    if not isinstance(name, str) or not name:
        raise ManifestError(f"workload entry without a name: {entry!r}")
    missing = [key for key in ("source", "kind", "description", "args") if key not in entry]
    if missing:
        raise ManifestError(f"workload {name}: missing {', '.join(missing)}")
    if entry["kind"] not in KINDS:
        raise ManifestError(f"workload {name}: unknown kind {entry['kind']!r}; known: {sorted(KINDS)}")
    source = suite_dir / entry["source"]
    if not source.is_file():
        raise ManifestError(f"workload {name}: source {source} not found")
    args = entry["args"]
    if not isinstance(args, dict) or set(args) != set(sizes):
        raise ManifestError(f"workload {name}: args must give exactly the sizes {list(sizes)}")
    inputs_dir = None
    if "inputs" in entry:
        inputs_dir = suite_dir / str(entry["inputs"])
        if not inputs_dir.is_dir():
            raise ManifestError(f"workload {name}: inputs folder {inputs_dir} not found")
    return Workload(
        name=name,
        source=source,
        kind=entry["kind"],
        description=entry["description"],
        args={size: _str_list(args[size], f"{name}.args.{size}") for size in sizes},
        inputs_dir=inputs_dir,
        expected={size: suite_dir / expected_pattern.format(name=name, size=size) for size in sizes},
        data_mount=data_mount,
    )


def load_manifest(path: Path | None = None) -> list[Workload]:
    """All workloads of the manifest (WASMLAB_WORKLOADS_MANIFEST, else the suite's own), in manifest
    order; ManifestError when it is malformed."""
    path = path or Path(os.environ.get(MANIFEST_ENV) or MANIFEST)
    with open(path, "rb") as handle:
        manifest = tomllib.load(handle)
    suite = manifest.get("suite", {})
    sizes = tuple(suite.get("sizes", SIZES))
    pattern = suite.get("expected", "expected/{name}.{size}.txt")
    data_mount = suite.get("data_mount", "/data")
    workloads = [_parse_entry(entry, path.parent, sizes, pattern, data_mount)
                 for entry in manifest.get("workload", [])]
    names = [w.name for w in workloads]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise ManifestError(f"duplicate workload names: {', '.join(duplicates)}")
    return workloads


def by_name(name: str, workloads: Iterable[Workload] | None = None) -> Workload:
    """The workload called `name` (KeyError listing the known names otherwise)."""
    pool = list(load_manifest() if workloads is None else workloads)
    for workload in pool:
        if workload.name == name:
            return workload
    raise KeyError(f"no workload {name!r}; known: {', '.join(w.name for w in pool)}")


def expected_output(workload: Workload, size: str) -> bytes:
    """The recorded stdout for `size` (FileNotFoundError if record_expected never ran for it)."""
    return workload.expected[size].read_bytes()


def first_difference(expected: bytes, actual: bytes) -> str:
    want, got = expected.splitlines(), actual.splitlines()
    for number, (w, g) in enumerate(zip(want, got, strict=False), start=1):
        if w != g:
            return f"line {number}: expected {w[:120]!r}, got {g[:120]!r}"
    if len(want) != len(got):
        return f"expected {len(want)} lines, got {len(got)}"
    return "line endings or trailing bytes differ"


def check_output(workload: Workload, size: str, stdout: bytes) -> bool | str:
    """True when stdout is exactly the expected output, else a reason naming the difference."""
    try:
        expected = expected_output(workload, size)
    except FileNotFoundError:
        return f"no expected output recorded for {workload.name} {size} ({workload.expected[size]})"
    if stdout == expected:
        return True
    return f"{workload.name} {size}: wrong output, {first_difference(expected, stdout)}"


def prepare_data_dir(workload: Workload, dest: Path) -> Path:
    """Copy the workload's inputs folder into `dest` (created if needed); returns dest.

    Runs write their outputs next to the inputs, so every run gets its own copy and the
    checked-in files are never touched."""
    dest.mkdir(parents=True, exist_ok=True)
    if workload.inputs_dir is not None:
        shutil.copytree(workload.inputs_dir, dest, dirs_exist_ok=True)
    return dest


def run_native(workload: Workload, size: str, *, target: str | None = None,
               timeout: float = NATIVE_TIMEOUT_S) -> subprocess.CompletedProcess[bytes]:
    """Build and run the native twin once in a fresh data dir; returns the finished process."""
    target = target or toolchain.native_target()
    prefix = toolchain.launcher(target)
    if prefix is None:
        raise RuntimeError(f"cannot run {target} here: {toolchain.can_run_target(target)[1]}")
    binary = toolchain.build(workload.source, target)
    with tempfile.TemporaryDirectory(prefix=f"wasmlab-{workload.name}-") as folder:
        data = prepare_data_dir(workload, Path(folder))
        return subprocess.run([*prefix, str(binary), *workload.argv(size, str(data))],
                              capture_output=True, timeout=timeout, cwd=data)


def _write_atomic(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}-", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(tmp, path)
    finally:
        Path(tmp).unlink(missing_ok=True)


def record_expected(workloads: Iterable[Workload] | None = None,
                    sizes: Iterable[str] = SIZES) -> None:
    """Run the native build of each workload at each size and store its stdout as expected.

    A run that exits non-zero or prints to stderr is an error: nothing is recorded for it."""
    for workload in load_manifest() if workloads is None else workloads:
        for size in sizes:
            done = run_native(workload, size)
            if done.returncode != 0 or done.stderr:
                raise RuntimeError(f"{workload.name} {size}: native run exited {done.returncode}: "
                                   f"{done.stderr.decode(errors='replace')[-2000:]}")
            _write_atomic(workload.expected[size], done.stdout)
