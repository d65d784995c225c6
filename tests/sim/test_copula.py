"""Several correlated sectors and the t copula: the default counts against numerical integration,
the one-factor model as the one-sector case, and the two engines still agreeing."""

from __future__ import annotations

import math

import numpy as np
import pytest
from numpy.polynomial.hermite_e import hermegauss
from scipy import integrate, stats
from scipy.special import ndtr, stdtrit

import sim
from sim.scenario import ScenarioError
from tests.sim.test_engines_agree import AUCTION_BOOK, same_cdf_at, same_mean
from tests.sim.test_loss_model import mixture_cdf

LOANS, PD, RHO, PATHS = 300, 0.03, 0.2, 20_000


def default_counts(scenario, paths: int = PATHS, engine: str = "vector") -> np.ndarray:
    return sim.run(scenario, paths=paths, engine=engine).totals.defaults[:, 0]


def close_to(observed: np.ndarray, k: int, expected: float) -> bool:
    """P(defaults <= k) of a sample within 4 standard errors of the expected probability."""
    share = float(np.mean(observed <= k))
    return abs(share - expected) <= 4 * math.sqrt(expected * (1 - expected) / observed.size) + 1e-4


def t_mixture_cdf(k: int, loans: int, pd: float, rho: float, nu: float) -> float:
    """P(defaults <= k) under the t copula: the binomial mixed over Z (Gauss-Hermite) and over the
    mixing variable W ~ chi-squared(nu) (scipy.integrate.quad)."""
    z, w = hermegauss(80)
    w = w / w.sum()
    threshold = stdtrit(nu, pd)

    def given_mixing(chi2: float) -> float:
        p = ndtr((threshold * math.sqrt(chi2 / nu) - math.sqrt(rho) * z) / math.sqrt(1 - rho))
        return float(w @ stats.binom.cdf(k, loans, p)) * stats.chi2.pdf(chi2, nu)

    return integrate.quad(given_mixing, 0, np.inf, limit=200)[0]


def test_one_sector_with_its_own_factor_is_the_one_factor_model(make_scenario):
    plain = make_scenario(
        portfolio={"loans": LOANS}, default={"pd_annual": PD, "asset_correlation": RHO}
    )
    sectored = make_scenario(
        portfolio={"loans": LOANS},
        default={
            "pd_annual": None,
            "asset_correlation": RHO,
            "segments": [{"name": "software", "share": 1, "pd_annual": PD}],
            "factor_correlation": [[1.0]],
        },
    )
    counts = default_counts(sectored)
    assert np.array_equal(counts, default_counts(plain))  # the same draws, the same paths
    for percentile in (50, 90, 99, 99.5):
        k = int(np.percentile(counts, percentile))
        assert close_to(counts, k, mixture_cdf(k, LOANS, PD, RHO)), percentile


def test_the_t_copulas_default_count_tail_matches_the_integral_over_the_mixing_variable(
    make_scenario,
):
    nu = 4.0
    scenario = make_scenario(
        portfolio={"loans": LOANS},
        default={
            "pd_annual": PD,
            "asset_correlation": RHO,
            "copula": "t",
            "degrees_of_freedom": nu,
        },
    )
    counts = default_counts(scenario)
    assert counts.mean() == pytest.approx(LOANS * PD, rel=0.05)  # each loan keeps its PD
    for percentile in (50, 90, 95, 99, 99.5):
        k = int(np.percentile(counts, percentile))
        assert close_to(counts, k, t_mixture_cdf(k, LOANS, PD, RHO, nu)), percentile
    gaussian = default_counts(make_scenario(
        portfolio={"loans": LOANS}, default={"pd_annual": PD, "asset_correlation": RHO}
    ))  # fmt: skip
    assert np.percentile(counts, 99.5) > np.percentile(gaussian, 99.5)  # fatter tail


def test_correlated_sectors_default_together_as_their_factors_are_correlated(make_scenario):
    def sectors(correlation: float) -> np.ndarray:
        scenario = make_scenario(
            portfolio={"loans": 400},
            default={
                "pd_annual": None,
                "asset_correlation": 0.3,
                "segments": [
                    {"name": "software", "share": 0.5, "pd_annual": 0.03},
                    {"name": "biotech", "share": 0.5, "pd_annual": 0.03},
                ],
                "factor_correlation": [[1, correlation], [correlation, 1]],
            },
        )
        result = sim.run(scenario, paths=5000, seed=2)
        groups = result.totals.group_payout_fen  # bank, then the two sectors, then size bands
        return np.corrcoef(groups[:, 1], groups[:, 2])[0, 1]

    assert abs(sectors(0.0)) < 0.06
    assert sectors(0.9) > 0.5


def test_a_bad_factor_matrix_or_degrees_of_freedom_is_refused_naming_the_key(make_scenario):
    two = [
        {"name": "software", "share": 0.5, "pd_annual": 0.03},
        {"name": "biotech", "share": 0.5, "pd_annual": 0.03},
    ]
    bad = {
        "must be a 2 x 2 matrix": [[1.0]],
        "symmetric": [[1, 0.5], [0.4, 1]],
        "positive definite": [[1, 1], [1, 1]],
        "in \\[-1, 1\\]": [[1, 2], [2, 1]],
    }
    for message, matrix in bad.items():
        with pytest.raises(ScenarioError, match=f"default.factor_correlation.*{message}"):
            make_scenario(
                default={"pd_annual": None, "segments": two, "factor_correlation": matrix}
            )
    with pytest.raises(ScenarioError, match="default.degrees_of_freedom: is required"):
        make_scenario(default={"copula": "t"})
    with pytest.raises(
        ScenarioError, match='default.degrees_of_freedom: applies only with copula = "t"'
    ):
        make_scenario(default={"degrees_of_freedom": 5})
    with pytest.raises(ScenarioError, match="default.copula: must be one of"):
        make_scenario(default={"copula": "clayton"})


@pytest.mark.slow
def test_with_sectors_and_the_t_copula_the_engines_still_agree(make_scenario):
    book = AUCTION_BOOK | {
        "default": {
            "pd_annual": None,
            "asset_correlation": 0.15,
            "segments": [
                {"name": "software", "share": 0.6, "pd_annual": 0.04},
                {"name": "biotech", "share": 0.4, "pd_annual": 0.07},
            ],
            "factor_correlation": [[1, 0.5], [0.5, 1]],
            "copula": "t",
            "degrees_of_freedom": 5,
        }
    }
    scenario = make_scenario(**book)
    vector = sim.run(scenario, paths=3000, engine="vector")
    event = sim.run(scenario, paths=300, engine="event", seed=scenario.seed + 1)
    same_seed = sim.run(scenario, paths=300, engine="vector", seed=scenario.seed + 1)
    assert np.array_equal(same_seed.net_payout_fen, event.net_payout_fen)  # no queue: the same paths
    for name in ("defaults", "principal_loss_fen", "claims_fen"):
        a, b = getattr(vector.totals, name).sum(axis=1), getattr(event.totals, name).sum(axis=1)
        assert same_mean(a, b), name
    payout_v, payout_e = vector.net_payout_fen.sum(axis=1), event.net_payout_fen.sum(axis=1)
    for percentile in (50, 90, 99):
        assert same_cdf_at(payout_v, payout_e, np.percentile(payout_v, percentile)), percentile
