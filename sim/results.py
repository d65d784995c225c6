"""Immutable per-path results of a run, and the figures the bureau reads, aggregated after the run."""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np

from market.domain.loss import LAYERS, Layer
from sim.model import Scenario


@dataclass(frozen=True)
class PathTotals:
    """Totals per path (first axis), per year (second axis) where it applies; all money in fen."""

    defaults: np.ndarray  # (paths, years): loans defaulting in the year
    exposure_fen: np.ndarray  # (paths, years): performing principal at the start of the year
    principal_loss_fen: np.ndarray  # (paths, years): by year of default, whenever the disposal ends
    claims_fen: np.ndarray  # (paths, years): claims approved in the year (the fund's demand)
    payout_fen: np.ndarray  # (paths, years, layers): paid by the fund, before clawbacks
    clawback_fen: np.ndarray  # (paths, years): clawed back after late recoveries
    clawback_by_layer_fen: np.ndarray  # (paths, layers): the same over the horizon, per layer
    subsidy_fen: np.ndarray  # (paths, years, subsidy lines): sim.subsidy.LINES
    balance_end_fen: np.ndarray  # (paths, years): the fund's balance at the year end
    budget_exhausted: np.ndarray  # (paths, years): budget or balance left a payable claim unpaid
    waiting_fen: np.ndarray  # (paths,): approved, still owed at the horizon
    lapsed_fen: np.ndarray  # (paths,): lost under the "lapse" policy
    pending_fen: np.ndarray  # (paths,): claims on the horizon's defaults approved after the horizon
    # (paths,): defaulted loans disposed of (all, including after the horizon)
    disposals: np.ndarray
    disposal_days: np.ndarray  # (paths,): sum over those of the days from default to cash
    queue_days: np.ndarray  # (paths,): sum of the days cases waited for a trading-centre operator
    # the trading centre's load and what the horizon leaves open (sim.centre), (paths,) each:
    # operator-days the cases filed within the horizon need / those available (0: unlimited); above 1
    # the queue grows without end
    centre_utilisation: np.ndarray
    centre_busy_share: np.ndarray  # operator-days worked within the horizon / those available
    wait_p95_days: np.ndarray  # 95th percentile of the path's waits for an operator
    waiting_at_horizon: np.ndarray  # cases filed by the horizon still waiting for an operator
    pending_claims: np.ndarray  # claims (loan x layer) approved after the horizon
    # (paths, groups): paid net of clawbacks over the horizon per bank, then sector, then loan-size
    # band (sim.contributions.group_names); each kind's columns add up to the path's net payout
    group_payout_fen: np.ndarray

    @classmethod
    def concat(cls, blocks: list[PathTotals]) -> PathTotals:
        """Blocks of paths, one after the other, as one read-only record."""
        joined = {}
        for f in fields(cls):
            array = np.concatenate([getattr(block, f.name) for block in blocks])
            array.setflags(write=False)
            joined[f.name] = array
        return cls(**joined)


@dataclass(frozen=True)
class PathRecord:
    """One path's results as plain numbers (years in order; payouts per year per layer)."""

    defaults: tuple[int, ...]
    principal_loss_fen: tuple[int, ...]
    payout_fen: tuple[dict[Layer, int], ...]
    clawback_fen: tuple[int, ...]
    subsidy_fen: tuple[int, ...]  # all subsidy lines
    budget_exhausted: tuple[bool, ...]
    waiting_fen: int
    lapsed_fen: int
    pending_fen: int


@dataclass(frozen=True)
class YearFigures:
    """The distribution of one year's (or the horizon's) net payout and related figures, in fen."""

    label: str
    mean_defaults: float
    mean_loss_fen: float
    mean_payout_fen: float
    payout_p50_fen: float
    payout_p95_fen: float
    payout_p99_fen: float
    payout_es_fen: float  # mean of the worst (1 - confidence) share of paths
    mean_subsidy_fen: float
    subsidy_p95_fen: float
    p_budget_exhausted: float
    budget_needed_fen: float  # claims demand at the chosen confidence


@dataclass(frozen=True)
class SimResult:
    """A finished run: the scenario, how it was run, and the read-only totals of every path."""

    scenario: Scenario
    engine: str
    seed: int
    chunk_paths: int
    totals: PathTotals

    @property
    def paths(self) -> int:
        """Number of simulated paths."""
        return int(self.totals.defaults.shape[0])

    @property
    def net_payout_fen(self) -> np.ndarray:
        """(paths, years): paid by the fund, all layers, minus clawbacks."""
        return self.totals.payout_fen.sum(axis=2) - self.totals.clawback_fen

    def path(self, index: int) -> PathRecord:
        """One path's record."""
        t = self.totals
        return PathRecord(
            defaults=tuple(int(x) for x in t.defaults[index]),
            principal_loss_fen=tuple(int(x) for x in t.principal_loss_fen[index]),
            payout_fen=tuple(
                {layer: int(year[j]) for j, layer in enumerate(LAYERS)}
                for year in t.payout_fen[index]
            ),
            clawback_fen=tuple(int(x) for x in t.clawback_fen[index]),
            subsidy_fen=tuple(int(x) for x in t.subsidy_fen[index].sum(axis=1)),
            budget_exhausted=tuple(bool(x) for x in t.budget_exhausted[index]),
            waiting_fen=int(t.waiting_fen[index]),
            lapsed_fen=int(t.lapsed_fen[index]),
            pending_fen=int(t.pending_fen[index]),
        )

    def summary(self, confidence: float = 0.95) -> list[YearFigures]:
        """Figures per year, then for the whole horizon (label "all")."""
        t = self.totals
        subsidy = t.subsidy_fen.sum(axis=2)
        per_year = [
            _figures(
                f"year {y + 1}",
                t.defaults[:, y],
                t.principal_loss_fen[:, y],
                self.net_payout_fen[:, y],
                subsidy[:, y],
                t.budget_exhausted[:, y],
                t.claims_fen[:, y],
                confidence,
            )
            for y in range(t.defaults.shape[1])
        ]
        whole = _figures(
            "all",
            t.defaults.sum(1),
            t.principal_loss_fen.sum(1),
            self.net_payout_fen.sum(1),
            subsidy.sum(1),
            t.budget_exhausted.any(1),
            t.claims_fen.max(1),
            confidence,
        )
        return [*per_year, whole]


def _figures(label, defaults, loss, payout, subsidy, exhausted, demand, confidence) -> YearFigures:
    payout = payout.astype(np.float64)
    p50, p95, p99 = np.percentile(payout, [50, 95, 99])
    return YearFigures(
        label=label,
        mean_defaults=float(defaults.mean()),
        mean_loss_fen=float(loss.mean()),
        mean_payout_fen=float(payout.mean()),
        payout_p50_fen=float(p50),
        payout_p95_fen=float(p95),
        payout_p99_fen=float(p99),
        payout_es_fen=expected_shortfall(payout, confidence),
        mean_subsidy_fen=float(subsidy.mean()),
        subsidy_p95_fen=float(np.percentile(subsidy, 95)),
        p_budget_exhausted=float(np.mean(exhausted)),
        budget_needed_fen=float(np.quantile(demand, confidence)),
    )


def expected_shortfall(values: np.ndarray, confidence: float) -> float:
    """Mean of the worst (1 - confidence) share of outcomes (at least one)."""
    ordered = np.sort(np.asarray(values, dtype=np.float64))
    tail = max(1, int(round(ordered.size * (1 - confidence))))
    return float(ordered[-tail:].mean())
