"""Work can be split any way across workers without changing a number; sensitivity runs share seeds."""

from dataclasses import fields, replace

import numpy as np
import pytest

import sim
from sim.parallel import Job, run_jobs
from sim.results import PathTotals
from sim.runner import Plan, book_of, run_range, run_range_funds
from sim.sensitivity import vary
from sim.sizing import covering, unlimited_fund
from sim.vector import fund_rules


def same(a: PathTotals, b: PathTotals) -> bool:
    """Every per-path array is equal."""
    return all(np.array_equal(getattr(a, f.name), getattr(b, f.name)) for f in fields(PathTotals))


@pytest.mark.parametrize(("engine", "paths", "chunk"), [("vector", 250, 100), ("event", 23, 10)])
def test_any_range_of_paths_is_computed_as_the_whole_run_computes_it(city, engine, paths, chunk):
    scenario = sim.load(city("jiyuan"))
    whole = sim.run(scenario, paths, seed=4, engine=engine, chunk_paths=chunk).totals
    plan, book = Plan(4, engine, paths, chunk), book_of(scenario)
    for first, stop in [(0, paths), (chunk - 3, chunk + 4), (paths - 2, paths), *plan.pieces()]:
        part = run_range(scenario, book, plan, first, stop)
        assert same(part, PathTotals(**{k: v[first:stop] for k, v in vars(whole).items()}))


@pytest.mark.parametrize("engine", ["vector", "event"])
def test_two_funds_settled_on_one_draw_are_each_funds_own_run_a_joint_pot_too(city, engine):
    plan, own_payout = Plan(6, engine, 30, 20), {}
    for joint_pot in (False, True):
        scenario = sim.load(city("xiangtan"))
        money = replace(scenario.compensation, annual_budget_fen=1_200_000_000, joint_pot=joint_pot)
        scenario, book = replace(scenario, compensation=money), book_of(scenario)
        funds = [fund_rules(unlimited_fund(scenario)), fund_rules(scenario)]
        demand, own = run_range_funds(scenario, book, plan, 5, 30, funds)
        assert same(demand, run_range(unlimited_fund(scenario), book, plan, 5, 30))
        assert same(own, run_range(scenario, book, plan, 5, 30))
        own_payout[joint_pot] = own.payout_fen.sum()
    assert own_payout[True] < own_payout[False]  # the joint pot paid the subsidies first


def test_pieces_are_the_seed_blocks_and_cover_every_path_once():
    for plan in (Plan(1, "vector", 2500, 1000), Plan(1, "event", 45, 20)):
        pieces = plan.pieces()
        assert [p for first, stop in pieces for p in range(first, stop)] == list(range(plan.paths))
        assert [first // plan.chunk_paths for first, _ in pieces] == list(range(plan.blocks))


def test_the_demand_run_has_no_limit_and_keeps_everything_else(city):
    scenario = sim.load(city("xiangtan"))
    demand = unlimited_fund(scenario)
    assert demand.compensation.annual_budget_fen is None
    assert demand.compensation.initial_balance_fen is None
    assert demand.compensation.policy == scenario.compensation.policy
    assert demand.portfolio == scenario.portfolio


def test_higher_compensation_ratios_never_lower_the_budget_on_the_same_seeds(city):
    scenario = sim.load(city("xiangtan"))
    plan = Plan(2, "vector", 400, 200)
    jobs = [Job(vary(scenario, "ratios", f), plan, own_fund=False) for f in (0.8, 1.0, 1.2)]
    low, base, high = (store.read() for store in run_jobs(jobs))
    assert np.all(low.total_fen <= base.total_fen) and np.all(base.total_fen <= high.total_fen)
    assert covering(low.total_fen, 0.99) < covering(high.total_fen, 0.99)
    assert np.array_equal(low.defaults, high.defaults)  # the same futures, only the ratio moved


def test_every_input_can_be_moved_both_ways(city):
    scenario = sim.load(city("beijing"))
    up = {name: vary(scenario, name, 1.2) for name in ("pd", "correlation", "recovery", "growth")}
    assert up["pd"].default.segments[0].pd_annual == pytest.approx(0.018)
    assert up["correlation"].default.asset_correlation == pytest.approx(0.144)
    assert up["recovery"].portfolio.pledge_rate == pytest.approx(0.5 / 1.2)  # appraisals up 20%
    assert up["growth"].portfolio.growth == pytest.approx(0.24)
    rate_model = sim.load(city("xiangtan"))
    assert vary(rate_model, "recovery", 0.8).recovery.rate.mean == pytest.approx(0.24)
