"""`python -m lab.fuzz`: a long fuzzing campaign against our engine, outside the test run.

    python -m lab.fuzz --seconds 600 [--seed N] [--findings DIR] [--no-differential]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from lab.config import cache_dir, data_dir
from lab.fuzz.campaign import run_campaign
from lab.fuzz.mutate import default_corpus


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m lab.fuzz", description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=600.0, help="wall-clock budget (default 600)")
    parser.add_argument("--cases", type=int, help="stop after this many cases")
    parser.add_argument("--seed", type=int, default=0, help="first case seed; case i uses seed + i")
    parser.add_argument("--mutate", type=int, default=50, metavar="PERCENT",
                        help="share of cases that mutate a corpus module (default 50)")
    parser.add_argument("--findings", type=Path, default=cache_dir() / "fuzz-findings",
                        help="where crashing inputs go (default .cache/fuzz-findings)")
    parser.add_argument("--no-differential", action="store_true", help="do not cross-check with wasmtime")
    parser.add_argument("--no-workloads", action="store_true", help="leave the workload builds out of the corpus")
    parser.add_argument("--exceptions", type=int, default=0, metavar="PERCENT",
                        help="share of generated modules that use exception handling (default 0)")
    options = parser.parse_args(argv)
    corpus = default_corpus(data_dir(), include_workloads=not options.no_workloads)
    print(f"corpus: {len(corpus)} modules; findings to {options.findings}", file=sys.stderr)

    def report(seed: int, finding) -> None:
        print(f"case {seed}: {str(finding)[:400]}", file=sys.stderr, flush=True)

    result = run_campaign(options.seconds, options.seed, corpus, options.mutate, options.cases,
                          not options.no_differential, options.findings, report, options.exceptions)
    print(f"{result.cases} cases in {result.seconds:.0f} s; stages {dict(result.stages)}; "
          f"{len(result.findings)} findings", file=sys.stderr)
    for text, count in result.signatures.most_common():
        print(f"  {count:5d} x {text}", file=sys.stderr)
    return 1 if result.findings else 0


if __name__ == "__main__":
    sys.exit(main())
