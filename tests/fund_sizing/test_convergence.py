"""The convergence chart's figures: the budget and its interval on the first n paths, n doubling."""

from __future__ import annotations

import sim
from sim.convergence import prefix_sizes
from sim.fund_study import size_fund
from sim.runner import Plan
from sim.sizing import covering


def test_prefixes_double_up_to_the_whole_run_from_a_hundred_paths():
    assert prefix_sizes(20_000) == [156, 312, 625, 1250, 2500, 5000, 10_000, 20_000]
    assert prefix_sizes(300) == [150, 300] and prefix_sizes(50) == [50]


def test_the_last_point_is_the_budget_and_each_is_the_budget_of_its_first_paths(city):
    scenario = sim.load(city("jiyuan"))
    sizing = size_fund(scenario, Plan(seed=3, engine="vector", paths=800, chunk_paths=200))
    rows, budget = sizing.summary["convergence"], sizing.summary["budget"]
    assert [r["paths"] for r in rows] == [100, 200, 400, 800]
    assert rows[-1]["recommended_yuan"] == budget["recommended_yuan"]
    assert rows[-1]["recommended_ci_yuan"] == budget["recommended_ci_yuan"]
    totals = sizing.figures.read().total_fen
    for row in rows:
        assert row["recommended_yuan"] == round(covering(totals[: row["paths"]], 0.99) / 100, 2)
        low, high = row["recommended_ci_yuan"]
        assert low <= row["recommended_yuan"] <= high
    widths = [r["recommended_ci_yuan"][1] - r["recommended_ci_yuan"][0] for r in rows]
    assert widths[-1] < widths[0]
