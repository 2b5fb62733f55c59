"""How often do `wasmlab compare` verdicts cry wolf, and do they still catch a real slowdown?

Makes three real runs of one configuration (default: the small workloads on interp, wasm3, the
wasmtime CLI and native, 5 repeats):

  A  the machine as it is;
  B  the same, while a busy loop of this script's own loads one core (an A/A pair with A);
  C  like B, with the wasmtime CLI really slowed down: it runs through benchmarks/programs/slower.c,
     a busy loop sized to --slowdown percent of the CLI's median cost in run A, then the CLI.

Then judges A against B and A against C in each verdict mode and prints, per mode, the false
positive rate (regression verdicts on cells that did not change: every cell of A/B, and the other
runtimes' cells of A/C) and the detection rate (regression verdicts on the slowed runtime's cells
of A/C). `--runs A B C` judges existing runs instead of making new ones.

    python benchmarks/verdicts_aa.py [--repeat 5] [--slowdown 10] [--instructions] [--workload ...]
                                     [--runs A B C] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

import pandas as pd

from lab.analysis.compare import ABSOLUTE, REGRESSION, compare_measurements
from lab.analysis.verdicts import REFERENCE, cpu_frame, relative_cells
from lab.hosts import toolchain
from lab.instructions import counting_argv, read_count
from lab.run.measure import run_process
from lab.runners.wasmtime.cli import find_wasmtime_binary
from lab.store import load

SLOWER = Path(__file__).parent / "programs" / "slower.c"
SLOWED = "wasmtime-cli"
LOADER = "import time\nend = time.monotonic() + float(__import__('sys').argv[1])\nwhile time.monotonic() < end: pass\n"
JUDGED = ("regression", "improvement", "no change")  # verdicts on a measured change, not on a status


def make_run(config: list[str], out: Path, env: dict[str, str] | None = None, load_core: bool = False) -> Path:
    """One real `wasmlab run`, optionally while a busy loop loads one core (bounded by a deadline
    of its own, and stopped as soon as the run ends)."""
    loader = subprocess.Popen([sys.executable, "-c", LOADER, "1800"]) if load_core else None
    try:
        done = subprocess.run([sys.executable, "-m", "lab.cli", "run", *config, "--out", str(out), "--quiet"],
                              capture_output=True, text=True, check=True, env={**os.environ, **(env or {})})
    finally:
        if loader:
            loader.kill()
            loader.wait()
    return Path(done.stdout.strip().splitlines()[-1])


def slowed_env(run_a: Path, percent: float, instructions: bool) -> dict[str, str]:
    """The environment that makes `wasmtime-cli` the real CLI behind the slowing wrapper, its
    busy loop sized to `percent` of the CLI's median cost over run A's cases (instructions when
    counted, else CPU time)."""
    real, reason = find_wasmtime_binary()
    if real is None:
        raise SystemExit(reason)
    wrapper = toolchain.build(SLOWER, toolchain.native_target(), name="slower")
    frame = load(run_a)
    if instructions:
        costs = frame[(frame["runtime"] == SLOWED) & (frame["metric"] == "instructions") & (frame["status"] == "ok")]
        per_iteration = _iteration_instructions(wrapper)
    else:
        costs = cpu_frame(frame)
        costs = costs[(costs["runtime"] == SLOWED) & ~costs["warmup"] & (costs["status"] == "ok")]
        per_iteration = _iteration_seconds(wrapper)
    target = float(costs.groupby("case")["value"].median().median()) * percent / 100
    return {"WASMLAB_WASMTIME": str(wrapper), "SLOWER_EXEC": str(real),
            "SLOWER_ITERATIONS": str(round(target / per_iteration))}


def _iteration_instructions(wrapper: Path) -> float:
    """Instructions per busy-loop round of the wrapper, counted the way the run counts."""
    counts = []
    for rounds in (0, 1_000_000):
        with tempfile.TemporaryDirectory() as out:
            subprocess.run(counting_argv([str(wrapper)], Path(out)), check=True, capture_output=True,
                           env={**os.environ, "SLOWER_EXEC": "/bin/true", "SLOWER_ITERATIONS": str(rounds)})
            counts.append(read_count(Path(out)) or 0)
    return (counts[1] - counts[0]) / 1_000_000


def _iteration_seconds(wrapper: Path, rounds: int = 20_000_000) -> float:
    """CPU seconds per busy-loop round (the fastest of five: the least disturbed)."""
    env = {**os.environ, "SLOWER_EXEC": "/bin/true", "SLOWER_ITERATIONS": str(rounds)}
    return min(r.user_s + r.sys_s for r in (run_process([str(wrapper)], env=env) for _ in range(5))) / rounds


# Each mode: (frame A, frame B) -> cells with verdicts on time (memory is left out: every mode
# would judge it the same way).
def _absolute(metric: str) -> Callable[[pd.DataFrame, pd.DataFrame], pd.DataFrame]:
    def judge(a: pd.DataFrame, b: pd.DataFrame) -> pd.DataFrame:
        pick = (lambda f: cpu_frame(f)) if metric == "cpu_time" else \
            (lambda f: f[(f["metric"] == metric) & (f["phase"] == "process")])
        return compare_measurements(pick(a), pick(b))
    return judge


def _relative(paired: bool) -> Callable[[pd.DataFrame, pd.DataFrame], pd.DataFrame]:
    def judge(a: pd.DataFrame, b: pd.DataFrame) -> pd.DataFrame:
        timed_a, timed_b = (f[f["metric"] != "instructions"] for f in (a, b))  # CPU time alone
        cells = relative_cells(timed_a, timed_b, 0.05, 0.01, paired=paired)
        return cells[cells["metric"] == "cpu_time"]
    return judge


def _instructions(a: pd.DataFrame, b: pd.DataFrame) -> pd.DataFrame:
    cells = relative_cells(a, b, 0.05, 0.01)
    return cells[cells["metric"].isin(("cpu_time", "instructions"))]


MODES = {
    f"{ABSOLUTE} wall_time": _absolute("wall_time"),
    f"{ABSOLUTE} cpu_time": _absolute("cpu_time"),
    "relative cpu_time, paired samples": _relative(True),
    "relative cpu_time, reference median": _relative(False),
}
INSTRUCTION_MODE = "relative, instruction counts"


def rates(cells_aa: pd.DataFrame, cells_ac: pd.DataFrame) -> dict:
    """False positives over every unchanged judged cell, detections over the slowed ones."""
    def judged(cells: pd.DataFrame) -> pd.DataFrame:
        return cells[cells["verdict"].isin(JUDGED) & (cells["verdict"] != REFERENCE)]

    aa, ac = judged(cells_aa), judged(cells_ac)
    unchanged = pd.concat([aa, ac[ac["runtime"] != SLOWED]])
    slowed = ac[ac["runtime"] == SLOWED]
    false_positives = int((unchanged["verdict"] == REGRESSION).sum())
    detected = int((slowed["verdict"] == REGRESSION).sum())
    return {"false_positives": false_positives, "unchanged_cells": len(unchanged),
            "false_positive_rate": false_positives / len(unchanged) if len(unchanged) else None,
            "aa_regressions": int((aa["verdict"] == REGRESSION).sum()), "aa_cells": len(aa),
            "detected": detected, "slowed_cells": len(slowed),
            "detection_rate": detected / len(slowed) if len(slowed) else None,
            "slowed_median_ratio": float(slowed["ratio"].median()) if len(slowed) else None}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--size", default="small")
    parser.add_argument("--runtime", nargs="+", default=["interp", "wasm3", SLOWED, "native"])
    parser.add_argument("--slowdown", type=float, default=10.0, help="percent added to the wasmtime CLI in run C")
    parser.add_argument("--workload", nargs="+", help="only these workloads")
    parser.add_argument("--instructions", action="store_true",
                        help="runs count instructions too (wasmlab run --instructions); adds that verdict mode")
    parser.add_argument("--runs", nargs=3, type=Path, metavar=("A", "B", "C"), help="judge these runs instead")
    parser.add_argument("--out", type=Path, help="keep the new runs here (default: a temporary folder)")
    parser.add_argument("--json", action="store_true")
    options = parser.parse_args()
    if SLOWED not in options.runtime:
        parser.error(f"--runtime must include {SLOWED}, the runtime run C slows down")
    with tempfile.TemporaryDirectory() as scratch:
        runs = options.runs or _make_runs(options, options.out or Path(scratch))
        frames = [load(run) for run in runs]
        modes = MODES | ({INSTRUCTION_MODE: _instructions} if options.instructions else {})
        result = {"runs": [str(r) for r in runs], "slowdown_percent": options.slowdown,
                  "modes": {name: rates(judge(frames[0], frames[1]), judge(frames[0], frames[2]))
                            for name, judge in modes.items()}}
    if options.json:
        print(json.dumps(result, indent=2))
        return 0
    print(f"A = {result['runs'][0]}\nB = {result['runs'][1]} (one core loaded)\n"
          f"C = {result['runs'][2]} (one core loaded, {SLOWED} {options.slowdown:g}% slower)")
    print(f"{'verdicts':<38} {'A/A regressions':>16} {'false positives':>16} {'detected':>12} {'C/A of slowed':>14}")
    for name, r in result["modes"].items():
        print(f"{name:<38} {r['aa_regressions']:>6}/{r['aa_cells']:<9} "
              f"{r['false_positives']:>6}/{r['unchanged_cells']:<9} {r['detected']:>5}/{r['slowed_cells']:<6} "
              f"{r['slowed_median_ratio'] or float('nan'):>14.3f}")
    return 0


def _make_runs(options: argparse.Namespace, out: Path) -> list[Path]:
    config = ["--suite", "workloads", "--size", options.size, "--runtime", *options.runtime,
              "--repeat", str(options.repeat), *(["--workload", *options.workload] if options.workload else []),
              *(["--instructions"] if options.instructions else [])]
    run_a = make_run(config, out)
    run_b = make_run(config, out, load_core=True)
    return [run_a, run_b,
            make_run(config, out, env=slowed_env(run_a, options.slowdown, options.instructions), load_core=True)]


if __name__ == "__main__":
    sys.exit(main())
