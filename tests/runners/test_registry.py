"""A runtime is registered in one place: the runner classes of lab.runners.registry give the ids
(in the canonical order) and, as an attribute, the spec session a runtime hosts."""

from __future__ import annotations

from lab.runners.interp.spec import InterpSpecSession
from lab.runners.registry import RUNNER_CLASSES, RUNTIME_IDS, SPEC_SESSIONS, all_runners
from lab.suites.spec import spec_session_class


def test_runtime_ids_are_the_runner_classes_ids_in_order() -> None:
    assert RUNTIME_IDS == tuple(cls.id for cls in RUNNER_CLASSES)
    assert len(set(RUNTIME_IDS)) == len(RUNTIME_IDS) and all(RUNTIME_IDS)
    assert tuple(all_runners()) == RUNTIME_IDS
    assert RUNTIME_IDS[:3] == ("interp", "wasmtime", "wasmtime-cli")


def test_spec_sessions_come_from_the_runner_attribute() -> None:
    assert SPEC_SESSIONS == {cls.id: cls.spec_session for cls in RUNNER_CLASSES if cls.spec_session is not None}
    assert set(SPEC_SESSIONS) == {"interp", "wasmtime", "pywasm"}
    assert spec_session_class("interp") is InterpSpecSession
