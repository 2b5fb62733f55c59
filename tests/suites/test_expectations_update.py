"""Pruning an expectation file after a run: passing lines go, reasons stay, unlisted failures are named."""

from __future__ import annotations

import tomllib

from lab.suites.expectations_update import prune_expectations
from lab.suites.spec import SPEC_DIR, SpecOutcome

FILE = '''# header comment, kept

[[known]]
suite = "spec-3.0"
file = "a.wast"
lines = [3, 7, 9]
reason = "feature \\"x\\" missing"

[[known]]
suite = "spec-3.0"
file = "b.wast"
lines = [5]
reason = "gone soon"

[[known]]
file = "both.wast"
lines = [5]
reason = "listed for both suites: pruned by hand only"

[[known]]
suite = "spec-2.0"
file = "a.wast"
lines = [3]
reason = "the other suite"
'''


def _outcome(file: str, line: int, outcome: str) -> SpecOutcome:
    return SpecOutcome(file=file, group="g", line=line, index=0, kind="assert_return", outcome=outcome,
                       reason="why")


def test_passing_lines_go_and_reasons_and_other_entries_stay(tmp_path):
    path = tmp_path / "rt.toml"
    path.write_text(FILE)
    result = prune_expectations(path, "spec-3.0", [
        _outcome("a.wast", 3, "xpass"), _outcome("a.wast", 7, "xfail"), _outcome("b.wast", 5, "xpass"),
        _outcome("both.wast", 5, "xpass"), _outcome("c.wast", 11, "fail")])
    assert (result.removed_lines, result.removed_entries) == (2, 1)
    assert result.unlisted_failures == ["c.wast:11 [assert_return] why"]
    text = path.read_text()
    assert text.startswith("# header comment, kept\n")
    assert tomllib.loads(text)["known"] == [
        {"suite": "spec-3.0", "file": "a.wast", "lines": [7, 9], "reason": 'feature "x" missing'},
        {"file": "both.wast", "lines": [5], "reason": "listed for both suites: pruned by hand only"},
        {"suite": "spec-2.0", "file": "a.wast", "lines": [3], "reason": "the other suite"},
    ]


def test_the_real_files_survive_a_rewrite_unchanged(tmp_path):
    for original in sorted((SPEC_DIR / "expectations").glob("*.toml")):
        copy = tmp_path / original.name
        copy.write_text(original.read_text())
        prune_expectations(copy, "spec-3.0", [])
        assert tomllib.loads(copy.read_text()) == tomllib.loads(original.read_text()), original.name
