"""lab.analysis.history: change points by binary segmentation, on synthetic series and on real run copies."""

from __future__ import annotations

import numpy as np

from lab.analysis.history import build_history, change_points
from tests.report.helpers import copy_run, scale_cell, steadiest_cell


def _runs(means, rng, n=8, spread=0.01):
    return [rng.normal(mean, mean * spread, n) for mean in means]


def test_a_step_is_found_where_it_happens():
    rng = np.random.default_rng(7)
    found = change_points(_runs([1.0, 1.0, 1.0, 1.3, 1.3], rng))
    assert [index for index, *_ in found] == [3]
    index, before, after, p_value, ratio = found[0]
    assert 1.25 < ratio < 1.35 and p_value < 0.01


def test_no_change_in_a_flat_series_and_both_edges_of_an_odd_run():
    rng = np.random.default_rng(8)
    assert change_points(_runs([1.0] * 6, rng)) == []
    assert [i for i, *_ in change_points(_runs([1.0, 1.0, 2.0, 1.0, 1.0], rng))] == [2, 3]
    assert change_points(_runs([1.0, 1.02, 1.0, 1.03], rng)) == []  # below the 5% threshold


def test_history_of_real_runs(small_run, tmp_path):
    first = copy_run(small_run, tmp_path, "r1", "2030-01-01T00:00:00+00:00")
    second = copy_run(small_run, tmp_path, "r2", "2030-01-02T00:00:00+00:00")
    third = copy_run(small_run, tmp_path, "r3", "2030-01-03T00:00:00+00:00")
    steadiest = steadiest_cell(small_run)
    scale_cell(third, steadiest["runtime"], steadiest["suite"], steadiest["case"], 1.3)
    history = build_history([third, first, second])  # any order in, time order out
    assert history.runs == ["r1", "r2", "r3"] and history.notes == []
    assert set(history.series["order"]) == {0, 1, 2}
    changes = history.changes
    assert len(changes) == 1, changes
    change = changes.iloc[0]
    assert (change["runtime"], change["case"], change["metric"], change["run_id"]) == \
        (steadiest["runtime"], steadiest["case"], "wall_time", "r3")
    assert change["direction"] == "slower" and abs(change["ratio"] - 1.3) < 0.1



def test_an_exact_metric_steps_only_where_the_runs_part():
    from lab.analysis.history import change_points

    # Two counts 0.07% apart, then a 10% step: one change, at the newest run. (The median of the
    # last two runs pooled is their midpoint, 5% above the first: that must not be a step too.)
    first, second = [169_573_040.0], [169_684_387.0]
    steps = change_points([first, second, [second[0] * 1.1]], exact=True)
    assert [(index, round(ratio, 3)) for index, _, _, _, ratio in steps] == [(2, 1.1)]
    assert change_points([first, second, first], exact=True) == []
