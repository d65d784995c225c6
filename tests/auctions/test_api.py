"""The JSON API banks' systems bid through: bearer tokens, decimal yuan strings, Idempotency-Key."""

import uuid
from datetime import timedelta

import pytest
import sqlalchemy as sa

from market.db import unit_of_work
from market.domain.auction import AuctionKind, AuctionRules
from market.domain.ledger import Movement
from market.domain.roles import InstitutionKind, Role
from market.domain.rules import DEFAULT_RULES
from market.models import AuctionBar, LedgerTransaction
from market.services.accounts import create_api_token
from market.services.closing import close_auction
from tests.conftest import make_test_app
from tests.factories import make_institution, make_user
from tests.factories_auctions import (
    make_bidder,
    open_round,
)


@pytest.fixture
def round_(session, clock):
    return open_round(session, clock)


def bearer(session, user=None, **institution):
    user = user or make_user(session, Role.BANK, institution=make_institution(session, **institution))
    session.commit()
    return user, {"Authorization": f"Bearer {create_api_token(session, user)}"}


def bid(client, auction_id, headers, amount, key):
    return client.post(f"/api/v1/auctions/{auction_id}/bids", json={"amount": amount},
                       headers={**headers, "Idempotency-Key": key})


def test_listing_open_auctions_shows_the_documented_fields(client, session, round_):
    _user, headers = bearer(session)
    body = client.get("/api/v1/auctions?status=open", headers=headers).get_json()
    (auction,) = body["auctions"]
    for name in ("id", "case_id", "title", "status", "starting_price", "increment", "current_price", "deposit",
                 "ends_at", "bid_count", "leader", "your_code", "server_time"):
        assert name in auction
    assert auction["starting_price"] == "1050000.00" and auction["current_price"] is None
    assert auction["ends_at"] == "2026-11-23T02:00:00.000Z" and auction["server_time"] == "2026-11-22T02:00:00.000Z"
    assert client.get("/api/v1/auctions?status=failed", headers=headers).get_json()["auctions"] == []


def test_a_watch_list_reads_just_the_auctions_asked_for_with_your_code_in_one_request(client, session, clock):
    first, second, _other = (open_round(session, clock, hours=h) for h in (30, 26, 28))
    claim_lot = open_round(session, clock, kind=AuctionKind.CLAIM)
    _guarantor, headers = bearer(session, make_user(session, Role.GUARANTOR))
    code = client.post(f"/api/v1/auctions/{second.id}/deposit", headers={**headers, "Idempotency-Key": str(uuid.uuid4())}).get_json()["deposit"]["code"]
    response = client.get(f"/api/v1/auctions?id={first.id}&id={second.id}&id={claim_lot.id}&id=999999",
                          headers=headers)
    assert response.status_code == 200
    watched = response.get_json()["auctions"]
    # soonest end first; the claim lot this guarantor may not see and the unknown id are left out
    assert [(a["id"], a["your_code"]) for a in watched] == [(second.id, code), (first.id, None)]


@pytest.mark.parametrize("query", ["id=abc", "id=-1", "id=1.5", "id=" + "9" * 12, "&".join(["id=1"] * 101)])
def test_a_watch_list_with_a_bad_id_answers_400(client, session, query):
    _user, headers = bearer(session)
    response = client.get(f"/api/v1/auctions?{query}", headers=headers)
    assert response.status_code == 400 and response.get_json()["error"] == "invalid_id"


def test_a_watch_list_shows_an_ended_round_after_the_clock_has_closed_it(client, session, clock):
    ended, running = open_round(session, clock, hours=24), open_round(session, clock, hours=48)
    _user, headers = bearer(session)
    clock.advance(hours=25)
    watched = client.get(f"/api/v1/auctions?id={ended.id}&id={running.id}", headers=headers).get_json()["auctions"]
    assert [(a["id"], a["status"]) for a in watched] == [(ended.id, "failed"), (running.id, "open")]
    assert not close_auction(session, ended.id, now=clock() + timedelta(seconds=1))


def test_without_a_token_the_api_answers_401(client, round_):
    assert client.get(f"/api/v1/auctions/{round_.id}").status_code == 401


def test_paying_the_deposit_answers_201_and_is_idempotent(client, session, round_):
    user, headers = bearer(session)
    first = client.post(f"/api/v1/auctions/{round_.id}/deposit", headers={**headers, "Idempotency-Key": str(uuid.uuid4())})
    second = client.post(f"/api/v1/auctions/{round_.id}/deposit", headers={**headers, "Idempotency-Key": str(uuid.uuid4())})
    assert first.status_code == second.status_code == 201
    assert first.get_json()["deposit"] == second.get_json()["deposit"]
    assert first.get_json()["deposit"]["amount"] == "105000.00"
    assert client.get(f"/api/v1/auctions/{round_.id}", headers=headers).get_json()["your_code"] == \
        first.get_json()["deposit"]["code"]
    paid = session.scalars(sa.select(LedgerTransaction).where(
        LedgerTransaction.movement == Movement.DEPOSIT_PAID, LedgerTransaction.institution_id == user.institution_id))
    assert len(list(paid)) == 1


def test_a_bid_answers_201_with_the_bid_and_the_auction(client, session, round_):
    _user, headers = bearer(session)
    code = client.post(f"/api/v1/auctions/{round_.id}/deposit", headers={**headers, "Idempotency-Key": str(uuid.uuid4())}).get_json()["deposit"]["code"]
    response = bid(client, round_.id, headers, "1050000.00", "k-1")
    assert response.status_code == 201
    body = response.get_json()
    assert body["bid"] == {"seq": 1, "amount": "1050000.00", "bidder": code, "placed_at": "2026-11-22T02:00:00.000Z"}
    assert body["auction"]["current_price"] == "1050000.00" and body["auction"]["leader"] == code
    history = client.get(f"/api/v1/auctions/{round_.id}/bids", headers=headers).get_json()["bids"]
    assert [(b["seq"], b["bidder"], b["amount"]) for b in history] == [(1, code, "1050000.00")]


def test_the_same_key_and_body_replays_the_first_answer_and_another_body_is_refused(client, session, round_):
    _user, headers = bearer(session)
    client.post(f"/api/v1/auctions/{round_.id}/deposit", headers={**headers, "Idempotency-Key": str(uuid.uuid4())})
    first = bid(client, round_.id, headers, "1050000", "same-key")
    again = bid(client, round_.id, headers, "1050000", "same-key")
    assert again.status_code == 201 and again.get_json() == first.get_json()
    other = bid(client, round_.id, headers, "1060000", "same-key")
    assert other.status_code == 422 and other.get_json()["error"] == "idempotency_key_reused"
    assert client.get(f"/api/v1/auctions/{round_.id}", headers=headers).get_json()["bid_count"] == 1


def test_a_bid_whose_request_fails_midway_leaves_neither_the_bid_nor_the_key_so_a_retry_succeeds(
        client, session, round_, monkeypatch):
    _user, headers = bearer(session)
    client.post(f"/api/v1/auctions/{round_.id}/deposit", headers={**headers, "Idempotency-Key": str(uuid.uuid4())})
    from market.web.api import auctions as api_auctions

    real_place_bid = api_auctions.place_bid

    def place_then_fail(*args, **kwargs):
        real_place_bid(*args, **kwargs)  # the bid is written and its service commits ...
        raise RuntimeError("the connection to the client broke")  # ... then the request fails

    monkeypatch.setattr(api_auctions, "place_bid", place_then_fail)
    assert bid(client, round_.id, headers, "1050000", "retry-me").status_code == 500
    assert client.get(f"/api/v1/auctions/{round_.id}", headers=headers).get_json()["bid_count"] == 0
    monkeypatch.setattr(api_auctions, "place_bid", real_place_bid)
    retried = bid(client, round_.id, headers, "1050000", "retry-me")
    assert retried.status_code == 201 and retried.get_json()["bid"]["seq"] == 1


def test_a_bid_without_an_idempotency_key_is_refused_with_400(client, session, round_):
    _user, headers = bearer(session)
    response = client.post(f"/api/v1/auctions/{round_.id}/bids", json={"amount": "1050000"}, headers=headers)
    assert response.status_code == 400 and response.get_json()["error"] == "idempotency_key_required"


@pytest.mark.parametrize("amount, code", [
    ("abc", "invalid_amount"), ("1050000.001", "amount_too_precise"), (1050000.5, "amount_not_text"),
    ("1000000", "below_minimum"), ("1050050", "not_multiple_of_increment"),
])
def test_a_bad_amount_answers_422_with_its_reason(client, session, round_, amount, code):
    _user, headers = bearer(session)
    client.post(f"/api/v1/auctions/{round_.id}/deposit", headers={**headers, "Idempotency-Key": str(uuid.uuid4())})
    response = bid(client, round_.id, headers, amount, f"bad-{code}-{amount}")
    assert response.status_code == 422 and response.get_json()["error"] == code


def test_an_outbid_or_late_bid_answers_409(client, session, clock, round_):
    _first, first_headers = bearer(session)
    _second, second_headers = bearer(session)
    for headers in (first_headers, second_headers):
        client.post(f"/api/v1/auctions/{round_.id}/deposit", headers={**headers, "Idempotency-Key": str(uuid.uuid4())})
    assert bid(client, round_.id, first_headers, "1060000", "a").status_code == 201
    outbid = bid(client, round_.id, second_headers, "1060000", "b")
    assert outbid.status_code == 409 and outbid.get_json()["error"] == "outbid"
    assert outbid.get_json()["auction"]["minimum_bid"] == "1070000.00"  # enough to bid again at once
    leading = bid(client, round_.id, first_headers, "1070000", "c")
    assert leading.status_code == 409 and leading.get_json()["error"] == "already_leading"
    clock.advance(hours=24)
    closed = bid(client, round_.id, second_headers, "1080000", "d")
    assert closed.status_code == 409 and closed.get_json()["error"] == "closed"


def test_a_bid_without_deposit_or_from_an_ineligible_or_barred_institution_answers_403(client, session, clock):
    auction = open_round(session, clock)
    _user, headers = bearer(session)
    no_deposit = bid(client, auction.id, headers, "1050000", "x")
    assert no_deposit.status_code == 403 and no_deposit.get_json()["error"] == "deposit_required"
    _operator, operator_headers = bearer(session, make_user(session, Role.OPERATOR))
    assert client.post(f"/api/v1/auctions/{auction.id}/deposit", headers={**operator_headers, "Idempotency-Key": str(uuid.uuid4())}).status_code == 403
    barred_user, barred_headers = bearer(session)
    session.add(AuctionBar(case_id=auction.case_id, institution_id=barred_user.institution_id,
                           auction_id=auction.id, barred_at=clock(), reason="test"))
    session.commit()
    barred = client.post(f"/api/v1/auctions/{auction.id}/deposit", headers={**barred_headers, "Idempotency-Key": str(uuid.uuid4())})
    assert barred.status_code == 403 and barred.get_json()["error"] == "barred"


def test_claim_lots_are_invisible_to_institutions_that_may_not_buy_them(client, session, clock):
    auction = open_round(session, clock, kind=AuctionKind.CLAIM)
    _guarantor, headers = bearer(session, make_user(session, Role.GUARANTOR))
    assert client.get(f"/api/v1/auctions/{auction.id}", headers=headers).status_code == 404
    assert client.get("/api/v1/auctions", headers=headers).get_json()["auctions"] == []
    _bank, bank_headers = bearer(session, kind=InstitutionKind.BANK)
    assert client.get(f"/api/v1/auctions/{auction.id}", headers=bank_headers).get_json()["kind"] == "claim"


def test_a_licensed_institution_that_may_not_buy_claims_neither_sees_nor_registers_for_claim_lots(
        client, session, clock):
    from market.domain.auction import NotEligible
    from market.services.auctions import pay_deposit

    auction = open_round(session, clock, kind=AuctionKind.CLAIM)
    guarantor = make_institution(session, InstitutionKind.GUARANTOR, licensed_financial=True)
    _user, headers = bearer(session, make_user(session, Role.GUARANTOR, institution=guarantor))
    assert client.get(f"/api/v1/auctions/{auction.id}", headers=headers).status_code == 404
    assert client.get(f"/api/v1/auctions?id={auction.id}", headers=headers).get_json()["auctions"] == []
    with pytest.raises(NotEligible):
        pay_deposit(session, auction.id, guarantor.id, now=clock())


def test_a_browser_cookie_may_read_but_not_write(client, session, auth, round_):
    user = make_user(session)
    session.commit()
    auth.login(user.email)
    assert client.get(f"/api/v1/auctions/{round_.id}").status_code == 200
    assert client.post(f"/api/v1/auctions/{round_.id}/deposit").status_code == 401


def test_a_hidden_maximum_set_through_the_api_bids_for_its_owner(client, session, round_):
    _a, a_headers = bearer(session)
    _b, b_headers = bearer(session)
    for headers in (a_headers, b_headers):
        client.post(f"/api/v1/auctions/{round_.id}/deposit", headers={**headers, "Idempotency-Key": str(uuid.uuid4())})
    response = client.post(f"/api/v1/auctions/{round_.id}/proxy", json={"max_amount": "1080000"},
                           headers={**a_headers, "Idempotency-Key": "p1"})
    assert response.status_code == 200 and response.get_json()["auction"]["current_price"] == "1050000.00"
    answer = bid(client, round_.id, b_headers, "1060000", "b1").get_json()
    assert answer["auction"]["current_price"] == "1070000.00"  # the proxy answered one increment higher
    assert answer["auction"]["leader"] != answer["bid"]["bidder"]


def test_reading_an_ended_auction_closes_it_once(client, session, clock, round_):
    _user, headers = bearer(session)
    clock.advance(hours=25)
    assert client.get(f"/api/v1/auctions/{round_.id}", headers=headers).get_json()["status"] == "failed"
    assert not close_auction(session, round_.id, now=clock() + timedelta(seconds=1))


def test_unknown_auctions_answer_404(client, session):
    _user, headers = bearer(session)
    assert client.get("/api/v1/auctions/999", headers=headers).status_code == 404
    assert bid(client, 999, headers, "1", "k").status_code == 404


def test_a_centre_configured_with_a_ten_minute_extension_sees_ten_minutes_through_the_api(database_url, clock):
    rules = AuctionRules(disposal=DEFAULT_RULES.with_overrides(extension_minutes=10))
    app = make_test_app(database_url, clock, AUCTION_RULES=rules)
    with app.extensions["market.sessions"]() as session, unit_of_work(session):
        auction = open_round(session, clock)
        user, _bidder = make_bidder(session, clock, auction)
        headers = {"Authorization": f"Bearer {create_api_token(session, user)}"}
    clock.advance(hours=23, minutes=58)

    answer = bid(app.test_client(), auction.id, headers, "1050000.00", "late-bid").get_json()

    assert answer["auction"]["ends_at"] == (clock() + timedelta(minutes=10)).strftime("%Y-%m-%dT%H:%M:%S.000Z")
    app.extensions["market.engine"].dispose()
