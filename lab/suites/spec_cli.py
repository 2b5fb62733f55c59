"""Development CLI of the spec driver: `python -m lab.suites.spec --runtime wasmtime ...`.

Prints per-file outcome counts, totals by group, and with --failures every failing (or
erroring, or unexpectedly passing) command as file:line with its reason.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path

from lab.runners.registry import SPEC_SESSIONS
from lab.suites import spec
from lab.suites.expectations_update import prune_expectations
from lab.suites.spec import OUTCOMES, SpecFile, SpecOutcome


def _select(files: list[SpecFile], group: str | None, names: list[str]) -> list[SpecFile]:
    chosen = [f for f in files if group is None or f.group == group]
    if names:
        wanted = {Path(name).as_posix() for name in names}
        chosen = [f for f in chosen if f.name in wanted or f.path.name in wanted]
        known = {f.name for f in chosen} | {f.path.name for f in chosen}
        missing = wanted - known
        if missing:
            raise SystemExit(f"not in the selection: {', '.join(sorted(missing))}")
    return chosen


def _counts_line(counts: Counter) -> str:
    return "  ".join(f"{name} {counts[name]}" for name in OUTCOMES if counts[name])


def _print_failures(outcomes: list[SpecOutcome]) -> None:
    for outcome in outcomes:
        if outcome.outcome in ("fail", "error", "xpass"):
            print(f"    {outcome.outcome.upper()} {outcome.file}:{outcome.line} "
                  f"[{outcome.kind}] {outcome.reason}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m lab.suites.spec", description=__doc__)
    parser.add_argument("--runtime", required=True, choices=sorted(SPEC_SESSIONS))
    parser.add_argument("--suite", default="spec-2.0", choices=spec.SUITES)
    parser.add_argument("--group", help="only files of this group (e.g. simd, gc)")
    parser.add_argument("--failures", action="store_true", help="list failing commands")
    parser.add_argument("--timeout", type=float, default=None, help="seconds per command")
    parser.add_argument("--prune-expectations", action="store_true",
                        help="take the commands that now pass off the runtime's expectation file "
                        "(suites/spec/expectations/RUNTIME.toml) and list failures it does not name")
    parser.add_argument("files", nargs="*", help="file names within the suite (e.g. i32.wast)")
    args = parser.parse_args(argv)

    try:
        spec.spec_session_class(args.runtime)  # fail early when the runtime is unavailable
    except spec.SessionUnavailable as error:
        print(error, file=sys.stderr)
        return 2
    expectations = spec.Expectations.load(args.runtime)
    files = _select(spec.spec_files(args.suite), args.group, args.files)
    by_group: dict[str, Counter] = defaultdict(Counter)
    started = time.perf_counter()
    every: list[SpecOutcome] = []
    for spec_file in files:
        file_started = time.perf_counter()
        outcomes = spec.run_spec_file(spec_file, spec.session_opener(args.runtime, spec_file), expectations,
                                      command_timeout=args.timeout)
        every += outcomes
        counts = Counter(o.outcome for o in outcomes)
        for outcome in outcomes:
            by_group[outcome.group][outcome.outcome] += 1
        print(f"{spec_file.name:40} {spec_file.group:22} {_counts_line(counts)}  "
              f"({time.perf_counter() - file_started:.1f} s)", flush=True)
        if args.failures:
            _print_failures(outcomes)
    print(f"\n{args.runtime} on {args.suite}: {len(files)} files in "
          f"{time.perf_counter() - started:.1f} s")
    total: Counter = Counter()
    for group in sorted(by_group):
        total.update(by_group[group])
        print(f"  {group:24} {_counts_line(by_group[group])}")
    print(f"  {'total':24} {_counts_line(total)}")
    if args.prune_expectations:
        _prune(args.runtime, args.suite, every)
    return 0


def _prune(runtime: str, suite: str, outcomes: list[SpecOutcome]) -> None:
    path = spec.SPEC_DIR / "expectations" / f"{runtime}.toml"
    if not path.exists():
        print(f"\nno expectation file {path}: nothing to prune")
        return
    result = prune_expectations(path, suite, outcomes)
    print(f"\n{path}: {result.removed_lines} passing lines and {result.removed_entries} emptied entries "
          f"removed; {len(result.unlisted_failures)} failures it does not list")
    for failure in result.unlisted_failures:
        print(f"    {failure}")
