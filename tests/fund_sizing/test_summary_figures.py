"""The summary's numbers are consistent with each other and with the simulated paths."""

from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import sim
from sim.fund_study import size_fund
from sim.runner import Plan
from sim.sizing import covering, covering_interval, describe, tail_mean

PERCENTILES = ("p50", "p90", "p95", "p99", "p999")


@pytest.fixture(scope="module")
def xiangtan_sizing():
    """A small run of the mid-sized city, whose fund is short often enough to be interesting."""
    scenario = sim.load(Path(__file__).resolve().parents[2] / "sim/scenarios/xiangtan.toml")
    return size_fund(scenario, Plan(seed=5, engine="vector", paths=1500, chunk_paths=500))


def test_percentiles_are_ordered_and_expected_shortfall_lies_beyond_them(xiangtan_sizing):
    summary = xiangtan_sizing.summary
    for name in ("payout_yuan", "principal_loss_yuan"):
        figures = summary[name]
        values = [figures[p] for p in PERCENTILES]
        assert values == sorted(values), name
        assert figures["es99"] >= figures["p99"]
        assert figures["sd"] >= 0


def test_the_recommended_budget_covers_the_stated_share_of_the_paths(xiangtan_sizing):
    summary, figures = xiangtan_sizing.summary, xiangtan_sizing.figures.read()
    budget = summary["budget"]
    total_yuan = figures.total_fen / 100
    covered = np.mean(total_yuan <= budget["recommended_yuan"] + 0.005)
    assert covered >= budget["confidence"]
    assert budget["covered_share"] >= budget["confidence"]
    # and it is the smallest such budget: one fen less leaves too many paths uncovered
    assert np.mean(total_yuan <= budget["recommended_yuan"] - 0.01) < budget["confidence"]
    low, high = budget["recommended_ci_yuan"]
    assert low <= budget["recommended_yuan"] <= high


def test_the_parts_add_up(xiangtan_sizing):
    summary, figures = xiangtan_sizing.summary, xiangtan_sizing.figures.read()
    payout = summary["payout_yuan"]
    by_year_mean = sum(row["mean"] for row in payout["by_year"])
    assert by_year_mean == pytest.approx(payout["mean"], abs=0.05)
    assert summary["paths"] == figures.paths == 1500
    assert 0 < summary["budget"]["exhaustion_probability"] < 1  # this city's fund is too small
    assert summary["budget"]["unpaid_mean_yuan"] > 0
    assert summary["budget"]["leverage"] == pytest.approx(
        summary["exposure_yuan"] / summary["budget"]["recommended_yuan"]
    )
    assert summary["mc_standard_error"]["payout_mean_yuan"] > 0


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.integers(0, 10**6), min_size=1, max_size=300),
    st.sampled_from([0.5, 0.9, 0.95, 0.99, 0.999]),
)
def test_order_statistics_cover_and_tail_means_lie_beyond(values, confidence):
    values = np.array(values)
    budget = covering(values, confidence)
    assert np.mean(values <= budget) >= confidence
    assert np.mean(values < budget) < confidence  # the smallest such value
    assert tail_mean(values, confidence) >= budget
    low, high = covering_interval(values, confidence)
    assert low <= budget <= high
    figures = describe(values)
    assert [figures[p] for p in PERCENTILES] == sorted(figures[p] for p in PERCENTILES)
    assert figures["es99"] >= figures["p99"]


def test_the_interval_narrows_with_more_paths():
    rng = np.random.default_rng(3)
    few, many = rng.lognormal(size=1_000), rng.lognormal(size=100_000)
    width = [np.subtract(*covering_interval(v, 0.99)[::-1]) for v in (few, many)]
    assert width[1] < width[0] / 3
