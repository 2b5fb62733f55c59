"""Child-process entry point for one spec file on one runtime:

    python -m lab.suites.spec_job --suite spec-2.0 --runtime interp --file i32.wast --out OUT.json

The harness runs each file in its own process so that an engine that crashes the interpreter,
hangs, or eats memory costs that file only; outcomes come back as JSON in OUT.json.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import sys

from lab.suites.spec import Expectations, run_spec_file, session_opener, spec_files


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m lab.suites.spec_job")
    parser.add_argument("--suite", required=True)
    parser.add_argument("--runtime", required=True)
    parser.add_argument("--file", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--command-timeout", type=float, default=None)
    options = parser.parse_args(argv)

    matches = [f for f in spec_files(options.suite) if f.name == options.file]
    if not matches:
        print(f"no file {options.file} in {options.suite}", file=sys.stderr)
        return 2
    outcomes = run_spec_file(matches[0], session_opener(options.runtime, matches[0]),
                             Expectations.load(options.runtime),
                             command_timeout=options.command_timeout)
    tmp = options.out + ".tmp"
    with open(tmp, "w") as handle:
        json.dump([dataclasses.asdict(o) for o in outcomes], handle)
    os.replace(tmp, options.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
