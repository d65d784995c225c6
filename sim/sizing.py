"""Fund sizing: the summary a finance bureau reads, from the per-path figures kept of a run.

The recommended budget is read from the *demand* run: the scenario with no limit on the fund, so every
claim approved within the horizon is paid and nothing is hidden by a budget already too small. The
scenario's own budget and balance are run alongside, on the same seeds, for the probability that they
run out. Quantiles are order statistics ("the smallest budget that covers"), so a budget read at 99%
covers at least 99% of the simulated paths; the interval around it is the distribution-free
order-statistic interval (binomial), so it needs no assumption about the shape of the distribution.
Every figure is read from the kept figures a chunk at a time (sim.column_stats), exactly: a column in
memory is read as one chunk by the same code, so the numbers do not depend on the size of the run. The
moments, and where the ranks lie, come from the pieces' sketches (made by the workers) when the store
has them all, so the file is read only to pick the exact values and the tails' sums.
"""

from __future__ import annotations

import math
from collections.abc import Collection
from dataclasses import dataclass, replace
from fractions import Fraction

import numpy as np
from scipy.special import bdtr

from market.domain.loss import LAYERS
from sim.budget_lines import budget_lines
from sim.column_stats import Chunks, Moments, Tally, above, in_memory, moments, order_statistics
from sim.contributions import column_names as contribution_columns
from sim.contributions import contributions
from sim.contributions import ranks as contribution_ranks
from sim.model import Scenario
from sim.path_figures import SPREAD, PathStore
from sim.portfolio import LoanBook
from sim.subsidy import LINES as SUBSIDY_LINES

PERCENTILES = {"p50": 0.5, "p90": 0.9, "p95": 0.95, "p99": 0.99, "p999": 0.999}
CI_LEVEL = 0.95


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
    return _covering(in_memory(values=values), "values", np.size(values), confidence)


def budget_covering(figures: PathStore, confidence: float, column: str = "total") -> float:
    """The smallest total over the horizon (fen) that covers `confidence` of the kept paths; of one
    budget line with `column` (sim.budget_lines.column_of)."""
    return _covering(figures.columns, column, figures.paths, confidence, figures.tally)


def covering_rank(n: int, confidence: float) -> int:
    """The 1-based rank, among n sorted values, of the smallest one covering `confidence` of them."""
    return max(1, math.ceil(confidence * n - 1e-9))


def covering_interval(
    values: np.ndarray, confidence: float, level: float = CI_LEVEL
) -> tuple[float, float]:
    """A distribution-free `level` interval for the `confidence` quantile: two order statistics."""
    ranks = interval_ranks(np.size(values), confidence, level)
    at = order_statistics(in_memory(values=values), {"values": ranks})["values"]
    return float(at[ranks[0]]), float(at[ranks[1]])


def interval_ranks(n: int, confidence: float, level: float = CI_LEVEL) -> tuple[int, int]:
    """The 1-based ranks of covering_interval's two order statistics, kept inside 1..n."""
    tail = (1 - level) / 2
    low = binomial_quantile(tail, n, confidence)
    high = binomial_quantile(1 - tail, n, confidence) + 1
    return min(max(low, 1), n), min(max(high, 1), n)


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
    chunks, n = in_memory(values=values), np.size(values)
    rank = tail_rank(n, confidence)
    at = order_statistics(chunks, {"values": [rank]})["values"]
    return _tail_mean(n, confidence, at, above(chunks, {"values": at[rank]})["values"])


def tail_rank(n: int, confidence: float) -> int:
    """The 1-based rank of the smallest of the worst (1 - confidence) share of n values."""
    return n - max(1, math.floor(n * (1 - confidence) + 1e-9)) + 1


def describe(values_fen: np.ndarray) -> dict[str, float]:
    """Mean, sd, percentiles (order statistics) and ES99 of an amount in fen, in yuan."""
    chunks, n = in_memory(values=values_fen), np.size(values_fen)
    at = order_statistics(chunks, {"values": described_ranks(n)})["values"]
    beyond = above(chunks, {"values": at[tail_rank(n, 0.99)]})["values"]
    return _described(moments(chunks, spread=["values"])["values"], at, beyond)


def described_ranks(n: int) -> list[int]:
    """The ranks `describe` reads: the percentiles and where the worst 1% begins."""
    return [covering_rank(n, q) for q in PERCENTILES.values()] + [tail_rank(n, 0.99)]


def summarise(
    scenario: Scenario,
    figures: PathStore,
    *,
    engine: str,
    seed: int,
    chunk_paths: int,
    book: LoanBook,
    confidence: float,
) -> dict:
    """The summary.json figures (format 2, every key in docs/fund-sizing.md): distributions, each
    budget line and pot (sim.budget_lines), the total with its interval, leverage.

    Read from the kept figures in a few passes (moments, order statistics, tails), whatever their number.
    """
    n, years = figures.paths, scenario.horizon_years
    exposure_fen = book.exposure_fen(years - 1)
    chunks: Chunks = figures.columns
    tally = figures.tally
    groups = contribution_columns(scenario)
    m = _moments(figures, spread=(*SPREAD, *groups))
    cover, cover99 = covering_rank(n, confidence), covering_rank(n, 0.99)
    low_rank, high_rank = interval_ranks(n, confidence)
    layers = [f"layer {layer.value}" for layer in LAYERS]
    year_names = [f"year {y + 1}" for y in range(years)]
    subsidy_lines = [f"subsidy {line}" for line in SUBSIDY_LINES]
    ranks = {name: described_ranks(n) for name in ("payout", "principal_loss")}
    ranks["payout"] += list(contribution_ranks(n).values())
    ranks |= {"total": [cover, low_rank, high_rank], "worst_year": [cover]}
    ranks |= {
        name: [cover99] for name in ("defaults", "subsidy", *subsidy_lines, *layers, *year_names)
    }
    at = order_statistics(chunks, ranks, tally=tally)
    recommended = float(at["total"][cover])
    tail = tail_rank(n, 0.99)
    floors = {"payout": at["payout"][tail], "principal_loss": at["principal_loss"][tail]}
    beyond = above(chunks, floors | {"total": recommended})
    found = budget_lines(scenario, chunks, m, confidence, (cover, low_rank, high_rank), tally)
    compensation = found["lines"][0]
    pays_compensation = next(pot for pot in found["pots"] if "compensation" in pot["lines"])
    payout_summary = _described(m["payout"], at["payout"], beyond["payout"]) | {
        "by_layer": {
            layer.value: {
                "mean": _yuan(m[name].mean),
                "p99": _yuan(at[name][cover99]),
                "paid_mean": _yuan(m[name].mean + m[f"clawback {layer.value}"].mean),
                "clawed_back_mean": _yuan(m[f"clawback {layer.value}"].mean),
            }
            for layer, name in zip(LAYERS, layers, strict=True)
        },
        "by_year": [
            {"year": y + 1, "mean": _yuan(m[name].mean), "p99": _yuan(at[name][cover99])}
            for y, name in enumerate(year_names)
        ],
    }
    comp_recommended = compensation["recommended_yuan"]
    return {
        "format": 2,
        "scenario": scenario.name,
        "engine": engine,
        "paths": n,
        "seed": seed,
        "chunk_paths": chunk_paths,
        "horizon_years": years,
        "loans": scenario.portfolio.loans,
        "exposure_yuan": _yuan(exposure_fen),
        "subsidy_eligible_loans": int(book.eligible.sum()),
        "defaults": {"mean": m["defaults"].mean, "p99": float(at["defaults"][cover99])},
        "principal_loss_yuan": _described(
            m["principal_loss"], at["principal_loss"], beyond["principal_loss"]
        ),
        "payout_yuan": payout_summary,
        "subsidy_yuan": {
            "mean": _yuan(m["subsidy"].mean),
            "p99": _yuan(at["subsidy"][cover99]),
            "by_line": {
                line: {"mean": _yuan(m[name].mean), "p99": _yuan(at[name][cover99])}
                for line, name in zip(SUBSIDY_LINES, subsidy_lines, strict=True)
            },
        },
        "budget": {
            "confidence": confidence,
            "recommended_ci_level": CI_LEVEL,
            "lines": found["lines"],
            "pots": found["pots"],
            "recommended_yuan": _yuan(recommended),
            "recommended_ci_yuan": [_yuan(at["total"][low_rank]), _yuan(at["total"][high_rank])],
            "covered_share": float(Fraction(n - beyond["total"][0], n)),
            "recommended_annual_yuan": _yuan(at["worst_year"][cover]),
            "current": pays_compensation["current"],
            "exhaustion_probability": pays_compensation["exhaustion_probability"],
            "unpaid_mean_yuan": pays_compensation["unpaid_mean_yuan"],
            "leverage": exposure_fen / 100 / comp_recommended if comp_recommended > 0 else None,
            "leverage_current": (
                exposure_fen / scenario.compensation.initial_balance_fen
                if scenario.compensation.initial_balance_fen
                else None
            ),
        },
        "contributions": contributions(scenario, book, chunks, n, m, at["payout"]),
        "mc_standard_error": {
            "payout_mean_yuan": _yuan(m["payout"].sd / math.sqrt(n)) if n > 1 else None,
            "total_mean_yuan": _yuan(m["total"].sd / math.sqrt(n)) if n > 1 else None,
            "exhaustion_probability": pays_compensation["exhaustion_se"],
        },
    }


@dataclass(frozen=True)
class TotalShape:
    """What the charts draw of payouts plus subsidies over the horizon (yuan), without every path:
    a histogram, and the share of paths above each budget of a grid."""

    paths: int
    mean_yuan: float
    bin_edges_yuan: np.ndarray
    bin_counts: np.ndarray
    budgets_yuan: np.ndarray
    share_above: np.ndarray


def total_shape(figures: PathStore, recommended_yuan: float, column: str = "total") -> TotalShape:
    """The histogram (10 to 80 bins) and a 400-budget grid reaching past the largest total and the
    recommended budget, counted a chunk at a time; of one budget line's column if given."""
    total = _moments(figures)[column]
    low, high = total.low / 100, total.high / 100
    bins = min(80, max(10, total.n // 20))
    # a single value gets a bar half a million wide on either side, not a sliver of a yuan
    edges = (low, high) if low < high else (low - 500_000, high + 500_000)
    top = max(high, recommended_yuan)
    spread = (top - low) or max(top, 1.0)
    budgets = np.linspace(max(0.0, low - 0.1 * spread), top + 0.05 * spread, 400)
    counts, covered = np.zeros(bins, dtype=np.int64), np.zeros(budgets.size, dtype=np.int64)
    for chunk in figures.columns():
        yuan = chunk[column] / 100
        counts += np.histogram(yuan, bins=bins, range=edges)[0]
        covered += np.searchsorted(np.sort(yuan), budgets, side="right")
    return TotalShape(
        total.n,
        total.mean / 100,
        np.histogram_bin_edges(np.zeros(0), bins=bins, range=edges),
        counts,
        budgets,
        1 - covered / total.n,
    )


def _covering(
    chunks: Chunks, name: str, n: int, confidence: float, tally: Tally | None = None
) -> float:
    rank = covering_rank(n, confidence)
    return float(order_statistics(chunks, {name: [rank]}, tally=tally)[name][rank])


def _moments(figures: PathStore, spread: Collection[str] = SPREAD) -> dict[str, Moments]:
    """Every column's moments, with sums of squares for `spread`: from the pieces' sketches when the
    store has them all (sim.path_figures.spread_of), else read from the file."""
    tally = figures.tally
    if tally is not None and all(
        name in tally.moments and tally.moments[name].squares is not None for name in spread
    ):
        return tally.moments
    return moments(figures.columns, spread=spread)


def _tail_mean(
    n: int, confidence: float, at: dict[int, int | float], beyond: tuple[int, int | Fraction]
) -> float:
    """The mean of the worst values from the values above the tail's smallest one and that value."""
    rank = tail_rank(n, confidence)
    count, total = beyond
    return float((Fraction(total) + (n - rank + 1 - count) * Fraction(at[rank])) / (n - rank + 1))


def _described(
    m: Moments, at: dict[int, int | float], beyond: tuple[int, int | Fraction]
) -> dict[str, float]:
    figures = {"mean": m.mean, "sd": m.sd}
    figures |= {name: float(at[covering_rank(m.n, q)]) for name, q in PERCENTILES.items()}
    figures["es99"] = _tail_mean(m.n, 0.99, at, beyond)
    return {name: _yuan(value) for name, value in figures.items()}


def _yuan(fen: float) -> float:
    return round(float(fen) / 100, 2)


# The trading centre's load and the claims the horizon leaves open (issue 16, part 1) ----------------

OVERLOADED = 0.9  # mean utilisation above which the centre is called overloaded
CENTRE_COLUMNS = {
    "utilisation": "centre utilisation",
    "busy_share": "centre busy share",
    "wait_mean_days": "centre wait mean",
    "wait_p95_days": "centre wait p95",
    "waiting_at_horizon": "centre waiting",
}
PENDING_COLUMNS = {"claims": "pending claims", "yuan": "pending"}


def centre_summary(scenario: Scenario, figures: PathStore) -> dict:
    """summary.json's `centre` and `pending_at_horizon`: the mean and 99th percentile over paths of each
    path's centre load and of the claims approved after the horizon (count and yuan)."""
    n = figures.paths
    names = [*CENTRE_COLUMNS.values(), *PENDING_COLUMNS.values()]
    m = _moments(figures)
    rank = covering_rank(n, 0.99)
    at = order_statistics(figures.columns, {name: [rank] for name in names}, tally=figures.tally)

    def spread(name: str) -> dict[str, float]:
        return {"mean": m[name].mean, "p99": float(at[name][rank])}

    queued = scenario.recovery.model == "auction" and scenario.auction.operators is not None
    centre = {"operators": scenario.auction.operators if queued else None}
    centre |= {key: spread(name) if queued else None for key, name in CENTRE_COLUMNS.items()}
    centre["overloaded"] = queued and m["centre utilisation"].mean > OVERLOADED
    pending = {"claims": spread("pending claims")}
    pending["yuan"] = {k: _yuan(v) for k, v in spread("pending").items()}
    return {"centre": centre, "pending_at_horizon": pending}
