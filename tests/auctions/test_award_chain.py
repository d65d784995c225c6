"""The award chain: after a winner's default the centre may offer the lot to the second bidder at its own last bid
(where the lot allows it), each step with its own deadline run by the tick, every step audited."""

from datetime import timedelta

import pytest
import sqlalchemy as sa

from market.db import unit_of_work
from market.domain.auction import AuctionKind, AuctionStatus, DepositStatus
from market.domain.award_chain import (
    FallBack,
    NotTheSecondBidder,
    SecondOfferClosed,
    SecondOfferNotForClaimLots,
    SecondOfferNotOpen,
    SecondOfferStatus,
)
from market.domain.ledger import Movement, deposits_held
from market.domain.notices import NoticeType
from market.domain.workflow import CaseState
from market.models import (
    Auction,
    AuctionBar,
    AuctionBidder,
    AuditEvent,
    DisposalCase,
    LedgerTransaction,
)
from market.services.audit import Actor
from market.services.award_chain import (
    accept_second_offer,
    decline_second_offer,
    decline_to_offer,
    offer_to_second_bidder,
    second_offer,
)
from market.services.closing import record_payment, settle_if_due
from market.services.ledger import balance
from market.services.tick import run_due
from tests.factories_auctions import (
    DEPOSIT,
    INCREMENT,
    START,
    make_defaulted_round,
    make_operator,
    open_round,
)
from tests.factories_notices import received

DECISIONS, OFFERS = "auctions: second-bidder decisions", "auctions: second-bidder offers"


def _fresh(session, model, key):
    row = session.get(model, key)
    session.refresh(row)
    return row


def _operator(session):
    return Actor.of(make_operator(session))


def _actions(session, auction_id):
    return list(session.scalars(sa.select(AuditEvent.action).where(
        AuditEvent.entity_type == "auction", AuditEvent.entity_id == auction_id).order_by(AuditEvent.id)))


def test_a_default_on_a_lot_that_allows_it_waits_for_the_centres_decision_instead_of_a_rerun(session, clock):
    auction, (_third, _second, winner) = make_defaulted_round(session, clock)
    assert auction.status == AuctionStatus.SECOND_BIDDER_DECISION
    assert auction.second_bidder_decision_due_at == auction.payment_due_at + timedelta(hours=72)
    case = _fresh(session, DisposalCase, auction.case_id)
    assert case.state == CaseState.AWAITING_PAYMENT and case.failed_rounds == 0
    assert session.scalar(sa.select(AuctionBar.institution_id)) == winner.institution_id
    assert _actions(session, auction.id)[-1] == "winner_defaulted"


def test_a_lot_that_does_not_allow_it_falls_back_to_a_rerun_at_once(session, clock):
    auction, _users = make_defaulted_round(session, clock, allowed=False)
    assert auction.status == AuctionStatus.DEFAULTED
    case = _fresh(session, DisposalCase, auction.case_id)
    assert case.state == CaseState.AWAITING_CHANNEL and case.failed_rounds == 1


def test_with_no_other_bidder_there_is_no_one_to_offer_it_to(session, clock):
    auction, _users = make_defaulted_round(session, clock, bidders=1)
    assert auction.status == AuctionStatus.DEFAULTED


def test_a_claim_rights_lot_cannot_announce_a_second_bidder_offer(session, clock):
    with pytest.raises(SecondOfferNotForClaimLots):
        open_round(session, clock, kind=AuctionKind.CLAIM, second_bidder_offer=True)


def test_the_offer_goes_to_the_second_highest_bidder_at_its_own_last_bid(session, clock):
    auction, (_third, second, _winner) = make_defaulted_round(session, clock)
    with unit_of_work(session):
        offer = offer_to_second_bidder(session, auction.id, actor=_operator(session), now=clock())
    assert (offer.institution_id, offer.price_fen) == (second.institution_id, START + INCREMENT)
    assert offer.answer_due_at == clock() + timedelta(hours=72)
    assert _fresh(session, Auction, auction.id).status == AuctionStatus.SECOND_BIDDER_OFFERED
    assert _actions(session, auction.id)[-1] == "second_bidder_offered"


def test_while_the_chain_runs_the_case_is_due_when_its_next_step_is(session, clock):
    auction, (_third, second, _winner) = make_defaulted_round(session, clock)
    assert _fresh(session, DisposalCase, auction.case_id).due_at == auction.second_bidder_decision_due_at
    with unit_of_work(session):
        offer = offer_to_second_bidder(session, auction.id, actor=_operator(session), now=clock())
    assert _fresh(session, DisposalCase, auction.case_id).due_at == offer.answer_due_at
    with unit_of_work(session):
        accept_second_offer(session, auction.id, actor=Actor.of(second), now=clock())
    assert _fresh(session, DisposalCase, auction.case_id).due_at == _fresh(session, Auction, auction.id).payment_due_at


def test_the_second_bidder_is_told_of_the_offer_and_then_of_the_payment_due(session, clock):
    auction, (third, second, winner) = make_defaulted_round(session, clock)
    with unit_of_work(session):
        offer_to_second_bidder(session, auction.id, actor=_operator(session), now=clock())
    [told] = received(session, second, NoticeType.SECOND_BIDDER_OFFERED)
    assert told.payload["price_fen"] == START + INCREMENT and received(session, third, NoticeType.SECOND_BIDDER_OFFERED) == []
    with unit_of_work(session):
        accept_second_offer(session, auction.id, actor=Actor.of(second), now=clock())
    [due] = received(session, second, NoticeType.PAYMENT_DUE)
    assert due.payload["amount_fen"] == START + INCREMENT - DEPOSIT


def test_when_the_second_bidder_accepts_it_pays_its_deposit_again_and_must_pay_by_its_own_deadline(session, clock):
    auction, (_third, second, _winner) = make_defaulted_round(session, clock)
    with unit_of_work(session):
        offer_to_second_bidder(session, auction.id, actor=_operator(session), now=clock())
    clock.advance(hours=5)
    with unit_of_work(session):
        accept_second_offer(session, auction.id, actor=Actor.of(second), now=clock())
    auction = _fresh(session, Auction, auction.id)
    assert auction.status == AuctionStatus.AWARDED and auction.payment_due_at == clock() + timedelta(days=10)
    assert -balance(session, deposits_held(second.institution_id)) == DEPOSIT
    case = _fresh(session, DisposalCase, auction.case_id)
    assert (case.state, case.sale_price_fen, case.buyer_institution_id) == (
        CaseState.AWAITING_PAYMENT, START + INCREMENT, second.institution_id)

    with unit_of_work(session):
        record_payment(session, auction.id, actor=_operator(session), now=clock())
    case = _fresh(session, DisposalCase, auction.case_id)
    assert (case.state, case.recovery_fen, case.buyer_institution_id) == (
        CaseState.DISPOSED, START + INCREMENT, second.institution_id)
    bidder = session.scalar(sa.select(AuctionBidder).where(AuctionBidder.institution_id == second.institution_id))
    assert bidder.deposit_status == DepositStatus.APPLIED
    assert _actions(session, auction.id)[-4:] == ["winner_defaulted", "second_bidder_offered",
                                                  "second_bidder_accepted", "auction_paid"]


def test_only_the_second_bidder_answers_and_only_before_its_deadline(session, clock):
    auction, (third, second, _winner) = make_defaulted_round(session, clock)
    with unit_of_work(session):
        offer_to_second_bidder(session, auction.id, actor=_operator(session), now=clock())
    with pytest.raises(NotTheSecondBidder):
        accept_second_offer(session, auction.id, actor=Actor.of(third), now=clock())
    session.rollback()
    with pytest.raises(SecondOfferClosed):
        accept_second_offer(session, auction.id, actor=Actor.of(second), now=clock() + timedelta(hours=72))
    session.rollback()


def test_an_unanswered_offer_lapses_on_the_tick_and_the_case_goes_back_for_a_rerun(session, clock):
    auction, _users = make_defaulted_round(session, clock)
    with unit_of_work(session):
        offer_to_second_bidder(session, auction.id, actor=_operator(session), now=clock())
    clock.advance(hours=71)
    assert run_due(session, clock())[OFFERS] == 0
    clock.advance(hours=1)
    assert run_due(session, clock())[OFFERS] == 1
    assert run_due(session, clock())[OFFERS] == 0  # once
    assert second_offer(session, auction.id).status == SecondOfferStatus.LAPSED
    assert _fresh(session, Auction, auction.id).status == AuctionStatus.DEFAULTED
    case = _fresh(session, DisposalCase, auction.case_id)
    assert case.state == CaseState.AWAITING_CHANNEL and case.failed_rounds == 1
    event = session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "award_chain_fell_back"))
    assert event.detail == {"why": FallBack.SECOND_BIDDER_LAPSED.value}


def test_without_the_centres_decision_in_time_the_tick_falls_back(session, clock):
    auction, _users = make_defaulted_round(session, clock)
    clock.advance(hours=72)
    assert run_due(session, clock())[DECISIONS] == 1
    assert _fresh(session, Auction, auction.id).status == AuctionStatus.DEFAULTED
    with pytest.raises(SecondOfferNotOpen):
        offer_to_second_bidder(session, auction.id, actor=_operator(session), now=clock())
    session.rollback()


def test_a_page_view_applies_the_lapsed_decision_like_the_tick(session, clock):
    auction, _users = make_defaulted_round(session, clock)
    clock.advance(hours=72)
    with unit_of_work(session):
        assert settle_if_due(session, session.get(Auction, auction.id), clock())
    assert _fresh(session, Auction, auction.id).status == AuctionStatus.DEFAULTED


def test_the_centre_may_choose_a_rerun_instead(session, clock):
    auction, _users = make_defaulted_round(session, clock)
    with unit_of_work(session):
        decline_to_offer(session, auction.id, actor=_operator(session), now=clock())
    assert _fresh(session, Auction, auction.id).status == AuctionStatus.DEFAULTED
    assert _fresh(session, DisposalCase, auction.case_id).state == CaseState.AWAITING_CHANNEL


def test_a_second_bidder_who_declines_sends_the_case_back_for_a_rerun(session, clock):
    auction, (_third, second, _winner) = make_defaulted_round(session, clock)
    with unit_of_work(session):
        offer_to_second_bidder(session, auction.id, actor=_operator(session), now=clock())
    with unit_of_work(session):
        decline_second_offer(session, auction.id, actor=Actor.of(second), now=clock())
    assert second_offer(session, auction.id).status == SecondOfferStatus.DECLINED
    assert _fresh(session, DisposalCase, auction.case_id).state == CaseState.AWAITING_CHANNEL
    assert _actions(session, auction.id)[-2:] == ["second_bidder_declined", "award_chain_fell_back"]


def test_a_second_bidder_who_accepts_and_then_does_not_pay_loses_its_deposit_and_the_chain_ends(session, clock):
    auction, (_third, second, _winner) = make_defaulted_round(session, clock)
    with unit_of_work(session):
        offer_to_second_bidder(session, auction.id, actor=_operator(session), now=clock())
    with unit_of_work(session):
        accept_second_offer(session, auction.id, actor=Actor.of(second), now=clock())
    clock.advance(days=10, seconds=1)
    assert run_due(session, clock())["auctions: payment deadlines"] == 1
    assert _fresh(session, Auction, auction.id).status == AuctionStatus.DEFAULTED  # no third offer
    forfeits = session.scalars(sa.select(LedgerTransaction.reference).where(
        LedgerTransaction.movement == Movement.DEPOSIT_FORFEITED)).all()
    assert sorted(forfeits) == [f"auction:{auction.id}:forfeit", f"auction:{auction.id}:second-forfeit"]
    barred = set(session.scalars(sa.select(AuctionBar.institution_id)))
    assert second.institution_id in barred and len(barred) == 2
    case = _fresh(session, DisposalCase, auction.case_id)
    assert case.state == CaseState.AWAITING_CHANNEL and case.failed_rounds == 1
