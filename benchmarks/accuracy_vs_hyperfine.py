"""Does wasmlab time a process the way hyperfine does?

Builds a native static program calibrated to run about 100 ms, times it N times with hyperfine
(Debian package) and N times with lab.run.measure.run_process (the harness's own path), and compares
the medians. Exits non-zero when they differ by more than --tolerance (default 5%).

    python benchmarks/accuracy_vs_hyperfine.py [--runs 30] [--target-ms 100]
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from lab.hosts import toolchain
from lab.hosts.toolchain import native_target
from lab.run.measure import run_process

PROGRAM = Path(__file__).parent / "programs" / "busy.c"


def calibrate(binary: Path, target_ms: float) -> int:
    """Millions of iterations that make the program run about target_ms."""
    millions = 10
    while True:
        wall_ms = min(run_process([str(binary), str(millions)]).wall_s for _ in range(3)) * 1e3
        if wall_ms > 20:
            return max(1, round(millions * target_ms / wall_ms))
        millions *= 4


def hyperfine_median(argv: list[str], runs: int) -> float:
    with tempfile.TemporaryDirectory() as scratch:
        export = Path(scratch) / "h.json"
        subprocess.run(["hyperfine", "--style", "none", "-N", "--warmup", "3", "--runs", str(runs),
                        "--export-json", str(export), " ".join(argv)], check=True, capture_output=True)
        return json.loads(export.read_text())["results"][0]["median"]


def wasmlab_median(argv: list[str], runs: int) -> float:
    for _ in range(3):  # warm-ups, as for hyperfine
        run_process(argv)
    return statistics.median(run_process(argv).wall_s for _ in range(runs))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--target-ms", type=float, default=100.0)
    parser.add_argument("--tolerance", type=float, default=0.05)
    options = parser.parse_args()
    if not shutil.which("hyperfine"):
        print("hyperfine not found: apt-get install hyperfine", file=sys.stderr)
        return 2
    binary = toolchain.build(PROGRAM, native_target(), name="busy")
    argv = [str(binary), str(calibrate(binary, options.target_ms))]
    # Interleave the two tools so a change in machine load hits both alike.
    hyper, ours = [], []
    for _ in range(3):
        hyper.append(hyperfine_median(argv, options.runs // 3 or 1))
        ours.append(wasmlab_median(argv, options.runs // 3 or 1))
    h, w = statistics.median(hyper), statistics.median(ours)
    diff = (w - h) / h
    print(f"command: {' '.join(argv)}")
    print(f"hyperfine median: {h * 1e3:8.2f} ms")
    print(f"wasmlab   median: {w * 1e3:8.2f} ms")
    print(f"difference:       {diff * 100:+8.2f} %  (tolerance ±{options.tolerance * 100:.0f}%)")
    return 0 if abs(diff) <= options.tolerance else 1


if __name__ == "__main__":
    sys.exit(main())
