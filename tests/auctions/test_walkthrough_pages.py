"""What the walkthrough found on the auction page: the defaulted winner, the exempt pledgee, the payment clock."""

from datetime import timedelta

from market.db import unit_of_work
from market.domain.roles import Role
from market.services.bidding import place_bid
from market.services.closing import close_auction, record_default
from tests.factories import make_user
from tests.factories_auctions import START, make_bidder, open_round


def _login(client, session, user):
    session.commit()
    client.post("/login", data={"email": user.email, "password": "password-123"})
    client.get("/language/zh")


def test_a_winner_who_did_not_pay_is_not_told_it_leads(session, clock, client):
    auction = open_round(session, clock)
    winner, _ = make_bidder(session, clock, auction)
    with unit_of_work(session):
        place_bid(session, auction.id, institution_id=winner.institution_id, amount_fen=START, now=clock())
    with unit_of_work(session):
        close_auction(session, auction.id, now=clock.advance(hours=24))
    with unit_of_work(session):
        assert record_default(session, auction.id, now=clock.advance(days=11))
    _login(client, session, winner)
    page = client.get(f"/auctions/{auction.id}").get_data(as_text=True)
    assert "悔拍" in page and 'data-field="standing" class="standing"></div>' in page


def test_the_pledgee_bank_registers_without_a_deposit_and_sees_no_pay_button(session, clock, client):
    auction = open_round(session, clock)
    pledgee = make_user(session, Role.BANK, institution=auction.case.bank)
    _login(client, session, pledgee)
    page = client.get(f"/auctions/{auction.id}").get_data(as_text=True)
    assert "免缴保证金（申请执行人）" in page and "缴纳保证金" not in page
    registered = client.post(f"/auctions/{auction.id}/deposit", follow_redirects=True).get_data(as_text=True)
    assert "免缴保证金（申请执行人）" in registered and "保证金已登记" not in registered


def test_the_payment_deadline_runs_from_the_end_of_bidding_not_from_the_close(session, clock):
    auction = open_round(session, clock, hours=24)
    bidder, _ = make_bidder(session, clock, auction)
    with unit_of_work(session):
        place_bid(session, auction.id, institution_id=bidder.institution_id, amount_fen=START, now=clock())
    ended = auction.ends_at
    with unit_of_work(session):
        close_auction(session, auction.id, now=clock.advance(hours=30))  # the clock came round six hours late
    assert auction.payment_due_at == ended + timedelta(days=10)
