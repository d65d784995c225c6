"""The summary's numbers are consistent with each other and with the simulated paths."""

import tomllib
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import sim
from sim.fund_study import size_fund
from sim.report import headline
from sim.runner import Plan
from sim.scenario import parse
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
    by_layer = payout["by_layer"].values()
    assert sum(row["mean"] for row in by_layer) == pytest.approx(payout["mean"], abs=0.05)
    for row in by_layer:
        assert row["paid_mean"] - row["clawed_back_mean"] == pytest.approx(row["mean"], abs=0.02)
    compensation = summary["budget"]["lines"][0]
    assert compensation["line"] == "compensation"
    assert summary["budget"]["leverage"] == pytest.approx(
        summary["exposure_yuan"] / compensation["recommended_yuan"]
    )
    balance = summary["budget"]["current"]["initial_balance_yuan"]
    assert summary["budget"]["leverage_current"] == pytest.approx(summary["exposure_yuan"] / balance)
    assert summary["mc_standard_error"]["payout_mean_yuan"] > 0


def test_each_budget_line_is_read_for_its_own_quantity(xiangtan_sizing):
    summary, figures = xiangtan_sizing.summary, xiangtan_sizing.figures.read()
    budget = summary["budget"]
    columns = figures.columns()
    per_line = {"compensation": "payout", "interest_subsidy": "subsidy interest"}
    assert [line["line"] for line in budget["lines"]] == list(per_line)
    for line in budget["lines"]:
        values = columns[per_line[line["line"]]] / 100
        assert covering(values, budget["confidence"]) == pytest.approx(line["recommended_yuan"])
        low, high = line["recommended_ci_yuan"]
        assert low <= line["recommended_yuan"] <= high
    # the parts of a sum need not reach its quantile, but never fall short of it together
    assert sum(line["recommended_yuan"] for line in budget["lines"]) >= budget["recommended_yuan"]


def test_the_chance_of_running_short_is_about_the_pot_that_pays_compensation(xiangtan_sizing):
    budget = xiangtan_sizing.summary["budget"]
    compensation, subsidies = budget["pots"]
    assert compensation["pot"] == "compensation" and compensation["lines"] == ["compensation"]
    assert compensation["exhaustion_probability"] == budget["exhaustion_probability"]
    assert compensation["recommended_yuan"] == budget["lines"][0]["recommended_yuan"]
    assert subsidies["lines"] == ["interest_subsidy"] and not subsidies["limited"]


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


def _xiangtan(**changes: dict) -> sim.Scenario:
    path = Path(__file__).resolve().parents[2] / "sim/scenarios/xiangtan.toml"
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    for table, keys in changes.items():
        data[table].update(keys)
    return parse(data)


def test_a_subsidy_budget_runs_short_when_a_years_subsidies_exceed_it():
    plan = Plan(seed=5, engine="vector", paths=400, chunk_paths=200)
    unlimited = size_fund(_xiangtan(), plan).figures.read()
    worst_year = unlimited.subsidy_fen.sum(axis=2).max(axis=1)
    budget_fen = int(np.median(worst_year))  # short in about half the futures
    sizing = size_fund(_xiangtan(subsidy={"annual_budget_yuan": budget_fen / 100}), plan)
    subsidies = sizing.summary["budget"]["pots"][1]
    assert subsidies["limited"] and subsidies["current"]["annual_budget_yuan"] == budget_fen / 100
    assert subsidies["exhaustion_probability"] == np.mean(worst_year > budget_fen)
    assert 0 < subsidies["exhaustion_probability"] < 1


def test_a_joint_pot_pays_the_subsidies_first_and_so_runs_short_at_least_as_often():
    plan = Plan(seed=5, engine="vector", paths=400, chunk_paths=200)
    separate = size_fund(_xiangtan(compensation={"annual_budget_yuan": 12_000_000}), plan)
    joint = size_fund(
        _xiangtan(compensation={"annual_budget_yuan": 12_000_000, "joint_pot": True}), plan
    )
    (pot,) = joint.summary["budget"]["pots"]
    assert pot["pot"] == "fund" and pot["lines"] == ["compensation", "interest_subsidy"]
    assert pot["recommended_yuan"] == joint.summary["budget"]["recommended_yuan"]
    apart = separate.summary["budget"]["exhaustion_probability"]
    assert apart < pot["exhaustion_probability"] == joint.summary["budget"]["exhaustion_probability"]
    assert np.all(joint.figures.read().exhausted >= separate.figures.read().exhausted)
    sentence = headline(joint.summary)
    assert "of ¥5,000,000 for the fund (compensation and subsidies) runs short" in sentence
    assert "together budget ¥" in sentence and "All lines together" not in sentence
    assert "All lines together" in headline(separate.summary)
