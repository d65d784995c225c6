"""The event engine's trading centre: first filed, first served, path by path, on the vector engine's draws."""

import math
from dataclasses import fields

import numpy as np
import pytest
import simpy

import sim
from sim.centre import centre_load, filing_order, percentile_by_group, queue_starts
from sim.event import events_scheduled, trading_centre


def resource_centre(filed: np.ndarray, work_days: np.ndarray, operators: int) -> np.ndarray:
    """The textbook SimPy model of one path's centre: a case requests one of `operators` when filed."""
    env = simpy.Environment()
    staff = simpy.Resource(env, capacity=operators)
    started = np.zeros(filed.size)

    def case(env: simpy.Environment, i: int):
        yield env.timeout(filed[i])
        with staff.request() as request:
            yield request
            started[i] = env.now
            yield env.timeout(work_days[i])

    for i in np.argsort(filed, kind="stable"):
        env.process(case(env, int(i)))
    env.run()
    return started


def test_operators_take_cases_first_filed_first_served():
    filed = np.array([10.0, 0.0, 1.0, 2.0])
    work = np.array([1.0, 5.0, 5.0, 5.0])
    started = trading_centre(np.zeros(4, dtype=np.int64), filed, work, operators=2)
    assert started.tolist() == [10.0, 0.0, 1.0, 5.0]


def test_each_case_costs_one_event_and_one_more_when_its_operator_waits_for_the_filing():
    filed = np.array([10.0, 0.0, 1.0, 2.0])  # with two operators, the cases filed at 1 and 10 wait
    work = np.array([1.0, 5.0, 5.0, 5.0])
    before = events_scheduled()
    trading_centre(np.zeros(4, dtype=np.int64), filed, work, operators=2)
    assert events_scheduled() - before == 4 + 2


@pytest.mark.parametrize("operators", [1, 3])
def test_the_shared_queue_gives_the_starts_a_simpy_resource_gives(operators):
    rng = np.random.default_rng(operators)
    filed, work = rng.random(300) * 2000, rng.random(300) * 40
    started = trading_centre(np.zeros(300, dtype=np.int64), filed, work, operators)
    assert np.allclose(started, resource_centre(filed, work, operators), rtol=0, atol=1e-9)
    assert np.all(started >= filed)


def test_a_block_of_paths_gets_the_starts_each_path_gets_alone():
    rng = np.random.default_rng(5)
    path = np.sort(rng.integers(0, 40, 2000))[rng.permutation(2000)]  # cases of a path not adjacent
    filed, work = rng.random(2000) * 900, rng.random(2000) * 60
    together = trading_centre(path, filed, work, operators=4)
    for p in range(40):
        mine = path == p
        alone = trading_centre(np.zeros(mine.sum(), dtype=np.int64), filed[mine], work[mine], 4)
        assert np.array_equal(together[mine], alone)


def test_cases_are_ordered_by_path_then_filing_day_ties_in_their_own_order():
    rng = np.random.default_rng(8)
    for paths, days in [(5, 3), (300, 1000), (70_000, 10)]:  # few days: many ties; > 2**16 paths
        path, filed = rng.integers(0, paths, 5000), rng.integers(0, days, 5000) / 4
        assert np.array_equal(filing_order(path, filed), np.lexsort((filed, path)))


@pytest.mark.parametrize(
    "sections",
    [
        {"recovery": {"model": "auction"}, "auction": {"operators": "unlimited"}},
        {},  # the plain recovery-rate model
    ],
)
def test_without_a_queue_the_event_engine_gives_the_vector_engines_paths(make_scenario, sections):
    scenario = make_scenario(**sections, compensation={"ratio": {"bank": 1}, "claim_days": 90})
    event = sim.run(scenario, paths=60, engine="event", chunk_paths=25).totals
    vector = sim.run(scenario, paths=60, engine="vector", chunk_paths=25).totals
    for f in fields(event):
        assert np.array_equal(getattr(event, f.name), getattr(vector, f.name)), f.name
    assert event.defaults.sum() > 0 and event.queue_days.sum() == 0


@pytest.mark.parametrize("operators", [1, 3, 25])
def test_the_numpy_queue_gives_the_simpy_centres_starts_to_the_bit(operators):
    rng = np.random.default_rng(operators)
    # 100 paths: rounds of many paths in NumPy, then the busiest few finish one by one
    path = rng.integers(0, 100, 10_000)
    filed = np.round(rng.random(10_000) * 1500, 1)  # rounded: many cases filed on the same day
    work = rng.exponential(20 * operators, 10_000)  # about 1.3 times what the operators can do
    simpy_starts = trading_centre(path, filed, work, operators)
    assert np.array_equal(queue_starts(path, filed, work, operators, n_paths=100), simpy_starts)
    assert np.mean(simpy_starts > filed) > 0.2  # a real queue


def test_the_centres_load_counts_work_waits_and_the_queue_left_at_the_horizon():
    path = np.array([0, 0, 0, 1])
    filed = np.array([0.0, 10.0, 90.0, 50.0])
    started = np.array([0.0, 60.0, 120.0, 50.0])  # one operator on path 0: cases 2 and 3 wait
    work = np.array([60.0, 60.0, 30.0, 20.0])
    load = centre_load(path, filed, started, work, horizon_days=100.0, n_paths=3)
    assert load.busy_days.tolist() == [60 + 40, 20, 0]  # work past day 100 is not counted
    assert load.offered_days.tolist() == [150, 20, 0]
    assert load.waiting_at_horizon.tolist() == [1, 0, 0]  # filed on day 90, taken on day 120
    assert load.wait_p95_days.tolist() == [50, 0, 0]


def test_a_percentile_by_group_is_the_order_statistic_of_each_group():
    rng = np.random.default_rng(2)
    group = rng.integers(0, 30, 500)
    waited = rng.random(500) < np.where(group < 10, 0.02, 0.6)  # zeros: cases that did not wait
    values = rng.random(500) * waited
    found = percentile_by_group(group, values, 31, 0.95)
    for g in range(30):
        mine = np.sort(values[group == g])
        assert found[g] == mine[math.ceil(0.95 * mine.size) - 1]
    assert found[30] == 0  # a group without values
    assert np.sum(found[:10] == 0) >= 5 and np.all(found[10:30] > 0)  # both kinds of group
