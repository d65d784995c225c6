"""The model reproduces its closed forms: expected loss and payout, Vasicek, growth, subsidies, clawbacks."""

import math

import numpy as np
import pytest
from scipy import integrate, stats

import sim
from sim.portfolio import conditional_pd
from sim.subsidy import LINES

YUAN = 100
MILLION_FEN = 1_000_000 * YUAN


def within(sample: np.ndarray, expected: float, k: float = 4.0) -> bool:
    """The sample mean is within k standard errors of the expected value (plus a fen of rounding)."""
    se = sample.std(ddof=1) / math.sqrt(sample.size)
    return abs(sample.mean() - expected) <= k * se + 1


def test_mean_loss_is_pd_times_lgd_times_exposure_and_ratio_one_pays_it_all(make_scenario):
    result = sim.run(make_scenario(), paths=4000)
    loss = result.totals.principal_loss_fen[:, 0]
    assert within(loss, 0.02 * 0.6 * 1000 * MILLION_FEN)
    assert np.array_equal(
        result.net_payout_fen[:, 0], loss
    )  # one layer, ratio 1, paid within the year


def test_mean_payout_is_the_loss_times_the_layers_effective_ratio(make_scenario):
    layers = {
        "bank": 0.4,
        "guarantor": 0.3,
        "insurer": 0.2,
        "agency": 0.1,
        "reguarantee": 0.5,
        "reinsurance": 0.25,
    }
    scenario = make_scenario(layers=layers, compensation={"ratio": 0.3})
    result = sim.run(scenario, paths=4000)
    effective = 0.4 * 0.3 + 0.3 * 0.3 * 0.5 + 0.2 * 0.3 * 0.75 + 0.1 * 0.3  # 0.24, as in DOMAIN.md
    payout = result.net_payout_fen[:, 0]
    assert within(payout, 0.02 * 0.6 * effective * 1000 * MILLION_FEN)
    assert np.array_equal(
        payout * 100, result.totals.principal_loss_fen[:, 0] * 24
    )  # exact: no rounding here


def test_costs_and_unpaid_interest_come_before_principal(make_scenario):
    # proceeds 0.55 P, costs 5% of them, then interest 4.5% x (share of the year elapsed): E[LGD] = 0.5
    scenario = make_scenario(portfolio={"rate": 0.045}, recovery={"rate": 0.55, "costs_rate": 0.05})
    loss = sim.run(scenario, paths=4000).totals.principal_loss_fen[:, 0]
    assert within(loss, 0.02 * 0.5 * 1000 * MILLION_FEN)


def test_the_book_grows_and_defaulted_loans_leave_it(make_scenario):
    pd = 0.05
    scenario = make_scenario(horizon_years=3, portfolio={"growth": 0.2}, default={"pd_annual": pd})
    result = sim.run(scenario, paths=3000)
    performing = [1000.0]
    performing.append(performing[0] * (1 - pd) + 200)
    performing.append(performing[1] * (1 - pd) + 240)
    for year, loans in enumerate(performing):
        assert within(result.totals.defaults[:, year], pd * loans)
        assert within(result.totals.exposure_fen[:, year], loans * MILLION_FEN)


def mixture_cdf(k: int, loans: int, pd: float, correlation: float) -> float:
    """P(defaults <= k) for equal loans: the binomial mixed over the factor Z (finite-N Vasicek)."""

    def integrand(z: float) -> float:
        return stats.binom.cdf(k, loans, conditional_pd(pd, correlation, z)) * stats.norm.pdf(z)

    return integrate.quad(integrand, -9, 9, points=[-3, -2, -1, 0, 1], limit=200)[0]


@pytest.mark.slow
def test_one_year_losses_follow_the_vasicek_binomial_mixture(make_scenario):
    loans, pd, correlation, paths = 1000, 0.02, 0.15, 20000
    result = sim.run(
        make_scenario(default={"pd_annual": pd, "asset_correlation": correlation}), paths=paths
    )
    defaults = result.totals.defaults[:, 0]
    assert np.array_equal(result.totals.principal_loss_fen[:, 0], defaults * 600_000 * YUAN)
    for percentile in (50, 75, 90, 95, 99, 99.5):
        k = int(np.percentile(defaults, percentile))
        expected = mixture_cdf(k, loans, pd, correlation)
        observed = float(np.mean(defaults <= k))
        assert (
            abs(observed - expected) <= 4 * math.sqrt(expected * (1 - expected) / paths) + 1e-4
        ), percentile


@pytest.mark.slow
def test_large_books_approach_the_vasicek_quantile(make_scenario):
    pd, correlation, loans = 0.02, 0.15, 10000
    scenario = make_scenario(
        portfolio={"loans": loans}, default={"pd_annual": pd, "asset_correlation": correlation}
    )
    share = sim.run(scenario, paths=20000).totals.defaults[:, 0] / loans
    for alpha in (0.5, 0.9, 0.99):
        vasicek = stats.norm.cdf(
            (stats.norm.ppf(pd) + math.sqrt(correlation) * stats.norm.ppf(alpha))
            / math.sqrt(1 - correlation)
        )
        assert np.quantile(share, alpha) == pytest.approx(vasicek, rel=0.06), alpha


def test_performing_loans_earn_the_capped_interest_subsidy(make_scenario):
    scenario = make_scenario(
        horizon_years=2,
        portfolio={"rate": 0.05, "growth": 0.5},
        default={"pd_annual": 0.0},
        subsidy={"interest_share": 0.4, "interest_cap_yuan": 15_000},
    )
    result = sim.run(scenario, paths=10)
    per_loan = min(0.4 * 0.05 * 1_000_000, 15_000) * YUAN
    interest = result.totals.subsidy_fen[:, :, LINES.index("interest")]
    assert interest.tolist() == [[1000 * per_loan, 1500 * per_loan]] * 10


def test_only_eligible_loans_earn_subsidies_and_the_appraisal_fee_once(make_scenario):
    scenario = make_scenario(
        horizon_years=2,
        portfolio={"rate": 0.05, "growth": 0.5},
        default={"pd_annual": 0.0},
        subsidy={
            "interest_share": 0.4,
            "eligible_share": 0.3,
            "appraisal_fee_rate": 0.01,
            "appraisal_fee_share": 0.5,
            "premium_rate": 0.02,
            "premium_share": 0.5,
            "premium_cap_yuan": 4_000,
        },
    )
    result = sim.run(scenario, paths=3)
    interest, fee, premium = (result.totals.subsidy_fen[:, :, LINES.index(n)] for n in LINES)
    eligible = [300, 300 + 150]  # 30% of 1,000 loans, then of the 500 new ones
    assert interest.tolist() == [[n * 20_000 * YUAN for n in eligible]] * 3
    # the fee is 1% of the appraised 2,000,000, paid the year a loan is made
    assert fee.tolist() == [[300 * 10_000 * YUAN, 150 * 10_000 * YUAN]] * 3
    assert premium.tolist() == [[n * 4_000 * YUAN for n in eligible]] * 3


def test_a_defaulted_loan_earns_no_yearly_subsidy_from_its_year_of_default(make_scenario):
    scenario = make_scenario(
        horizon_years=3,
        portfolio={"rate": 0.05},
        default={"pd_annual": 0.1},
        subsidy={"premium_rate": 0.01, "premium_share": 1},
    )
    totals = sim.run(scenario, paths=5).totals
    performing = 1000 - np.cumsum(totals.defaults, axis=1)
    premium = totals.subsidy_fen[:, :, LINES.index("premium")]
    assert premium.tolist() == (performing * 10_000 * YUAN).tolist()


@pytest.mark.parametrize("engine", ["vector", "event"])
def test_a_claim_paid_before_the_recovery_is_clawed_back(make_scenario, engine):
    # daily settlements; recovery 100 days after default; early claims 10 days after default on the whole
    # principal: each loan recovered within the year returns 0.4 P of the P it was paid, i.e. 2/3 of 0.6 P
    base = {
        "recovery": {"delay_days": 100},
        "default": {"pd_annual": 0.05},
        "portfolio": {"loans": 200},
    }
    after = make_scenario(compensation={"settlements_per_year": 365}, **base)
    early = make_scenario(compensation={"settlements_per_year": 365, "claim_days": 10}, **base)
    paths = 30 if engine == "event" else 500
    paid_after = sim.run(after, paths, engine=engine).totals
    paid_early = sim.run(early, paths, engine=engine).totals
    assert np.array_equal(paid_early.principal_loss_fen, paid_after.principal_loss_fen)
    assert paid_early.clawback_fen.sum() > 0
    assert np.array_equal(
        paid_early.clawback_fen[:, 0] * 3, paid_after.payout_fen[:, 0].sum(axis=1) * 2
    )
    by_layer = paid_early.clawback_by_layer_fen  # the one layer, bank, bears every clawback
    assert np.array_equal(by_layer[:, 0], paid_early.clawback_fen.sum(axis=1))
    assert not by_layer[:, 1:].any()


@pytest.mark.parametrize("shortfall", ["wait", "lapse"])
def test_the_fund_never_pays_beyond_its_budget_or_balance(make_scenario, shortfall):
    compensation = {
        "annual_budget_yuan": 5_000_000,
        "initial_balance_yuan": 8_000_000,
        "annual_contribution_yuan": 2_000_000,
        "shortfall": shortfall,
    }
    result = sim.run(make_scenario(horizon_years=3, compensation=compensation), paths=2000)
    t = result.totals
    paid = t.payout_fen.sum(axis=2)
    assert (paid <= 5_000_000 * YUAN).all()
    assert (t.balance_end_fen >= 0).all()
    assert t.budget_exhausted.mean() > 0.05
    assert (t.waiting_fen == 0).all() if shortfall == "lapse" else (t.lapsed_fen == 0).all()
    money_in = 8_000_000 * YUAN + 2_000_000 * YUAN * 2
    assert np.array_equal(
        t.balance_end_fen[:, -1], money_in - paid.sum(axis=1) + t.clawback_fen.sum(axis=1)
    )


@pytest.mark.parametrize(("engine", "paths"), [("vector", 4000), ("event", 200)])
def test_each_segment_defaults_at_its_own_rate(make_scenario, engine, paths):
    segments = [
        {"name": "patents", "share": 0.75, "pd_annual": 0.01},
        {"name": "trademarks", "share": 0.25, "pd_annual": 0.05},
    ]
    scenario = make_scenario(default={"pd_annual": None, "segments": segments})
    defaults = sim.run(scenario, paths=paths, engine=engine).totals.defaults[:, 0]
    assert within(defaults, 1000 * (0.75 * 0.01 + 0.25 * 0.05))


def test_a_book_from_a_loan_file_runs_on_both_engines(tmp_path, make_scenario):
    rows = "\n".join(f"{100_000 * (i + 1)},patents" for i in range(50))
    (tmp_path / "loans.csv").write_text("principal_yuan,segment\n" + rows + "\n", encoding="utf-8")
    portfolio = {"loans": None, "principal_yuan": None, "file": "loans.csv"}
    default = {"pd_annual": None, "segments": [{"name": "patents", "share": 1, "pd_annual": 0.1}]}
    scenario = make_scenario(base_dir=tmp_path, portfolio=portfolio, default=default)
    for engine in ("vector", "event"):
        totals = sim.run(scenario, paths=20, engine=engine).totals
        assert (totals.exposure_fen[:, 0] == sum(range(1, 51)) * 100_000 * YUAN).all()
        assert (totals.principal_loss_fen <= totals.exposure_fen).all()


@pytest.mark.parametrize(("engine", "paths"), [("vector", 500), ("event", 30)])
def test_an_institutions_yearly_cap_limits_what_it_is_approved(make_scenario, engine, paths):
    scenario = make_scenario(
        horizon_years=2, compensation={"cap_per_institution_year_yuan": 1_500_000}
    )
    t = sim.run(scenario, paths=paths, engine=engine).totals
    assert (t.claims_fen <= 1_500_000 * YUAN).all()
    assert (
        t.claims_fen == 1_500_000 * YUAN
    ).mean() > 0.5  # 0.6 x ¥1m a default, 20 defaults a year
