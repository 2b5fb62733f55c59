"""Instructions per unit of work of our engine on the crypto programs, under callgrind: a
measure of translator changes that the shared machine's noise does not blur.

Runs `python -S lab/interp/__main__.py run` on each program at two sizes under
`valgrind --tool=callgrind` and prints (instructions at 2n - instructions at n) / n, which
leaves out startup and translation.

    python benchmarks/crypto_icount.py [--program wymix]
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

from lab.hosts import toolchain

PROGRAMS = Path(__file__).parent / "programs" / "crypto"
ENGINE = Path(__file__).parents[1] / "lab" / "interp" / "__main__.py"
# Program -> n (its argument), small enough for callgrind's ~50x slowdown.
UNITS = {"sha512_chain": 100, "fe25519_mul": 4, "wymix": 20}


def instructions(wasm: Path, arg: int) -> int:
    with tempfile.TemporaryDirectory() as scratch:
        out = Path(scratch) / "callgrind.out"
        env = dict(os.environ, WASMLAB_INTERP_CACHE="0")
        done = subprocess.run(["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}",
                               sys.executable, "-S", str(ENGINE), "run", str(wasm), str(arg)],
                              capture_output=True, text=True, env=env, check=True)
    found = re.search(r"Collected : (\d+)", done.stderr)
    if not found:
        raise RuntimeError(f"no instruction count from callgrind:\n{done.stderr[-2000:]}")
    return int(found.group(1))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--program", nargs="+", default=list(UNITS), choices=list(UNITS))
    options = parser.parse_args()
    for program in options.program:
        wasm = toolchain.build(PROGRAMS / f"{program}.c", "wasm32-wasi")
        n = UNITS[program]
        per_unit = (instructions(wasm, 2 * n) - instructions(wasm, n)) / n
        print(f"{program:<14} {per_unit / 1e6:10.3f} M instructions per unit", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
