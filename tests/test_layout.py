"""The layout's boundaries, checked on the source: the engine (lab.interp), the WASI implementation
(lab.wasi) and the child protocol (lab.protocol) know no harness, so the engine can be used, tested
and measured without the lab around it."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

LAB = Path(__file__).resolve().parents[1] / "lab"
HARNESS = ("lab.runners", "lab.run", "lab.analysis", "lab.suites", "lab.report", "lab.hosts", "lab.cli")
NEUTRAL = ("interp", "wasi", "protocol")


def imported_modules(path: Path, package: str | None = None) -> set[str]:
    """Every module a file imports, at any depth of the file (lazy imports count), relative ones
    resolved against its package (by default the one it sits in under lab/)."""
    if package is None:
        package = ".".join(path.relative_to(LAB.parent).with_suffix("").parts[:-1])
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package.split(".")[:len(package.split(".")) - node.level + 1]
                base = ".".join(parent + ([base] if base else []))
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names)
    return found


def harness_imports_of(path: Path, package: str | None = None) -> list[str]:
    return sorted(m for m in imported_modules(path, package) if any(m == h or m.startswith(h + ".") for h in HARNESS))


@pytest.mark.parametrize("package", NEUTRAL)
def test_neutral_package_imports_no_harness(package: str) -> None:
    files = sorted((LAB / package).rglob("*.py"))
    assert files, f"lab/{package} has no modules"
    offenders = {str(f.relative_to(LAB.parent)): harness_imports_of(f) for f in files if harness_imports_of(f)}
    assert not offenders, f"lab/{package} imports the harness: {offenders}"


def test_harness_import_is_seen(tmp_path: Path) -> None:
    """The check itself: lazy and relative imports of the harness inside a function are found."""
    fake = tmp_path / "x.py"
    fake.write_text("def f():\n    from lab.runners.phases import write_phases\n    from ..run import plan\n")
    assert harness_imports_of(fake, "lab.interp") == ["lab.run", "lab.run.plan", "lab.runners.phases",
                                                     "lab.runners.phases.write_phases"]
