"""The wasmlab command as a user meets it: one clear line for bad input, never a traceback."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

WASMLAB = [sys.executable, "-m", "lab.cli"]
GUEST_RUNTIMES = ("wasmtime", "wasmtime-cli", "node", "pywasm", "interp", "wasm3", "wasmer", "spidermonkey")


def wasmlab(*args: str, timeout: float = 300, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([*WASMLAB, *args], capture_output=True, text=True, timeout=timeout,
                          env={**os.environ, "WASMLAB_DISABLE": "wasmedge", **(env or {})})


def test_doctor_json_shape():
    out = wasmlab("doctor", "--json")
    assert out.returncode == 0, out.stderr
    report = json.loads(out.stdout)
    names = [r["name"] for r in report["runtimes"]]
    assert names[:5] == ["interp", "wasmtime", "wasmtime-cli", "wasmer", "node"]
    for entry in report["runtimes"]:
        assert set(entry) == {"name", "available", "version", "path", "modes", "reason"}
        assert entry["available"] or entry["reason"]
    available = {r["name"] for r in report["runtimes"] if r["available"]}
    assert {"wasmtime", "wasmtime-cli", "node", "native"} <= available
    assert report["hosts"][0]["name"] == "local"
    assert any(t["name"] == "zig" and t["available"] for t in report["toolchains"])
    measurement = {m["name"]: m for m in report["measurement"]}
    assert measurement["launcher"]["available"] and measurement["peak-rss"]["available"], measurement
    assert "hosts interp, pywasm and the embeddings: CPython 3." in measurement["python"]["version"]


@pytest.mark.parametrize("runtime", GUEST_RUNTIMES)
def test_exec_passes_env_dirs_args_and_exit_code(runtime, echo_env_wasm, tmp_path):
    (tmp_path / "note.txt").write_text("from the host\n")
    out = wasmlab("exec", "--runtime", runtime, "--env", "WASMLAB_GREETING=hi", "--dir", f"{tmp_path}::/data",
                  str(echo_env_wasm), "--", "/data/note.txt", "5")
    assert out.stdout == "env=hi\nfrom the host\n", out.stderr
    assert out.returncode == 5


def test_exec_native_rewrites_guest_paths(echo_env_native, tmp_path):
    (tmp_path / "note.txt").write_text("native side\n")
    out = wasmlab("exec", "--runtime", "native", "--dir", f"{tmp_path}::/data", str(echo_env_native),
                  "--", "/data/note.txt")
    assert out.returncode == 0 and out.stdout == "env=(unset)\nnative side\n"


def test_exec_without_the_dir_cannot_reach_the_file(echo_env_wasm, tmp_path):
    (tmp_path / "note.txt").write_text("secret\n")
    out = wasmlab("exec", "--runtime", "wasmtime-cli", str(echo_env_wasm), "--", str(tmp_path / "note.txt"))
    assert out.returncode == 3 and "secret" not in out.stdout


@pytest.mark.parametrize("args, message", [
    (("exec", "--runtime", "wasmtime-cli", "/no/such/file.wasm"), "no such file"),
    (("exec", "--runtime", "nosuch", "x.wasm"), "unknown runtime 'nosuch'"),
    (("exec", "--runtime", "wasmedge", "x.wasm"),
     "wasmedge is not available here: wasmedge disabled by WASMLAB_DISABLE"),
    (("run", "--suite", "startup", "--runtime", "nosuch"), "unknown runtime 'nosuch'"),
    (("run", "--resume", "/no/such/run"), "not a wasmlab run folder"),
    (("summary", "/no/such/run"), "not a wasmlab run folder"),
    (("exec", "--runtime", "wasmtime-cli:turbo", "x.wasm"), "wasmtime-cli has no mode 'turbo'"),
])
def test_bad_input_gets_one_clear_line(args, message, tmp_path):
    out = wasmlab(*args)
    assert out.returncode != 0
    assert "Traceback" not in out.stderr
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("wasmlab: error: ")
    assert message in lines[0]


def test_a_broken_workloads_manifest_is_a_user_error(tmp_path):
    manifest = tmp_path / "manifest.toml"
    manifest.write_text('[[workload]]\nname = "x"\nsource = "x.c"\n')
    out = wasmlab("run", "--suite", "workloads", "--runtime", "native", "--out", str(tmp_path / "results"),
                  env={"WASMLAB_WORKLOADS_MANIFEST": str(manifest)})
    assert out.returncode == 2  # not 70, an internal error
    assert out.stderr.strip() == "wasmlab: error: workload x: missing kind, description, args"


def test_every_user_error_is_a_lab_error():
    from lab.analysis.stats import AnalysisError
    from lab.config import DataNotFound
    from lab.errors import LabError
    from lab.exec_guest import ExecError
    from lab.hosts import UnknownHost
    from lab.hosts.toolchain import BuildError
    from lab.matrix import MatrixError
    from lab.merge import MergeError
    from lab.run.plan import PlanError
    from lab.runners.registry import UnknownRuntime
    from lab.store import StoreError
    from lab.suites.workloads import ManifestError

    for error in (DataNotFound, ExecError, UnknownHost, MatrixError, MergeError, PlanError, UnknownRuntime,
                  AnalysisError, StoreError, ManifestError, BuildError):
        assert issubclass(error, LabError), error


def test_exec_rejects_a_file_that_is_not_wasm(tmp_path):
    bogus = tmp_path / "bogus.wasm"
    bogus.write_text("hello")
    out = wasmlab("exec", "--runtime", "node", str(bogus))
    assert out.returncode == 2
    assert out.stderr.strip() == f"wasmlab: error: {bogus}: not a WebAssembly module (no \\0asm header)"


def test_exec_timeout_exits_124_and_a_guest_exit_2_stays_2(echo_env_wasm, tmp_path):
    from lab.hosts import toolchain
    from lab.suites.measured import WASM_TARGET
    from tests.faults.crafted import GUESTS

    hang = toolchain.build(GUESTS / "hang.c", WASM_TARGET, name="hang")
    out = wasmlab("exec", "--runtime", "wasmtime-cli", "--timeout", "1", str(hang))
    assert out.returncode == 124
    assert out.stderr.strip() == "wasmlab: error: timed out after 1 s; the guest's process group was killed"
    (tmp_path / "note.txt").write_text("")
    exits = wasmlab("exec", "--runtime", "wasmtime-cli", "--timeout", "60", "--dir", f"{tmp_path}::/data",
                    str(echo_env_wasm), "--", "/data/note.txt", "2")
    assert exits.returncode == 2 and exits.stderr == ""
    refused = wasmlab("exec", "--runtime", "wasmtime-cli", "--timeout", "0", str(hang))
    assert refused.returncode == 2 and "--timeout must be a positive number of seconds, not 0" in refused.stderr


def test_exec_of_a_malformed_module_reports_the_runtime_error(tmp_path):
    broken = tmp_path / "broken.wasm"
    broken.write_bytes(b"\0asm\x01\0\0\0\x01\xff")
    out = wasmlab("exec", "--runtime", "wasmtime-cli", str(broken))
    assert out.returncode != 0 and "Traceback" not in out.stderr


def test_run_then_summary_json(tmp_path):
    out = wasmlab("run", "--suite", "startup", "--runtime", "native", "wasmtime-cli", "--repeat", "2",
                  "--warmup", "0", "--out", str(tmp_path))
    assert out.returncode == 0, out.stderr
    run_dir = out.stdout.strip().splitlines()[-1]  # the run folder is the last line
    assert run_dir.startswith(str(tmp_path))
    summary = json.loads(wasmlab("summary", run_dir, "--json").stdout)
    assert set(summary) == {"run", "hosts", "runtimes", "metrics", "conformance"}
    cell = next(c for c in summary["metrics"] if c["runtime"] == "native" and c["metric"] == "wall_time")
    assert {"host", "runtime", "suite", "case", "size", "phase", "metric", "unit", "n", "median", "ci_low",
            "ci_high", "status"} <= set(cell)
    assert cell["n"] == 2 and cell["status"] == "ok"


def test_help_explains_every_command():
    out = wasmlab("--help")
    for command in ("doctor", "run", "summary", "exec", "build"):
        assert command in out.stdout
    assert "WASMLAB_DATA" in out.stdout


def test_help_names_every_registered_runtime_without_importing_runners_at_start():
    """The runtime ids come from the runner classes (lab.runners.registry), read only when help is
    printed: building the parser imports no runner module (each CLI start would pay ~80 ms)."""
    from lab.runners.registry import RUNTIME_IDS
    for command in ("run", "exec"):
        assert ", ".join(RUNTIME_IDS) in " ".join(wasmlab(command, "--help").stdout.split())
    probe = "import sys, lab.cli; lab.cli.build_parser(); print(sorted(m for m in sys.modules if 'runners' in m))"
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"
