"""Keep a runtime's expectation file true after a run: `python -m lab.suites.spec --prune-expectations`.

A listed command that now passes (xpass) is taken off its entry, and an entry with no line left
goes; the reasons of what still fails stay as written. A failure that no entry lists is never
added here: each needs a reason a person writes, so the tool only prints them. The file's header
comment (everything before the first entry) is kept.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from lab.suites.spec import SpecOutcome

FAILING = ("fail", "error")


@dataclass
class PruneResult:
    removed_lines: int
    removed_entries: int
    unlisted_failures: list[str]  # "file:line [kind] reason" of failures no entry lists


def prune_expectations(path: Path, suite: str, outcomes: Iterable[SpecOutcome]) -> PruneResult:
    """Rewrite `path` without the lines of `suite` that passed in `outcomes` (see the docstring)."""
    text = path.read_text()
    entries = tomllib.loads(text).get("known", [])
    outcomes = list(outcomes)
    passed = {(o.file, o.line) for o in outcomes if o.outcome == "xpass"}
    unlisted = [f"{o.file}:{o.line} [{o.kind}] {o.reason}" for o in outcomes if o.outcome in FAILING]
    kept, removed_lines, removed_entries = [], 0, 0
    for entry in entries:
        if entry.get("suite") != suite or "lines" not in entry:  # whole files, or both suites: by hand
            kept.append(entry)
            continue
        lines = [line for line in entry["lines"] if (entry["file"], line) not in passed]
        removed_lines += len(entry["lines"]) - len(lines)
        if lines:
            kept.append({**entry, "lines": lines})
        else:
            removed_entries += 1
    header = text[:text.index("[[known]]")] if "[[known]]" in text else text
    path.write_text(header + "\n".join(_entry_text(entry) for entry in kept))
    return PruneResult(removed_lines, removed_entries, unlisted)


def _entry_text(entry: dict) -> str:
    out = ["[[known]]"]
    if "suite" in entry:
        out.append(f"suite = {_quote(entry['suite'])}")
    out.append(f"file = {_quote(entry['file'])}")
    if "lines" in entry:
        out.append(f"lines = [{', '.join(str(line) for line in entry['lines'])}]")
    out.append(f"reason = {_quote(entry['reason'])}")
    return "\n".join(out) + "\n"


def _quote(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
