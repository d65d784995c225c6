"""After a winner's default: the centre's offer of the lot to the second bidder, its answer, the deadlines of both,
and the fall-back to a re-auction (the rules are market.domain.award_chain).

Every use case locks the auction row, then the case row (the order of market.services.auctions), re-reads the
status and deadline under the lock, and returns False (the clock) or raises (a person) when the step is no
longer due; so a tick, a page view and a second tick may race freely.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
import sqlalchemy.orm as so

from market.domain.auction import (
    DEFAULT_AUCTION_RULES,
    AssetOnHold,
    AuctionRules,
    AuctionStatus,
    DepositStatus,
)
from market.domain.award_chain import (
    DEFAULT_CHAIN_RULES,
    AwardChainRules,
    FallBack,
    PlacedBid,
    SecondBidder,
    SecondOfferStatus,
    answer_due,
    check_offer_may_be_answered,
    check_offer_may_be_made,
    decision_due,
    may_offer_second_bidder,
    payment_due_after_acceptance,
    second_bidder,
)
from market.domain.ledger import Movement
from market.domain.notices import NoticeType
from market.domain.reasons import SystemReason
from market.domain.roles import Role
from market.domain.workflow import CaseAction
from market.models import Auction, AuctionBar, AuctionBidder, Bid, DisposalCase, SecondBidderOffer
from market.services.access import require_role
from market.services.auctions import PLAYBOOKS, AuctionNotFound, lock_auction
from market.services.audit import Actor, record_event
from market.services.cases import lock_case, move_case
from market.services.ledger import record_movement
from market.services.round_notices import tell_round


@dataclass(frozen=True)
class Buyer:
    """Who must pay for a round now: its winner, or the second bidder who accepted the lot."""

    bidder: AuctionBidder
    price_fen: int
    second_bidder: bool


def buyer_of(session: so.Session, auction: Auction) -> Buyer:
    """The buyer of an awarded round and its price."""
    offer = second_offer(session, auction.id)
    if offer is not None and offer.status == SecondOfferStatus.ACCEPTED:
        return Buyer(session.get(AuctionBidder, offer.bidder_id), offer.price_fen, True)
    result = auction.result
    return Buyer(session.get(AuctionBidder, result.winner_bidder_id), result.price_fen, False)


def second_offer(session: so.Session, auction_id: int) -> SecondBidderOffer | None:
    """The round's offer to its second bidder, if one was made."""
    return session.scalar(sa.select(SecondBidderOffer).where(SecondBidderOffer.auction_id == auction_id))


def candidate(session: so.Session, auction: Auction) -> SecondBidder | None:
    """The second-highest bidder at its own last bid: not the defaulter, nor anyone barred from the case."""
    bids = session.execute(
        sa.select(Bid.bidder_id, AuctionBidder.institution_id, Bid.amount_fen)
        .join(AuctionBidder, AuctionBidder.id == Bid.bidder_id).where(Bid.auction_id == auction.id)
    ).all()
    barred = session.scalars(sa.select(AuctionBar.institution_id).where(AuctionBar.case_id == auction.case_id))
    return second_bidder([PlacedBid(*row) for row in bids], excluded_institutions=set(barred))


def after_default(session: so.Session, auction: Auction, case: DisposalCase, *, now: datetime, actor: Actor,
                  rules: AuctionRules, chain_rules: AwardChainRules = DEFAULT_CHAIN_RULES,
                  second_bidder_defaulted: bool) -> dict:
    """A buyer has defaulted (and been barred): open the centre's decision on a second-bidder offer where the
    lot allows one, else fall back to a re-auction; what the default's audit event adds about it."""
    found = candidate(session, auction)
    if may_offer_second_bidder(kind=auction.kind, lot_allows=auction.second_bidder_offer_allowed,
                               already_offered=second_bidder_defaulted or second_offer(session, auction.id) is not None,
                               candidate=found):
        auction.status = AuctionStatus.SECOND_BIDDER_DECISION
        auction.second_bidder_decision_due_at = decision_due(auction.payment_due_at, chain_rules)
        case.due_at = auction.second_bidder_decision_due_at  # the case's next step is the centre's decision
        return {"second_bidder_price_fen": found.price_fen,
                "decision_due_at": auction.second_bidder_decision_due_at.isoformat()}
    why = FallBack.SECOND_BIDDER_DEFAULTED if second_bidder_defaulted else FallBack.NO_SECOND_OFFER
    fall_back(session, auction, case, why=why, now=now, actor=actor, rules=rules, audited=False)
    return {"fall_back": why.value}


def fall_back(session: so.Session, auction: Auction, case: DisposalCase, *, why: FallBack, now: datetime,
              actor: Actor, rules: AuctionRules, audited: bool = True) -> None:
    """End the chain without a sale: the round counts as failed and the case goes back for a re-auction
    (`audited=False`: the caller's own event tells it)."""
    previous = AuctionStatus(auction.status)
    auction.status = AuctionStatus.DEFAULTED
    case_actor = actor if actor.role in (Role.OPERATOR, Role.SYSTEM) else Actor.system()
    move_case(session, case, PLAYBOOKS[auction.kind].defaulted, actor=case_actor, now=now, rules=rules.disposal,
              reason=SystemReason.WINNER_DID_NOT_PAY,
              detail={"auction_id": auction.id, "round": auction.round_no, "fall_back": why.value})
    if audited:
        audit_round(session, auction, "award_chain_fell_back", now, actor, previous, {"why": why.value})


# ---- the centre's decision -----------------------------------------------------------------------


def offer_to_second_bidder(session: so.Session, auction_id: int, *, actor: Actor, now: datetime,
                           chain_rules: AwardChainRules = DEFAULT_CHAIN_RULES) -> SecondBidderOffer:
    """The operator offers the lot to the second bidder at its own last bid, to accept by the answer deadline."""
    require_role(actor.user, Role.OPERATOR)
    auction = _locked(session, auction_id)
    check_offer_may_be_made(AuctionStatus(auction.status), now=now,
                            decision_due_at=auction.second_bidder_decision_due_at)
    found = candidate(session, auction)
    offer = SecondBidderOffer(
        auction_id=auction.id, bidder_id=found.bidder_id, institution_id=found.institution_id,
        price_fen=found.price_fen, status=SecondOfferStatus.OFFERED, offered_at=now,
        offered_by_user_id=actor.user.id, answer_due_at=answer_due(now, chain_rules),
    )
    session.add(offer)
    session.flush()  # UNIQUE(auction_id): one offer per round, whatever a racing request believed
    auction.status = AuctionStatus.SECOND_BIDDER_OFFERED
    auction.second_bidder_answer_due_at = offer.answer_due_at
    session.get(DisposalCase, auction.case_id).due_at = offer.answer_due_at  # now the second bidder's answer
    tell_round(session, NoticeType.SECOND_BIDDER_OFFERED, auction, [offer.institution_id], now=now,
               price_fen=offer.price_fen, due_at=offer.answer_due_at.isoformat())
    audit_round(session, auction, "second_bidder_offered", now, actor, AuctionStatus.SECOND_BIDDER_DECISION,
                {"institution_id": offer.institution_id, "price_fen": offer.price_fen,
                 "answer_due_at": offer.answer_due_at.isoformat()})
    return offer


def decline_to_offer(session: so.Session, auction_id: int, *, actor: Actor, now: datetime,
                     rules: AuctionRules = DEFAULT_AUCTION_RULES) -> Auction:
    """The operator chooses a re-auction instead of an offer to the second bidder."""
    require_role(actor.user, Role.OPERATOR)
    auction = _locked(session, auction_id)
    check_offer_may_be_made(AuctionStatus(auction.status), now=now,
                            decision_due_at=auction.second_bidder_decision_due_at)
    fall_back(session, auction, lock_case(session, auction.case_id), why=FallBack.CENTRE_DECLINED, now=now,
              actor=actor, rules=rules)
    return auction


def end_second_bidder_decision(session: so.Session, auction_id: int, *, now: datetime,
                               rules: AuctionRules = DEFAULT_AUCTION_RULES) -> bool:
    """The centre's decision deadline passed without an offer: fall back (the tick)."""
    auction = lock_auction(session, auction_id)
    if auction is None or auction.status != AuctionStatus.SECOND_BIDDER_DECISION or auction.held_at \
            or now < auction.second_bidder_decision_due_at:
        return False
    fall_back(session, auction, lock_case(session, auction.case_id), why=FallBack.NO_DECISION, now=now,
              actor=Actor.system(), rules=rules)
    return True


# ---- the second bidder's answer ------------------------------------------------------------------


def accept_second_offer(session: so.Session, auction_id: int, *, actor: Actor, now: datetime,
                        rules: AuctionRules = DEFAULT_AUCTION_RULES) -> SecondBidderOffer:
    """The second bidder accepts: it pays its deposit again and becomes the buyer at its own last bid, to pay
    by its own deadline (a default then bars it and falls back)."""
    auction = _locked(session, auction_id)
    offer = _open_offer(session, auction, actor, now)
    case = lock_case(session, auction.case_id)
    bidder = session.get(AuctionBidder, offer.bidder_id)
    if bidder.deposit_status == DepositStatus.REFUNDED and bidder.deposit_fen > 0:
        record_movement(session, Movement.DEPOSIT_PAID, amount_fen=bidder.deposit_fen, now=now, case_id=case.id,
                        institution_id=bidder.institution_id,
                        reference=f"auction:{auction.id}:second-deposit:{bidder.institution_id}")
        bidder.deposit_status, bidder.released_at = DepositStatus.HELD, None
    offer.status, offer.answered_at, offer.answered_by_user_id = SecondOfferStatus.ACCEPTED, now, actor.user.id
    auction.status = AuctionStatus.AWARDED
    auction.payment_due_at = payment_due_after_acceptance(now, rules.disposal.winner_payment_days)
    move_case(session, case, CaseAction.SECOND_BIDDER_ACCEPTED, actor=Actor.system(), now=now,
              rules=rules.disposal, price_fen=offer.price_fen, buyer_institution_id=offer.institution_id,
              payment_due_at=auction.payment_due_at,
              detail={"auction_id": auction.id, "price_fen": offer.price_fen})
    tell_round(session, NoticeType.PAYMENT_DUE, auction, [offer.institution_id], now=now,
               amount_fen=offer.price_fen - bidder.deposit_fen, price_fen=offer.price_fen,
               deposit_fen=bidder.deposit_fen, due_at=auction.payment_due_at.isoformat())
    audit_round(session, auction, "second_bidder_accepted", now, actor, AuctionStatus.SECOND_BIDDER_OFFERED,
                {"institution_id": offer.institution_id, "price_fen": offer.price_fen,
                 "deposit_status": bidder.deposit_status.value, "payment_due_at": auction.payment_due_at.isoformat()})
    return offer


def decline_second_offer(session: so.Session, auction_id: int, *, actor: Actor, now: datetime,
                         rules: AuctionRules = DEFAULT_AUCTION_RULES) -> SecondBidderOffer:
    """The second bidder declines: the chain falls back to a re-auction."""
    auction = _locked(session, auction_id)
    offer = _open_offer(session, auction, actor, now)
    offer.status, offer.answered_at, offer.answered_by_user_id = SecondOfferStatus.DECLINED, now, actor.user.id
    audit_round(session, auction, "second_bidder_declined", now, actor, AuctionStatus.SECOND_BIDDER_OFFERED,
                {"institution_id": offer.institution_id})
    fall_back(session, auction, lock_case(session, auction.case_id), why=FallBack.SECOND_BIDDER_DECLINED, now=now,
              actor=actor, rules=rules)
    return offer


def end_second_bidder_offer(session: so.Session, auction_id: int, *, now: datetime,
                            rules: AuctionRules = DEFAULT_AUCTION_RULES) -> bool:
    """The second bidder did not answer by the deadline: the offer lapses and the chain falls back (the tick)."""
    auction = lock_auction(session, auction_id)
    if auction is None or auction.status != AuctionStatus.SECOND_BIDDER_OFFERED or auction.held_at \
            or now < auction.second_bidder_answer_due_at:
        return False
    offer = second_offer(session, auction.id)
    offer.status = SecondOfferStatus.LAPSED
    fall_back(session, auction, lock_case(session, auction.case_id), why=FallBack.SECOND_BIDDER_LAPSED, now=now,
              actor=Actor.system(), rules=rules)
    return True


# ---- inside the caller's transaction -------------------------------------------------------------


def _locked(session: so.Session, auction_id: int) -> Auction:
    auction = lock_auction(session, auction_id)
    if auction is None:
        raise AuctionNotFound()
    if auction.held_at is not None:
        raise AssetOnHold()
    return auction


def _open_offer(session: so.Session, auction: Auction, actor: Actor, now: datetime) -> SecondBidderOffer:
    offer = second_offer(session, auction.id)
    check_offer_may_be_answered(
        AuctionStatus(auction.status), now=now, answer_due_at=auction.second_bidder_answer_due_at,
        offered_institution_id=offer.institution_id if offer else -1,
        answering_institution_id=actor.user.institution_id if actor.user else None)
    return offer


def audit_round(session: so.Session, auction: Auction, action: str, now: datetime, actor: Actor,
                from_status: AuctionStatus | None, detail: dict) -> None:
    """Audit one step of a round (entity "auction"), from one status to the round's status now."""
    record_event(session, actor=actor, entity="auction", entity_id=auction.id, action=action, now=now,
                 from_state=from_status.value if from_status else None,
                 to_state=AuctionStatus(auction.status).value, detail=detail)


# ---- the clock -----------------------------------------------------------------------------------


def lapsed_decisions(session: so.Session, now: datetime) -> list[int]:
    """Rounds whose centre's decision on a second-bidder offer has run out (the tick: end_second_bidder_decision)."""
    return list(session.scalars(sa.select(Auction.id).where(
        Auction.status == AuctionStatus.SECOND_BIDDER_DECISION, Auction.second_bidder_decision_due_at <= now,
        Auction.held_at.is_(None))))


def lapsed_offers(session: so.Session, now: datetime) -> list[int]:
    """Rounds whose offer to the second bidder was not answered in time (the tick: end_second_bidder_offer)."""
    return list(session.scalars(sa.select(Auction.id).where(
        Auction.status == AuctionStatus.SECOND_BIDDER_OFFERED, Auction.second_bidder_answer_due_at <= now,
        Auction.held_at.is_(None))))
