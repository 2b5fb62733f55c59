"""Crafted guests for end-to-end fault tests: a workload manifest over tests/faults/guests/*.c and a
way to run the real `wasmlab` command on it in a child process.

The child is the real CLI (`python -m lab.cli`: planning, execution, store, signals), pointed at
the crafted manifest through WASMLAB_WORKLOADS_MANIFEST, so our guests are its workload cases."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

GUESTS = Path(__file__).parent / "guests"
CRAFTED_MANIFEST_ENV = "WASMLAB_WORKLOADS_MANIFEST"

# name -> (expected stdout, args): the expected output decides wrong-output for the flood.
GUEST_OUTPUTS = {"crash": "about to crash\n", "hang": "", "flood": "", "ok": "ok\n", "slow": "done\n", "broken": ""}


def write_manifest(folder: Path, names: list[str], args: dict[str, list[str]] | None = None) -> Path:
    """A one-size ("small") workload manifest of the named guests, with expected outputs."""
    (folder / "expected").mkdir(parents=True, exist_ok=True)
    lines = ['[suite]', 'sizes = ["small"]', 'expected = "expected/{name}.{size}.txt"', '']
    for name in names:
        guest_args = ", ".join(f'"{a}"' for a in (args or {}).get(name, []))
        lines += ['[[workload]]', f'name = "{name}"', f'source = "{GUESTS / (name + ".c")}"', 'kind = "integer"',
                  f'description = "crafted guest: {name}"', f'args = {{ small = [{guest_args}] }}', '']
        (folder / "expected" / f"{name}.small.txt").write_text(GUEST_OUTPUTS[name])
    manifest = folder / "manifest.toml"
    manifest.write_text("\n".join(lines))
    return manifest


def child_env(manifest: Path | None, tmpdir: Path | None = None) -> dict[str, str]:
    env = dict(os.environ)
    if manifest is not None:
        env[CRAFTED_MANIFEST_ENV] = str(manifest)
    if tmpdir is not None:
        tmpdir.mkdir(parents=True, exist_ok=True)
        env["TMPDIR"] = str(tmpdir)  # a private temp folder, to check what is left behind
    return env


def wasmlab_argv(*args: str) -> list[str]:
    return [sys.executable, "-m", "lab.cli", *args]


def run_wasmlab(manifest: Path | None, *args: str, tmpdir: Path | None = None,
                timeout: float = 600) -> subprocess.CompletedProcess[str]:
    return subprocess.run(wasmlab_argv(*args), env=child_env(manifest, tmpdir), capture_output=True,
                          text=True, timeout=timeout)


def start_wasmlab(manifest: Path | None, *args: str, tmpdir: Path | None = None) -> subprocess.Popen[str]:
    return subprocess.Popen(wasmlab_argv(*args), env=child_env(manifest, tmpdir), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, preexec_fn=_default_sigint)


def _default_sigint() -> None:
    # A test run started in the background (CI, nohup) inherits SIGINT as ignored, and Python then
    # keeps ignoring it; the child must get Ctrl-C the way a user's terminal delivers it.
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def processes_running(fragment: str) -> list[str]:
    """Command lines of live processes that contain `fragment` (cached guest builds are named
    <guest>-<hash>.bin / .wasm, so "/hang-" finds anything still running the hang guest)."""
    return [cmd for cmd in map(_cmdline, os.listdir("/proc")) if fragment in cmd]


def _cmdline(pid: str) -> str:
    if not pid.isdigit():
        return ""
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def leftover_temp_dirs(tmpdir: Path) -> list[str]:
    return sorted(p.name for p in tmpdir.iterdir() if p.name.startswith("wasmlab"))
