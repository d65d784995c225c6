"""Ending a round exactly once: close, first refusal, award, payment, default (悔拍), and what the clock makes due.

The steps after a default (the offer to the second bidder, its deadlines) are in market.services.award_chain.

Each use case locks the auction row first (FOR UPDATE on PostgreSQL; BEGIN IMMEDIATE on SQLite),
re-reads its status and returns quietly when someone else already did the work; so the tick, a page
view and a second tick may race freely. UNIQUE(auction_result.auction_id) backs it up: one outcome
per round, never two winners.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa
import sqlalchemy.orm as so

from market.domain.auction import (
    DEFAULT_AUCTION_RULES,
    AlreadyAnswered,
    AssetOnHold,
    AuctionRules,
    AuctionStatus,
    ClockStep,
    DepositStatus,
    FirstRefusalClosed,
    Holder,
    HolderNotLinked,
    HolderWithoutPriority,
    NotTheHolder,
    Outcome,
    RefusalDecision,
    clock_step_due,
    first_refusal_outcome,
    holders_who_may_match,
)
from market.domain.ledger import Movement
from market.domain.notices import NoticeType
from market.domain.reasons import SystemReason
from market.domain.roles import Role
from market.domain.rules import RuleBroken
from market.domain.workflow import CaseState
from market.models import (
    Auction,
    AuctionBar,
    AuctionBidder,
    AuctionResult,
    Bid,
    DisposalCase,
    FirstRefusalAnswer,
    FirstRefusalHolder,
)
from market.services import award_chain, sale_confirmations
from market.services.auctions import (
    PLAYBOOKS,
    forget_loaded,
    lock_auction,
    register_bidder,
    registration,
)
from market.services.audit import Actor
from market.services.award_chain import audit_round as _audit
from market.services.cases import lock_case, move_case
from market.services.ledger import record_movement
from market.services.registry_holds import held_by_register
from market.services.round_notices import bidders, tell_round
from market.services.strikes import record_strike


class PaymentNotDue(RuleBroken):
    """There is no payment to record for this round now."""

    code = "payment_not_due"


class PaymentOverdue(PaymentNotDue):
    """The payment deadline has passed; the winner has defaulted."""

    code = "payment_overdue"


def close_auction(
    session: so.Session, auction_id: int, *, now: datetime, actor: Actor | None = None,
    rules: AuctionRules = DEFAULT_AUCTION_RULES,
) -> bool:
    """Close a round whose bidding has ended; True only for the one caller that actually closed it."""
    actor = actor or Actor.system()
    auction = lock_auction(session, auction_id)
    if auction is None or auction.status != AuctionStatus.OPEN or now < auction.ends_at or auction.held_at:
        return False
    case = lock_case(session, auction.case_id)
    if held_by_register(session, case, now=now):
        return False  # the register changed since the round opened: held, not closed
    auction.closed_at = now
    if case.state != PLAYBOOKS[auction.kind].live_state:
        cancel_round(session, auction, case, now=now, actor=actor)
    elif auction.bid_count == 0:
        _fail(session, auction, case, now=now, actor=actor, rules=rules)
    else:
        top = _top_bidder(session, auction)
        _release_deposits(session, auction, now=now, keep={top.id})
        holders = _holders_who_may_match(case, top.institution_id)
        if holders:
            auction.status = AuctionStatus.FIRST_REFUSAL
            auction.first_refusal_ends_at = now + timedelta(hours=rules.disposal.first_refusal_hours)
            _audit(session, auction, "first_refusal_opened", now, actor, AuctionStatus.OPEN,
                   {"holders": [h.holder_id for h in holders], "price_fen": auction.current_price_fen})
            tell_round(session, NoticeType.FIRST_REFUSAL_OPEN, auction, [h.institution_id for h in holders],
                       now=now, price_fen=auction.current_price_fen,
                       ends_at=auction.first_refusal_ends_at.isoformat())
        else:
            _award(session, auction, case, top, now=now, actor=actor, rules=rules, via_first_refusal=False)
    return True


def answer_first_refusal(
    session: so.Session, auction_id: int, holder_id: int, decision: RefusalDecision, *,
    actor: Actor, now: datetime, rules: AuctionRules = DEFAULT_AUCTION_RULES,
) -> AuctionStatus:
    """A holder (or the operator for it) matches the final price or declines; the round resolves when it can."""
    auction = lock_auction(session, auction_id)
    if auction is not None and auction.held_at is not None:
        raise AssetOnHold()
    if auction is None or auction.status != AuctionStatus.FIRST_REFUSAL or now >= auction.first_refusal_ends_at:
        raise FirstRefusalClosed()
    case = lock_case(session, auction.case_id)
    top = _top_bidder(session, auction)
    holder = next((h for h in case.first_refusal_holders if h.id == holder_id), None)
    may_match = {h.holder_id for h in _holders_who_may_match(case, top.institution_id)}
    if holder is None or holder.id not in may_match:
        raise HolderWithoutPriority()
    if actor.role != Role.OPERATOR and (actor.user is None or actor.user.institution_id != holder.institution_id):
        raise NotTheHolder()
    if session.scalar(sa.select(FirstRefusalAnswer.id).where(
            FirstRefusalAnswer.auction_id == auction_id, FirstRefusalAnswer.holder_id == holder_id)):
        raise AlreadyAnswered()
    if decision == RefusalDecision.MATCH:
        if holder.institution_id is None:
            raise HolderNotLinked()
        if registration(session, auction_id, holder.institution_id) is None:
            # matching makes the holder the buyer: it pays the deposit like any bidder
            register_bidder(session, auction, holder.institution_id, now=now, user=actor.user, rules=rules,
                      check=False)
    session.add(FirstRefusalAnswer(auction_id=auction_id, holder_id=holder_id, decision=decision,
                                   decided_at=now, decided_by_user_id=actor.user.id if actor.user else None))
    session.flush()
    _audit(session, auction, f"first_refusal_{decision.value}", now, actor, None,
           {"holder_id": holder_id, "price_fen": auction.current_price_fen})
    _resolve_first_refusal(session, auction, case, top, now=now, actor=actor, rules=rules, window_over=False)
    return AuctionStatus(auction.status)


def end_first_refusal(
    session: so.Session, auction_id: int, *, now: datetime, rules: AuctionRules = DEFAULT_AUCTION_RULES,
) -> bool:
    """When the window has run out, holders who did not answer have declined; award the round."""
    auction = lock_auction(session, auction_id)
    if auction is None or auction.status != AuctionStatus.FIRST_REFUSAL or now < auction.first_refusal_ends_at \
            or auction.held_at:
        return False
    case = lock_case(session, auction.case_id)
    if held_by_register(session, case, now=now):
        return False
    _resolve_first_refusal(session, auction, case, _top_bidder(session, auction), now=now,
                           actor=Actor.system(), rules=rules, window_over=True)
    return True


def record_payment(
    session: so.Session, auction_id: int, *, actor: Actor, now: datetime,
    rules: AuctionRules = DEFAULT_AUCTION_RULES,
) -> Auction:
    """The winner paid the price: apply its deposit, book the balance, and the case is disposed."""
    auction = lock_auction(session, auction_id)
    if auction is None or auction.status != AuctionStatus.AWARDED:
        raise PaymentNotDue()
    if now > auction.payment_due_at:
        raise PaymentOverdue()
    case = lock_case(session, auction.case_id)
    playbook = PLAYBOOKS[auction.kind]
    buyer = award_chain.buyer_of(session, auction)
    winner, price = buyer.bidder, buyer.price_fen
    deposit = winner.deposit_fen if winner.deposit_status == DepositStatus.HELD else 0
    if deposit:
        record_movement(session, Movement.DEPOSIT_APPLIED, amount_fen=deposit, now=now, case_id=case.id,
                        institution_id=winner.institution_id, reference=f"auction:{auction.id}:applied")
        winner.deposit_status, winner.released_at = DepositStatus.APPLIED, now
    if price - deposit > 0:
        record_movement(session, playbook.payment, amount_fen=price - deposit, now=now, case_id=case.id,
                        institution_id=winner.institution_id, reference=f"auction:{auction.id}:payment")
    move_case(session, case, playbook.paid, actor=actor, now=now, rules=rules.disposal,
              recovery_fen=price, buyer_institution_id=winner.institution_id,
              detail={"auction_id": auction.id, "price_fen": price})
    case.recovery_fen, case.buyer_institution_id, case.disposed_at = price, winner.institution_id, now
    auction.status, auction.paid_at = AuctionStatus.SOLD, now
    _audit(session, auction, "auction_paid", now, actor, AuctionStatus.AWARDED, {"price_fen": price})
    sale_confirmations.generate_confirmation(session, auction, case, buyer, deposit_applied_fen=deposit, now=now,
                                             actor=actor)
    return auction


def record_default(
    session: so.Session, auction_id: int, *, now: datetime, actor: Actor | None = None,
    rules: AuctionRules = DEFAULT_AUCTION_RULES,
) -> bool:
    """After the deadline: forfeit the buyer's deposit and bar it from the re-run; then the award chain goes on
    (an offer to the second bidder where the lot allows one) or falls back to a re-auction."""
    actor = actor or Actor.system()
    auction = lock_auction(session, auction_id)
    if auction is None or auction.status != AuctionStatus.AWARDED or now <= auction.payment_due_at \
            or auction.held_at:
        return False
    case = lock_case(session, auction.case_id)
    playbook = PLAYBOOKS[auction.kind]
    if case.state != playbook.awarded_state:
        return False  # e.g. suspended: the operator resolves it; try again on a later tick
    buyer = award_chain.buyer_of(session, auction)
    winner = buyer.bidder
    tell_round(session, NoticeType.PAYMENT_OVERDUE, auction, [winner.institution_id, case.bank_id], now=now,
               amount_fen=buyer.price_fen, due_at=auction.payment_due_at.isoformat())
    if winner.deposit_status == DepositStatus.HELD and winner.deposit_fen > 0:
        record_movement(
            session, Movement.DEPOSIT_FORFEITED, amount_fen=winner.deposit_fen, now=now, case_id=case.id,
            institution_id=winner.institution_id,
            reference=f"auction:{auction.id}:{'second-forfeit' if buyer.second_bidder else 'forfeit'}",
        )
        winner.deposit_status, winner.released_at = DepositStatus.FORFEITED, now
        tell_round(session, NoticeType.DEPOSIT_FORFEITED, auction, [winner.institution_id], now=now,
                   amount_fen=winner.deposit_fen)
    session.add(AuctionBar(case_id=case.id, institution_id=winner.institution_id, auction_id=auction.id,
                           barred_at=now, reason=SystemReason.WINNER_DID_NOT_PAY))
    record_strike(session, institution_id=winner.institution_id, case_id=case.id, auction_id=auction.id, now=now,
                  actor=actor, rules=rules.strikes)  # platform-wide: enough strikes ban it from new lots
    session.flush()  # the bar keeps the defaulter out of the second-bidder offer
    chain = award_chain.after_default(session, auction, case, now=now, actor=actor, rules=rules,
                                      second_bidder_defaulted=buyer.second_bidder)
    _audit(session, auction, "winner_defaulted", now, actor, AuctionStatus.AWARDED,
           {"institution_id": winner.institution_id, "forfeited_fen": winner.deposit_fen,
            "second_bidder": buyer.second_bidder, **chain})
    return True


# ---- inside the caller's transaction ------------------------------------------------------------


def _top_bidder(session: so.Session, auction: Auction) -> AuctionBidder:
    return session.scalar(
        sa.select(AuctionBidder).join(Bid, Bid.bidder_id == AuctionBidder.id)
        .where(Bid.auction_id == auction.id, Bid.seq == auction.bid_count)
    )


def _holders(case: DisposalCase) -> list[Holder]:
    return [Holder(h.id, h.rank, h.institution_id) for h in case.first_refusal_holders]


def _holders_who_may_match(case: DisposalCase, top_institution_id: int) -> list[Holder]:
    return holders_who_may_match(_holders(case), top_institution_id)


def _resolve_first_refusal(session, auction, case, top, *, now, actor, rules, window_over: bool) -> None:
    holders = _holders_who_may_match(case, top.institution_id)
    answers = dict(session.execute(
        sa.select(FirstRefusalAnswer.holder_id, FirstRefusalAnswer.decision)
        .where(FirstRefusalAnswer.auction_id == auction.id)
    ).all())
    outcome = first_refusal_outcome(holders, {k: RefusalDecision(v) for k, v in answers.items()},
                                    window_over=window_over)
    if not outcome.decided:
        return
    if outcome.holder is None:
        _award(session, auction, case, top, now=now, actor=actor, rules=rules, via_first_refusal=False)
        return
    holder_row = session.get(FirstRefusalHolder, outcome.holder.holder_id)
    winner = registration(session, auction.id, holder_row.institution_id)
    _release_deposits(session, auction, now=now, keep={winner.id})
    _award(session, auction, case, winner, now=now, actor=actor, rules=rules, via_first_refusal=True)


def _award(session, auction, case, winner: AuctionBidder, *, now, actor, rules, via_first_refusal: bool) -> None:
    previous = AuctionStatus(auction.status)
    session.add(AuctionResult(
        auction_id=auction.id, outcome=Outcome.WON, winner_bidder_id=winner.id,
        winner_institution_id=winner.institution_id, price_fen=auction.current_price_fen,
        winning_seq=auction.bid_count, via_first_refusal=via_first_refusal, decided_at=now,
    ))
    session.flush()  # UNIQUE(auction_id): a second award fails here, whatever the code above believed
    auction.status = AuctionStatus.AWARDED
    # counted from the end of bidding, not from whenever the clock got round to closing the round
    auction.payment_due_at = auction.ends_at + timedelta(days=rules.disposal.winner_payment_days)
    playbook = PLAYBOOKS[auction.kind]
    if playbook.won is not None:
        # a holder who matched set this off, but the round's result moves the case on the centre's behalf
        case_actor = actor if actor.role in (Role.OPERATOR, Role.SYSTEM) else Actor.system()
        move_case(session, case, playbook.won, actor=case_actor, now=now, rules=rules.disposal,
                  price_fen=auction.current_price_fen, buyer_institution_id=winner.institution_id,
                  payment_due_at=auction.payment_due_at,
                  detail={"auction_id": auction.id, "price_fen": auction.current_price_fen})
    _audit(session, auction, "auction_won", now, actor, previous,
           {"winner_code": winner.code, "price_fen": auction.current_price_fen,
            "deposit_status": winner.deposit_status.value, "via_first_refusal": via_first_refusal})
    price, due_at = auction.current_price_fen, auction.payment_due_at.isoformat()
    deposit = winner.deposit_fen if winner.deposit_status == DepositStatus.HELD else 0
    tell_round(session, NoticeType.ROUND_WON, auction, [winner.institution_id], now=now, price_fen=price,
               due_at=due_at)
    tell_round(session, NoticeType.PAYMENT_DUE, auction, [winner.institution_id], now=now,
               amount_fen=price - deposit, price_fen=price, deposit_fen=deposit, due_at=due_at)
    tell_round(session, NoticeType.ROUND_LOST, auction, bidders(session, auction.id, excluding={winner.institution_id}),
               now=now, price_fen=price)


def _fail(session, auction, case, *, now, actor, rules) -> None:
    session.add(AuctionResult(auction_id=auction.id, outcome=Outcome.FAILED, decided_at=now))
    session.flush()
    auction.status = AuctionStatus.FAILED
    _release_deposits(session, auction, now=now, keep=set())
    move_case(session, case, PLAYBOOKS[auction.kind].failed, actor=actor, now=now, rules=rules.disposal,
              reason=SystemReason.NO_VALID_BID, detail={"auction_id": auction.id, "round": auction.round_no})
    _audit(session, auction, "auction_failed", now, actor, AuctionStatus.OPEN, {})
    tell_round(session, NoticeType.ROUND_FAILED, auction, [case.bank_id, *bidders(session, auction.id)], now=now)


def cancel_round(session: so.Session, auction: Auction, case: DisposalCase, *, now: datetime,
                 actor: Actor) -> None:
    """End a locked round without a result: its case left the auction, or the operator withdrew it from a
    registry hold; every held deposit goes back."""
    previous = AuctionStatus(auction.status)
    auction.closed_at = auction.closed_at or now
    auction.status = AuctionStatus.CANCELLED
    _release_deposits(session, auction, now=now, keep=set())
    _audit(session, auction, "auction_cancelled", now, actor, previous,
           {"case_state": CaseState(case.state).value})


def _release_deposits(session, auction, *, now, keep: set[int]) -> int:
    """Refund every held deposit except the bidders in `keep` (losing deposits go back at close)."""
    released = 0
    for bidder in session.scalars(
        sa.select(AuctionBidder).where(AuctionBidder.auction_id == auction.id,
                                       AuctionBidder.deposit_status == DepositStatus.HELD)
    ):
        if bidder.id in keep:
            continue
        record_movement(session, Movement.DEPOSIT_REFUNDED, amount_fen=bidder.deposit_fen, now=now,
                        case_id=auction.case_id, institution_id=bidder.institution_id,
                        reference=f"auction:{auction.id}:refund:{bidder.institution_id}")
        bidder.deposit_status, bidder.released_at = DepositStatus.REFUNDED, now
        tell_round(session, NoticeType.DEPOSIT_REFUNDED, auction, [bidder.institution_id], now=now,
                   amount_fen=bidder.deposit_fen)
        released += 1
    return released


# ---- the clock ----------------------------------------------------------------------------------


def ended_rounds(session: so.Session, now: datetime) -> list[int]:
    """Open rounds whose bidding has ended (the tick closes each: close_auction)."""
    return list(session.scalars(sa.select(Auction.id).where(Auction.status == AuctionStatus.OPEN,
                                                            Auction.ends_at <= now, Auction.held_at.is_(None))))


def lapsed_first_refusals(session: so.Session, now: datetime) -> list[int]:
    """Rounds whose first-refusal window has run out (the tick awards each: end_first_refusal)."""
    return list(session.scalars(sa.select(Auction.id).where(Auction.status == AuctionStatus.FIRST_REFUSAL,
                                                            Auction.first_refusal_ends_at <= now,
                                                            Auction.held_at.is_(None))))


def unpaid_winners(session: so.Session, now: datetime) -> list[int]:
    """Awarded rounds whose winner did not pay by the deadline (the tick defaults each: record_default)."""
    return list(session.scalars(sa.select(Auction.id).where(Auction.status == AuctionStatus.AWARDED,
                                                            Auction.payment_due_at < now, Auction.held_at.is_(None))))


def settle_if_due(session: so.Session, auction: Auction | sa.Row, now: datetime) -> bool:
    """What a page view does for one auction (an object or a row): whatever the clock owes it now
    (domain.auction.clock_step_due), idempotent and race-safe, in the view's unit of work.
    """
    step = clock_step_due(
        AuctionStatus(auction.status), now=now, ends_at=auction.ends_at,
        first_refusal_ends_at=auction.first_refusal_ends_at, payment_due_at=auction.payment_due_at,
        held=auction.held_at is not None, second_bidder_decision_due_at=auction.second_bidder_decision_due_at,
        second_bidder_answer_due_at=auction.second_bidder_answer_due_at,
    )
    if step is None:
        return False
    done = _CLOCK_STEPS[step](session, auction.id, now=now)
    forget_loaded(session, auction.id)
    return done


_CLOCK_STEPS = {
    ClockStep.CLOSE: close_auction,
    ClockStep.END_FIRST_REFUSAL: end_first_refusal,
    ClockStep.DEFAULT_WINNER: record_default,
    ClockStep.END_SECOND_BIDDER_DECISION: award_chain.end_second_bidder_decision,
    ClockStep.END_SECOND_BIDDER_OFFER: award_chain.end_second_bidder_offer,
}
