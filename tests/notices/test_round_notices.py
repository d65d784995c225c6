"""An auction round's notices, raised by the service that does the work: bids, the clock, closing, default."""

from datetime import timedelta

import pytest
import sqlalchemy as sa

from market.db import unit_of_work
from market.domain.auction import AuctionKind, Outbid
from market.domain.notices import NoticeType
from market.domain.roles import Role
from market.services import tick
from market.services.audit import Actor
from market.services.bidding import place_bid, set_proxy
from market.services.closing import close_auction, record_default
from market.services.first_refusal import link_holder
from tests.factories import make_institution, make_loan, make_user
from tests.factories_auctions import (
    DEPOSIT,
    INCREMENT,
    START,
    make_bidder,
    make_operator,
    make_ready_case,
    name_holder,
    open_round,
)
from tests.factories_notices import raised, received, types_received

CLOSING_SOON = "auctions: tell bidders of rounds closing within the hour"


def _bid(session, clock, auction, user, amount):
    with unit_of_work(session):
        return place_bid(session, auction.id, institution_id=user.institution_id, amount_fen=amount, now=clock())


def _round_with_two_bidders(session, clock, **kwargs):
    auction = open_round(session, clock, **kwargs)
    first, _ = make_bidder(session, clock, auction)
    second, _ = make_bidder(session, clock, auction)
    return auction, first, second


def test_the_bidder_that_lost_the_lead_is_told_the_new_price_and_the_next_minimum(session, clock):
    auction, first, second = _round_with_two_bidders(session, clock)
    _bid(session, clock, auction, first, START)
    assert received(session, first, NoticeType.OUTBID) == []  # nobody led before the first bid
    _bid(session, clock, auction, second, START + INCREMENT)
    [notice] = received(session, first, NoticeType.OUTBID)
    assert notice.subject == "auction" and notice.subject_id == auction.id and notice.case_id == auction.case_id
    assert notice.payload | {"ends_at": None} == {
        "title": auction.title, "round_no": 1, "auction_id": auction.id, "price_fen": START + INCREMENT,
        "minimum_fen": START + 2 * INCREMENT, "ends_at": None}
    assert received(session, second, NoticeType.OUTBID) == []


def test_a_hidden_maximum_that_answers_tells_the_bidder_it_beat(session, clock):
    auction, first, second = _round_with_two_bidders(session, clock)
    with unit_of_work(session):
        set_proxy(session, auction.id, institution_id=first.institution_id, max_fen=START + 5 * INCREMENT,
                  now=clock())  # bids START for first at once
    _bid(session, clock, auction, second, START + INCREMENT)  # first's maximum answers at once
    [notice] = received(session, second, NoticeType.OUTBID)
    assert notice.payload["price_fen"] == START + 2 * INCREMENT
    assert received(session, first, NoticeType.OUTBID) == []  # led before and after: never outbid


def test_setting_a_hidden_maximum_that_bids_tells_the_leader_it_was_outbid(session, clock):
    auction, first, second = _round_with_two_bidders(session, clock)
    _bid(session, clock, auction, first, START)
    with unit_of_work(session):
        set_proxy(session, auction.id, institution_id=second.institution_id, max_fen=START + 3 * INCREMENT,
                  now=clock())
    [notice] = received(session, first, NoticeType.OUTBID)
    assert notice.payload["price_fen"] == START + INCREMENT


def test_a_refused_bid_tells_nobody_anything(session, clock):
    auction, first, second = _round_with_two_bidders(session, clock)
    _bid(session, clock, auction, first, START)
    with pytest.raises(Outbid):  # at the current price: below the minimum
        _bid(session, clock, auction, second, START)
    assert raised(session, NoticeType.OUTBID) == 0


def test_a_bid_whose_work_rolled_back_tells_nobody_anything(session, clock):
    auction, first, second = _round_with_two_bidders(session, clock)
    _bid(session, clock, auction, first, START)
    with pytest.raises(RuntimeError), unit_of_work(session):
        place_bid(session, auction.id, institution_id=second.institution_id, amount_fen=START + INCREMENT,
                  now=clock())
        raise RuntimeError("the request failed after the bid")
    assert raised(session, NoticeType.OUTBID) == 0


def test_a_late_bid_tells_every_registered_bidder_the_new_end(session, clock):
    auction, first, second = _round_with_two_bidders(session, clock)
    clock.advance(hours=24, minutes=-2)
    placed = _bid(session, clock, auction, first, START)
    assert placed.auction.ends_at == clock() + timedelta(minutes=5)
    for user in (first, second):
        [notice] = received(session, user, NoticeType.ROUND_EXTENDED)
        assert notice.payload["ends_at"] == placed.auction.ends_at.isoformat()


def test_a_bid_well_before_the_end_extends_nothing(session, clock):
    auction, first, _second = _round_with_two_bidders(session, clock)
    _bid(session, clock, auction, first, START)
    assert raised(session, NoticeType.ROUND_EXTENDED) == 0


def test_the_clock_tells_registered_bidders_once_that_a_round_closes_within_the_hour(session, clock):
    auction, first, second = _round_with_two_bidders(session, clock)
    stranger = make_user(session, Role.BANK)
    session.commit()
    assert tick.run_due(session, clock.advance(hours=22))[CLOSING_SOON] == 0  # two hours left: not yet
    assert tick.run_due(session, clock.advance(hours=1, minutes=30))[CLOSING_SOON] == 1
    assert tick.run_due(session, clock.advance(minutes=10))[CLOSING_SOON] == 0  # told once
    for user in (first, second):
        [notice] = received(session, user, NoticeType.ROUND_CLOSING_SOON)
        assert notice.payload["ends_at"] == auction.ends_at.isoformat() and notice.dedupe_key
    assert received(session, stranger) == []


def test_closing_tells_the_winner_to_pay_and_the_loser_its_deposit_came_back(session, clock):
    auction, first, second = _round_with_two_bidders(session, clock)
    _bid(session, clock, auction, first, START)
    _bid(session, clock, auction, second, START + INCREMENT)
    clock.advance(hours=24)
    with unit_of_work(session):
        assert close_auction(session, auction.id, now=clock())
    [won] = received(session, second, NoticeType.ROUND_WON)
    [due] = received(session, second, NoticeType.PAYMENT_DUE)
    assert won.payload["price_fen"] == START + INCREMENT and won.payload["due_at"] == due.payload["due_at"]
    assert due.payload["amount_fen"] == START + INCREMENT - DEPOSIT  # the deposit is applied
    assert NoticeType.ROUND_LOST not in types_received(session, second)
    [lost] = received(session, first, NoticeType.ROUND_LOST)
    [refund] = received(session, first, NoticeType.DEPOSIT_REFUNDED)
    assert lost.payload["price_fen"] == START + INCREMENT and refund.payload["amount_fen"] == DEPOSIT
    assert NoticeType.ROUND_WON not in types_received(session, first)


def test_a_round_without_bids_tells_its_bidders_and_the_filing_bank_it_failed(session, clock):
    auction = open_round(session, clock)
    bidder, _ = make_bidder(session, clock, auction)
    banker = make_user(session, Role.BANK, institution=auction.case.bank)
    clock.advance(hours=24)
    with unit_of_work(session):
        close_auction(session, auction.id, now=clock())
    assert NoticeType.ROUND_FAILED in types_received(session, bidder)
    assert NoticeType.DEPOSIT_REFUNDED in types_received(session, bidder)
    assert NoticeType.ROUND_FAILED in types_received(session, banker)


def test_a_winner_that_does_not_pay_is_told_its_payment_is_overdue_and_its_deposit_forfeited(session, clock):
    auction, first, _second = _round_with_two_bidders(session, clock)
    banker = make_user(session, Role.BANK, institution=auction.case.bank)
    _bid(session, clock, auction, first, START)
    clock.advance(hours=24)
    with unit_of_work(session):
        close_auction(session, auction.id, now=clock())
    clock.advance(days=30)
    with unit_of_work(session):
        assert record_default(session, auction.id, now=clock())
    assert [n.payload["amount_fen"] for n in received(session, first, NoticeType.DEPOSIT_FORFEITED)] == [DEPOSIT]
    assert len(received(session, first, NoticeType.PAYMENT_OVERDUE)) == 1
    assert len(received(session, banker, NoticeType.PAYMENT_OVERDUE)) == 1


def test_closing_tells_a_linked_holder_its_first_refusal_window_is_open(session, clock):
    auction, first, _second = _round_with_two_bidders(session, clock)
    holder_institution = make_institution(session)
    holder = make_user(session, Role.BANK, institution=holder_institution)
    name_holder(session, auction.case, holder_institution)
    _bid(session, clock, auction, first, START)
    clock.advance(hours=24)
    with unit_of_work(session):
        close_auction(session, auction.id, now=clock())
    [notice] = received(session, holder, NoticeType.FIRST_REFUSAL_OPEN)
    assert notice.payload["price_fen"] == START and notice.payload["ends_at"] > clock().isoformat()
    assert received(session, first, NoticeType.FIRST_REFUSAL_OPEN) == []


def test_a_holder_linked_while_the_window_is_open_is_told_at_once(session, clock):
    auction, first, _second = _round_with_two_bidders(session, clock)
    unlinked = name_holder(session, auction.case, None)
    _bid(session, clock, auction, first, START)
    clock.advance(hours=24)
    with unit_of_work(session):
        close_auction(session, auction.id, now=clock())
    holder = make_user(session, Role.BANK)
    with unit_of_work(session):
        link_holder(session, unlinked.id, holder.institution_id, actor=Actor.of(make_operator(session)), now=clock())
    assert len(received(session, holder, NoticeType.FIRST_REFUSAL_OPEN)) == 1


def test_a_claim_lot_notice_reaches_no_user_who_may_not_see_claim_lots(session, clock):
    unlicensed_bank = make_institution(session, licensed_financial=False)
    case = make_ready_case(session, clock, loan=make_loan(session, bank=unlicensed_bank))
    auction = open_round(session, clock, case, kind=AuctionKind.CLAIM)
    banker = make_user(session, Role.BANK, institution=unlicensed_bank)
    bidder, _ = make_bidder(session, clock, auction)
    clock.advance(hours=24)
    with unit_of_work(session):
        close_auction(session, auction.id, now=clock())
    assert NoticeType.ROUND_FAILED in types_received(session, bidder)
    assert received(session, banker, NoticeType.ROUND_FAILED) == []  # named, but claim lots are not for it


def test_telling_the_outbid_bidder_costs_a_bid_four_statements_and_no_orm_loads(session, clock):
    auction, first, second = _round_with_two_bidders(session, clock)
    session.commit()
    counts = []
    for user, amount in ((first, START), (second, START + INCREMENT)):  # the second outbids the first
        statements = []

        def count(*args, statements=statements):
            statements.append(args[2])

        sa.event.listen(session.get_bind(), "before_cursor_execute", count)
        try:
            _bid(session, clock, auction, user, amount)
        finally:
            sa.event.remove(session.get_bind(), "before_cursor_execute", count)
        counts.append([s for s in statements if not s.startswith(("BEGIN", "COMMIT"))])
    added = counts[1][len(counts[0]):]
    assert len(added) == 4 and all("notice" in statement or "webhook" in statement for statement in added)
