"""Auction rules (SPC online judicial-auction rules 2016): terms, bids, anti-sniping, proxies, first refusal.

Pure: no Flask, no SQLAlchemy. The services read a row, ask these functions, and guard the write with a
conditional UPDATE that states the same conditions, so the rule and the lock can never disagree.
"""

from __future__ import annotations

import enum
import hashlib
import hmac
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from market.domain.errors import Kind
from market.domain.qualification import DEFAULT_STRIKE_RULES, StrikeRules
from market.domain.registry import AssetOnHold
from market.domain.roles import ROLE_OF_INSTITUTION, InstitutionKind, Role
from market.domain.rules import (
    DEFAULT_RULES,
    BiddingWindowTooShort,
    DisposalRules,
    RuleBroken,
    StartPriceNotPositive,
    check_deposit,
    min_next_start_fen,
)


class AuctionKind(enum.StrEnum):
    """What is sold: the pledged IP itself, or the bank's claim with its pledge (claim-rights lot)."""

    ASSET = "asset"
    CLAIM = "claim"  # open only to licensed financial institutions


class AuctionStatus(enum.StrEnum):
    """Where one auction round stands."""

    OPEN = "open"  # bidding (or waiting for starts_at)
    FIRST_REFUSAL = "first_refusal"  # bidding ended; holders named in the notice may match
    AWARDED = "awarded"  # a winner (or the second bidder who accepted the lot) must pay by the deadline
    SECOND_BIDDER_DECISION = "second_bidder_decision"  # the winner defaulted; the centre may offer the second bidder
    SECOND_BIDDER_OFFERED = "second_bidder_offered"  # the second bidder may accept at its own last bid
    SOLD = "sold"  # the winner paid
    DEFAULTED = "defaulted"  # the winner did not pay (悔拍)
    FAILED = "failed"  # no valid bid (流拍)
    CANCELLED = "cancelled"  # the case left the auction (withdrawn, suspended)


LIVE_STATUSES = frozenset({AuctionStatus.OPEN, AuctionStatus.FIRST_REFUSAL, AuctionStatus.AWARDED,
                           AuctionStatus.SECOND_BIDDER_DECISION, AuctionStatus.SECOND_BIDDER_OFFERED})


class ClockStep(enum.StrEnum):
    """What the clock alone moves a round on to, once its time has come."""

    CLOSE = "close"  # bidding has ended: a winner, first refusal, or a failed round
    END_FIRST_REFUSAL = "end_first_refusal"  # the holders' window has run out: award the round
    DEFAULT_WINNER = "default_winner"  # the winner did not pay by the deadline
    END_SECOND_BIDDER_DECISION = "end_second_bidder_decision"  # the centre made no offer in time: fall back
    END_SECOND_BIDDER_OFFER = "end_second_bidder_offer"  # the second bidder did not accept in time: fall back


def clock_step_due(
    status: AuctionStatus, *, now: datetime, ends_at: datetime,
    first_refusal_ends_at: datetime | None, payment_due_at: datetime | None, held: bool = False,
    second_bidder_decision_due_at: datetime | None = None, second_bidder_answer_due_at: datetime | None = None,
) -> ClockStep | None:
    """The step the clock owes a round at `now`, if any (the tick and every page view apply it); a round on
    hold by a registry change owes nothing until the operator resumes it."""
    if held:
        return None
    if status == AuctionStatus.OPEN and now >= ends_at:
        return ClockStep.CLOSE
    if status == AuctionStatus.FIRST_REFUSAL and now >= first_refusal_ends_at:
        return ClockStep.END_FIRST_REFUSAL
    if status == AuctionStatus.AWARDED and now > payment_due_at:
        return ClockStep.DEFAULT_WINNER
    if status == AuctionStatus.SECOND_BIDDER_DECISION and now >= second_bidder_decision_due_at:
        return ClockStep.END_SECOND_BIDDER_DECISION
    if status == AuctionStatus.SECOND_BIDDER_OFFERED and now >= second_bidder_answer_due_at:
        return ClockStep.END_SECOND_BIDDER_OFFER
    return None


class DepositStatus(enum.StrEnum):
    """What happened to one bidder's deposit."""

    HELD = "held"
    EXEMPT = "exempt"  # the filing bank (the enforcing creditor) bids without one
    REFUNDED = "refunded"
    APPLIED = "applied"  # counted toward the winner's price
    FORFEITED = "forfeited"


class RefusalDecision(enum.StrEnum):
    """A first-refusal holder's answer."""

    MATCH = "match"
    DECLINE = "decline"


class Outcome(enum.StrEnum):
    """The one outcome of a round."""

    WON = "won"
    FAILED = "failed"


# Who may take part in an auction at all (the operator runs it; the bureau pays claims; the appraiser
# valued the lot). Claim lots narrow this further to licensed financial institutions.
BIDDER_ROLES = frozenset({Role.BANK, Role.AIC, Role.GUARANTOR, Role.INSURER})


class BuyerMayNotBuy(RuleBroken):
    """Only an institution that may bid may buy pledged IP by negotiated sale."""

    code = "buyer_may_not_buy"


def may_buy_pledged_ip(kind: InstitutionKind) -> bool:
    """Whether an institution may buy pledged IP (bid, or buy by negotiated sale): a bank, AIC, guarantor or
    insurer; never the trading centre, the finance bureau or an appraiser."""
    return ROLE_OF_INSTITUTION[kind] in BIDDER_ROLES


def check_buyer_of_pledged_ip(kind: InstitutionKind) -> None:
    """Raise BuyerMayNotBuy unless the institution may buy pledged IP."""
    if not may_buy_pledged_ip(kind):
        raise BuyerMayNotBuy()


@dataclass(frozen=True)
class AuctionRules:
    """Auction-only settings; the shared numbers (70 %, 20 %, 24 h, 5 min, ...) are in DisposalRules."""

    disposal: DisposalRules = DEFAULT_RULES
    max_proxy_increments: int = 500  # a hidden maximum may lie at most this many increments ahead
    code_length: int = 4
    filing_bank_exempt: bool = True  # arts. 17-18: the enforcing creditor needs no deposit
    strikes: StrikeRules = DEFAULT_STRIKE_RULES  # unpaid wins that ban an institution from new lots

    @property
    def extension(self) -> timedelta:
        """How far a late valid bid pushes the end (and how late 'late' is)."""
        return self.disposal.extension


DEFAULT_AUCTION_RULES = AuctionRules()


# ---- errors (kinds are the API's statuses: 409 not now, 403 not you, 422 not like that) ---------------


class AuctionClosed(RuleBroken):
    """Bidding has ended (or the round is no longer open)."""

    code, kind = "closed", Kind.CONFLICT


class AuctionBusy(RuleBroken):
    """Other bids kept landing between reading the round and writing the bid; the bidder may simply retry."""

    code, kind = "auction_busy", Kind.CONFLICT


class AuctionNotStarted(RuleBroken):
    """Bidding has not opened yet."""

    code, kind, fields = "not_started", Kind.CONFLICT, ("opens_at",)


class BelowMinimum(RuleBroken):
    """The amount is below the starting price: it can never be valid."""

    code, fields = "below_minimum", ("starting_price_fen",)


class NotMultipleOfIncrement(RuleBroken):
    """Bids lie on the grid start + k x increment."""

    code, fields = "not_multiple_of_increment", ("increment_fen",)


class Outbid(RuleBroken):
    """Someone has bid as much or more; the minimum is now higher."""

    code, kind, fields = "outbid", Kind.CONFLICT, ("current_price_fen", "minimum_fen")


class ProxyBelowOwnBid(Outbid):
    """A leader's hidden maximum must lie above its own leading bid."""

    code, fields = "proxy_below_own_bid", ("current_price_fen",)


class AlreadyLeading(RuleBroken):
    """A leader cannot raise its own leading bid."""

    code, kind = "already_leading", Kind.CONFLICT


class DepositRequired(RuleBroken):
    """Pay the deposit before bidding."""

    code, kind = "deposit_required", Kind.FORBIDDEN


class NotEligible(RuleBroken):
    """This institution may not take part in this auction."""

    code, kind = "not_eligible", Kind.FORBIDDEN


class HolderWithoutPriority(NotEligible):
    """Only a holder named in the notice with priority over the top bidder may answer."""

    code = "holder_without_priority"


class NotTheHolder(NotEligible):
    """Only the holder itself or the trading centre may answer for it."""

    code = "not_the_holder"


class HolderNotLinked(NotEligible):
    """A holder must be linked to an institution before it can match the price."""

    code = "holder_not_linked"


class HolderCannotBuy(NotEligible):
    """The trading centre and the finance bureau sell and supervise; they never hold a first-refusal right."""

    code = "holder_cannot_buy"


NEVER_BUYERS = frozenset({InstitutionKind.TRADING_CENTRE, InstitutionKind.BUREAU})


def check_holder_institution(kind: InstitutionKind) -> None:
    """Raise HolderCannotBuy unless a holder named in the notice may be this kind of institution."""
    if kind in NEVER_BUYERS:
        raise HolderCannotBuy()


class Barred(RuleBroken):
    """A winner who did not pay is barred from the re-run of the same case."""

    code, kind = "barred", Kind.FORBIDDEN


class IncrementOutOfRange(RuleBroken):
    """The increment is above zero and not above the starting price."""

    code = "increment_out_of_range"


class OpensInPast(RuleBroken):
    """Bidding cannot open in the past."""

    code = "opens_in_past"


class RoundUnfinished(RuleBroken):
    """A case has one unfinished auction round at a time."""

    code, kind = "round_unfinished", Kind.CONFLICT


class ProxyTooHigh(RuleBroken):
    """A hidden maximum may lie only so many increments ahead."""

    code, fields = "proxy_too_high", ("increments", "ceiling_fen")


class FirstRefusalClosed(RuleBroken):
    """No first-refusal decision can be taken now."""

    code, kind = "first_refusal_closed", Kind.CONFLICT


class AlreadyAnswered(FirstRefusalClosed):
    """A holder answers once."""

    code = "already_answered"


# ---- terms of a round ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Terms:
    """What is fixed when a round opens."""

    starting_price_fen: int
    increment_fen: int
    deposit_fen: int
    starts_at: datetime
    ends_at: datetime


def check_terms(terms: Terms, rules: AuctionRules = DEFAULT_AUCTION_RULES) -> None:
    """Raise unless increment, deposit and bidding window follow the rules (the start price is the workflow's)."""
    if terms.starting_price_fen <= 0:
        raise StartPriceNotPositive()
    if not 0 < terms.increment_fen <= terms.starting_price_fen:
        raise IncrementOutOfRange()
    check_deposit(terms.deposit_fen, terms.starting_price_fen, rules.disposal)
    hours = rules.disposal.min_bidding_hours
    if terms.ends_at - terms.starts_at < timedelta(hours=hours):
        raise BiddingWindowTooShort(hours=hours)


def suggested_increment_fen(starting_price_fen: int) -> int:
    """About 1 % of the start, rounded down to a round yuan figure (the operator may change it)."""
    target = max(starting_price_fen // 100, 100)
    step = 100
    while step * 10 <= target:
        step *= 10
    return max(100, target // step * step)


def suggested_rerun_start_fen(previous_start_fen: int, rules: AuctionRules = DEFAULT_AUCTION_RULES) -> int:
    """The lowest start a re-run may take: the previous start cut by the maximum share."""
    return min_next_start_fen(previous_start_fen, rules.disposal)


# ---- bids ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class BidState:
    """The mutable part of a round, as read from its row."""

    status: AuctionStatus
    ends_at: datetime
    bid_count: int
    current_price_fen: int | None
    leader_institution_id: int | None
    held: bool = False  # on hold by a registry change (domain.registry)


def minimum_bid_fen(terms: Terms, state: BidState) -> int:
    """The first bid may be the start; every later one is at least current + increment."""
    if state.bid_count == 0 or state.current_price_fen is None:
        return terms.starting_price_fen
    return state.current_price_fen + terms.increment_fen


def check_bid(terms: Terms, state: BidState, *, institution_id: int, amount_fen: int, now: datetime) -> None:
    """Raise the named rule the bid breaks; return quietly when it is valid at server time `now`."""
    if state.held:
        raise AssetOnHold()
    if state.status != AuctionStatus.OPEN or now >= state.ends_at:
        raise AuctionClosed()
    if now < terms.starts_at:
        raise AuctionNotStarted(opens_at=terms.starts_at)
    check_amount_on_grid(terms, amount_fen)
    if state.leader_institution_id == institution_id:
        raise AlreadyLeading()
    minimum = minimum_bid_fen(terms, state)
    if amount_fen < minimum:
        raise Outbid(current_price_fen=state.current_price_fen, minimum_fen=minimum)


def check_amount_on_grid(terms: Terms, amount_fen: int) -> None:
    """Raise unless the amount is at least the start and on the start + k x increment grid."""
    if amount_fen < terms.starting_price_fen:
        raise BelowMinimum(starting_price_fen=terms.starting_price_fen)
    if (amount_fen - terms.starting_price_fen) % terms.increment_fen:
        raise NotMultipleOfIncrement(increment_fen=terms.increment_fen)


def end_after_bid(ends_at: datetime, placed_at: datetime, extension: timedelta) -> datetime:
    """Anti-sniping (art. 20): a valid bid in the last `extension` moves the end to `extension` after it."""
    return max(ends_at, placed_at + extension)


# ---- proxies (hidden maxima) --------------------------------------------------------------------


@dataclass(frozen=True)
class Proxy:
    """One bidder's hidden maximum."""

    institution_id: int
    max_fen: int
    set_at: datetime
    proxy_id: int = 0


def check_proxy_max(
    terms: Terms, state: BidState, *, institution_id: int, max_fen: int,
    rules: AuctionRules = DEFAULT_AUCTION_RULES,
) -> None:
    """Raise unless a hidden maximum is on the grid, above what it must beat, and not absurdly far ahead."""
    check_amount_on_grid(terms, max_fen)
    floor = minimum_bid_fen(terms, state)
    if state.leader_institution_id == institution_id:
        if max_fen < floor:
            raise ProxyBelowOwnBid(current_price_fen=state.current_price_fen)
    elif max_fen < floor:
        raise Outbid(current_price_fen=state.current_price_fen, minimum_fen=floor)
    ceiling = floor + rules.max_proxy_increments * terms.increment_fen
    if max_fen > ceiling:
        raise ProxyTooHigh(increments=rules.max_proxy_increments, ceiling_fen=ceiling)


def next_proxy_bid(terms: Terms, state: BidState, proxies: Iterable[Proxy]) -> tuple[Proxy, int] | None:
    """The system bid a proxy makes next: one increment above the current price, never above its maximum.

    Only a proxy that is not leading responds; the highest maximum goes first, the earlier one on a tie.
    """
    amount = minimum_bid_fen(terms, state)
    candidates = [
        p for p in proxies if p.institution_id != state.leader_institution_id and p.max_fen >= amount
    ]
    if not candidates:
        return None
    best = min(candidates, key=lambda p: (-p.max_fen, p.set_at, p.proxy_id))
    return best, amount


# ---- bidder codes -------------------------------------------------------------------------------

CODE_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"  # 32 symbols, no 0/O or 1/I


def bidder_code(salt: str, institution_id: int, attempt: int = 0, length: int = 4) -> str:
    """An anonymous code such as B-7F3K, stable per bidder in one auction (the salt is the auction's)."""
    digest = hmac.new(salt.encode(), f"{institution_id}:{attempt}".encode(), hashlib.sha256).digest()
    return "B-" + "".join(CODE_ALPHABET[b % len(CODE_ALPHABET)] for b in digest[:length])


def free_bidder_code(salt: str, institution_id: int, taken: set[str], length: int = 4) -> str:
    """The first code for the bidder that no one else in the auction holds."""
    for attempt in range(1000):
        code = bidder_code(salt, institution_id, attempt, length)
        if code not in taken:
            return code
    raise RuntimeError("No free bidder code; use longer codes.")


# ---- first refusal (arts. 19, 21) ---------------------------------------------------------------


@dataclass(frozen=True)
class Holder:
    """A first-refusal holder named in the notice."""

    holder_id: int
    rank: int  # 1 is the most senior
    institution_id: int | None


def holders_in_priority(holders: Iterable[Holder]) -> list[Holder]:
    """Senior before junior; on equal rank, the one named earlier in the notice first."""
    return sorted(holders, key=lambda h: (h.rank, h.holder_id))


def holders_who_may_match(holders: Iterable[Holder], top_institution_id: int) -> list[Holder]:
    """The holders with priority over the top bidder (all of them, unless the top bidder is a holder)."""
    ordered = holders_in_priority(holders)
    for index, holder in enumerate(ordered):
        if holder.institution_id == top_institution_id:
            return ordered[:index]
    return ordered


@dataclass(frozen=True)
class RefusalOutcome:
    """Who wins after the first-refusal window: a holder, the top bidder, or not decided yet."""

    decided: bool
    holder: Holder | None = None  # None with decided=True: the top bidder wins


def first_refusal_outcome(
    holders: Sequence[Holder], decisions: Mapping[int, RefusalDecision], *, window_over: bool
) -> RefusalOutcome:
    """The most senior holder that matched wins, once every holder above it has declined or lapsed."""
    for holder in holders_in_priority(holders):
        decision = decisions.get(holder.holder_id)
        if decision == RefusalDecision.MATCH:
            return RefusalOutcome(decided=True, holder=holder)
        if decision is None and not window_over:
            return RefusalOutcome(decided=False)
    return RefusalOutcome(decided=True, holder=None)
