"""The Sightglass benchmark protocol: a module that imports `bench.start` and `bench.end` (both
`[] -> []`) marks the region it wants timed, and the runtime supplies the two functions. The time
between them becomes the sample's `execute` phase (in place of the whole `_start` call); several
start/end pairs add up. A protocol module whose region never closed reports no `execute`, and
the harness marks that sample an error (lab.suites.user_suite).

How each runtime supplies the imports:
- Python children (interp, wasmtime, wasm3, pywasm) define host functions backed by `Region`;
- the JavaScript launchers (node, spidermonkey) add a `bench` object to the import object;
- the wasmtime CLI loads a small module of ours with `--preload bench=...` (built from
  PRELOAD_WAT at run time), which reads WASI's monotonic clock and writes the region's total
  nanoseconds and pair count into a file in a folder preopened for it as PRELOAD_GUEST_DIR.

The child side (`Region`, `uses_bench`) is lab.protocol.bench, which the engine's WASI host
imports too; this module is imported by runner children: it imports nothing heavy at the top.
"""

from __future__ import annotations

from lab.protocol.bench import BENCH_MODULE, EXECUTE

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

    from lab.model import Invocation
    from lab.runners.base import Limits, Runner, Sample

PRELOAD_GUEST_DIR = "/wasmlab-bench"
REGION_FILE = "region"
# Why a runtime cannot run protocol modules, where it is not just "no host functions wired up".
UNSUPPORTED = {
    "wasmer": "wasmer-sdk runs a module as a sandboxed package and offers no way to define host functions",
    "native": "a user module has no native build",
    "docker": "a user module has no native build to put in an image",
}


def child_flags(invocation: Invocation) -> list[str]:
    """`--bench` for a runner child that is told (lab.runners.guest_args) rather than reading the
    module's imports itself, which would cost every sample's start-up."""
    return ["--bench"] if invocation.bench else []


def unsupported_reason(runner: Runner) -> str:
    """Why this runner cannot run a protocol module ("" when it can)."""
    if getattr(runner, "bench_imports", ""):
        return ""
    return UNSUPPORTED.get(runner.id, f"{runner.id} cannot supply the bench.start/bench.end imports")


# --- the wasmtime CLI's preloaded bench module --------------------------------------------------

PRELOAD_WAT = """(module
  (import "wasi_snapshot_preview1" "clock_time_get" (func $clock (param i32 i64 i32) (result i32)))
  (import "wasi_snapshot_preview1" "path_open"
    (func $path_open (param i32 i32 i32 i32 i32 i64 i64 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_close" (func $fd_close (param i32) (result i32)))
  (memory (export "memory") 1)  ;; WASI functions write through the caller's exported memory
  (global $started (mut i64) (i64.const -1))
  (global $total (mut i64) (i64.const 0))
  (global $pairs (mut i64) (i64.const 0))
  (data (i32.const 64) "%(file)s")
  (func $now (result i64)
    (drop (call $clock (i32.const 1) (i64.const 1) (i32.const 0)))  ;; clock 1: monotonic
    (i64.load (i32.const 0)))
  (func (export "start") (global.set $started (call $now)))
  (func (export "end") (local $t i64) (local $fd i32)
    (local.set $t (call $now))
    (if (i64.lt_s (global.get $started) (i64.const 0)) (then (return)))
    (global.set $total (i64.add (global.get $total) (i64.sub (local.get $t) (global.get $started))))
    (global.set $pairs (i64.add (global.get $pairs) (i64.const 1)))
    (global.set $started (i64.const -1))
    ;; after the clock is read: rewrite the file with (total ns, pairs), two little-endian i64
    (i64.store (i32.const 32) (global.get $total))
    (i64.store (i32.const 40) (global.get $pairs))
    ;; oflags 9 = creat|trunc, rights 64 = fd_write
    (if (i32.eqz (call $path_open (i32.const %(fd)d) (i32.const 0) (i32.const 64) (i32.const %(length)d)
                       (i32.const 9) (i64.const 64) (i64.const 0) (i32.const 0) (i32.const 8)))
      (then
        (local.set $fd (i32.load (i32.const 8)))
        (i32.store (i32.const 16) (i32.const 32))
        (i32.store (i32.const 20) (i32.const 16))
        (drop (call $fd_write (local.get $fd) (i32.const 16) (i32.const 1) (i32.const 24)))
        (drop (call $fd_close (local.get $fd)))))))
"""


def preload_module(fd: int) -> Path:
    """The preload module for a guest whose bench folder is preopened as descriptor `fd`, built
    from PRELOAD_WAT into the lab's cache the first time it is needed."""
    import os

    import wasmtime

    from lab.config import cache_dir

    target = cache_dir() / "bench-preload" / f"bench-fd{fd}.wasm"
    if not target.is_file():
        wat = PRELOAD_WAT % {"file": REGION_FILE, "length": len(REGION_FILE), "fd": fd}
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_suffix(f".{os.getpid()}.tmp")
        partial.write_bytes(wasmtime.wat2wasm(wat))
        os.replace(partial, target)  # atomic: a parallel job never reads half a module
    return target


def preload_flags(invocation: Invocation) -> list[str]:
    """The wasmtime CLI flags that supply the bench imports: none unless the module uses them.
    The bench folder is the last preopen, so the guest's own keep their descriptors (3, 4, ...)."""
    if not invocation.bench:
        return []
    dirs = invocation.dirs
    if not dirs or dirs[-1][1] != PRELOAD_GUEST_DIR:
        # `wasmlab exec`: no folder for the region, so the module's writes find no directory and
        # are dropped; the guest still gets its imports.
        dirs = (*dirs, ("", PRELOAD_GUEST_DIR))
    return ["--preload", f"{BENCH_MODULE}={preload_module(3 + len(dirs) - 1)}"]


def read_region(path: Path) -> float | None:
    """Seconds between bench.start and bench.end from the preload module's file (None: no pair
    closed, or no file)."""
    try:
        data = path.read_bytes()
    except OSError:
        return None
    if len(data) != 16:
        return None
    total_ns, pairs = int.from_bytes(data[:8], "little"), int.from_bytes(data[8:], "little")
    return total_ns / 1e9 if pairs else None


def run_with_preload(run: Callable[[Invocation, str, Limits], Sample], invocation: Invocation, mode: str,
                     limits: Limits) -> Sample:
    """One sample of a CLI runner that gets the bench imports from the preload module: a fresh
    folder for the region file, preopened last, read back into the `execute` phase."""
    from dataclasses import replace

    from lab.run.scratch import scratch_dir

    with scratch_dir("bench") as folder:
        sample = run(replace(invocation, dirs=(*invocation.dirs, (str(folder), PRELOAD_GUEST_DIR))), mode, limits)
        region = read_region(folder / REGION_FILE)
    sample.phases.pop(EXECUTE, None)
    if region is not None:
        sample.phases[EXECUTE] = region
    return sample
