"""The user's own modules as a measured suite: `wasmlab run --suite DIR` / `--module FILE.wasm`.

Every `*.wasm` under DIR (recursively) is a case named by its path under DIR without `.wasm`; a
`--module` is named by its file stem. By default a module runs with no arguments and its own
folder preopened as `.`. A `suite.toml` beside the modules (MANIFEST_NAME) says otherwise, per
module (see README, "Bring your own benchmarks"). Expected output comes from the manifest or from
Sightglass-style files beside the module (`NAME.stdout.expected`, `NAME.stderr.expected`, or
`NAME.SIZE.stdout.expected` for one size); with neither, the output is recorded unchecked and every
row's reason says so: there is no reference to hold it against, and guessing one (say, from the
first runtime that ran) would mark a runtime wrong for disagreeing with another's bug.

A broken module (not wasm, no `_start`, a missing input, an undefined size) costs only its own
cells, which are errors with the reason. A manifest that does not parse, or names a key or a
module that does not exist, stops the plan with one line: running with a typo silently ignored
would measure something the user did not ask for.
"""

from __future__ import annotations

import difflib
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from lab.model import (
    SIZES,
    STATUS_ERROR,
    STATUS_OK,
    STATUS_SKIPPED,
    STATUS_UNAVAILABLE,
    STATUS_WRONG_OUTPUT,
    USER_SUITE,
    Case,
    Invocation,
)
from lab.protocol.bench import EXECUTE, uses_bench
from lab.run.plan import PlanError
from lab.runners import bench_protocol
from lab.runners.wasm_interface import NotWasm, module_interface
from lab.suites.workloads import first_difference

MANIFEST_NAME = "suite.toml"
UNSIZED = "-"
ENTRY_KEYS = ("args", "env", "dirs", "cwd", "inputs", "stdout", "stderr", "stdout_file", "stderr_file")
TOP_KEYS = ("defaults", "modules")
UNCHECKED = "output not checked: no expected stdout (NAME.stdout.expected or stdout in suite.toml)"


class UserSuiteError(PlanError):
    """A folder, module or manifest the user named cannot be used; one line says why."""


@dataclass(frozen=True)
class OutputCheck:
    """What a user module's sample must show beyond a zero exit: its stdout and stderr when
    expected ones are known, and the bench region when the module imports the protocol."""

    stdout: bytes | None = None
    stderr: bytes | None = None
    stdout_source: str = ""  # where the expectation came from, for the reason of a mismatch
    stderr_source: str = ""
    bench: bool = False

    def __call__(self, sample) -> tuple[str, str]:
        process = sample.process
        for stream, want, got, truncated, source in (
                ("stdout", self.stdout, process.stdout, process.stdout_truncated, self.stdout_source),
                ("stderr", self.stderr, process.stderr, process.stderr_bytes > len(process.stderr),
                 self.stderr_source)):
            if want is not None and (truncated or got != want):
                return STATUS_WRONG_OUTPUT, f"{stream} differs from {source}: {first_difference(want, got)}"
        if self.bench and EXECUTE not in sample.phases:
            return (STATUS_ERROR, "the module imports bench.start/bench.end but no start/end pair completed")
        return STATUS_OK, "" if self.stdout is not None else UNCHECKED


@dataclass
class _Entry:
    """One module's settings: the manifest's defaults, then its own entry."""

    args: dict[str, tuple[str, ...]] = field(default_factory=lambda: {UNSIZED: ()})
    env: tuple[tuple[str, str], ...] = ()
    dirs: tuple[str, ...] = ()
    cwd: str | None = None
    inputs: tuple[str, ...] = ()
    stdout: dict[str, bytes | Path] = field(default_factory=dict)
    stderr: dict[str, bytes | Path] = field(default_factory=dict)


def suite_selection(suites: list[str], modules: list[str],
                    default: tuple[str, ...]) -> tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]:
    """`run --suite ... --module ...` -> (suite ids, user folders, user modules). Without either
    option the default suites run; with only --module, just those modules."""
    if not suites and not modules:
        return default, (), ()
    ids, folders = split_suite_args(suites)
    paths = module_paths(modules)
    if paths and USER_SUITE not in ids:
        ids += (USER_SUITE,)
    return ids, folders, paths


def split_suite_args(values: list[str]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """`--suite` values -> (suite ids, absolute user folders): a known id, else an existing folder."""
    from lab.model import SUITE_IDS

    ids: list[str] = []
    folders: list[str] = []
    for value in values:
        if value in SUITE_IDS:  # a folder named like a suite is ./NAME
            ids.append(value)
        elif Path(value).is_dir():
            folders.append(str(Path(value).resolve()))
        else:
            raise UserSuiteError(f"--suite {value}: neither a suite ({', '.join(SUITE_IDS)}) nor a folder")
    if folders and USER_SUITE not in ids:
        ids.append(USER_SUITE)
    return tuple(ids), tuple(folders)


def module_paths(values: list[str]) -> tuple[str, ...]:
    """`--module` values as absolute paths; UserSuiteError for a missing file."""
    paths = []
    for value in values:
        if not Path(value).is_file():
            raise UserSuiteError(f"--module {value}: no such file")
        paths.append(str(Path(value).resolve()))
    return tuple(paths)


def user_cases(folders: tuple[str, ...], modules: tuple[str, ...], sizes: tuple[str, ...]) -> list[Case]:
    """Every module of the folders and every named module, at the run's sizes where the manifest
    gives sized args (else once, at size "-"); UserSuiteError for a bad folder or manifest."""
    if not folders and not modules:
        raise UserSuiteError("the user suite needs --suite DIR or --module FILE.wasm")
    found: list[tuple[str, Path, Path]] = []  # (case name, module, its suite folder)
    for folder in map(Path, folders):
        wasm = sorted(folder.rglob("*.wasm"))
        if not wasm:
            raise UserSuiteError(f"{folder}: no *.wasm modules in this folder")
        found += [(path.relative_to(folder).with_suffix("").as_posix(), path, folder) for path in wasm]
    for module in map(Path, modules):
        with open(module, "rb") as handle:
            magic = handle.read(4)
        if magic != b"\0asm":
            raise UserSuiteError(f"--module {module}: not a WebAssembly module (no \\0asm header)")
        found.append((module.stem, module, module.parent))
    # Job keys (results file names) spell every character but [A-Za-z0-9._-] as "_": a/b and a_b clash.
    keys: dict[str, Path] = {}
    for name, path, _ in found:
        key = "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in name)
        if key in keys:
            raise UserSuiteError(f"{keys[key]} and {path} would both be case {name!r} in the results: "
                                 "rename one, or run them separately")
        keys[key] = path
    manifests: dict[Path, dict[str, _Entry]] = {}
    cases = []
    for name, path, folder in found:
        if folder not in manifests:
            manifests[folder] = load_manifest(folder)
        entry = manifests[folder].get(name) or manifests[folder].get("", _Entry())
        cases += _module_cases(name, path, folder, entry, sizes)
    return cases


def load_manifest(folder: Path) -> dict[str, _Entry]:
    """name -> settings from folder/suite.toml ("" holds the defaults); {} without a manifest."""
    path = folder / MANIFEST_NAME
    if not path.is_file():
        return {}
    names = {p.relative_to(folder).with_suffix("").as_posix() for p in folder.rglob("*.wasm")}
    try:
        data = tomllib.loads(path.read_text())
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as error:
        raise UserSuiteError(f"{path}: {error}") from None
    _known_keys(data, TOP_KEYS, str(path))
    defaults = _entry(data.get("defaults", {}), _Entry(), f"{path} [defaults]", folder)
    entries = {"": defaults}
    modules = data.get("modules", {})
    if not isinstance(modules, dict):
        raise UserSuiteError(f"{path}: modules must be a table of [modules.NAME] entries")
    for name, table in modules.items():
        if name not in names:
            hint = _suggest(name, names)
            raise UserSuiteError(f"{path}: [modules.{name!r}] matches no module in {folder}{hint}")
        entries[name] = _entry(table, defaults, f"{path} [modules.{name!r}]", folder)
    return entries


def _suggest(word: str, choices) -> str:
    close = difflib.get_close_matches(word, list(choices), n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _known_keys(table: object, keys: tuple[str, ...], where: str) -> None:
    if not isinstance(table, dict):
        raise UserSuiteError(f"{where}: expected a table")
    for key in table:
        if key not in keys:
            raise UserSuiteError(f"{where}: unknown key {key!r}{_suggest(key, keys)}; known: {', '.join(keys)}")


def _strings(value: object, where: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, (str, int, float)) for v in value):
        raise UserSuiteError(f"{where}: expected a list of strings")
    return tuple(str(v) for v in value)


def _per_size(value: object, where: str, parse) -> dict:
    """A plain value (every size) or a table {size: value}."""
    if isinstance(value, dict):
        unknown = [size for size in value if size not in SIZES]
        if unknown:
            raise UserSuiteError(f"{where}: unknown size {unknown[0]!r}; sizes are {', '.join(SIZES)}")
        return {size: parse(item, f"{where}.{size}") for size, item in value.items()}
    return {UNSIZED: parse(value, where)}


def _text(value: object, where: str) -> bytes:
    if not isinstance(value, str):
        raise UserSuiteError(f"{where}: expected a string")
    return value.encode()


def _file(folder: Path):
    def parse(value: object, where: str) -> Path:
        if not isinstance(value, str):
            raise UserSuiteError(f"{where}: expected a file name")
        return folder / value
    return parse


def _entry(table: object, base: _Entry, where: str, folder: Path) -> _Entry:
    _known_keys(table, ENTRY_KEYS, where)
    assert isinstance(table, dict)
    entry = _Entry(**{**base.__dict__})
    if "args" in table:
        entry.args = _per_size(table["args"], f"{where} args", _strings)
    if "env" in table:
        env = table["env"]
        if not isinstance(env, dict) or not all(isinstance(v, str) for v in env.values()):
            raise UserSuiteError(f"{where} env: expected a table of KEY = \"value\"")
        entry.env = tuple(env.items())
    if "dirs" in table:
        entry.dirs = _strings(table["dirs"], f"{where} dirs")
    if "cwd" in table:
        if not isinstance(table["cwd"], str):
            raise UserSuiteError(f"{where} cwd: expected a folder name")
        entry.cwd = table["cwd"]
    if "inputs" in table:
        entry.inputs = _strings(table["inputs"], f"{where} inputs")
    for stream in ("stdout", "stderr"):
        if stream in table and f"{stream}_file" in table:
            raise UserSuiteError(f"{where}: give {stream} or {stream}_file, not both")
        if stream in table:
            setattr(entry, stream, _per_size(table[stream], f"{where} {stream}", _text))
        elif f"{stream}_file" in table:
            setattr(entry, stream, _per_size(table[f"{stream}_file"], f"{where} {stream}_file", _file(folder)))
        sized = set(getattr(entry, stream)) - {UNSIZED}
        if sized and UNSIZED in entry.args:
            raise UserSuiteError(f"{where}: {stream} is given per size ({', '.join(sorted(sized))}) but args is not")
    return entry


def _module_cases(name: str, path: Path, folder: Path, entry: _Entry, sizes: tuple[str, ...]) -> list[Case]:
    sized = UNSIZED not in entry.args
    problem, bench = _inspect(path)
    cwd = (folder / entry.cwd) if entry.cwd is not None else path.parent
    dirs: list[tuple[str, str]] = [(str(cwd.resolve()), ".")]
    for spec in entry.dirs:
        host, _, guest = spec.partition("::")
        dirs.append((str((folder / host).resolve()), guest or host))
    for host, _ in dirs:
        if not problem and not Path(host).is_dir():
            problem = f"preopened folder {host} not found"
    for item in entry.inputs:
        if not problem and not (cwd / item).is_file():
            problem = f"input file {cwd / item} not found"
    cases = []
    for size in (sizes if sized else (UNSIZED,)):
        error = problem
        if size not in entry.args and not error:
            error = f"suite.toml gives {name} args for sizes {', '.join(entry.args)}, not {size}"
        args = entry.args.get(size, ())
        stdout, stdout_source, stdout_error = _expected(entry.stdout, path, name, "stdout", size)
        stderr, stderr_source, stderr_error = _expected(entry.stderr, path, name, "stderr", size)
        cases.append(Case(
            suite=USER_SUITE, name=name, size=size, expected_stdout=None,
            invocation=Invocation(wasm=path, args=args, env=entry.env, dirs=tuple(dirs), bench=bench),
            build_error=error or stdout_error or stderr_error,
            check=OutputCheck(stdout, stderr, stdout_source, stderr_source, bench)))
    return cases


def _inspect(path: Path) -> tuple[str, bool]:
    """(why this file cannot run as a WASI command module, "" when it can; whether it imports the
    bench protocol)."""
    try:
        imports, exports = module_interface(path.read_bytes())
    except NotWasm as error:
        return f"{path.name}: {error}", False
    except OSError as error:
        return f"cannot read {path}: {error.strerror}", False
    if "_start" not in exports:
        return f"{path.name} exports no _start function: not a WASI command module", False
    return "", uses_bench(imports)


def _expected(given: dict[str, bytes | Path], module: Path, name: str, stream: str,
              size: str) -> tuple[bytes | None, str, str]:
    """(expected bytes or None, where they come from, why they could not be read)."""
    value = given.get(size, given.get(UNSIZED))
    if value is None:
        stem = module.with_suffix("")
        candidates = [Path(f"{stem}.{stream}.expected")]
        if size != UNSIZED:
            candidates.insert(0, Path(f"{stem}.{size}.{stream}.expected"))
        value = next((candidate for candidate in candidates if candidate.is_file()), None)
    if value is None:
        return None, "", ""
    if isinstance(value, bytes):
        return value, f"suite.toml's {stream} for {name}", ""
    try:
        return value.read_bytes(), value.name, ""
    except OSError as error:
        return None, "", f"expected {stream} file {value} cannot be read ({error.strerror})"


def cell_skip(case: Case, runner) -> tuple[str, str]:
    """Why one runtime's cell of a user case is recorded without running ("", "" when it runs)."""
    if runner.artifact != "wasm":
        return STATUS_SKIPPED, bench_protocol.UNSUPPORTED.get(runner.id, "a user module has no native build")
    if case.invocation.bench:
        reason = bench_protocol.unsupported_reason(runner)
        if reason:
            return STATUS_UNAVAILABLE, f"{reason} (the module imports bench.start/bench.end)"
    return "", ""


def notes(cases: list[Case]) -> list[str]:
    """One line per user case whose output will not be checked, for the user to see up front."""
    seen = []
    for case in cases:
        check = case.check
        if case.suite == USER_SUITE and isinstance(check, OutputCheck) and check.stdout is None \
                and not case.build_error and case.name not in seen:
            seen.append(case.name)
    return [f"note: {name}: no expected stdout, its output is not checked" for name in seen]


def config_notes(folders: tuple[str, ...], modules: tuple[str, ...], sizes: tuple[str, ...]) -> list[str]:
    """notes() of a run configuration's user suite, for `wasmlab run` to print before it starts."""
    try:
        return notes(user_cases(folders, modules, sizes))
    except UserSuiteError:
        return []  # the plan itself reports it, once
