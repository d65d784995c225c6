"""Deposits and bids through the services, on the real database."""

from datetime import timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import DBAPIError, IntegrityError

from market.db import unit_of_work
from market.domain.auction import (
    AlreadyLeading,
    AuctionKind,
    AuctionNotStarted,
    DepositRequired,
    DepositStatus,
    NotEligible,
    Outbid,
)
from market.domain.ledger import Movement, deposits_held
from market.domain.roles import InstitutionKind, Role
from market.domain.rules import StartPriceTooLow
from market.domain.workflow import CaseState
from market.models import Auction, Bid, LedgerTransaction
from market.services.auctions import bid_history, open_auction, pay_deposit
from market.services.audit import Actor
from market.services.bidding import place_bid, set_proxy
from market.services.ledger import balance
from tests.factories import make_institution, make_user
from tests.factories_auctions import (
    DEPOSIT,
    INCREMENT,
    START,
    make_bidder,
    make_operator,
    make_ready_case,
    open_round,
)


def test_opening_a_round_moves_the_case_into_the_auction(session, clock):
    auction = open_round(session, clock)
    assert auction.status == "open" and auction.round_no == 1
    assert auction.case.state == CaseState.AUCTION
    assert auction.case.last_start_price_fen == START


def test_the_first_round_cannot_start_below_70_percent_of_the_appraisal(session, clock):
    case = make_ready_case(session, clock)
    operator = make_operator(session)
    session.commit()
    with pytest.raises(StartPriceTooLow):
        open_auction(session, case.id, starting_price_fen=START - 100, increment_fen=INCREMENT, deposit_fen=DEPOSIT,
                     ends_at=clock() + timedelta(days=1), actor=Actor.of(operator), now=clock())
    assert session.get(type(case), case.id).state == CaseState.NOTICE_PUBLISHED


def test_a_bidder_must_pay_the_deposit_before_bidding(session, clock):
    auction = open_round(session, clock)
    stranger = make_institution(session)
    session.commit()
    with pytest.raises(DepositRequired):
        place_bid(session, auction.id, institution_id=stranger.id, amount_fen=START, now=clock())


def test_paying_the_deposit_twice_takes_the_money_once(session, clock):
    auction = open_round(session, clock)
    user, bidder = make_bidder(session, clock, auction)
    again, created = pay_deposit(session, auction.id, user.institution_id, now=clock(), user=user)
    assert not created and again.code == bidder.code
    assert bidder.deposit_status == DepositStatus.HELD
    assert -balance(session, deposits_held(user.institution_id)) == DEPOSIT
    paid = session.scalars(sa.select(LedgerTransaction).where(LedgerTransaction.movement == Movement.DEPOSIT_PAID))
    assert len(list(paid)) == 1


def test_the_filing_bank_bids_without_a_deposit(session, clock):
    auction = open_round(session, clock)
    bank = auction.case.bank
    _user, bidder = make_bidder(session, clock, auction, institution=bank)
    assert bidder.deposit_status == DepositStatus.EXEMPT and bidder.deposit_fen == 0
    assert balance(session, deposits_held(bank.id)) == 0


def test_the_operator_cannot_bid(session, clock):
    auction = open_round(session, clock)
    operator = make_user(session, Role.OPERATOR)
    session.commit()
    with pytest.raises(NotEligible):
        pay_deposit(session, auction.id, operator.institution_id, now=clock())


def test_claim_lots_are_open_only_to_licensed_financial_institutions(session, clock):
    auction = open_round(session, clock, kind=AuctionKind.CLAIM)
    assert auction.case.state == CaseState.CLAIM_TRANSFER
    unlicensed = make_institution(session, InstitutionKind.BANK, licensed_financial=False)
    session.commit()
    with pytest.raises(NotEligible):
        pay_deposit(session, auction.id, unlicensed.id, now=clock())
    make_bidder(session, clock, auction, kind=InstitutionKind.AIC)


def test_an_accepted_bid_sets_price_leader_and_the_next_sequence_number(session, clock):
    auction = open_round(session, clock)
    user, bidder = make_bidder(session, clock, auction)
    placed = place_bid(session, auction.id, institution_id=user.institution_id, amount_fen=START, now=clock())
    assert placed.seq == 1 and placed.code == bidder.code
    assert placed.auction.current_price_fen == START and placed.auction.leader_code == bidder.code
    row = session.get(Auction, auction.id)
    assert (row.bid_count, row.current_price_fen, row.leader_institution_id) == (1, START, user.institution_id)


def test_a_leader_cannot_raise_its_own_bid_and_an_equal_bid_is_outbid(session, clock):
    auction = open_round(session, clock)
    first, _ = make_bidder(session, clock, auction)
    second, _ = make_bidder(session, clock, auction)
    place_bid(session, auction.id, institution_id=first.institution_id, amount_fen=START, now=clock())
    with pytest.raises(AlreadyLeading):
        place_bid(session, auction.id, institution_id=first.institution_id, amount_fen=START + INCREMENT,
                  now=clock())
    with pytest.raises(Outbid):
        place_bid(session, auction.id, institution_id=second.institution_id, amount_fen=START, now=clock())


def test_a_late_bid_extends_the_end_and_a_rejected_one_never_does(session, clock):
    auction = open_round(session, clock)
    first, _ = make_bidder(session, clock, auction)
    second, _ = make_bidder(session, clock, auction)
    end = auction.ends_at
    clock.advance(hours=23, minutes=57)
    placed = place_bid(session, auction.id, institution_id=first.institution_id, amount_fen=START, now=clock())
    assert placed.auction.ends_at == clock() + timedelta(minutes=5)
    clock.advance(minutes=4)
    with pytest.raises(Outbid):
        place_bid(session, auction.id, institution_id=second.institution_id, amount_fen=START, now=clock())
    assert session.get(Auction, auction.id).ends_at == end + timedelta(minutes=2)


def test_bidding_before_the_round_opens_is_refused(session, clock):
    case = make_ready_case(session, clock)
    operator = make_operator(session)
    session.commit()
    auction = open_auction(session, case.id, starting_price_fen=START, increment_fen=INCREMENT,
                           deposit_fen=DEPOSIT, starts_at=clock() + timedelta(hours=1),
                           ends_at=clock() + timedelta(days=2), actor=Actor.of(operator), now=clock())
    user, _ = make_bidder(session, clock, auction)
    with pytest.raises(AuctionNotStarted):
        place_bid(session, auction.id, institution_id=user.institution_id, amount_fen=START, now=clock())


def test_a_hidden_maximum_answers_one_increment_at_a_time_and_never_above_it(session, clock):
    auction = open_round(session, clock)
    manual, _ = make_bidder(session, clock, auction)
    proxied, proxied_bidder = make_bidder(session, clock, auction)
    view = set_proxy(session, auction.id, institution_id=proxied.institution_id, max_fen=START + 2 * INCREMENT,
                     now=clock())
    assert view.current_price_fen == START and view.leader_code == proxied_bidder.code
    placed = place_bid(session, auction.id, institution_id=manual.institution_id, amount_fen=START + INCREMENT,
                       now=clock())
    assert placed.proxy_bids == 1 and placed.auction.current_price_fen == START + 2 * INCREMENT
    placed = place_bid(session, auction.id, institution_id=manual.institution_id,
                       amount_fen=START + 3 * INCREMENT, now=clock())
    assert placed.proxy_bids == 0 and placed.auction.leader_code != proxied_bidder.code
    amounts = [line.amount_fen for line in bid_history(session, auction.id)]
    assert amounts == [START + k * INCREMENT for k in range(4)]


def test_two_hidden_maxima_bid_each_other_up_until_the_lower_is_spent(session, clock):
    auction = open_round(session, clock)
    low, _ = make_bidder(session, clock, auction)
    high, high_bidder = make_bidder(session, clock, auction)
    set_proxy(session, auction.id, institution_id=low.institution_id, max_fen=START + 5 * INCREMENT, now=clock())
    view = set_proxy(session, auction.id, institution_id=high.institution_id, max_fen=START + 9 * INCREMENT,
                     now=clock())
    # low START, high +1, low +2, high +3, low +4, high +5: low cannot go to +6, above its maximum
    assert view.current_price_fen == START + 5 * INCREMENT and view.leader_code == high_bidder.code
    history = bid_history(session, auction.id)
    assert [line.seq for line in history] == list(range(1, 7))
    assert all(line.by_proxy for line in history)


def test_accepted_bids_cannot_be_changed_or_deleted(session, clock):
    auction = open_round(session, clock)
    user, _ = make_bidder(session, clock, auction)
    with unit_of_work(session):
        place_bid(session, auction.id, institution_id=user.institution_id, amount_fen=START, now=clock())
    for statement in (sa.update(Bid).values(amount_fen=1), sa.delete(Bid)):
        with pytest.raises(DBAPIError):
            session.execute(statement)
        session.rollback()
    assert session.scalar(sa.select(Bid.amount_fen)) == START


def test_the_schema_refuses_a_second_bid_with_the_same_sequence_number(session, clock):
    auction = open_round(session, clock)
    user, bidder = make_bidder(session, clock, auction)
    place_bid(session, auction.id, institution_id=user.institution_id, amount_fen=START, now=clock())
    session.add(Bid(auction_id=auction.id, seq=1, bidder_id=bidder.id, amount_fen=START + INCREMENT,
                    placed_at=clock()))
    with pytest.raises(IntegrityError):
        session.flush()
    session.rollback()
