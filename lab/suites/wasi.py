"""The WASI preview 1 testsuite (data set "wasi-p1"): loading tests, preparing their
filesystem fixture, checking a run's result, and per-runtime expectation files.

Format (the data set's README): each `X.wasm` is a test; `X.json` beside it overrides the
defaults {"args": [], "env": {}, "root": null, "exit_code": 0}. `root` is a folder relative to
the test's folder, preopened as the guest's `/`, on a fresh copy per run with `*.cleanup`
leftovers removed. A test passes when the exit code matches and, where the JSON gives them,
stdout and stderr match exactly; output the JSON does not mention is not compared (some tests
print diagnostics, e.g. poll_oneoff_stdio prints its hash-map order).
"""

from __future__ import annotations

import json
import shutil
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from lab.config import REPO_ROOT, data_set

LANGUAGES = ("assemblyscript", "c", "rust")
EXPECTATIONS_DIR = REPO_ROOT / "suites" / "wasi" / "expectations"
PASS, FAIL, XFAIL, XPASS = "pass", "fail", "xfail", "xpass"


@dataclass(frozen=True)
class WasiTest:
    name: str                      # "<language>/<stem>", e.g. "rust/path_link"
    language: str
    wasm: Path
    args: tuple[str, ...] = ()     # after the program name
    env: Mapping[str, str] = field(default_factory=dict)   # the whole environment
    root: Path | None = None       # fixture folder preopened as "/" (use prepare_root)
    exit_code: int = 0
    stdout: str | None = None      # None: not compared
    stderr: str | None = None


def _tests_folder(language: str, data: Path) -> Path:
    return data / "tests" / language / "testsuite" / "wasm32-wasip1"


def load_test(wasm: Path, language: str) -> WasiTest:
    """One test from its .wasm and optional .json."""
    spec_file = wasm.with_suffix(".json")
    spec = json.loads(spec_file.read_text(encoding="utf-8")) if spec_file.exists() else {}
    unknown = set(spec) - {"args", "env", "root", "exit_code", "stdout", "stderr"}
    if unknown:
        raise ValueError(f"{spec_file}: unknown keys {sorted(unknown)}")
    return WasiTest(
        name=f"{language}/{wasm.stem}",
        language=language,
        wasm=wasm,
        args=tuple(spec.get("args", ())),
        env=dict(spec.get("env", {})),
        root=wasm.parent / spec["root"] if spec.get("root") else None,
        exit_code=int(spec.get("exit_code", 0)),
        stdout=spec.get("stdout"),
        stderr=spec.get("stderr"),
    )


def load_wasi_tests(data: Path | None = None) -> list[WasiTest]:
    """Every preview 1 test of every language, sorted by name."""
    data = data or data_set("wasi-p1")
    tests = [load_test(wasm, language) for language in LANGUAGES
             for wasm in _tests_folder(language, data).glob("*.wasm")]
    return sorted(tests, key=lambda test: test.name)


def prepare_root(test: WasiTest, tmp: Path) -> Path | None:
    """A fresh copy of the test's fixture inside `tmp` (None when the test has none)."""
    if test.root is None:
        return None
    copy = Path(tmp) / test.root.name
    if copy.exists():
        shutil.rmtree(copy)
    shutil.copytree(test.root, copy, symlinks=True)
    for leftover in sorted(copy.rglob("*.cleanup"), reverse=True):
        if leftover.is_dir() and not leftover.is_symlink():
            shutil.rmtree(leftover)
        else:
            leftover.unlink()
    return copy


def _as_bytes(output: bytes | str) -> bytes:
    return output.encode("utf-8") if isinstance(output, str) else output


def check_result(test: WasiTest, exit_code: int, stdout: bytes | str,
                 stderr: bytes | str) -> tuple[str, str]:
    """("pass", "") or ("fail", what differed), comparing exactly as the README says."""
    if exit_code != test.exit_code:
        tail = _as_bytes(stderr).decode("utf-8", "replace").strip().splitlines()[-3:]
        detail = f"; stderr ends: {' | '.join(tail)}" if tail else ""
        return FAIL, f"exit code {exit_code}, expected {test.exit_code}{detail}"
    for stream, expected, actual in (("stdout", test.stdout, stdout),
                                     ("stderr", test.stderr, stderr)):
        if expected is not None and _as_bytes(actual) != expected.encode("utf-8"):
            return FAIL, f"{stream} {_as_bytes(actual)[:200]!r}, expected {expected[:200]!r}"
    return PASS, ""


def load_expectations(runtime: str, folder: Path = EXPECTATIONS_DIR) -> dict[str, str]:
    """Known failures of `runtime`: {test name: reason} from `<folder>/<runtime>.toml`
    (a [known_failures] table); no file means none expected."""
    path = folder / f"{runtime}.toml"
    if not path.exists():
        return {}
    table = tomllib.loads(path.read_text(encoding="utf-8")).get("known_failures", {})
    if not all(isinstance(reason, str) and reason for reason in table.values()):
        raise ValueError(f"{path}: every known failure needs a reason string")
    return dict(table)


def apply_expectations(name: str, outcome: str, reason: str,
                       known_failures: Mapping[str, str]) -> tuple[str, str]:
    """Turn a fail of a known failure into xfail, and its pass into xpass."""
    if name not in known_failures:
        return outcome, reason
    if outcome == FAIL:
        return XFAIL, f"{reason} (known: {known_failures[name]})"
    return XPASS, f"known failure passed: {known_failures[name]}"


Runner = Callable[[WasiTest, "Path | None"], tuple[int, bytes, bytes]]


def run_test(test: WasiTest, runner: Runner, tmp: Path) -> tuple[str, str]:
    """Prepare the test's root in `tmp`, run it with `runner(test, root)` (which returns exit
    code, stdout, stderr and must preopen `root` as "/") and check the result."""
    root = prepare_root(test, tmp)
    exit_code, stdout, stderr = runner(test, root)
    return check_result(test, exit_code, stdout, stderr)
