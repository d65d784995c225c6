"""The live auction page, its forms and the operator's auction desk."""

import re
from datetime import timedelta

from market.domain.auction import AuctionKind
from market.domain.roles import Role
from market.domain.workflow import CaseState
from market.models import Auction, DisposalCase
from market.services.bidding import place_bid
from market.services.closing import close_auction
from tests.factories import make_institution, make_user
from tests.factories_auctions import START, make_bidder, make_operator, make_ready_case, open_round


def _bank_user(session):
    user = make_user(session, Role.BANK, institution=make_institution(session))
    session.commit()
    return user


def test_anyone_may_watch_an_asset_auction_and_sees_bidders_only_by_code(client, session, clock):
    auction = open_round(session, clock)
    user, bidder = make_bidder(session, clock, auction)
    place_bid(session, auction.id, institution_id=user.institution_id, amount_fen=START, now=clock())
    page = client.get(f"/auctions/{auction.id}")
    assert bidder.code in page.get_data(as_text=True)
    assert user.institution.name not in page.get_data(as_text=True)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert auction.title in html and "data-auction-live" in html and "/static/js/auction.js" in html
    assert client.get("/auctions/").status_code == 200


def test_the_page_has_no_inline_script_or_style(client, session, clock):
    auction = open_round(session, clock)
    html = client.get(f"/auctions/{auction.id}").get_data(as_text=True)
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html)
    assert 'style="' not in html


def test_claim_lots_are_hidden_from_the_public(client, session, clock):
    auction = open_round(session, clock, kind=AuctionKind.CLAIM)
    assert client.get(f"/auctions/{auction.id}").status_code == 404
    assert client.get(f"/auctions/{auction.id}/live.json").status_code == 404


def test_a_bank_pays_the_deposit_then_bids_through_the_page(client, session, clock, auth):
    auction = open_round(session, clock)
    user = _bank_user(session)
    auth.login(user.email)
    assert "Pay the deposit" in client.get(f"/auctions/{auction.id}").get_data(as_text=True)
    client.post(f"/auctions/{auction.id}/deposit")
    page = client.get(f"/auctions/{auction.id}").get_data(as_text=True)
    assert "You bid as" in page and 'name="amount"' in page and 'value="1050000.00"' in page
    response = client.post(f"/auctions/{auction.id}/bid", data={"amount": "1,050,000"}, follow_redirects=True)
    assert "Your bid of ¥1,050,000.00 is in" in response.get_data(as_text=True)
    refused = client.post(f"/auctions/{auction.id}/bid", data={"amount": "1060000"}, follow_redirects=True)
    assert "you cannot raise your own bid" in refused.get_data(as_text=True)


def test_the_bid_form_needs_its_csrf_token(csrf_app, clock):
    with csrf_app.extensions["market.sessions"]() as session:
        auction = open_round(session, clock)
        user, _ = make_bidder(session, clock, auction)
        auction_id, email = auction.id, user.email
    client = csrf_app.test_client()
    login_page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', login_page).group(1)
    client.post("/login", data={"email": email, "password": "password-123", "csrf_token": token})
    assert client.post(f"/auctions/{auction_id}/bid", data={"amount": "1050000"}).status_code == 400
    page = client.get(f"/auctions/{auction_id}").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    response = client.post(f"/auctions/{auction_id}/bid", data={"amount": "1050000", "csrf_token": token})
    assert response.status_code == 302


def test_the_live_endpoint_gives_the_state_and_the_new_bids_with_server_time(client, session, clock):
    auction = open_round(session, clock)
    first, _ = make_bidder(session, clock, auction)
    second, _ = make_bidder(session, clock, auction)
    place_bid(session, auction.id, institution_id=first.institution_id, amount_fen=START, now=clock())
    clock.advance(hours=23, minutes=58)
    place_bid(session, auction.id, institution_id=second.institution_id, amount_fen=START + 1_000_000, now=clock())
    body = client.get(f"/auctions/{auction.id}/live.json?after=1").get_json()
    assert [b["seq"] for b in body["bids"]] == [2]
    assert body["auction"]["current_price_text"] == "¥1,060,000.00"
    assert body["auction"]["ends_at"] == "2026-11-23T02:03:00.000Z"  # moved by the late bid
    assert body["server_time"] == "2026-11-23T01:58:00.000Z"


def test_opening_the_page_of_an_ended_round_closes_it(client, session, clock):
    auction = open_round(session, clock)
    clock.advance(hours=24)
    assert "流拍" in client.get(f"/auctions/{auction.id}").get_data(as_text=True)
    assert close_auction(session, auction.id, now=clock()) is False  # already closed by the page view


def test_the_operator_opens_a_round_from_the_desk(client, session, clock, auth):
    case = make_ready_case(session, clock)
    operator = make_operator(session)
    session.commit()
    auth.login(operator.email)
    assert case.reference in client.get("/auctions/manage").get_data(as_text=True)
    form = client.get(f"/auctions/open/{case.id}").get_data(as_text=True)
    assert 'value="1050000.00"' in form  # the notice's list price
    response = client.post(f"/auctions/open/{case.id}", data={
        "kind": "asset", "starting_price": "1050000", "increment": "10000", "deposit": "105000",
        "starts_at": "", "ends_at": "2026-11-25T10:00"})
    assert response.status_code == 302
    session.expire_all()
    auction = session.query(Auction).filter_by(case_id=case.id).one()
    assert auction.ends_at == clock() + timedelta(days=3)  # 10:00 Beijing time is 02:00 UTC
    assert session.get(DisposalCase, case.id).state == CaseState.AUCTION


def test_a_bad_start_price_is_explained_on_the_form(client, session, clock, auth):
    case = make_ready_case(session, clock)
    operator = make_operator(session)
    session.commit()
    auth.login(operator.email)
    response = client.post(f"/auctions/open/{case.id}", data={
        "kind": "asset", "starting_price": "900000", "increment": "10000", "deposit": "90000",
        "ends_at": "2026-11-25T10:00"})
    assert response.status_code == 422 and "70%" in response.get_data(as_text=True)


def test_banks_cannot_open_the_desk(client, session, auth):
    user = _bank_user(session)
    auth.login(user.email)
    assert client.get("/auctions/manage").status_code == 403


def test_the_operator_records_the_winners_payment(client, session, clock, auth):
    auction = open_round(session, clock)
    user, _ = make_bidder(session, clock, auction)
    place_bid(session, auction.id, institution_id=user.institution_id, amount_fen=START, now=clock())
    clock.advance(hours=24)
    close_auction(session, auction.id, now=clock())
    operator = make_operator(session)
    session.commit()
    auth.login(operator.email)
    page = client.get(f"/auctions/{auction.id}").get_data(as_text=True)
    assert "Record the winner" in page and user.institution.name in page  # the centre sees who won
    client.post(f"/auctions/{auction.id}/payment")
    session.expire_all()
    assert session.get(DisposalCase, auction.case_id).state == CaseState.DISPOSED


def test_the_home_page_shows_the_auction_panels(client, session, clock, auth):
    auction = open_round(session, clock)
    user, _ = make_bidder(session, clock, auction)
    place_bid(session, auction.id, institution_id=user.institution_id, amount_fen=START, now=clock())
    auth.login(user.email)
    home = client.get("/home").get_data(as_text=True)
    assert "Auctions" in home and "you lead" in home
