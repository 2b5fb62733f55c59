"""Peak memory and CPU time of a container that has already exited.

runc deletes a container's own cgroup as soon as its last process exits, so its
memory.max_usage_in_bytes (cgroup v1) or memory.peak (v2) is gone before anyone can read it.
Each sample therefore runs under a private parent cgroup (docker's `cgroup_parent`): the kernel
accounts hierarchically, so the parent keeps the container's peak and CPU time after the
container's own cgroup is removed. We read the parent, then remove it.

This needs the daemon's `cgroupfs` cgroup driver (the parent is a plain path; with the systemd
driver it would have to be a slice) and a daemon on this machine (we read its cgroup files).
"""

from __future__ import annotations

import os
import uuid
from dataclasses import dataclass
from pathlib import Path

MOUNTINFO = Path("/proc/self/mountinfo")
PARENT_ROOT = "wasmlab"  # every sample's parent cgroup lives under /wasmlab/<sample id>


class CgroupUnreadable(RuntimeError):
    """The container's figures are not where the cgroup driver should have put them."""


@dataclass(frozen=True)
class CgroupFigures:
    peak_memory_bytes: int
    user_s: float
    sys_s: float


def cgroup_mounts(mountinfo: Path = MOUNTINFO) -> dict[str, Path]:
    """Where each cgroup hierarchy is mounted: v1 controller name (memory, cpuacct, name=systemd,
    ...) -> mount point, and "unified" -> the cgroup v2 mount."""
    mounts: dict[str, Path] = {}
    for line in mountinfo.read_text().splitlines():
        fields = line.split()
        if "-" not in fields:
            continue
        separator = fields.index("-")
        fstype, options = fields[separator + 1], fields[separator + 3]
        mount_point = Path(fields[4].replace("\\040", " "))
        if fstype == "cgroup2":
            mounts.setdefault("unified", mount_point)
        elif fstype == "cgroup":
            for option in options.split(","):
                if option not in ("rw", "ro") and not option.startswith("release_agent"):
                    mounts.setdefault(option, mount_point)
    return mounts


class SampleCgroup:
    """The private parent cgroup of one container run. `parent` goes to docker's cgroup_parent."""

    def __init__(self, cgroup_version: int, mounts: dict[str, Path] | None = None) -> None:
        self.version = cgroup_version
        self.mounts = cgroup_mounts() if mounts is None else mounts
        self.name = f"{PARENT_ROOT}/{uuid.uuid4().hex[:16]}"

    @property
    def parent(self) -> str:
        return "/" + self.name

    def _folder(self, hierarchy: str) -> Path:
        if hierarchy not in self.mounts:
            raise CgroupUnreadable(f"no {hierarchy} cgroup hierarchy is mounted here")
        return self.mounts[hierarchy] / self.name

    def read(self) -> CgroupFigures:
        """The container's peak memory and CPU time, from the parent that outlived it."""
        try:
            if self.version == 2:
                folder = self._folder("unified")
                peak = int((folder / "memory.peak").read_text())
                stat = _key_values(folder / "cpu.stat")
                return CgroupFigures(peak, stat.get("user_usec", 0) / 1e6, stat.get("system_usec", 0) / 1e6)
            memory, cpu = self._folder("memory"), self._folder("cpuacct")
            peak = int((memory / "memory.max_usage_in_bytes").read_text())
            user_ns = int((cpu / "cpuacct.usage_user").read_text())
            sys_ns = int((cpu / "cpuacct.usage_sys").read_text())
            return CgroupFigures(peak, user_ns / 1e9, sys_ns / 1e9)
        except (OSError, ValueError) as error:
            raise CgroupUnreadable(f"cannot read the container's cgroup {self.parent} "
                                   f"(is the daemon on this machine, with the cgroupfs driver?): {error}") from None

    def remove(self) -> None:
        """Remove the parent (and anything runc left under it) from every hierarchy; best effort."""
        for mount in set(self.mounts.values()):
            remove_tree(mount / self.name)


def remove_tree(folder: Path) -> None:
    """rmdir a cgroup folder bottom-up (cgroup folders hold only virtual files; rmdir is the way)."""
    if not folder.is_dir():
        return
    for root, dirs, _ in os.walk(folder, topdown=False):
        for name in dirs:
            _rmdir(Path(root) / name)
    _rmdir(folder)


def _rmdir(path: Path) -> None:
    try:
        path.rmdir()
    except OSError:
        pass  # busy (a process still inside) or already gone: the sweep retries later


def sweep_empty_parents(mounts: dict[str, Path] | None = None) -> None:
    """Remove leftover per-sample parents (from killed runs) that no process uses any more."""
    for mount in set((cgroup_mounts() if mounts is None else mounts).values()):
        root = mount / PARENT_ROOT
        if root.is_dir():
            for child in root.iterdir():
                if child.is_dir() and not _has_processes(child):
                    remove_tree(child)


def _has_processes(folder: Path) -> bool:
    for procs in folder.rglob("cgroup.procs"):
        try:
            if procs.read_text().strip():
                return True
        except OSError:
            continue
    return False


def _key_values(path: Path) -> dict[str, int]:
    values = {}
    for line in path.read_text().splitlines():
        key, _, value = line.partition(" ")
        if value.strip().isdigit():
            values[key] = int(value)
    return values
