"""From default to cash: the plain recovery-rate model or the trading centre's disposal, for many loans at once.

After the auction rounds and the negotiated sale, an asset still unsold is licensed or converted
(`fallback`): a simple documented recovery of `fallback_share` x appraisal x the economy's effect after
`fallback_days` (a licence's fees, or the price an AIC pays for the claim before converting it to equity);
with fallback "none" it is written off. Net proceeds then go through loss.apply_recovery's order.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.auction import AuctionDesign, Bidding, run_auctions
from sim.compensation import apply_recovery, fen_share, to_fen
from sim.model import AuctionModel, Scenario

ROUTE_RATE = -1  # the plain recovery-rate model
ROUTE_WRITTEN_OFF = 0


def auction_design(auction: AuctionModel) -> AuctionDesign:
    """The auction rules and bidders a scenario's [auction] table describes."""
    bidding = Bidding(
        auction.bidders_mean, auction.bidder_count == "fixed", auction.values, auction.value_sigma
    )
    return AuctionDesign(
        auction.start_share, auction.cut, auction.rounds, bidding, auction.negotiated_days > 0
    )


def macro_scale(factor: np.ndarray, sensitivity: float) -> np.ndarray:
    """The economy's effect on bidder values: exp(b Z - b^2/2), below 1 in bad years (Z < 0), mean 1."""
    return np.exp(sensitivity * np.asarray(factor) - sensitivity**2 / 2)


def fallback_route(auction: AuctionModel) -> int:
    """The route code of the licence / conversion after a failed negotiated sale."""
    return auction.rounds + 2


def fallback_price_share(auction: AuctionModel, scale: np.ndarray) -> np.ndarray:
    """What a licence or a conversion recovers, as a share of appraisal (0 when written off)."""
    return np.zeros_like(scale) if auction.fallback == "none" else auction.fallback_share * scale


def operator_days(auction: AuctionModel, rounds_held: np.ndarray, route: np.ndarray) -> np.ndarray:
    """How long an operator works a case: notice, rounds, negotiated sale, licence or conversion."""
    days = (
        auction.notice_days
        + auction.round_days
        + (rounds_held - 1) * (auction.renotice_days + auction.round_days)
    )
    after_rounds = (route == 0) | (route > auction.rounds)
    tried_negotiation = after_rounds & (auction.negotiated_days > 0)
    tried_fallback = route == fallback_route(auction)  # only set when a fallback is configured
    return (
        days + tried_negotiation * auction.negotiated_days + tried_fallback * auction.fallback_days
    )


@dataclass(frozen=True)
class Disposals:
    """Per defaulted loan: gross proceeds and how long it took."""

    proceeds_fen: np.ndarray
    # default until the centre takes the case (or until cash, for the rate model)
    filing_days: np.ndarray
    operator_days: np.ndarray  # time an operator works the case (0 for the rate model)
    route: np.ndarray


def dispose(
    rng: np.random.Generator,
    scenario: Scenario,
    principal_fen: np.ndarray,
    appraised_fen: np.ndarray,
    factor: np.ndarray,
) -> Disposals:
    """Turn defaulted loans into cash with the scenario's recovery model (capacity not modelled here)."""
    size = principal_fen.size
    recovery, auction = scenario.recovery, scenario.auction
    if recovery.model == "rate":
        rate = recovery.rate.sample(rng, size)
        delay = recovery.delay_days.sample(rng, size)
        return Disposals(
            to_fen(rate * principal_fen), delay, np.zeros(size), np.full(size, ROUTE_RATE)
        )
    scale = macro_scale(factor, auction.macro_sensitivity)
    outcome = run_auctions(rng, scale, auction_design(auction))
    price_share, route = outcome.price_share, outcome.route  # this call's own arrays
    if auction.fallback != "none":
        unsold = np.flatnonzero(route == 0)
        price_share[unsold] = fallback_price_share(auction, scale[unsold])
        route[unsold] = fallback_route(auction)
    return Disposals(
        proceeds_fen=to_fen(price_share * appraised_fen),
        filing_days=np.full(size, auction.filing_days),
        operator_days=operator_days(auction, outcome.rounds_held, route),
        route=route,
    )


def unpaid_interest_fen(
    principal_fen: np.ndarray, rate: np.ndarray, year_fraction: np.ndarray
) -> np.ndarray:
    """Interest accrued since the last (annual) payment when the loan defaults."""
    return to_fen(principal_fen * rate * year_fraction)


def principal_loss_fen(
    scenario: Scenario,
    proceeds_fen: np.ndarray,
    unpaid_interest: np.ndarray,
    principal_fen: np.ndarray,
) -> np.ndarray:
    """Principal loss after disposal costs, then interest, then principal are paid from the proceeds."""
    costs = fen_share(proceeds_fen, scenario.recovery.costs_rate)
    return apply_recovery(proceeds_fen, costs, unpaid_interest, principal_fen)
