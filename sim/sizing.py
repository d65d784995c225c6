"""Fund sizing: per-path figures kept from a run, and the summary a finance bureau reads.

The recommended budget is read from the *demand* run: the scenario with no limit on the fund, so every
claim approved within the horizon is paid and nothing is hidden by a budget already too small. The
scenario's own budget and balance are run alongside, on the same seeds, for the probability that they
run out. Quantiles are order statistics ("the smallest budget that covers"), so a budget read at 99%
covers at least 99% of the simulated paths; the interval around it is the distribution-free
order-statistic interval (binomial), so it needs no assumption about the shape of the distribution.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields, replace

import numpy as np
from scipy.special import bdtr

from market.domain.loss import LAYERS
from sim.model import Scenario
from sim.results import PathTotals

PERCENTILES = {"p50": 0.5, "p90": 0.9, "p95": 0.95, "p99": 0.99, "p999": 0.999}
CI_LEVEL = 0.95


@dataclass(frozen=True)
class PathFigures:
    """What sizing keeps of each path (money in fen): a few numbers a path, never per-loan arrays."""

    defaults: np.ndarray  # (paths,): over the horizon
    principal_loss_fen: np.ndarray  # (paths,)
    payout_fen: np.ndarray  # (paths, years): demand run, paid minus clawed back
    layer_payout_fen: np.ndarray  # (paths, layers): demand run, paid (before clawbacks)
    subsidy_fen: np.ndarray  # (paths, years)
    exhausted: np.ndarray  # (paths,): the scenario's own fund left a claim unpaid in some year
    unpaid_fen: np.ndarray  # (paths,): what the scenario's own fund did not pay within the horizon

    @classmethod
    def of(cls, demand: PathTotals, own: PathTotals | None) -> PathFigures:
        """Reduce a demand run (and the same paths under the scenario's own fund) to the kept figures."""
        net = demand.payout_fen.sum(axis=2) - demand.clawback_fen
        if own is None:  # the scenario's fund has no limit: it pays exactly the demand
            exhausted, unpaid = np.zeros(net.shape[0], dtype=bool), np.zeros_like(net[:, 0])
        else:
            own_net = own.payout_fen.sum(axis=2) - own.clawback_fen
            exhausted, unpaid = own.budget_exhausted.any(axis=1), net.sum(1) - own_net.sum(1)
        return cls(
            defaults=demand.defaults.sum(axis=1),
            principal_loss_fen=demand.principal_loss_fen.sum(axis=1),
            payout_fen=net,
            layer_payout_fen=demand.payout_fen.sum(axis=1),
            subsidy_fen=demand.subsidy_fen,
            exhausted=exhausted,
            unpaid_fen=unpaid,
        )

    @classmethod
    def empty(cls, paths: int, years: int) -> PathFigures:
        """Zeroed figures for `paths` paths, to be filled piece by piece with `put`."""
        return cls(
            defaults=np.zeros(paths, dtype=np.int64),
            principal_loss_fen=np.zeros(paths, dtype=np.int64),
            payout_fen=np.zeros((paths, years), dtype=np.int64),
            layer_payout_fen=np.zeros((paths, len(LAYERS)), dtype=np.int64),
            subsidy_fen=np.zeros((paths, years), dtype=np.int64),
            exhausted=np.zeros(paths, dtype=bool),
            unpaid_fen=np.zeros(paths, dtype=np.int64),
        )

    def put(self, first: int, piece: PathFigures) -> None:
        """Copy a piece's paths into place, starting at path `first`."""
        for f in fields(self):
            part = getattr(piece, f.name)
            getattr(self, f.name)[first : first + part.shape[0]] = part

    @property
    def paths(self) -> int:
        """Number of paths."""
        return int(self.defaults.shape[0])

    @property
    def total_fen(self) -> np.ndarray:
        """(paths,): payouts plus subsidies over the horizon, what the budget has to cover."""
        return self.payout_fen.sum(axis=1) + self.subsidy_fen.sum(axis=1)

    @property
    def worst_year_fen(self) -> np.ndarray:
        """(paths,): the largest one year's payouts plus subsidies."""
        return (self.payout_fen + self.subsidy_fen).max(axis=1)


def unlimited_fund(scenario: Scenario) -> Scenario:
    """The scenario with no budget or balance limit: the fund pays every approved claim (the demand)."""
    compensation = replace(scenario.compensation, annual_budget_fen=None, initial_balance_fen=None)
    return replace(scenario, compensation=compensation)


def fund_is_limited(scenario: Scenario) -> bool:
    """True when the scenario sets a budget or a balance, so its own fund can run out."""
    c = scenario.compensation
    return c.annual_budget_fen is not None or c.initial_balance_fen is not None


def covering(values: np.ndarray, confidence: float) -> float:
    """The smallest value v with at least `confidence` of the values <= v (an order statistic)."""
    ordered = np.sort(np.asarray(values, dtype=np.float64))
    return float(ordered[max(1, math.ceil(confidence * ordered.size - 1e-9)) - 1])


def covering_interval(
    values: np.ndarray, confidence: float, level: float = CI_LEVEL
) -> tuple[float, float]:
    """A distribution-free `level` interval for the `confidence` quantile: two order statistics."""
    ordered = np.sort(np.asarray(values, dtype=np.float64))
    n, tail = ordered.size, (1 - level) / 2
    low = binomial_quantile(tail, n, confidence)  # 1-based ranks, kept inside 1..n
    high = binomial_quantile(1 - tail, n, confidence) + 1
    return float(ordered[min(max(low, 1), n) - 1]), float(ordered[min(max(high, 1), n) - 1])


def binomial_quantile(q: float, n: int, p: float) -> int:
    """The smallest k with P(Binomial(n, p) <= k) >= q (scipy.stats.binom.ppf, without its import cost)."""
    sd = math.sqrt(n * p * (1 - p))
    ks = np.arange(
        max(0, math.floor(n * p - 10 * sd) - 10), min(n, math.ceil(n * p + 10 * sd) + 10) + 1
    )
    cdf = bdtr(ks, n, p)
    return int(ks[min(int(np.searchsorted(cdf, q - 1e-12)), ks.size - 1)])


def tail_mean(values: np.ndarray, confidence: float) -> float:
    """Expected shortfall: the mean of the worst (1 - confidence) share of paths (at least one path)."""
    ordered = np.sort(np.asarray(values, dtype=np.float64))
    tail = max(1, math.floor(ordered.size * (1 - confidence) + 1e-9))
    return float(ordered[-tail:].mean())


def describe(values_fen: np.ndarray) -> dict[str, float]:
    """Mean, sd, percentiles (order statistics) and ES99 of an amount in fen, in yuan."""
    values = np.asarray(values_fen, dtype=np.float64)
    figures = {"mean": values.mean(), "sd": values.std(ddof=1) if values.size > 1 else 0.0}
    figures |= {name: covering(values, q) for name, q in PERCENTILES.items()}
    figures["es99"] = tail_mean(values, 0.99)
    return {name: _yuan(value) for name, value in figures.items()}


def summarise(
    scenario: Scenario,
    figures: PathFigures,
    *,
    engine: str,
    seed: int,
    chunk_paths: int,
    exposure_fen: int,
    confidence: float,
) -> dict:
    """The summary.json figures: distributions, the recommended budget and its interval, leverage."""
    n, years = figures.paths, scenario.horizon_years
    payout, total = figures.payout_fen.sum(axis=1), figures.total_fen
    recommended = covering(total, confidence)
    low, high = covering_interval(total, confidence)
    comp = scenario.compensation
    p_out = float(figures.exhausted.mean())
    payout_summary = describe(payout) | {
        "by_layer": {
            layer.value: {
                "mean": _yuan(figures.layer_payout_fen[:, j].mean()),
                "p99": _yuan(covering(figures.layer_payout_fen[:, j], 0.99)),
            }
            for j, layer in enumerate(LAYERS)
        },
        "by_year": [
            {
                "year": y + 1,
                "mean": _yuan(figures.payout_fen[:, y].mean()),
                "p99": _yuan(covering(figures.payout_fen[:, y], 0.99)),
            }
            for y in range(years)
        ],
    }
    return {
        "scenario": scenario.name,
        "engine": engine,
        "paths": n,
        "seed": seed,
        "chunk_paths": chunk_paths,
        "horizon_years": years,
        "loans": scenario.portfolio.loans,
        "exposure_yuan": _yuan(exposure_fen),
        "defaults": {
            "mean": float(figures.defaults.mean()),
            "p99": covering(figures.defaults, 0.99),
        },
        "principal_loss_yuan": describe(figures.principal_loss_fen),
        "payout_yuan": payout_summary,
        "subsidy_yuan": {
            "mean": _yuan(figures.subsidy_fen.sum(axis=1).mean()),
            "p99": _yuan(covering(figures.subsidy_fen.sum(axis=1), 0.99)),
        },
        "budget": {
            "confidence": confidence,
            "recommended_yuan": _yuan(recommended),
            "recommended_ci_level": CI_LEVEL,
            "recommended_ci_yuan": [_yuan(low), _yuan(high)],
            "covered_share": float(np.mean(total <= recommended)),
            "recommended_annual_yuan": _yuan(covering(figures.worst_year_fen, confidence)),
            "current": {
                "annual_budget_yuan": _optional_yuan(comp.annual_budget_fen),
                "initial_balance_yuan": _optional_yuan(comp.initial_balance_fen),
                "annual_contribution_yuan": _yuan(comp.annual_contribution_fen),
            },
            "exhaustion_probability": p_out,
            "unpaid_mean_yuan": _yuan(figures.unpaid_fen.mean()),
            "leverage": exposure_fen / recommended if recommended > 0 else None,
        },
        "mc_standard_error": {
            "payout_mean_yuan": _yuan(payout.std(ddof=1) / math.sqrt(n)) if n > 1 else None,
            "total_mean_yuan": _yuan(total.std(ddof=1) / math.sqrt(n)) if n > 1 else None,
            "exhaustion_probability": math.sqrt(p_out * (1 - p_out) / n),
        },
    }


def _yuan(fen: float) -> float:
    return round(float(fen) / 100, 2)


def _optional_yuan(fen: int | None) -> float | None:
    return None if fen is None else _yuan(fen)
