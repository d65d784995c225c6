"""Auctions of pledged IP, vectorised over many assets; prices are shares of the appraised value.

Each round draws a fresh set of bidders (Poisson or a fixed number) with independent private values
(appraisal x lognormal(0, sigma), or uniform on [0, appraisal]) times the economy's effect. Bidding is
ascending (the online judicial auction), so the asset sells if the highest value reaches the start price,
at the higher of the start price and the second-highest value. Only the top two values matter, and they
are drawn directly as order statistics: the highest of n uniforms is U^(1/n), the next is that times
U'^(1/(n-1)); so a round costs the same whatever the number of bidders.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import ndtri

_ALMOST_ONE = 1 - 2**-52


@dataclass(frozen=True)
class Bidding:
    """Who comes to a round: how many bidders and how they value the asset."""

    bidders_mean: float
    fixed_count: bool = False  # exactly bidders_mean bidders instead of Poisson(bidders_mean)
    values: str = "lognormal"  # or "uniform" (on [0, appraisal])
    value_sigma: float = 0.5


@dataclass(frozen=True)
class AuctionDesign:
    """The disposal rules the simulated centre applies (as in market/domain/rules.py)."""

    start_share: float
    cut: float
    rounds: int
    bidding: Bidding
    negotiated_sale: bool = True


@dataclass(frozen=True)
class AuctionOutcome:
    """Per asset: the price as a share of appraisal (0 if unsold), where it sold, and rounds held."""

    price_share: np.ndarray
    route: np.ndarray  # 1..rounds: that auction round; rounds + 1: negotiated sale; 0: unsold
    rounds_held: np.ndarray


def start_share_of_round(design: AuctionDesign, round_number: int) -> float:
    """The start price of a round as a share of appraisal: cut by `cut` after each failed round."""
    return design.start_share * (1 - design.cut) ** (round_number - 1)


def bidder_counts(rng: np.random.Generator, bidding: Bidding, size: int) -> np.ndarray:
    """How many bidders come to each of `size` rounds."""
    if bidding.fixed_count:
        return np.full(size, int(bidding.bidders_mean), dtype=np.int64)
    return rng.poisson(bidding.bidders_mean, size)


def top_bidders(
    rng: np.random.Generator, bidding: Bidding, scale: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Per round: how many bidders come, the highest value times `scale` (0 without bidders), its
    quantile, and the uniform draw that places the second-highest below it (see second_quantile)."""
    counts = bidder_counts(rng, bidding, scale.size)
    u_first, u_second = rng.random(scale.size), rng.random(scale.size)
    q_first = np.minimum(np.exp(np.log1p(-u_first) / np.maximum(counts, 1)), _ALMOST_ONE)
    # a product, not np.where: the same numbers (values are finite), without a branch per asset
    first = value_at(q_first, bidding) * (counts >= 1) * scale
    return counts, first, q_first, u_second


def second_quantile(q_first: np.ndarray, u_second: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """The second-highest value's quantile, for rounds with at least two bidders."""
    return q_first * np.exp(np.log1p(-u_second) / (counts - 1))


def value_at(quantile: np.ndarray, bidding: Bidding) -> np.ndarray:
    """A bidder's value (share of appraisal, before the economy) at a quantile of its distribution."""
    if bidding.values == "uniform":
        return quantile
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.exp(bidding.value_sigma * ndtri(np.maximum(quantile, 1e-300)))


def auction_round(
    rng: np.random.Generator, start: float, scale: np.ndarray, bidding: Bidding
) -> tuple[np.ndarray, np.ndarray]:
    """One ascending round per asset (start price `start`, values scaled by `scale`): (sold, price share).

    The second-highest value sets the price only where an asset sells to two bidders or more, so it is
    worked out there alone.
    """
    counts, first, q_first, u_second = top_bidders(rng, bidding, scale)
    sold = first >= start
    price = sold * start
    two = np.flatnonzero(sold & (counts >= 2))
    second = value_at(second_quantile(q_first[two], u_second[two], counts[two]), bidding)
    price[two] = np.maximum(start, second * scale[two])
    return sold, price


def negotiated_sale(
    rng: np.random.Generator, price: float, scale: np.ndarray, bidding: Bidding
) -> np.ndarray:
    """The negotiated sale after the last round: sold at the last start price if a buyer values it that high."""
    return top_bidders(rng, bidding, scale)[1] >= price


def run_auctions(
    rng: np.random.Generator, scale: np.ndarray, design: AuctionDesign
) -> AuctionOutcome:
    """All rounds (and the negotiated sale) for assets whose bidders' values are scaled by `scale`."""
    size = scale.size
    price = np.zeros(size)
    route = np.zeros(size, dtype=np.int64)
    rounds_held = np.zeros(size, dtype=np.int64)
    open_ = np.arange(size)
    for round_number in range(1, design.rounds + 1):
        start = start_share_of_round(design, round_number)
        sold, sold_price = auction_round(rng, start, scale[open_], design.bidding)
        # an asset still open has no price or route yet: the round's figures (0 if unsold) fill them
        rounds_held[open_] = round_number
        price[open_] = sold_price
        route[open_] = sold * round_number
        open_ = open_[np.flatnonzero(~sold)]  # faster than a boolean mask as random as this one
    if design.negotiated_sale and open_.size:
        last = start_share_of_round(design, design.rounds)
        sold_now = open_[negotiated_sale(rng, last, scale[open_], design.bidding)]
        price[sold_now] = last
        route[sold_now] = design.rounds + 1
    return AuctionOutcome(price, route, rounds_held)


def one_round_uniform_theory(bidders: int, reserve: float) -> tuple[float, float]:
    """Closed forms for n uniform[0,1] bidders and reserve r: expected revenue, and P(no sale) = r^n."""
    n, r = bidders, reserve
    return (n - 1) / (n + 1) + r**n - 2 * n * r ** (n + 1) / (n + 1), r**n
