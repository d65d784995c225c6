"""The SimPy event engine and the NumPy vector engine agree where both apply; capacity shows a queue."""

import math

import numpy as np
import pytest

import sim

AUCTION_BOOK = {
    "horizon_years": 2,
    "portfolio": {
        "loans": 300,
        "principal_yuan": {"dist": "lognormal", "median": 2_000_000, "sigma": 0.5},
        "rate": 0.045,
        "growth": 0.2,
    },
    "default": {"pd_annual": 0.05, "asset_correlation": 0.15},
    "recovery": {"model": "auction", "costs_rate": 0.05},
    "auction": {"bidders_mean": 1.0, "value_sigma": 0.6, "operators": "unlimited"},
    "layers": {"bank": 0.4, "guarantor": 0.3, "insurer": 0.2, "agency": 0.1, "reguarantee": 0.5},
    "compensation": {
        "ratio": 0.3,
        "annual_budget_yuan": 3_000_000,
        "initial_balance_yuan": 5_000_000,
        "claim_days": 120,
    },
    "subsidy": {"interest_share": 0.4, "interest_cap_yuan": 30_000},
}


def same_mean(a: np.ndarray, b: np.ndarray, k: float = 4.0) -> bool:
    """Two independent samples have means within k standard errors of their difference."""
    se = math.sqrt(a.var(ddof=1) / a.size + b.var(ddof=1) / b.size)
    return abs(a.mean() - b.mean()) <= k * se + 1


def same_cdf_at(a: np.ndarray, b: np.ndarray, point: float, k: float = 4.0) -> bool:
    """Two samples put the same share of paths at or below a point, within k standard errors."""
    fa, fb = np.mean(a <= point), np.mean(b <= point)
    pooled = (fa * a.size + fb * b.size) / (a.size + b.size)
    se = math.sqrt(max(pooled * (1 - pooled), 1e-12) * (1 / a.size + 1 / b.size))
    return abs(fa - fb) <= k * se


@pytest.mark.slow
def test_with_unlimited_capacity_the_engines_agree(make_scenario):
    scenario = make_scenario(**AUCTION_BOOK)
    vector = sim.run(scenario, paths=4000, engine="vector")
    event = sim.run(scenario, paths=300, engine="event", seed=scenario.seed + 1)
    assert event.totals.queue_days.sum() == 0
    for year in range(2):
        for name in ("defaults", "principal_loss_fen", "subsidy_fen", "claims_fen", "clawback_fen"):
            a, b = getattr(vector.totals, name)[:, year], getattr(event.totals, name)[:, year]
            assert same_mean(a, b), (name, year, a.mean(), b.mean())
        assert same_mean(vector.net_payout_fen[:, year], event.net_payout_fen[:, year]), year
    payout_v, payout_e = vector.net_payout_fen.sum(axis=1), event.net_payout_fen.sum(axis=1)
    assert payout_v.mean() > 0 and vector.totals.clawback_fen.sum() > 0
    for percentile in (25, 50, 75, 90, 99):
        assert same_cdf_at(payout_v, payout_e, np.percentile(payout_v, percentile)), percentile
    assert same_mean(
        vector.totals.budget_exhausted.any(axis=1) * 1.0,
        event.totals.budget_exhausted.any(axis=1) * 1.0,
    )
    assert same_mean(
        vector.totals.disposal_days / np.maximum(vector.totals.disposals, 1),
        event.totals.disposal_days / np.maximum(event.totals.disposals, 1),
    )


@pytest.mark.slow
def test_with_one_operator_the_event_engine_shows_the_queue(make_scenario):
    busy = {
        **AUCTION_BOOK,
        "auction": {**AUCTION_BOOK["auction"], "operators": 1},
        "compensation": {"ratio": 0.3},
    }
    free = {**busy, "auction": AUCTION_BOOK["auction"]}
    queued = sim.run(make_scenario(**busy), paths=150, engine="event").totals
    unqueued = sim.run(make_scenario(**free), paths=150, engine="event").totals
    # the same seeds give the same defaults and auctions; only the waiting differs
    assert np.array_equal(queued.defaults, unqueued.defaults)
    assert np.array_equal(queued.principal_loss_fen, unqueued.principal_loss_fen)
    assert queued.queue_days.sum() > 0
    assert queued.disposal_days.sum() > unqueued.disposal_days.sum() + 30 * queued.disposals.sum()
    assert (
        queued.payout_fen.sum() < unqueued.payout_fen.sum()
    )  # later payouts: fewer within the horizon
    assert queued.pending_fen.sum() > unqueued.pending_fen.sum()  # and more waiting beyond it
