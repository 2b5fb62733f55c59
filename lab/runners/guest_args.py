"""The command line every in-process runner's child entry point shares:

    python -m lab.runners.<module> [--dir HOST::GUEST]... [--env K=V]... [--bench] module.wasm [args...]

It is the same `--dir`/`--env` convention `base.wasi_flags` writes, parsed back into plain values.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass


@dataclass(frozen=True)
class GuestArgs:
    module: str
    args: tuple[str, ...]
    env: dict[str, str]
    dirs: tuple[tuple[str, str], ...]  # (host folder, guest path) pairs, in order
    mode: str = ""  # the engine mode, for runners that have several
    bench: bool = False  # supply bench.start/bench.end (lab.runners.bench_protocol)

    @property
    def argv(self) -> list[str]:
        """The guest's full argv: the module's file name, then its arguments."""
        return [self.module.rsplit("/", 1)[-1], *self.args]


def parse_guest_args(prog: str, argv: list[str] | None = None, modes: tuple[str, ...] = ()) -> GuestArgs:
    """Parse a child's command line; a malformed flag exits with argparse's one-line error.
    With `modes`, a `--mode` option chooses among them (the first is the default)."""
    parser = argparse.ArgumentParser(prog=prog)
    if modes:
        parser.add_argument("--mode", default=modes[0], choices=modes)
    parser.add_argument("--dir", action="append", default=[], metavar="HOST[::GUEST]")
    parser.add_argument("--env", action="append", default=[], metavar="K=V")
    parser.add_argument("--bench", action="store_true", help="supply the Sightglass bench.start/bench.end imports")
    parser.add_argument("module")
    parser.add_argument("args", nargs=argparse.REMAINDER)
    options = parser.parse_args(argv)
    env: dict[str, str] = {}
    for item in options.env:
        key, sep, value = item.partition("=")
        if not sep or not key:
            parser.error(f"--env {item}: expected KEY=VALUE")
        env[key] = value
    dirs = []
    for spec in options.dir:
        host, _, guest = spec.partition("::")
        dirs.append((host, guest or host))
    return GuestArgs(options.module, tuple(options.args), env, tuple(dirs), getattr(options, "mode", ""),
                     options.bench)
