"""lab.analysis.versus (`wasmlab versus`): every runtime of a real run against one base, per case and as a
geometric mean, in both directions, with clear errors for a base or metric the run lacks."""

from __future__ import annotations

import json
import math

import pytest

from lab.analysis.stats import AnalysisError
from lab.analysis.versus import format_versus, versus, versus_dict
from lab.cli import main
from lab.store import open_run


def test_geomeans_and_cases_against_native(small_run):
    result = versus(open_run(small_run), "native")
    geo = result.geomeans.set_index("runtime")
    assert set(geo.index) == {"wasmtime", "wasmtime-cli"}
    assert (geo["cases"] == 2).all() and (geo["excluded"] == 0).all()  # fib and sieve; startup is another suite
    assert set(result.cases["case"]) == {"fib", "sieve"}
    # Against wasmtime-cli, native is the faster side: the same pairs give the inverse geomean.
    back = versus(open_run(small_run), "wasmtime-cli").geomeans.set_index("runtime").loc["native", "geomean"]
    assert math.isclose(back, 1 / geo.loc["wasmtime-cli", "geomean"], rel_tol=1e-9)
    text = format_versus(result)
    assert "wall_time of each runtime / native" in text and "over 2 cases" in text and "sieve" in text


def test_other_metrics_and_suites(small_run):
    rss = versus(open_run(small_run), "wasmtime-cli", metric="peak_rss", suite="startup")
    cases = rss.cases.set_index("runtime")
    assert set(rss.cases["case"]) == {"hello"}
    assert cases.loc["wasmtime", "ratio"] > 1  # the embedded engine carries Python as well
    # The static hello program's peak (tens of KiB, read at its exit) is a small fraction of a
    # JIT runtime's, never the 0 B that wait4 alone reported for it.
    assert cases.loc["native", "status"] == "ok"
    assert 0 < cases.loc["native", "ratio"] < 0.05


def test_a_base_the_run_lacks_and_an_unknown_metric_are_clear_errors(small_run):
    with pytest.raises(AnalysisError, match="wasm3 is not in run .*runtimes: native, wasmtime, wasmtime-cli"):
        versus(open_run(small_run), "wasm3")
    with pytest.raises(AnalysisError, match="unknown metric 'cpu'"):
        versus(open_run(small_run), "native", metric="cpu")


def test_cli_prints_json_and_errors_in_one_line(small_run, capsys):
    assert main(["versus", str(small_run), "--base", "native", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["base"] == "native" and {row["runtime"] for row in data["geomeans"]} == {"wasmtime", "wasmtime-cli"}
    assert data == json.loads(json.dumps(versus_dict(versus(open_run(small_run), "native"))))
    assert main(["versus", str(small_run), "--base", "pywasm"]) == 2
    assert "wasmlab: error: pywasm is not in run" in capsys.readouterr().err


def test_a_runtime_that_times_out_counts_as_a_lower_bound(timed_out_run):
    # interp was killed at 3 s on a guest that takes native about half a second: versus says
    # "at least" instead of dropping the case.
    run = open_run(timed_out_run)
    for metric in ("wall_time", "user_time"):  # the killed sample keeps the CPU time it had used
        result = versus(run, "native", metric=metric)
        (case,) = result.cases.to_dict("records")
        assert case["status"] == "timeout" and case["bound"] == ">=" and "at least" in case["reason"]
        assert case["ratio"] > 1, case  # > 3 s of interp against ~0.5 s of native (more under load)
        (geo,) = result.geomeans.to_dict("records")
        assert geo["bound"] == ">=" and (geo["cases"], geo["bounded"], geo["excluded"]) == (1, 1, 0)
        assert math.isclose(geo["geomean"], case["ratio"])
    text = format_versus(result)
    assert ">=" in text and "1 of them timed-out bounds" in text and "timed out, so the ratio is at least" in text
    # Seen from interp, native is at most that fast in comparison.
    (back,) = versus(run, "interp").cases.to_dict("records")
    assert back["bound"] == "<=" and back["status"] == "base timeout"
