from __future__ import annotations

import time
from collections import Counter
from pathlib import Path

import pytest

from lab.runners.pywasm.spec import PywasmSpecSession
from lab.runners.wasmtime.spec import WasmtimeSpecSession
from lab.suites import spec
from lab.suites.spec import Expectations, SpecFile, run_spec_file
from lab.suites.spec_session import WasmValue


def _file(suite: str, name: str) -> SpecFile:
    (found,) = [f for f in spec.spec_files(suite) if f.name == name]
    return found


def _counts(outcomes: list[spec.SpecOutcome]) -> dict[tuple[str, str], int]:
    return dict(Counter((o.group, o.outcome) for o in outcomes))


def test_file_groups() -> None:
    groups_2_0 = Counter(f.group for f in spec.spec_files("spec-2.0"))
    assert groups_2_0 == {"wasm-1.0": 71, "wasm-2.0": 19, "simd": 58}
    groups_3_0 = Counter(f.group for f in spec.spec_files("spec-3.0"))
    assert "unclassified" not in groups_3_0
    assert groups_3_0["simd"] == 58 and groups_3_0["multi-memory"] == 41
    assert groups_3_0["memory64"] == 25 and groups_3_0["legacy"] == 4
    assert groups_3_0["proposals/threads"] == 4
    assert sum(groups_3_0.values()) == 288


# Exact outcomes of whole spec-2.0 files on wasmtime. Quoted modules count in "text-format".
WASMTIME_FILES = {
    "i32.wast": {("wasm-1.0", "pass"): 458, ("text-format", "pass"): 2},
    "f32.wast": {("wasm-1.0", "pass"): 2512, ("text-format", "pass"): 2},
    "br_table.wast": {("wasm-1.0", "pass"): 174},
    "binary.wast": {("wasm-1.0", "pass"): 136},
    "linking.wast": {("wasm-1.0", "pass"): 132},
    "imports.wast": {("wasm-1.0", "pass"): 162, ("text-format", "pass"): 16},
    "simd_lane.wast": {("simd", "pass"): 369, ("text-format", "pass"): 106},
    # three quoted malformed modules that wat2wasm accepts: skipped, the text parser's fault, not wasmtime's
    "memory.wast": {("wasm-1.0", "pass"): 82, ("text-format", "pass"): 3, ("text-format", "skip"): 3},
}


@pytest.mark.parametrize("name", sorted(WASMTIME_FILES))
def test_whole_files_on_wasmtime(name: str) -> None:
    spec_file = _file("spec-2.0", name)
    outcomes = run_spec_file(spec_file, spec.session_opener("wasmtime", spec_file), Expectations())
    assert _counts(outcomes) == WASMTIME_FILES[name]
    assert {o.reason for o in outcomes if o.outcome == "skip"} <= {spec.WAT2WASM_ACCEPTED}
    assert [o.index for o in outcomes] == list(range(len(outcomes)))


SCRIPT = """\
(module
  (func (export "add") (param i32 i32) (result i32) (i32.add (local.get 0) (local.get 1)))
  (func (export "nan") (result f32) (f32.const nan:0x200000))
  (func (export "trap") (unreachable))
  (func (export "spin") (loop (br 0))))
(assert_return (invoke "add" (i32.const 1) (i32.const 2)) (i32.const 3))
(assert_return (invoke "nan") (f32.const nan:0x200000))
(assert_trap (invoke "trap") "unreachable")
(assert_invalid (module (func (result i32))) "type mismatch")
(assert_malformed (module quote "(func") "unexpected end")
(module (import "nowhere" "f" (func)))
(assert_return (invoke "add" (i32.const 1) (i32.const 2)) (i32.const 3))
"""


@pytest.fixture
def script(tmp_path: Path) -> SpecFile:
    path = tmp_path / "script.wast"
    path.write_text(SCRIPT)
    return SpecFile("spec-2.0", "script.wast", "wasm-1.0", path)


def _outcomes(outcomes: list[spec.SpecOutcome]) -> list[tuple[int, str]]:
    return [(o.line, o.outcome) for o in outcomes]


def test_correct_session(script: SpecFile) -> None:
    outcomes = run_spec_file(script, WasmtimeSpecSession, Expectations())
    assert _outcomes(outcomes) == [(1, "pass"), (6, "pass"), (7, "pass"), (8, "pass"),
                                   (9, "pass"), (10, "pass"), (11, "fail"), (12, "skip")]
    assert outcomes[5].group == "text-format"
    assert "unknown import" in outcomes[6].reason or "nowhere" in outcomes[6].reason


class WrongValues(WasmtimeSpecSession):
    """Flips the lowest bit of every result: a NaN payload off by one bit must fail too."""

    def invoke(self, name: str | None, field: str, args: list[WasmValue]) -> list[WasmValue]:
        return [(kind, payload ^ 1) for kind, payload in super().invoke(name, field, args)]  # type: ignore[operator]


class AcceptsEverything(WasmtimeSpecSession):
    def check(self, wasm: bytes) -> None:
        pass


def test_wrong_results_and_accepted_invalid_modules_fail(script: SpecFile) -> None:
    outcomes = run_spec_file(script, WrongValues, Expectations())
    assert [o.outcome for o in outcomes[1:3]] == ["fail", "fail"]
    assert "got [i32:0x00000002]" in outcomes[1].reason
    invalid = run_spec_file(script, AcceptsEverything, Expectations())[4]
    assert invalid.outcome == "fail" and "accepted" in invalid.reason


class Crashing(WasmtimeSpecSession):
    def invoke(self, name: str | None, field: str, args: list[WasmValue]) -> list[WasmValue]:
        raise RuntimeError("engine fell over")


def test_engine_exceptions_are_errors(script: SpecFile) -> None:
    outcomes = run_spec_file(script, Crashing, Expectations())
    assert [o.outcome for o in outcomes[1:4]] == ["error", "error", "error"]
    assert "RuntimeError: engine fell over" in outcomes[1].reason


def test_session_that_cannot_open(script: SpecFile) -> None:
    def broken() -> WasmtimeSpecSession:
        raise OSError("no engine")

    outcomes = run_spec_file(script, broken, Expectations())
    assert {o.outcome for o in outcomes} == {"error"} and len(outcomes) == 8


class Hanging(WasmtimeSpecSession):
    def invoke(self, name: str | None, field: str, args: list[WasmValue]) -> list[WasmValue]:
        while True:
            time.sleep(0.01)


def test_command_timeout(script: SpecFile) -> None:
    started = time.monotonic()
    outcomes = run_spec_file(script, Hanging, Expectations(), command_timeout=0.2)
    assert outcomes[1].outcome == "error" and "timed out" in outcomes[1].reason
    assert time.monotonic() - started < 5


def test_expectations_make_xfail_and_xpass(script: SpecFile) -> None:
    expectations = Expectations(by_line={("spec-2.0", "script.wast", 6): "known wrong add",
                                         (None, "script.wast", 11): "no such import"})
    outcomes = run_spec_file(script, WasmtimeSpecSession, expectations)
    assert outcomes[1].outcome == "xpass" and "known wrong add" in outcomes[1].reason
    assert outcomes[6].outcome == "xfail"
    wrong = run_spec_file(script, WrongValues, expectations)
    assert wrong[1].outcome == "xfail"
    whole_file = Expectations(by_file={(None, "script.wast"): "all broken"})
    assert {o.outcome for o in run_spec_file(script, WrongValues, whole_file)} >= {"xfail", "xpass"}


def test_expectation_files_load() -> None:
    for runtime in ("wasmtime", "pywasm", "interp"):
        Expectations.load(runtime)  # parses; unknown runtimes give no expectations
    assert Expectations.load("no-such-runtime").by_file == {}


@pytest.mark.parametrize("name, expected", [
    ("fac.wast", {"pass": 8}),  # includes assert_exhaustion: the depth limit reads as Exhausted
    ("i32.wast", {"pass": 377, "fail": 83}),  # pywasm does not validate: assert_invalid fails
])
def test_pywasm_session(name: str, expected: dict[str, int]) -> None:
    spec_file = _file("spec-2.0", name)
    outcomes = run_spec_file(spec_file, PywasmSpecSession, Expectations(), command_timeout=30)
    assert Counter(o.outcome for o in outcomes) == expected


def test_runtime_lookup() -> None:
    assert spec.spec_session_class("wasmtime") is WasmtimeSpecSession
    with pytest.raises(spec.SessionUnavailable):
        spec.spec_session_class("nonsense")


EXCEPTION_SCRIPT = """\
(module
  (tag $e (param i32))
  (func (export "throw") (throw $e (i32.const 1)))
  (func (export "quiet")))
(assert_exception (invoke "throw"))
(assert_exception (invoke "quiet"))
(assert_trap (invoke "throw") "unreachable")
"""


class CannotTellExceptions(WasmtimeSpecSession):
    reports_exceptions = False


@pytest.mark.parametrize("session", ["interp", "wasmtime"])
def test_assert_exception(tmp_path: Path, session: str) -> None:
    """An uncaught exception passes assert_exception and fails assert_trap; a normal return
    fails assert_exception; a session that cannot tell exceptions from traps skips it."""
    from lab.runners.interp.spec import InterpSpecSession
    path = tmp_path / "exceptions.wast"
    path.write_text(EXCEPTION_SCRIPT)
    script = SpecFile("spec-3.0", "exceptions.wast", "exceptions", path)
    opener = InterpSpecSession if session == "interp" else WasmtimeSpecSession
    outcomes = run_spec_file(script, opener, Expectations())
    assert _outcomes(outcomes) == [(1, "pass"), (5, "pass"), (6, "fail"), (7, "fail")]
    assert "expected an uncaught exception" in outcomes[2].reason
    assert "Thrown" in outcomes[3].reason
    blind = run_spec_file(script, CannotTellExceptions, Expectations())
    assert [o.outcome for o in blind[1:3]] == ["skip", "skip"]


def test_wasmtime_skips_legacy_exception_modules() -> None:
    """wasmtime-py cannot enable the legacy EH instructions: their modules (which the text
    rewrite now converts) are unsupported, skipped with the reason, not failures."""
    spec_file = _file("spec-3.0", "legacy/rethrow.wast")
    outcomes = run_spec_file(spec_file, WasmtimeSpecSession, Expectations())
    assert "legacy exception handling" in outcomes[0].reason and outcomes[0].outcome == "skip"
    assert {o.outcome for o in outcomes if o.kind != "assert_invalid"} <= {"skip"}


def test_custom_annotation_commands_are_skipped_as_text_parser_tests() -> None:
    from lab.runners.interp.spec import InterpSpecSession

    outcomes = run_spec_file(_file("spec-3.0", "custom/custom_annot.wast"), InterpSpecSession, Expectations())
    skipped = [o for o in outcomes if o.outcome == "skip"]
    assert skipped and {o.kind for o in skipped} == {"assert_malformed_custom"}
    assert {o.reason for o in skipped} == {spec.TEXT_PARSER_COMMANDS["assert_malformed_custom"]}
    assert not [o for o in outcomes if o.outcome in ("fail", "error")]
