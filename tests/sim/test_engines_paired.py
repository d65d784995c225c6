"""Both engines on the same seeds: the vector engine's NumPy centre against the SimPy reference.

Every shipped scenario, and example.toml, whose centre is overloaded (about 1.6 times the work its
four operators can do): mean payout, its 99th percentile, the chance the fund runs out and the mean
delay from default to cash agree within 4 paired standard errors.
"""

import math
from dataclasses import fields
from pathlib import Path

import numpy as np
import pytest

import sim

SCENARIOS = sorted(Path("sim/scenarios").glob("*.toml"))
PATHS = 1000


def within_paired_se(a: np.ndarray, b: np.ndarray, k: float = 4.0) -> bool:
    """Paired samples (path by path) whose means differ by at most k standard errors of the difference."""
    d = a.astype(np.float64) - b
    return abs(d.mean()) <= k * d.std(ddof=1) / math.sqrt(d.size)


def same_quantile(a: np.ndarray, b: np.ndarray, q: float, k: float = 4.0) -> bool:
    """b puts the share q of its paths at or below a's q-quantile, within k binomial standard errors."""
    share = np.mean(b <= np.quantile(a, q, method="inverted_cdf"))
    return abs(share - q) <= k * math.sqrt(q * (1 - q) / b.size) + 1 / b.size


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.stem)
def test_the_engines_agree_on_every_shipped_scenario(path):
    scenario = sim.load(path)
    vector = sim.run(scenario, paths=PATHS, seed=7, engine="vector")
    event = sim.run(scenario, paths=PATHS, seed=7, engine="event")
    payout_v, payout_e = vector.net_payout_fen.sum(axis=1), event.net_payout_fen.sum(axis=1)
    assert payout_v.mean() > 0
    assert within_paired_se(payout_v, payout_e)
    assert same_quantile(payout_v, payout_e, 0.99)
    v, e = vector.totals, event.totals
    assert within_paired_se(v.budget_exhausted.any(axis=1), e.budget_exhausted.any(axis=1))
    delay_v = v.disposal_days / np.maximum(v.disposals, 1)
    assert within_paired_se(delay_v, e.disposal_days / np.maximum(e.disposals, 1))
    # the same queue, the same arithmetic: the same paths to the bit
    for f in fields(v):
        assert np.array_equal(getattr(v, f.name), getattr(e, f.name)), f.name


def test_the_example_centre_is_overloaded_and_both_engines_show_it():
    scenario = sim.load("sim/scenarios/example.toml")
    for engine in ("vector", "event"):
        totals = sim.run(scenario, paths=300, seed=7, engine=engine).totals
        assert totals.centre_utilisation.mean() > 1.2  # more work filed than four operators can do
        assert totals.waiting_at_horizon.mean() > 10
        assert (totals.queue_days / np.maximum(totals.disposals, 1)).mean() > 100
