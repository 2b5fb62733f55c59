"""`python -m lab.interp`: run a WASI command module on our engine, or validate a module.

    python -m lab.interp run [--dir HOST[::GUEST]]... [--env K=V]... [--fuel N]
                             [--max-memory-pages N] module.wasm [args...]
    python -m lab.interp validate module.wasm

`run` gives the guest the process's own stdin, stdout and stderr, exits with the guest's exit
code (134 after a trap, whose message goes to stderr, like the wasmtime CLI; 1 when the module
cannot be run) and reports its phases to the harness (lab.protocol.phases.write_phases). Errors are
one line on stderr, never a traceback. Imports stay light: this is what cold start measures.
"""

from __future__ import annotations

import os
import sys

from lab.interp.runtime import TIERS

PROG = "python -m lab.interp"
CODE_CACHE_NAME = "interp-code"  # the code cache's folder in the lab's cache
USAGE = f"""usage: {PROG} run [options] module.wasm [args...]
       {PROG} validate module.wasm

wasmlab's pure-Python WebAssembly engine.

  run       run a WASI command module; everything after the module is the guest's arguments
  validate  decode and validate a module, print OK

run options (each also as --name=value):
  --dir HOST[::GUEST]     preopen HOST as GUEST (default: the same path); repeatable
  --env KEY=VALUE         set an environment variable in the guest; repeatable
  --fuel N                trap after N units of fuel (one per call and loop iteration)
  --max-memory-pages N    refuse to grow linear memory beyond N 64 KiB pages (at most 65535:
                          no memory reaches the full 4 GiB)
  --code-cache DIR        keep generated code in DIR (default: .cache/interp-code in the lab;
                          WASMLAB_INTERP_CACHE=0 turns the cache off)
  --tier {{{",".join(TIERS)}}}
                          execution tier (default translate: Wasm functions become Python
                          functions)
  -h, --help              show this help and exit
"""


class UsageError(Exception):
    """A command line that cannot be run; the message says what is wrong."""


class Options:
    """A parsed command line (the parser is hand-written: argparse and the gettext, re and
    locale work it brings cost ~8 ms of every cold start)."""

    def __init__(self, command: str) -> None:
        self.command = command
        self.dir: list[str] = []
        self.env: list[str] = []
        self.fuel: int | None = None
        self.max_memory_pages: int | None = None
        self.tier: str | None = None
        self.code_cache: str | None = None
        self.module = ""
        self.args: list[str] = []


def _non_negative(option: str, text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise UsageError(f"{option}: {text!r} is not an integer") from None
    if value < 0:
        raise UsageError(f"{option}: {text} is negative")
    return value


def _tier(text: str) -> str:
    if text not in TIERS:
        raise UsageError(f"--tier: {text!r} is not one of {', '.join(TIERS)}")
    return text


def _set_option(options: Options, name: str, value: str) -> None:
    if name == "--dir":
        options.dir.append(value)
    elif name == "--env":
        options.env.append(value)
    elif name == "--fuel":
        options.fuel = _non_negative(name, value)
    elif name == "--max-memory-pages":
        options.max_memory_pages = _non_negative(name, value)
    elif name == "--tier":
        options.tier = _tier(value)
    elif name == "--code-cache":
        options.code_cache = value
    else:
        raise UsageError(f"unrecognized option {name}")


def parse_args(argv: list[str]) -> Options | None:
    """The parsed command line, or None when help was asked for (UsageError when it is wrong).
    Options come before the module; everything after it belongs to the guest."""
    if not argv or argv[0] in ("-h", "--help"):
        return None
    command, rest = argv[0], argv[1:]
    if command not in ("run", "validate"):
        raise UsageError(f"unknown command {command!r} (choose run or validate)")
    options = Options(command)
    i = 0
    while i < len(rest) and rest[i].startswith("-") and rest[i] != "-":
        arg = rest[i]
        i += 1
        if arg in ("-h", "--help"):
            return None
        if arg == "--":
            break
        if command != "run":
            raise UsageError(f"unrecognized option {arg}")
        name, has_value, value = arg.partition("=")
        if not has_value:
            if i == len(rest):
                raise UsageError(f"{name} expects a value")
            value = rest[i]
            i += 1
        _set_option(options, name, value)
    if i == len(rest):
        raise UsageError("the module is required")
    options.module, options.args = rest[i], rest[i + 1:]
    if command == "validate" and options.args:
        raise UsageError("validate takes one module")
    return options


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


def run(options: Options) -> int:
    from lab.interp import wasi_host

    try:
        env = [_env_item(item) for item in options.env]
    except ValueError as error:
        return _fail(str(error))
    _use_code_cache(options.code_cache)
    if options.tier:
        os.environ["WASMLAB_INTERP_TIER"] = options.tier  # read when the store is made
    try:
        outcome = wasi_host.run_command(
            wasi_host.read_module_file(options.module),
            argv=[os.path.basename(options.module), *options.args], env=env,
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
    from lab.protocol.phases import write_phases
    write_phases(outcome.phases)
    return outcome.exit_code


def _use_code_cache(folder: str | None) -> None:
    """Keep the translating tier's generated code across processes (WASMLAB_INTERP_CACHE=0
    turns it off), so a module's second run starts without translating. The folder defaults to
    the lab's cache; the harness names it, which spares the child lab.config and pathlib."""
    if os.environ.get("WASMLAB_INTERP_CACHE", "1") == "0":
        return
    if folder is None:
        from lab.config import cache_dir
        folder = str(cache_dir() / CODE_CACHE_NAME)
    from lab.interp.tier import configure_disk_cache
    configure_disk_cache(folder)


def validate(options: Options) -> int:
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
    try:
        options = parse_args(sys.argv[1:] if argv is None else argv)
    except UsageError as error:
        sys.stderr.write(f"{USAGE.splitlines()[0]}\n{PROG}: error: {error}\n")
        return 2
    if options is None:
        sys.stdout.write(USAGE)
        return 0
    try:
        return run(options) if options.command == "run" else validate(options)
    except KeyboardInterrupt:
        return 130
    except Exception as error:  # an engine bug: still one line, never a traceback
        return _fail(f"internal error: {type(error).__name__}: {error}")
