"""The spec-test driver: runs `.wast` scripts against any engine's SpecSession.

One outcome per script command: pass, fail, skip, xfail, xpass or error. The driver never dies
because an engine misbehaves: SpecError answers are judged, any other exception from a session
call is an "error" outcome carrying the exception text.

Quoted modules (`module quote`) test the text parser, not the engine: they go through wat2wasm
only and are reported in their own group, "text-format". Where wat2wasm accepts a malformed one,
the command is skipped with that reason: the test failed in the lab's tool, not in the runtime.

Timeouts: `command_timeout` arms SIGALRM around each session call and turns it into an "error"
outcome. That interrupts Python engines (interp, pywasm) promptly and native code as soon as it
returns to Python; it is a cheap safety net for development runs, not isolation. Hard limits
(wall time, memory, crashes of native engines) are the harness's job: it runs each file in a
child process (lab.run.execute). Without the main thread (no signals) the option is ignored.
"""

from __future__ import annotations

import fnmatch
import signal
import threading
import tomllib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

from lab.config import REPO_ROOT, data_set
from lab.suites import wast
from lab.suites.spec_session import (
    Exhausted,
    ModuleRejected,
    SpecError,
    SpecSession,
    Thrown,
    Trapped,
    Unsupported,
    WasmValue,
)
from lab.suites.wast_values import describe_pattern, describe_value, matches

SPEC_DIR = REPO_ROOT / "suites" / "spec"
SUITES = ("spec-2.0", "spec-3.0")
TEXT_FORMAT_GROUP = "text-format"
# Script commands that test the reference interpreter's text parser, not an engine: custom
# annotations, (@custom ...) and (@name ...), which a text parser turns into custom sections.
TEXT_PARSER_COMMANDS = dict.fromkeys(
    ("assert_malformed_custom", "assert_invalid_custom"),
    "not run: checks the text parser's custom annotations (the reference interpreter's); the lab's "
    "text parser is wasmtime.wat2wasm, and no engine sees these modules")
WAT2WASM_ACCEPTED = "not run: the lab's text parser (wasmtime.wat2wasm) accepts this malformed text"
OUTCOMES = ("pass", "fail", "skip", "xfail", "xpass", "error")


@dataclass(frozen=True)
class SpecFile:
    suite: str
    name: str  # path relative to the suite folder, e.g. "i32.wast" or "legacy/throw.wast"
    group: str
    path: Path


@dataclass(frozen=True)
class SpecOutcome:
    file: str
    group: str
    line: int
    index: int
    kind: str
    outcome: str
    reason: str


# ---------------------------------------------------------------- files and groups

def spec_files(suite_id: str) -> list[SpecFile]:
    """Every `.wast` file of a suite with its group, sorted by name."""
    root = data_set(suite_id)
    groups = [g for g in _load_groups() if suite_id in g.get("suites", [])]
    names = sorted(p.relative_to(root).as_posix() for p in root.rglob("*.wast"))
    return [SpecFile(suite_id, name, _group_of(name, groups), root / name) for name in names]


def _load_groups() -> list[dict]:
    with open(SPEC_DIR / "groups.toml", "rb") as handle:
        return tomllib.load(handle)["group"]


def _group_of(name: str, groups: list[dict]) -> str:
    for group in groups:
        if name in group.get("files", []):
            return group["name"]
    for group in groups:
        folder = group.get("folder")
        if folder and name.startswith(folder + "/"):
            if group.get("per_subfolder"):
                return f"{folder}/{name.split('/')[1]}"
            return group["name"]
    for group in groups:
        pattern = group.get("pattern")
        if pattern and "/" not in name and fnmatch.fnmatch(name, pattern):
            return group["name"]
    return "unclassified"


# ---------------------------------------------------------------- expectations

@dataclass
class Expectations:
    """Known failures of one runtime: by (file, line), or whole files; each with a reason.

    File format (suites/spec/expectations/<runtime>.toml):
        [[known]]
        suite = "spec-3.0"        # optional: both suites when left out
        file = "simd_lane.wast"
        lines = [12, 40]          # optional: the whole file when left out
        reason = "why it fails"
    """

    by_line: dict[tuple[str | None, str, int], str] = field(default_factory=dict)
    by_file: dict[tuple[str | None, str], str] = field(default_factory=dict)

    @classmethod
    def load(cls, runtime_id: str) -> Expectations:
        path = SPEC_DIR / "expectations" / f"{runtime_id}.toml"
        if not path.exists():
            return cls()
        with open(path, "rb") as handle:
            entries = tomllib.load(handle).get("known", [])
        expectations = cls()
        for entry in entries:
            suite, name, reason = entry.get("suite"), entry["file"], entry["reason"]
            if "lines" in entry:
                for line in entry["lines"]:
                    expectations.by_line[(suite, name, line)] = reason
            else:
                expectations.by_file[(suite, name)] = reason
        return expectations

    def known_failure(self, suite: str, name: str, line: int) -> str | None:
        """The reason a command is expected to fail, or None."""
        for key_suite in (suite, None):
            reason = self.by_line.get((key_suite, name, line)) or self.by_file.get((key_suite, name))
            if reason:
                return reason
        return None


# ---------------------------------------------------------------- running one file

class CommandTimeout(Exception):
    """A session call ran past command_timeout."""


@contextmanager
def _deadline(seconds: float | None) -> Iterator[None]:
    if not seconds or threading.current_thread() is not threading.main_thread():
        yield
        return

    def expire(signum: int, frame: object) -> None:
        raise CommandTimeout(f"timed out after {seconds:g} s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


class _Verdict(Exception):
    """Raised inside a command's handler to end it with an outcome."""

    def __init__(self, outcome: str, reason: str = "") -> None:
        super().__init__(reason)
        self.outcome = outcome
        self.reason = reason


_CURRENT = "<current>"  # key of the most recent module in the module table
_T = TypeVar("_T")


class _ScriptRun:
    """The state of one script against one session: which modules loaded, which failed."""

    def __init__(self, session: SpecSession, timeout: float | None) -> None:
        self.session = session
        self.timeout = timeout
        self.failed_modules: dict[str, str] = {}  # module name (or _CURRENT) -> why unusable
        self.definitions: dict[str, bytes | str] = {}  # definition name -> binary or failure

    # Every engine call goes through here: SpecErrors pass through to be judged, anything
    # else becomes an "error" verdict.
    def call(self, method: Callable[..., _T], *args: object) -> _T:
        try:
            with _deadline(self.timeout):
                return method(*args)
        except SpecError:
            raise
        except CommandTimeout as timeout:
            raise _Verdict("error", str(timeout)) from None
        except Exception as error:  # the engine misbehaved; never let it stop the driver
            raise _Verdict("error", f"{type(error).__name__}: {error}") from None

    def require_module(self, name: str | None) -> None:
        reason = self.failed_modules.get(name or _CURRENT)
        if reason is not None:
            raise _Verdict("skip", f"module {name or '(current)'} unavailable: {reason}")

    def note_module(self, name: str | None, failure: str | None) -> None:
        for key in (_CURRENT, name) if name else (_CURRENT,):
            if failure is None:
                self.failed_modules.pop(key, None)
            else:
                self.failed_modules[key] = failure

    # ---- commands

    def module(self, command: wast.ModuleCommand) -> None:
        try:
            wasm = _to_wasm(command.source, on_failure="skip")
        except _Verdict as verdict:
            self.remember(command, verdict.reason)
            raise
        self.remember(command, wasm)
        if command.definition:
            self._check_definition(wasm)

    def remember(self, command: wast.ModuleCommand, wasm: bytes | str) -> None:
        """Keep a definition's binary (or why there is none); load a plain module's binary."""
        if not command.definition:
            if isinstance(wasm, str):
                self.note_module(command.name, wasm)
            else:
                self._load(wasm, command.name)
            return
        self.definitions[command.name or _CURRENT] = wasm
        self.definitions[_CURRENT] = wasm

    def module_instance(self, command: wast.ModuleInstance) -> None:
        wasm = self.definitions.get(command.definition or _CURRENT)
        if wasm is None:
            self.note_module(command.name, "its definition is missing")
            raise _Verdict("skip", f"no module definition {command.definition}")
        if isinstance(wasm, str):
            self.note_module(command.name, wasm)
            raise _Verdict("skip", f"definition unavailable: {wasm}")
        self._load(wasm, command.name)

    def _check_definition(self, wasm: bytes) -> None:
        try:
            self.call(self.session.check, wasm)
        except Unsupported as error:
            raise _Verdict("skip", f"unsupported: {error}") from None
        except SpecError as error:
            raise _Verdict("fail", f"definition rejected: {error}") from None

    def _load(self, wasm: bytes, name: str | None) -> None:
        try:
            self.call(self.session.load, wasm, name)
        except _Verdict as verdict:
            self.note_module(name, verdict.reason)
            raise
        except Unsupported as error:
            self.note_module(name, f"unsupported: {error}")
            raise _Verdict("skip", f"unsupported: {error}") from None
        except SpecError as error:
            self.note_module(name, str(error))
            raise _Verdict("fail", f"module failed to load: {_describe_error(error)}") from None
        self.note_module(name, None)

    def register(self, command: wast.Register) -> None:
        self.require_module(command.name)
        self._judged(self.call, self.session.register, command.as_name, command.name)

    def action(self, action: wast.Action) -> list[WasmValue]:
        self.require_module(action.module)
        if isinstance(action, wast.Invoke):
            return list(self.call(self.session.invoke, action.module, action.field, list(action.args)))
        return [self.call(self.session.get, action.module, action.field)]

    def _judged(self, method: Callable, *args: object) -> object:
        """Run a step whose every SpecError is a failure (or a skip when unsupported)."""
        try:
            return method(*args)
        except Unsupported as error:
            raise _Verdict("skip", f"unsupported: {error}") from None
        except SpecError as error:
            raise _Verdict("fail", _describe_error(error)) from None

    def invoke(self, command: wast.ActionCommand) -> None:
        self._judged(self.action, command.action)

    def assert_return(self, command: wast.AssertReturn) -> None:
        results = self._judged(self.action, command.action)
        assert isinstance(results, list)
        expected = command.expected
        if len(results) != len(expected) or not all(
            isinstance(value, tuple) and matches(pattern, value)
            for pattern, value in zip(expected, results, strict=True)
        ):
            got = ", ".join(describe_value(v) if isinstance(v, tuple) else repr(v) for v in results)
            want = ", ".join(describe_pattern(p) for p in expected)
            raise _Verdict("fail", f"got [{got}], expected [{want}]")

    def assert_trap(self, command: wast.AssertTrap) -> None:
        wanted = Exhausted if command.exhaustion else Trapped
        try:
            results = self.action(command.action)
        except Unsupported as error:
            raise _Verdict("skip", f"unsupported: {error}") from None
        except wanted as error:
            raise _Verdict("pass", _message_note(command.message, str(error))) from None
        except SpecError as error:
            raise _Verdict("fail", f"expected {wanted.__name__} ({command.message!r}), "
                                   f"got {_describe_error(error)}") from None
        got = ", ".join(describe_value(v) for v in results)
        raise _Verdict("fail", f"returned [{got}], expected {command.message!r}")

    def assert_exception(self, command: wast.AssertException) -> None:
        if not getattr(self.session, "reports_exceptions", False):
            raise _Verdict("skip", "assert_exception: this runtime's spec session does not tell an "
                                   "uncaught exception from a trap")
        try:
            results = self.action(command.action)
        except Unsupported as error:
            raise _Verdict("skip", f"unsupported: {error}") from None
        except Thrown:
            raise _Verdict("pass") from None
        except SpecError as error:
            raise _Verdict("fail", f"expected an uncaught exception, got {_describe_error(error)}") \
                from None
        got = ", ".join(describe_value(v) for v in results)
        raise _Verdict("fail", f"returned [{got}], expected an uncaught exception")

    def assert_module(self, command: wast.AssertModule) -> None:
        wasm = _to_wasm(command.source, on_failure="skip")
        if command.expect in ("invalid", "malformed"):
            self._assert_rejected(command, wasm)
            return
        try:
            self.call(self.session.load, wasm, None)
        except Unsupported as error:
            raise _Verdict("skip", f"unsupported: {error}") from None
        except ModuleRejected as error:
            accepted = {command.expect, "rejected"}
            if error.kind in accepted:
                raise _Verdict("pass", _message_note(command.message, str(error))) from None
            raise _Verdict("fail", f"expected {command.expect}, got "
                                            f"{_describe_error(error)}") from None
        except Trapped as error:
            if command.expect == "uninstantiable":  # a trapping start function may surface so
                raise _Verdict("pass", _message_note(command.message, str(error))) from None
            raise _Verdict("fail", f"expected {command.expect}, got trap: {error}") from None
        except SpecError as error:
            raise _Verdict("fail", f"expected {command.expect}, got "
                                            f"{_describe_error(error)}") from None
        raise _Verdict("fail", f"module was accepted, expected {command.expect} "
                                        f"({command.message!r})")

    def _assert_rejected(self, command: wast.AssertModule, wasm: bytes) -> None:
        try:
            self.call(self.session.check, wasm)
        except Unsupported as error:
            raise _Verdict("skip", f"unsupported: {error}") from None
        except ModuleRejected as error:
            note = _message_note(command.message, str(error))
            if not self.session.distinguishes_malformed or error.kind in (command.expect, "rejected"):
                raise _Verdict("pass", note) from None
            if command.expect == "invalid" and error.kind == "malformed" \
                    and command.source.form == "binary":
                # Hand-made binaries in assert_invalid sometimes also break a decoding rule the
                # engine checks first (e.g. section counts); the spec interpreter itself decodes
                # some validity properties. Rejected is what matters; the kind goes in the note.
                raise _Verdict("pass", f"rejected as malformed; {note}".rstrip("; ")) from None
            raise _Verdict("fail", f"expected {command.expect}, got {_describe_error(error)}") \
                from None
        except SpecError as error:
            raise _Verdict("fail", f"expected {command.expect}, got {_describe_error(error)}") \
                from None
        raise _Verdict("fail", f"module was accepted, expected {command.expect} "
                               f"({command.message!r})")


def _to_wasm(source: wast.ModuleSource, on_failure: str) -> bytes:
    """The module binary. If the text cannot be converted, the command ends with `on_failure`:
    "pass" where the text was meant to be rejected (malformed quotes), "skip" elsewhere (the
    text tool, not the engine, refused it)."""
    try:
        return source.to_wasm()
    except Exception as error:
        first_line = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise _Verdict(on_failure, f"wat2wasm rejected the text: {first_line}") from None


def _message_note(expected: str, actual: str) -> str:
    if not expected or expected in actual:
        return ""
    return f"message differs: expected {expected!r}, engine said {actual.strip()[:200]!r}"


def _describe_error(error: SpecError) -> str:
    kind = getattr(error, "kind", None)
    label = type(error).__name__ + (f"({kind})" if kind else "")
    return f"{label}: {str(error).strip()[:300]}"


def _is_text_format_command(command: wast.Command) -> bool:
    source = getattr(command, "source", None)
    return isinstance(source, wast.ModuleSource) and source.form == "quote"


def _run_command(run: _ScriptRun, command: wast.Command) -> tuple[str, str]:
    try:
        if isinstance(command, wast.ModuleCommand):
            run.module(command)
        elif isinstance(command, wast.ModuleInstance):
            run.module_instance(command)
        elif isinstance(command, wast.Register):
            run.register(command)
        elif isinstance(command, wast.ActionCommand):
            run.invoke(command)
        elif isinstance(command, wast.AssertReturn):
            run.assert_return(command)
        elif isinstance(command, wast.AssertTrap):
            run.assert_trap(command)
        elif isinstance(command, wast.AssertModule):
            run.assert_module(command)
        elif isinstance(command, wast.AssertException):
            run.assert_exception(command)
        else:
            return "skip", TEXT_PARSER_COMMANDS.get(command.kind, f"unknown command {command.kind}")
    except _Verdict as verdict:
        return verdict.outcome, verdict.reason
    return "pass", ""


def _run_quoted(run: _ScriptRun, command: wast.Command) -> tuple[str, str]:
    """A quoted module only tests the text parser: wat2wasm must reject a malformed one and
    accept the others. A top-level quoted module is then loaded so later commands can use it;
    a load failure there makes those commands skip, without charging the engine here."""
    try:
        wasm = _to_wasm(command.source, on_failure="fail")  # type: ignore[attr-defined]
    except _Verdict as verdict:
        if isinstance(command, wast.AssertModule) and command.expect == "malformed":
            return "pass", ""
        if isinstance(command, wast.ModuleCommand):
            run.remember(command, verdict.reason)
        return verdict.outcome, verdict.reason
    if isinstance(command, wast.AssertModule) and command.expect == "malformed":
        # The lab's text parser failed the test, and nothing can be asked of the runtime: not a
        # failure of the runtime, whichever it is (every runtime gets its modules through wat2wasm).
        return "skip", WAT2WASM_ACCEPTED
    if isinstance(command, wast.ModuleCommand):
        try:
            run.remember(command, wasm)
        except _Verdict as verdict:
            return "pass", f"text converted; the engine then failed: {verdict.reason}"
    return "pass", ""


def run_spec_file(
    spec_file: SpecFile,
    open_session: Callable[[], SpecSession],
    expectations: Expectations,
    *,
    command_timeout: float | None = None,
) -> list[SpecOutcome]:
    """Run every command of one script in a fresh session; one outcome per command."""
    try:
        commands = wast.parse_file(str(spec_file.path))
    except Exception as error:  # a script we cannot read is one error row, not a crash
        return [SpecOutcome(spec_file.name, spec_file.group, 0, 0, "script", "error",
                            f"cannot parse script: {error}")]
    try:
        session = open_session()
    except Exception as error:
        return [SpecOutcome(spec_file.name, spec_file.group, c.line, i, c.kind, "error",
                            f"cannot open session: {type(error).__name__}: {error}")
                for i, c in enumerate(commands)]
    run = _ScriptRun(session, command_timeout)
    outcomes = []
    try:
        for index, command in enumerate(commands):
            if _is_text_format_command(command):
                outcome, reason = _run_quoted(run, command)
                group = TEXT_FORMAT_GROUP
            else:
                outcome, reason = _run_command(run, command)
                group = spec_file.group
                outcome, reason = _apply_expectations(
                    outcome, reason, expectations.known_failure(spec_file.suite, spec_file.name,
                                                                command.line))
            outcomes.append(SpecOutcome(spec_file.name, group, command.line, index, command.kind,
                                        outcome, reason))
    finally:
        try:
            session.close()
        except Exception:  # closing a broken engine must not lose the outcomes
            pass
    return outcomes


def _apply_expectations(outcome: str, reason: str, known: str | None) -> tuple[str, str]:
    if known is None:
        return outcome, reason
    if outcome in ("fail", "error"):
        return "xfail", f"{known} [{reason}]" if reason else known
    if outcome == "pass":
        return "xpass", f"listed as known failure: {known}"
    return outcome, reason


# ---------------------------------------------------------------- runtimes

class SessionUnavailable(Exception):
    """The runtime's spec session cannot be used here; the message says why."""


def spec_session_class(runtime_id: str) -> Callable[[], SpecSession]:
    """The session class of a runtime id, named by its runner's `spec_session` (imported lazily:
    engines are optional)."""
    import importlib

    from lab.runners.registry import SPEC_SESSIONS

    if runtime_id not in SPEC_SESSIONS:
        raise SessionUnavailable(f"no spec session for runtime {runtime_id!r}; "
                                 f"known: {', '.join(SPEC_SESSIONS)}")
    module_name, class_name = SPEC_SESSIONS[runtime_id]
    try:
        module = importlib.import_module(module_name)
        return getattr(module, class_name)
    except (ImportError, AttributeError) as error:
        raise SessionUnavailable(f"{runtime_id} spec session unavailable: {error}") from error


def session_opener(runtime_id: str, spec_file: SpecFile) -> Callable[[], SpecSession]:
    """What run_spec_file needs to open a session for one file: a session class may offer
    `for_spec_file(spec_file)` to configure itself per suite or group (engine features)."""
    session_class = spec_session_class(runtime_id)
    configure = getattr(session_class, "for_spec_file", None)
    if configure is None:
        return session_class
    return lambda: configure(spec_file)


if __name__ == "__main__":
    from lab.suites.spec_cli import main

    raise SystemExit(main())
