"""notebooks/analysis.ipynb runs top to bottom in a real kernel against a real run and a baseline."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

from tests.report.helpers import copy_run, scale_cell, separating_factor, steadiest_cell

NOTEBOOK = Path(__file__).resolve().parents[2] / "notebooks" / "analysis.ipynb"


def _execute(monkeypatch, run: Path, baseline: Path | None) -> nbformat.NotebookNode:
    monkeypatch.setenv("WASMLAB_RUN", str(run))
    if baseline:
        monkeypatch.setenv("WASMLAB_BASELINE", str(baseline))
    else:
        monkeypatch.delenv("WASMLAB_BASELINE", raising=False)
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    NotebookClient(notebook, timeout=300, kernel_name="python3",
                   resources={"metadata": {"path": str(NOTEBOOK.parent)}}).execute()
    return notebook


def _outputs(notebook) -> str:
    return "\n".join(str(output.get("data", output.get("text", ""))) for cell in notebook.cells
                     if cell.cell_type == "code" for output in cell.outputs)


def test_notebook_with_a_baseline(small_run, tmp_path, monkeypatch):
    newer = copy_run(small_run, tmp_path, "newer")
    cell = steadiest_cell(small_run)
    scale_cell(newer, cell["runtime"], cell["suite"], cell["case"], separating_factor(small_run, cell))
    notebook = _execute(monkeypatch, newer, small_run)
    text = _outputs(notebook)
    assert "time_vs_native" in text and "wasmtime (cranelift)" in text  # the overview table
    assert "image/png" in text  # the ratio-to-native chart
    assert "regression" in text and "no change" in text  # the comparison


def test_notebook_without_a_baseline(small_run, monkeypatch):
    text = _outputs(_execute(monkeypatch, small_run, None))
    assert "set WASMLAB_BASELINE" in text and "image/png" in text


def test_notebook_says_what_is_missing(monkeypatch):
    monkeypatch.delenv("WASMLAB_RUN", raising=False)
    monkeypatch.delenv("WASMLAB_BASELINE", raising=False)
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    with pytest.raises(CellExecutionError, match="set WASMLAB_RUN"):
        NotebookClient(notebook, timeout=300, kernel_name="python3").execute()
