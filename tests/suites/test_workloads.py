"""The workload suite: manifest sanity, output checking, and every workload's small size giving
exactly the recorded output natively and under the wasmtime CLI."""

from __future__ import annotations

import subprocess
from dataclasses import replace
from pathlib import Path

import pytest

from lab.hosts import toolchain
from lab.runners.wasmtime.cli import find_wasmtime_binary
from lab.suites import workloads

WORKLOADS = workloads.load_manifest()
NAMES = [w.name for w in WORKLOADS]


def test_manifest_lists_enough_distinct_workloads():
    assert len(WORKLOADS) >= 14
    assert len(set(NAMES)) == len(NAMES)
    kinds = {w.kind for w in WORKLOADS}
    assert {"recursion", "float", "alloc", "io", "dispatch", "compress"} <= kinds


@pytest.mark.parametrize("workload", WORKLOADS, ids=NAMES)
def test_every_entry_has_source_args_and_expected_output_per_size(workload):
    assert workload.source.is_file() and workload.source.suffix == ".c"
    assert workload.source.stem == workload.name
    assert workload.kind in workloads.KINDS and workload.description
    for size in workloads.SIZES:
        assert workload.args[size] and workload.args[size][0].isdigit()
        expected = workloads.expected_output(workload, size)
        assert expected.endswith(b"\n") and len(expected) < 4096


def test_io_workload_reads_its_inputs_through_the_data_mount():
    io = [w for w in WORKLOADS if w.kind == "io"]
    assert io
    for workload in io:
        assert workload.inputs, "an io workload needs input files"
        args = workload.argv("small")
        assert any(arg.startswith(workload.data_mount + "/") for arg in args)
        host_args = workload.argv("small", "/tmp/copy")
        assert any(arg.startswith("/tmp/copy/") for arg in host_args)
        assert not any(arg.startswith(workload.data_mount + "/") for arg in host_args)


def test_manifest_rejects_duplicate_names(tmp_path):
    (tmp_path / "a.c").write_text("int main(void) { return 0; }\n")
    entry = ('[[workload]]\nname = "a"\nsource = "a.c"\nkind = "integer"\ndescription = "x"\n'
             'args = { small = ["1"], medium = ["2"], large = ["3"] }\n')
    manifest = tmp_path / "manifest.toml"
    manifest.write_text(entry + entry)
    with pytest.raises(workloads.ManifestError, match="duplicate"):
        workloads.load_manifest(manifest)
    manifest.write_text(entry.replace(', large = ["3"]', ""))
    with pytest.raises(workloads.ManifestError, match="sizes"):
        workloads.load_manifest(manifest)


def test_check_output_accepts_exact_output_and_explains_a_mismatch():
    workload = workloads.by_name("fib", WORKLOADS)
    expected = workloads.expected_output(workload, "small")
    assert workloads.check_output(workload, "small", expected) is True
    reason = workloads.check_output(workload, "small", expected.replace(b"6765", b"6766"))
    assert isinstance(reason, str) and "line 1" in reason and "6766" in reason
    assert "lines" in workloads.check_output(workload, "small", expected + b"extra\n")
    missing = replace(workload, expected={"small": Path("/nonexistent/fib.small.txt")})
    assert "no expected output" in workloads.check_output(missing, "small", expected)


@pytest.mark.parametrize("workload", WORKLOADS, ids=NAMES)
def test_small_native_output_matches_expected(workload):
    done = workloads.run_native(workload, "small", timeout=60)
    assert done.returncode == 0, done.stderr
    assert workloads.check_output(workload, "small", done.stdout) is True


@pytest.fixture(scope="module")
def wasmtime() -> Path:
    binary, reason = find_wasmtime_binary()
    if binary is None:
        pytest.skip(reason)
    return binary


@pytest.mark.parametrize("workload", WORKLOADS, ids=NAMES)
def test_small_wasm_output_under_wasmtime_cli_matches_expected(workload, wasmtime, tmp_path):
    module = toolchain.build(workload.source, toolchain.WASM_TARGET)
    data = workloads.prepare_data_dir(workload, tmp_path / "data")
    command = [str(wasmtime), "run", "--dir", f"{data}::{workload.data_mount}", str(module),
               *workload.argv("small")]
    done = subprocess.run(command, capture_output=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert workloads.check_output(workload, "small", done.stdout) is True
    for source in workload.inputs:  # the checked-in inputs are never written to
        assert source.read_bytes() == (data / source.relative_to(workload.inputs_dir)).read_bytes()


def test_record_expected_writes_the_native_output(tmp_path):
    workload = workloads.by_name("fib", WORKLOADS)
    target = {size: tmp_path / f"fib.{size}.txt" for size in workloads.SIZES}
    workloads.record_expected([replace(workload, expected=target)], sizes=["small"])
    assert target["small"].read_bytes() == workloads.expected_output(workload, "small")
    assert not target["medium"].exists()
