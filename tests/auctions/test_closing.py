"""Closing a round exactly once: failed rounds, winners, first refusal, payment, default and re-runs."""

from datetime import timedelta

import pytest
import sqlalchemy as sa

from market.domain.auction import (
    AuctionKind,
    AuctionStatus,
    Barred,
    DepositStatus,
    Outcome,
    RefusalDecision,
)
from market.domain.ledger import Movement, deposits_held, forfeited, proceeds_payable
from market.domain.rules import PriceCutTooDeep
from market.domain.workflow import CaseAction, CaseState
from market.models import (
    Auction,
    AuctionBar,
    AuctionBidder,
    AuctionResult,
    DisposalCase,
    LedgerTransaction,
)
from market.services.auctions import open_auction, pay_deposit
from market.services.audit import Actor, timeline
from market.services.bidding import place_bid
from market.services.cases import apply_case_action
from market.services.closing import (
    answer_first_refusal,
    close_auction,
    record_default,
    record_payment,
)
from market.services.ledger import balance
from market.services.tick import run_due
from tests.factories import make_institution
from tests.factories_auctions import (
    DEPOSIT,
    INCREMENT,
    START,
    make_bidder,
    make_operator,
    name_holder,
    open_round,
)


def _bid(session, clock, auction, user, amount):
    return place_bid(session, auction.id, institution_id=user.institution_id, amount_fen=amount, now=clock())


def _fresh(session, model, key):
    row = session.get(model, key)
    session.refresh(row)
    return row


def _two_bidders_and_bids(session, clock, auction):
    first, first_bidder = make_bidder(session, clock, auction)
    second, second_bidder = make_bidder(session, clock, auction)
    _bid(session, clock, auction, first, START)
    _bid(session, clock, auction, second, START + INCREMENT)
    return (first, first_bidder), (second, second_bidder)


def test_closing_before_the_end_does_nothing(session, clock):
    auction = open_round(session, clock)
    assert not close_auction(session, auction.id, now=clock() + timedelta(hours=23))
    assert _fresh(session, Auction, auction.id).status == AuctionStatus.OPEN


def test_a_round_without_bids_fails_and_refunds_every_deposit(session, clock):
    auction = open_round(session, clock)
    user, _bidder = make_bidder(session, clock, auction)
    clock.advance(hours=24)
    assert close_auction(session, auction.id, now=clock())
    auction = _fresh(session, Auction, auction.id)
    assert auction.status == AuctionStatus.FAILED and auction.result.outcome == Outcome.FAILED
    case = _fresh(session, DisposalCase, auction.case_id)
    assert case.state == CaseState.AWAITING_CHANNEL and case.failed_rounds == 1
    assert balance(session, deposits_held(user.institution_id)) == 0


def test_the_top_bidder_wins_and_losing_deposits_are_released_at_close(session, clock):
    auction = open_round(session, clock)
    (loser, loser_bidder), (winner, winner_bidder) = _two_bidders_and_bids(session, clock, auction)
    clock.advance(hours=24)
    assert close_auction(session, auction.id, now=clock())
    assert not close_auction(session, auction.id, now=clock())  # idempotent
    auction = _fresh(session, Auction, auction.id)
    assert auction.status == AuctionStatus.AWARDED
    assert (auction.result.winner_institution_id, auction.result.price_fen) == (winner.institution_id,
                                                                                START + INCREMENT)
    assert auction.payment_due_at == clock() + timedelta(days=10)
    assert _fresh(session, AuctionBidder, loser_bidder.id).deposit_status == DepositStatus.REFUNDED
    assert _fresh(session, AuctionBidder, winner_bidder.id).deposit_status == DepositStatus.HELD
    assert balance(session, deposits_held(loser.institution_id)) == 0
    case = _fresh(session, DisposalCase, auction.case_id)
    assert case.state == CaseState.AWAITING_PAYMENT and case.sale_price_fen == START + INCREMENT


def test_when_the_winner_pays_its_deposit_counts_and_the_case_is_disposed(session, clock):
    auction = open_round(session, clock)
    _loser, (winner, winner_bidder) = _two_bidders_and_bids(session, clock, auction)
    clock.advance(hours=24)
    close_auction(session, auction.id, now=clock())
    clock.advance(days=3)
    record_payment(session, auction.id, actor=Actor.of(make_operator(session)), now=clock())
    case = _fresh(session, DisposalCase, auction.case_id)
    assert case.state == CaseState.DISPOSED
    assert (case.recovery_fen, case.buyer_institution_id, case.disposed_at) == (START + INCREMENT,
                                                                                winner.institution_id, clock())
    assert -balance(session, proceeds_payable(case.id)) == START + INCREMENT
    assert balance(session, deposits_held(winner.institution_id)) == 0
    assert _fresh(session, AuctionBidder, winner_bidder.id).deposit_status == DepositStatus.APPLIED
    assert _fresh(session, Auction, auction.id).status == AuctionStatus.SOLD


def test_a_winner_who_does_not_pay_loses_the_deposit_and_is_barred_from_the_rerun(session, clock):
    auction = open_round(session, clock)
    _loser, (winner, _winner_bidder) = _two_bidders_and_bids(session, clock, auction)
    clock.advance(hours=24)
    close_auction(session, auction.id, now=clock())
    clock.advance(days=10)
    assert not record_default(session, auction.id, now=clock())  # still on the deadline: it may pay
    clock.advance(seconds=1)
    assert run_due(session, clock())["auctions: payment deadlines"] == 1
    forfeit = session.scalar(sa.select(LedgerTransaction).where(
        LedgerTransaction.movement == Movement.DEPOSIT_FORFEITED))
    assert forfeit.reference == f"auction:{auction.id}:forfeit" and forfeit.institution_id == winner.institution_id
    assert -balance(session, forfeited(auction.case_id)) == DEPOSIT
    assert session.scalar(sa.select(AuctionBar.institution_id)) == winner.institution_id
    case = _fresh(session, DisposalCase, auction.case_id)
    assert case.state == CaseState.AWAITING_CHANNEL and case.failed_rounds == 1
    assert _fresh(session, Auction, auction.id).status == AuctionStatus.DEFAULTED

    operator = Actor.of(make_operator(session))
    session.commit()
    with pytest.raises(PriceCutTooDeep):
        open_auction(session, case.id, starting_price_fen=START * 8 // 10 - INCREMENT, increment_fen=INCREMENT,
                     deposit_fen=DEPOSIT // 2, ends_at=clock() + timedelta(days=1), actor=operator, now=clock())
    rerun = open_auction(session, case.id, starting_price_fen=START * 8 // 10, increment_fen=INCREMENT,
                         deposit_fen=START * 8 // 100, ends_at=clock() + timedelta(days=1), actor=operator,
                         now=clock())
    assert rerun.round_no == 2
    with pytest.raises(Barred):
        pay_deposit(session, rerun.id, winner.institution_id, now=clock())


def test_after_the_last_allowed_failed_round_the_case_goes_to_negotiated_sale(session, clock):
    auction = open_round(session, clock)
    clock.advance(hours=24)
    close_auction(session, auction.id, now=clock())
    rerun = open_auction(session, auction.case_id, starting_price_fen=START * 8 // 10, increment_fen=INCREMENT,
                         deposit_fen=START * 8 // 100, ends_at=clock() + timedelta(days=1),
                         actor=Actor.of(make_operator(session)), now=clock())
    clock.advance(hours=24)
    close_auction(session, rerun.id, now=clock())
    assert _fresh(session, DisposalCase, auction.case_id).state == CaseState.NEGOTIATED_SALE


def test_a_holder_who_matches_the_final_price_wins_it(session, clock):
    auction = open_round(session, clock)
    holder_institution = make_institution(session)
    holder = name_holder(session, auction.case, holder_institution)
    (_first, first_bidder), (_second, second_bidder) = _two_bidders_and_bids(session, clock, auction)
    clock.advance(hours=24)
    close_auction(session, auction.id, now=clock())
    auction = _fresh(session, Auction, auction.id)
    assert auction.status == AuctionStatus.FIRST_REFUSAL
    assert _fresh(session, AuctionBidder, first_bidder.id).deposit_status == DepositStatus.REFUNDED
    assert _fresh(session, AuctionBidder, second_bidder.id).deposit_status == DepositStatus.HELD

    status = answer_first_refusal(session, auction.id, holder.id, RefusalDecision.MATCH,
                                  actor=Actor.of(make_operator(session)), now=clock() + timedelta(hours=1))
    assert status == AuctionStatus.AWARDED
    result = session.scalar(sa.select(AuctionResult).where(AuctionResult.auction_id == auction.id))
    assert result.winner_institution_id == holder_institution.id and result.via_first_refusal
    assert result.price_fen == START + INCREMENT
    assert _fresh(session, AuctionBidder, second_bidder.id).deposit_status == DepositStatus.REFUNDED
    assert _fresh(session, DisposalCase, auction.case_id).buyer_institution_id == holder_institution.id


def test_when_no_holder_answers_in_time_the_top_bidder_wins(session, clock):
    auction = open_round(session, clock)
    name_holder(session, auction.case, make_institution(session))
    _first, (second, _) = _two_bidders_and_bids(session, clock, auction)
    clock.advance(hours=24)
    close_auction(session, auction.id, now=clock())
    clock.advance(hours=23)
    assert run_due(session, clock())["auctions: end first-refusal windows"] == 0
    clock.advance(hours=1)
    assert run_due(session, clock())["auctions: end first-refusal windows"] == 1
    assert _fresh(session, Auction, auction.id).result.winner_institution_id == second.institution_id


def test_a_round_whose_case_was_withdrawn_is_cancelled_and_refunds_deposits(session, clock):
    auction = open_round(session, clock)
    user, _ = make_bidder(session, clock, auction)
    _bid(session, clock, auction, user, START)
    apply_case_action(session, auction.case_id, CaseAction.WITHDRAW, actor=Actor.of(make_operator(session)),
                      now=clock(), reason="The debtor repaid.", paid_by_debtor_fen=START)
    clock.advance(hours=24)
    assert run_due(session, clock())["auctions: close ended rounds"] == 1
    assert _fresh(session, Auction, auction.id).status == AuctionStatus.CANCELLED
    assert balance(session, deposits_held(user.institution_id)) == 0


def test_a_claim_lot_runs_inside_the_claim_transfer_channel(session, clock):
    auction = open_round(session, clock, kind=AuctionKind.CLAIM)
    _loser, (winner, _) = _two_bidders_and_bids(session, clock, auction)
    clock.advance(hours=24)
    close_auction(session, auction.id, now=clock())
    assert _fresh(session, DisposalCase, auction.case_id).state == CaseState.CLAIM_TRANSFER
    record_payment(session, auction.id, actor=Actor.of(make_operator(session)), now=clock())
    case = _fresh(session, DisposalCase, auction.case_id)
    assert case.state == CaseState.DISPOSED and case.recovery_fen == START + INCREMENT
    assert session.scalar(sa.select(sa.func.count()).where(LedgerTransaction.movement == Movement.CLAIM_PRICE)) == 1


def test_every_step_of_a_round_is_in_the_audit_trail(session, clock):
    auction = open_round(session, clock)
    _two_bidders_and_bids(session, clock, auction)
    clock.advance(hours=24)
    close_auction(session, auction.id, now=clock())
    assert [e.action for e in timeline(session, "auction", auction.id)] == ["auction_opened", "auction_won"]
    assert [e.action for e in timeline(session, "case", auction.case_id)] == ["open_auction", "auction_won"]
