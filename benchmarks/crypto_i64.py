"""How fast do our engine and wasm3 run crypto-style i64 code?

Builds the programs in benchmarks/programs/crypto (a SHA-512 hash chain, Curve25519 field
inversions with 51-bit limbs and unsigned __int128 products, wyhash/splitmix/xorshift mixers)
for wasm32-wasi and natively, runs each on the chosen runtimes in fresh processes through the
lab's runners, checks every output against the native build's, and prints median user time.

    python benchmarks/crypto_i64.py [--runtime interp wasm3] [--repeat 3] [--program wymix]
"""

from __future__ import annotations

import argparse
import statistics
import sys
from pathlib import Path

from lab.hosts import toolchain
from lab.model import Invocation
from lab.run.measure import run_process
from lab.runners.base import Limits
from lab.runners.registry import get_runner

PROGRAMS = Path(__file__).parent / "programs" / "crypto"
# Program -> its argument: about 10 s of user time on interp before the i64 work, 0.3-0.6 s
# on wasm3.
ARGS = {"sha512_chain": "20000", "fe25519_mul": "400", "wymix": "4000"}


def measure(program: str, runtimes: list[str], repeat: int, timeout_s: float) -> dict[str, str]:
    """Median user seconds per runtime (or why there is none) for one program."""
    source = PROGRAMS / f"{program}.c"
    wasm = toolchain.build(source, "wasm32-wasi")
    native = toolchain.build(source, toolchain.native_target())
    args = (ARGS[program],)
    expected = run_process([str(native), *args]).stdout
    invocation = Invocation(wasm=wasm, native=native, args=args)
    cells = {}
    for runtime in runtimes:
        runner = get_runner(runtime)
        times, problem = [], ""
        for _ in range(repeat):
            process = runner.run(invocation, runner.default_mode(), Limits(timeout_s=timeout_s)).process
            if process.status != "ok":
                problem = process.describe()
            elif process.stdout != expected:
                problem = "wrong output"
            if problem:
                break
            times.append(process.user_s)
        cells[runtime] = problem or f"{statistics.median(times):.2f}"
    return cells


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runtime", nargs="+", default=["interp", "wasm3"])
    parser.add_argument("--program", nargs="+", default=list(ARGS), choices=list(ARGS))
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--timeout", type=float, default=600.0)
    options = parser.parse_args()
    print(f"{'program':<14}" + "".join(f"{r:>14}" for r in options.runtime) + "   (user s, median)")
    for program in options.program:
        cells = measure(program, options.runtime, options.repeat, options.timeout)
        print(f"{program:<14}" + "".join(f"{cells[r]:>14}" for r in options.runtime), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
