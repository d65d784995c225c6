"""The award chain after a round is won: the winner pays, or defaults (悔拍); then, where the lot's rules allow,
the trading centre may offer the lot to the second-highest bidder at its own last bid before falling back to a
re-auction. Each step has its own deadline, which the clock enforces.

    AWARDED --winner pays--> SOLD
    AWARDED --payment deadline passes--> SECOND_BIDDER_DECISION   (an offer is possible: `may_offer_second_bidder`)
                                     \\-> DEFAULTED                (fall back: the case counts a failed round)
    SECOND_BIDDER_DECISION --centre offers--> SECOND_BIDDER_OFFERED
                           --centre declines, or its decision deadline passes--> DEFAULTED
    SECOND_BIDDER_OFFERED --second bidder accepts in time--> AWARDED (its own payment deadline; its deposit again)
                          --it declines, or its answer deadline passes--> DEFAULTED
A second bidder who accepted and then does not pay defaults like a winner, and the chain falls back: the lot is
offered to one second bidder at most.

Pure: no Flask, no SQLAlchemy. The services lock the round, ask these functions and write what they say.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from market.domain.auction import AuctionKind, AuctionStatus
from market.domain.errors import Kind
from market.domain.rules import RuleBroken


@dataclass(frozen=True)
class AwardChainRules:
    """The centre's deadlines for the steps after a winner's default (exchange practice; configurable)."""

    decision_hours: int = 72  # the centre decides whether to offer the lot to the second bidder
    answer_hours: int = 72  # the second bidder accepts the offer, or it lapses
    # once it accepted, the second bidder pays within DisposalRules.winner_payment_days, like a winner


DEFAULT_CHAIN_RULES = AwardChainRules()


class SecondOfferStatus(enum.StrEnum):
    """Where the one offer of a lot to its second bidder stands."""

    OFFERED = "offered"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    LAPSED = "lapsed"  # not answered by the deadline


class FallBack(enum.StrEnum):
    """Why a chain ended in a re-auction instead of a sale."""

    NO_SECOND_OFFER = "no_second_offer"  # the lot's rules allow none, or there is no second bidder
    CENTRE_DECLINED = "centre_declined"  # the centre chose to re-auction
    NO_DECISION = "no_decision"  # the centre's decision deadline passed
    SECOND_BIDDER_DECLINED = "second_bidder_declined"
    SECOND_BIDDER_LAPSED = "second_bidder_lapsed"  # the second bidder did not answer in time
    SECOND_BIDDER_DEFAULTED = "second_bidder_defaulted"  # it accepted, then did not pay


# ---- refusals ------------------------------------------------------------------------------------


class SecondOfferNotForClaimLots(RuleBroken):
    """A claim-rights lot is sold within the claim-transfer channel; it has no second-bidder offer."""

    code = "second_offer_not_for_claim_lots"


class SecondOfferNotOpen(RuleBroken):
    """The round is not waiting for the centre's decision on a second-bidder offer (or the deadline passed)."""

    code, kind = "second_offer_not_open", Kind.CONFLICT


class SecondOfferClosed(RuleBroken):
    """There is no offer to answer now: none was made, it was answered, or its deadline passed."""

    code, kind = "second_offer_closed", Kind.CONFLICT


class NotTheSecondBidder(RuleBroken):
    """Only the second bidder itself answers the offer."""

    code, kind = "not_the_second_bidder", Kind.FORBIDDEN


# ---- who the second bidder is --------------------------------------------------------------------


@dataclass(frozen=True)
class PlacedBid:
    """One accepted bid as the chain reads it."""

    bidder_id: int
    institution_id: int
    amount_fen: int


@dataclass(frozen=True)
class SecondBidder:
    """The highest bidder after the one who defaulted, and its own last (highest) bid."""

    bidder_id: int
    institution_id: int
    price_fen: int


def second_bidder(bids: Iterable[PlacedBid], *, excluded_institutions: Iterable[int]) -> SecondBidder | None:
    """The bidder with the highest bid among those not excluded (the defaulter, anyone barred from the case),
    at its own last bid: bids only rise, so its last is its highest."""
    excluded = set(excluded_institutions)
    best: PlacedBid | None = None
    for bid in bids:
        if bid.institution_id in excluded:
            continue
        if best is None or bid.amount_fen > best.amount_fen:
            best = bid
    return SecondBidder(best.bidder_id, best.institution_id, best.amount_fen) if best else None


def check_lot_terms(kind: AuctionKind, second_offer_allowed: bool) -> None:
    """Raise unless a round of this kind may announce a second-bidder offer."""
    if second_offer_allowed and kind != AuctionKind.ASSET:
        raise SecondOfferNotForClaimLots()


def may_offer_second_bidder(*, kind: AuctionKind, lot_allows: bool, already_offered: bool,
                            candidate: SecondBidder | None) -> bool:
    """Whether a default opens the centre's decision on a second-bidder offer, rather than a re-auction at once."""
    return kind == AuctionKind.ASSET and lot_allows and not already_offered and candidate is not None


# ---- the deadlines -------------------------------------------------------------------------------


def decision_due(payment_due_at: datetime, rules: AwardChainRules = DEFAULT_CHAIN_RULES) -> datetime:
    """The centre decides within this window after the winner's payment deadline passed (not after whenever
    the clock noticed)."""
    return payment_due_at + timedelta(hours=rules.decision_hours)


def answer_due(offered_at: datetime, rules: AwardChainRules = DEFAULT_CHAIN_RULES) -> datetime:
    """The second bidder accepts within this window after the offer."""
    return offered_at + timedelta(hours=rules.answer_hours)


def payment_due_after_acceptance(accepted_at: datetime, winner_payment_days: int) -> datetime:
    """A second bidder who accepted pays within the winner's number of days, counted from its acceptance."""
    return accepted_at + timedelta(days=winner_payment_days)


def check_offer_may_be_made(status: AuctionStatus, *, now: datetime, decision_due_at: datetime | None) -> None:
    """Raise SecondOfferNotOpen unless the centre may still offer the lot (or decline to) now."""
    if status != AuctionStatus.SECOND_BIDDER_DECISION or decision_due_at is None or now >= decision_due_at:
        raise SecondOfferNotOpen()


def check_offer_may_be_answered(status: AuctionStatus, *, now: datetime, answer_due_at: datetime | None,
                                offered_institution_id: int, answering_institution_id: int | None) -> None:
    """Raise unless the offer is open and the one answering is the second bidder it was made to."""
    if status != AuctionStatus.SECOND_BIDDER_OFFERED or answer_due_at is None or now >= answer_due_at:
        raise SecondOfferClosed()
    if answering_institution_id != offered_institution_id:
        raise NotTheSecondBidder()
