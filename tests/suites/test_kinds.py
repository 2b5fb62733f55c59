"""One interface per kind of suite: every suite id the CLI offers has a kind, and the kind answers
what plan, preview and execute used to branch on."""

from __future__ import annotations

import pytest

from lab.model import SUITE_IDS
from lab.runners.interp.runner import InterpRunner
from lab.runners.native import NativeRunner
from lab.runners.registry import DisabledRunner
from lab.suites.kinds import SUITE_KINDS, ConformanceSuite, suite_kind


def test_every_suite_id_has_a_kind() -> None:
    assert set(SUITE_KINDS) == set(SUITE_IDS)
    assert {s for s, kind in SUITE_KINDS.items() if not kind.measured} == {"spec-2.0", "spec-3.0", "wasi-p1"}
    assert all(isinstance(kind, ConformanceSuite) != kind.measured for kind in SUITE_KINDS.values())
    with pytest.raises(ValueError, match="unknown suite 'nope'"):
        suite_kind("nope")


@pytest.mark.parametrize(("suite", "runner", "reason"), [
    ("spec-2.0", NativeRunner(), "native cannot host .wast spec sessions (needs an embedded engine API)"),
    ("spec-3.0", InterpRunner(), ""),
    ("spec-2.0", DisabledRunner("interp"), ""),  # its reason is the disabled detection's, not this one
    ("wasi-p1", NativeRunner(), "native runs native programs, not WASI modules"),
    ("wasi-p1", InterpRunner(), ""),
    ("components", NativeRunner(), "native does not run the components suite"),
    ("workloads", NativeRunner(), ""),
])
def test_skip_reason_of_each_kind(suite: str, runner, reason: str) -> None:
    assert suite_kind(suite).skip_reason(suite, runner) == reason
