"""The components suite: core modules wrapped by jco as WASI 0.2 components, run on
wasmtime-cli, the wasmtime embedding's component API and node (jco transpile), output checked."""

from __future__ import annotations

import math

import pytest

from lab.hosts import components
from lab.model import Invocation
from lab.report.components import component_rows
from lab.run.orchestrate import start_run
from lab.run.plan import RunConfig
from lab.runners.base import Limits
from lab.runners.registry import get_runner
from lab.store import load

COMPONENT_RUNTIMES = ("wasmtime-cli", "wasmtime", "node")


@pytest.fixture(scope="module")
def echo_component(echo_env_wasm):
    return components.component_for(echo_env_wasm)


def test_component_wraps_the_core_module_once(echo_env_wasm, echo_component):
    assert components.is_component(echo_component)
    assert not components.is_component(echo_env_wasm)
    built = echo_component.stat().st_mtime_ns
    assert components.component_for(echo_env_wasm) == echo_component
    assert echo_component.stat().st_mtime_ns == built  # a cache hit, not a rebuild


@pytest.mark.parametrize("runtime", COMPONENT_RUNTIMES)
def test_component_gets_args_env_and_preopens(runtime, echo_component, tmp_path):
    (tmp_path / "in.txt").write_text("from the host\n")
    invocation = Invocation(wasm=echo_component, args=("/d/in.txt", "0"), env=(("WASMLAB_GREETING", "hi"),),
                            dirs=((str(tmp_path), "/d"),))
    runner = get_runner(runtime)
    sample = runner.run(invocation, runner.default_mode(), Limits(timeout_s=60))
    assert sample.process.stdout == b"env=hi\nfrom the host\n", sample.process.stderr[-500:]
    assert sample.process.exit_code == 0


@pytest.mark.parametrize("runtime", COMPONENT_RUNTIMES)
def test_component_failure_exits_non_zero(runtime, echo_component):
    # WASI 0.2's exit carries success or failure only: the adapter turns exit(5) into 1.
    runner = get_runner(runtime)
    sample = runner.run(Invocation(wasm=echo_component, args=("/nowhere", "5")), runner.default_mode(),
                        Limits(timeout_s=60))
    assert sample.process.stdout == b"env=(unset)\ncannot open /nowhere\n"
    assert sample.process.exit_code == 1


@pytest.fixture(scope="module")
def component_run(tmp_path_factory):
    config = RunConfig(suites=("startup", "workloads", "components"), runtimes=(*COMPONENT_RUNTIMES, "interp"),
                       workloads=("fileio",), sizes=("small",), repeat=1, warmup=0)
    return start_run(config, tmp_path_factory.mktemp("results"))


def test_components_run_on_three_runtimes_with_output_checked(component_run):
    frame = load(component_run.path)
    part = frame[(frame["suite"] == "components") & (frame["metric"] == "wall_time")]
    cells = {(row["runtime"], row["case"]): row for row in part.to_dict("records")}
    for runtime in COMPONENT_RUNTIMES:
        for case in ("hello", "fileio"):  # fileio reads and writes its preopened inputs
            assert cells[(runtime, case)]["status"] == "ok", cells[(runtime, case)]["reason"]
    # Our engine has no component model: unavailable with the reason, not run and not faked.
    assert cells[("interp", "hello")]["status"] == "unavailable"
    assert "component model" in cells[("interp", "hello")]["reason"]


def test_report_sets_component_beside_core(component_run):
    frame = load(component_run.path)
    rows = {(row["runtime"], row["case"]): row for row in component_rows(frame)}
    for runtime in COMPONENT_RUNTIMES:
        row = rows[(runtime, "hello")]
        wall = row["wall_time"]
        assert wall["core"]["ok"] and wall["component"]["ok"]
        assert wall["ratio"] == pytest.approx(wall["component"]["median"] / wall["core"]["median"])
        assert row["peak_rss"]["component"]["ok"]
    assert math.isnan(rows[("interp", "hello")]["wall_time"]["ratio"])


def test_site_has_a_components_page(component_run, tmp_path):
    from lab.report.site import build_site

    index = build_site([component_run], out=tmp_path)
    assert 'href="components.html"' in index.read_text()
    page = (tmp_path / "components.html").read_text()
    assert page.count("<tr>") >= 1 + 4 * 2  # the header, 4 runtimes x 2 cases
    assert "no component model" in page  # interp's reason is shown
