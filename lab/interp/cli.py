"""`python -m lab.interp`: run a WASI command module on our engine, or validate a module.

    python -m lab.interp run [--dir HOST[::GUEST]]... [--env K=V]... [--fuel N]
                             [--max-memory-pages N] module.wasm [args...]
    python -m lab.interp validate module.wasm

`run` gives the guest the process's own stdin, stdout and stderr, exits with the guest's exit
code (134 after a trap, whose message goes to stderr, like the wasmtime CLI; 1 when the module
cannot be run) and reports its phases to the harness (lab.runners.phases.write_phases). Errors are
one line on stderr, never a traceback. Imports stay light: this is what cold start measures.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from lab.interp.runtime import TIERS

PROG = "python -m lab.interp"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog=PROG, description="wasmlab's pure-Python engine")
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("run", help="run a WASI command module")
    run.add_argument("--dir", action="append", default=[], metavar="HOST[::GUEST]",
                     help="preopen HOST as GUEST (default: the same path)")
    run.add_argument("--env", action="append", default=[], metavar="K=V",
                     help="set an environment variable in the guest")
    run.add_argument("--fuel", type=_non_negative, default=None, metavar="N",
                     help="trap after N units of fuel (one per call and loop iteration)")
    run.add_argument("--max-memory-pages", type=_non_negative, default=None, metavar="N",
                     help="refuse to grow linear memory beyond N 64 KiB pages")
    run.add_argument("--tier", choices=TIERS, default=None,
                     help="execution tier (default translate: Wasm functions become Python functions)")
    run.add_argument("module")
    run.add_argument("args", nargs=argparse.REMAINDER, help="the guest's arguments")
    validate = commands.add_parser("validate", help="decode and validate a module")
    validate.add_argument("module")
    return parser


def _non_negative(text: str) -> int:
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"{text} is negative")
    return value


def _env_item(spec: str) -> str:
    key, sep, _ = spec.partition("=")
    if not sep or not key:
        raise ValueError(f"--env {spec}: expected KEY=VALUE")
    return spec


def _preopen(spec: str) -> tuple[str, str]:
    host, _, guest = spec.partition("::")
    return host, guest or host


def _stdio(fd: int) -> int | None:
    """The process's own descriptor, or None (empty input / discarded output) if it is closed."""
    try:
        os.fstat(fd)
    except OSError:
        return None
    return fd


def run(options: argparse.Namespace) -> int:
    from lab.interp import wasi_host

    try:
        env = [_env_item(item) for item in options.env]
    except ValueError as error:
        return _fail(str(error))
    _use_code_cache()
    if options.tier:
        os.environ["WASMLAB_INTERP_TIER"] = options.tier  # read when the store is made
    try:
        outcome = wasi_host.run_command(
            wasi_host.read_module_file(options.module),
            argv=[Path(options.module).name, *options.args], env=env,
            preopens=[_preopen(spec) for spec in options.dir],
            stdin=_stdio(0), stdout=_stdio(1), stderr=_stdio(2),
            fuel=options.fuel, max_memory_pages=options.max_memory_pages)
    except wasi_host.GuestError as error:
        return _fail(f"{options.module}: {error}")
    finally:
        from lab.interp.tier import save_disk_caches
        save_disk_caches()
    if outcome.trap:
        sys.stderr.write(f"{outcome.trap}\n")
    from lab.runners.phases import write_phases
    write_phases(outcome.phases)
    return outcome.exit_code


def _use_code_cache() -> None:
    """Keep the translating tier's generated code across processes (WASMLAB_INTERP_CACHE=0
    turns it off), so a module's second run starts without translating."""
    if os.environ.get("WASMLAB_INTERP_CACHE", "1") == "0":
        return
    from lab.config import cache_dir
    from lab.interp.tier import configure_disk_cache
    configure_disk_cache(cache_dir() / "interp-code")


def validate(options: argparse.Namespace) -> int:
    from lab.interp import wasi_host

    try:
        wasi_host.load_module(wasi_host.read_module_file(options.module), precompile=False)
    except wasi_host.GuestError as error:
        return _fail(f"{options.module}: {error}")
    print("OK")
    return 0


def _fail(message: str) -> int:
    sys.stderr.write(f"{PROG}: {message}\n")
    from lab.interp.wasi_host import ERROR_EXIT_CODE
    return ERROR_EXIT_CODE


def main(argv: list[str] | None = None) -> int:
    options = _parser().parse_args(argv)
    try:
        return run(options) if options.command == "run" else validate(options)
    except KeyboardInterrupt:
        return 130
    except Exception as error:  # an engine bug: still one line, never a traceback
        return _fail(f"internal error: {type(error).__name__}: {error}")
