"""The user suite (`wasmlab run --suite DIR` / `--module FILE`) and the Sightglass bench protocol,
on real runtimes with small modules of our own (wat built here, one C program)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import wasmtime

from lab import cli
from lab.analysis.compare import compare_runs
from lab.analysis.versus import versus
from lab.hosts import toolchain
from lab.model import USER_SUITE
from lab.report import analysis, build_site
from lab.run.orchestrate import plan_resume, start_run
from lab.run.plan import RunConfig
from lab.runners.registry import get_runner
from lab.runners.wasm_interface import NotWasm, module_interface
from lab.store import load
from lab.suites.measured import WASM_TARGET
from lab.suites.user_suite import UNCHECKED, UserSuiteError, notes, suite_selection, user_cases

PROGRAMS = Path(__file__).parent.parent / "programs"
SPIN_NS = 20_000_000  # each module spins 20 ms on the monotonic clock: inside the region or before it
# Every runtime that supplies the bench imports, and one that cannot.
PROTOCOL_RUNTIMES = ("interp", "wasmtime", "wasmtime-cli", "node", "wasm3", "pywasm", "spidermonkey")


def protocol_wat(body: str) -> str:
    """A WASI command that imports bench.start/bench.end and runs `body` (calls of $spin, $start,
    $end), then prints "done"."""
    return f"""(module
  (import "bench" "start" (func $start))
  (import "bench" "end" (func $end))
  (import "wasi_snapshot_preview1" "clock_time_get" (func $clock (param i32 i64 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 64) "done\\n")
  (func $now (result i64)
    (drop (call $clock (i32.const 1) (i64.const 1) (i32.const 0)))
    (i64.load (i32.const 0)))
  (func $spin (local $until i64)
    (local.set $until (i64.add (call $now) (i64.const {SPIN_NS})))
    (loop $wait (br_if $wait (i64.lt_u (call $now) (local.get $until)))))
  (func (export "_start")
    {body}
    (i32.store (i32.const 16) (i32.const 64))
    (i32.store (i32.const 20) (i32.const 5))
    (drop (call $fd_write (i32.const 1) (i32.const 16) (i32.const 1) (i32.const 24)))))
"""


def write_module(path: Path, wat: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(wasmtime.wat2wasm(wat))
    return path


def available(runtime: str) -> bool:
    return get_runner(runtime).detect().available


def cells(run, case: str, phase: str = "process", metric: str = "wall_time") -> dict:
    """runtime -> (status, reason, value) of one case's counted row."""
    frame = load(run)
    rows = frame[(frame["case"] == case) & (frame["phase"] == phase) & (frame["metric"] == metric)]
    return {row["runtime"]: (row["status"], row["reason"], row["value"]) for row in rows.to_dict("records")}


@pytest.fixture(scope="module")
def protocol_suite(tmp_path_factory) -> Path:
    """inside: the spin between bench.start and bench.end; outside: before them (an empty region);
    both with expected stdout; inside also gets an extra preopen, so the wasmtime CLI's bench
    folder is not the first."""
    folder = tmp_path_factory.mktemp("protocol")
    write_module(folder / "inside.wasm", protocol_wat("call $start call $spin call $end"))
    write_module(folder / "nested" / "outside.wasm", protocol_wat("call $spin call $start call $end"))
    (folder / "inside.stdout.expected").write_text("done\n")
    (folder / "nested" / "outside.stdout.expected").write_text("done\n")
    (folder / "extra").mkdir()
    (folder / "suite.toml").write_text('[modules.inside]\ndirs = ["extra::/extra"]\n')
    return folder


@pytest.fixture(scope="module")
def protocol_run(protocol_suite, tmp_path_factory):
    runtimes = tuple(r for r in PROTOCOL_RUNTIMES if available(r)) + ("wasmer",)
    config = RunConfig(suites=(USER_SUITE,), user_suites=(str(protocol_suite),), runtimes=runtimes,
                       repeat=1, warmup=0, timeout_s=60)
    return start_run(config, tmp_path_factory.mktemp("results"))


def test_the_bench_region_is_the_execute_phase_on_every_runtime_that_supplies_it(protocol_run):
    inside = cells(protocol_run, "inside", phase="execute", metric="time")
    outside = cells(protocol_run, "nested/outside", phase="execute", metric="time")
    for runtime in ("interp", "wasmtime", "wasmtime-cli", "node", "wasm3", "pywasm"):
        assert inside[runtime][0] == "ok", (runtime, inside[runtime])
        # the region holds the 20 ms spin ...
        assert SPIN_NS / 1e9 <= inside[runtime][2] < 1.0, (runtime, inside[runtime])
        # ... and an empty region is nearly nothing, though _start spun just as long
        assert outside[runtime][2] < 0.005, (runtime, outside[runtime])
    if available("spidermonkey"):
        assert inside["spidermonkey"][2] >= SPIN_NS / 1e9 and outside["spidermonkey"][2] < 0.005
    wall = cells(protocol_run, "nested/outside")
    assert all(wall[runtime][2] >= SPIN_NS / 1e9 for runtime in inside)  # the process did spin


def test_output_is_checked_and_compile_instantiate_phases_stay(protocol_run):
    wall = cells(protocol_run, "inside")
    assert {runtime for runtime, (status, _, _) in wall.items() if status == "ok"} >= {
        "interp", "wasmtime", "wasmtime-cli", "node", "wasm3", "pywasm"}
    assert all(reason == "" or reason.startswith("peak RSS") for status, reason, _ in wall.values() if status == "ok")
    compile_phase = cells(protocol_run, "inside", phase="compile", metric="time")
    assert {"interp", "wasmtime", "node", "wasm3"} <= set(compile_phase)


def test_a_runtime_that_cannot_supply_the_imports_is_unavailable_with_the_reason(protocol_run):
    status, reason, _ = cells(protocol_run, "inside")["wasmer"]
    assert status == "unavailable"
    assert "host functions" in reason and "bench.start" in reason


def test_report_versus_and_resume_treat_user_cases_like_any_other(protocol_run, tmp_path):
    index = build_site([protocol_run], out=tmp_path / "site")
    page = (index.parent / "user.html").read_text()
    assert "nested/outside" in page and "÷ wasmtime-cli" in page and "execute phase" in page
    assert 'href="user.html"' in index.read_text()
    result = versus(protocol_run, "wasmtime-cli", suite=USER_SUITE, phase="execute")
    ratios = result.cases[result.cases["case"] == "inside"].set_index("runtime")["ratio"]
    assert 0.8 < ratios["interp"] < 1.5  # both spun the same 20 ms inside their region
    figure = analysis.user_modules_figure(protocol_run)  # the notebook's cell
    assert "wasmtime-cli" in figure.axes[0].get_xlabel() + figure.axes[0].get_title()
    compared = compare_runs(protocol_run.path, protocol_run.path, metrics=("time",))
    assert {"inside", "nested/outside"} <= set(compared.cells.loc[compared.cells["phase"] == "execute", "case"])
    plan, finished = plan_resume(protocol_run.path)
    assert {cell.job.key for cell in plan.cells} == finished  # the folder came back from the manifest


def test_wrong_stdout_or_stderr_is_wrong_output_and_unclosed_regions_are_errors(tmp_path):
    write_module(tmp_path / "suite" / "bad_out.wasm", protocol_wat("call $start call $end"))
    (tmp_path / "suite" / "bad_out.stdout.expected").write_text("other\n")
    write_module(tmp_path / "suite" / "bad_err.wasm", protocol_wat("call $start call $end"))
    write_module(tmp_path / "suite" / "unclosed.wasm", protocol_wat("call $start"))
    (tmp_path / "suite" / "suite.toml").write_text('[modules.bad_err]\nstdout = "done\\n"\nstderr = "a warning\\n"\n'
                                                   '[modules.unclosed]\nstdout = "done\\n"\n')
    runtimes = ("interp", "wasmtime-cli", "node")
    run = start_run(RunConfig(suites=(USER_SUITE,), user_suites=(str(tmp_path / "suite"),), runtimes=runtimes,
                              repeat=1, warmup=0), tmp_path / "results")
    for runtime in runtimes:
        status, reason, _ = cells(run, "bad_out")[runtime]
        assert status == "wrong-output" and "stdout differs from bad_out.stdout.expected" in reason
        status, reason, _ = cells(run, "bad_err")[runtime]
        assert status == "wrong-output" and "stderr differs" in reason
        status, reason, _ = cells(run, "unclosed")[runtime]
        assert status == "error" and "no start/end pair completed" in reason


@pytest.fixture(scope="module")
def cat_wasm() -> Path:
    return toolchain.build(PROGRAMS / "user_cat.c", WASM_TARGET, name="user_cat")


def test_manifest_args_per_size_env_inputs_and_the_module_folder_as_dot(tmp_path, cat_wasm):
    suite = tmp_path / "suite"
    (suite / "bin" / "data").mkdir(parents=True)
    shutil.copy(cat_wasm, suite / "bin" / "cat.wasm")
    (suite / "bin" / "a.txt").write_text("abc")
    (suite / "bin" / "data" / "b.txt").write_text("hello")
    (suite / "suite.toml").write_text("""
[defaults]
env = { GREETING = "hi" }

[modules."bin/cat"]
args = { small = ["a.txt"], medium = ["a.txt", "data/b.txt"] }
inputs = ["a.txt", "data/b.txt"]
""")
    (suite / "bin" / "cat.small.stdout.expected").write_text("hi a.txt:3\n")
    (suite / "bin" / "cat.medium.stdout.expected").write_text("hi a.txt:3 data/b.txt:5\n")
    run = start_run(RunConfig(suites=(USER_SUITE,), user_suites=(str(suite),), runtimes=("interp", "wasmtime-cli"),
                              sizes=("small", "medium"), repeat=1, warmup=0), tmp_path / "results")
    frame = load(run)
    rows = frame[(frame["metric"] == "wall_time") & (frame["phase"] == "process")]
    assert sorted(zip(rows["runtime"], rows["size"], rows["status"], strict=True)) == [
        ("interp", "medium", "ok"), ("interp", "small", "ok"),
        ("wasmtime-cli", "medium", "ok"), ("wasmtime-cli", "small", "ok")]
    # a size the manifest does not define costs that case's cells, with the reason
    large = user_cases((str(suite),), (), ("large",))
    assert "gives bin/cat args for sizes small, medium, not large" in large[0].build_error


def test_without_a_manifest_a_module_runs_unchecked_and_says_so(tmp_path, cat_wasm):
    shutil.copy(cat_wasm, tmp_path / "cat.wasm")
    config_suites, folders, modules = suite_selection([], [str(tmp_path / "cat.wasm")], ("startup",))
    assert config_suites == (USER_SUITE,) and modules == (str(tmp_path / "cat.wasm"),)
    run = start_run(RunConfig(suites=config_suites, user_modules=modules, runtimes=("wasmtime-cli", "native"),
                              repeat=1, warmup=0), tmp_path / "results")
    status, reason, _ = cells(run, "cat")["wasmtime-cli"]
    assert (status, reason) == ("ok", UNCHECKED)
    assert cells(run, "cat")["native"][:2] == ("skipped", "a user module has no native build")
    assert notes(user_cases((), modules, ("small",))) == ["note: cat: no expected stdout, its output is not checked"]


def test_a_broken_module_or_missing_input_costs_only_its_own_cells(tmp_path, cat_wasm):
    shutil.copy(cat_wasm, tmp_path / "good.wasm")
    shutil.copy(cat_wasm, tmp_path / "needs_input.wasm")
    (tmp_path / "text.wasm").write_text("not a module")
    write_module(tmp_path / "library.wasm", '(module (func (export "f")))')
    (tmp_path / "suite.toml").write_text('[modules.needs_input]\nargs = ["in.txt"]\ninputs = ["in.txt"]\n')
    cases = {case.name: case.build_error for case in user_cases((str(tmp_path),), (), ("small",))}
    assert cases["good"] == ""
    assert cases["text"] == "text.wasm: not a WebAssembly module (no \\0asm header)"
    assert cases["library"] == "library.wasm exports no _start function: not a WASI command module"
    assert cases["needs_input"] == f"input file {tmp_path / 'in.txt'} not found"
    run = start_run(RunConfig(suites=(USER_SUITE,), user_suites=(str(tmp_path),), runtimes=("wasmtime-cli",),
                              repeat=1, warmup=0), tmp_path / "results")
    statuses = {case: cells(run, case)["wasmtime-cli"][0] for case in cases}
    assert statuses == {"good": "ok", "text": "error", "library": "error", "needs_input": "error"}


@pytest.mark.parametrize(("manifest", "message"), [
    ('[modules.good]\nagrs = ["x"]\n', "unknown key 'agrs' (did you mean 'args'?)"),
    ('[modules.godo]\nargs = []\n', "[modules.'godo'] matches no module in"),
    ('[modules.good]\nargs = { tiny = [] }\n', "unknown size 'tiny'"),
    ('[modules.good\n', "suite.toml:"),
    ('[modules.good]\nstdout = { small = "x" }\n', "stdout is given per size (small) but args is not"),
])
def test_manifest_mistakes_stop_the_plan_with_one_line(tmp_path, cat_wasm, manifest, message):
    shutil.copy(cat_wasm, tmp_path / "good.wasm")
    (tmp_path / "suite.toml").write_text(manifest)
    with pytest.raises(UserSuiteError) as error:
        user_cases((str(tmp_path),), (), ("small",))
    assert message in str(error.value) and "\n" not in str(error.value)


def test_case_names_that_would_share_a_results_file_are_refused(tmp_path, cat_wasm):
    (tmp_path / "a").mkdir()
    shutil.copy(cat_wasm, tmp_path / "a" / "b.wasm")
    shutil.copy(cat_wasm, tmp_path / "a_b.wasm")
    with pytest.raises(UserSuiteError, match="would both be case"):
        user_cases((str(tmp_path),), (), ("small",))


def test_bad_suite_arguments_get_one_line_and_a_non_zero_exit(tmp_path, capsys):
    (tmp_path / "empty").mkdir()
    (tmp_path / "notes.txt").write_text("hello")
    for argv, message in (
            (["--suite", str(tmp_path / "empty")], "no *.wasm modules in this folder"),
            (["--suite", str(tmp_path / "missing")], "neither a suite"),
            (["--module", str(tmp_path / "notes.txt")], "not a WebAssembly module"),
            (["--module", str(tmp_path / "gone.wasm")], "no such file")):
        assert cli.main(["run", *argv, "--runtime", "interp", "--out", str(tmp_path / "out")]) == 2
        err = capsys.readouterr().err
        assert message in err and err.count("\n") == 1, err
    assert not (tmp_path / "out").exists()


def test_run_says_up_front_which_outputs_go_unchecked(tmp_path, cat_wasm, capsys):
    shutil.copy(cat_wasm, tmp_path / "cat.wasm")
    assert cli.main(["run", "--module", str(tmp_path / "cat.wasm"), "--runtime", "wasmtime-cli", "--repeat", "1",
                     "--warmup", "0", "--out", str(tmp_path / "out")]) == 0
    assert "note: cat: no expected stdout, its output is not checked\n" in capsys.readouterr().err


def test_exec_runs_a_protocol_module_once_or_says_why_it_cannot(tmp_path, capfd):
    module = write_module(tmp_path / "inside.wasm", protocol_wat("call $start call $end"))
    for runtime in ("wasmtime-cli", "interp", "node"):
        assert cli.main(["exec", "--runtime", runtime, str(module)]) == 0
        assert capfd.readouterr().out == "done\n"
    assert cli.main(["exec", "--runtime", "wasmer", str(module)]) == 2
    assert "imports bench.start/bench.end: wasmer-sdk" in capfd.readouterr().err


def test_the_interface_reader_walks_every_import_kind_and_refuses_cut_modules():
    wasm = wasmtime.wat2wasm("""(module
      (import "env" "mem" (memory 1 2)) (import "env" "table" (table 1 8 funcref))
      (import "env" "g" (global (mut i32))) (import "bench" "start" (func))
      (func (export "_start")) (export "memory2" (memory 0)))""")
    assert module_interface(wasm) == ([("env", "mem"), ("env", "table"), ("env", "g"), ("bench", "start")],
                                      ["_start", "memory2"])
    with pytest.raises(NotWasm, match="malformed"):
        module_interface(wasm[:30])
