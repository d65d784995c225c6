"""A bank's system reads its notices through the API instead of polling, and they read in both languages."""

import uuid

import sqlalchemy as sa

from market.db import unit_of_work
from market.models import UserNotice
from market.services.accounts import create_api_token
from market.services.bidding import place_bid
from tests.factories_auctions import INCREMENT, START, make_bidder, open_round


def _outbid(session, clock):
    """A round where `first` led and `second` outbid it; first's users and an API token for one of them."""
    auction = open_round(session, clock)
    first, _ = make_bidder(session, clock, auction)
    second, _ = make_bidder(session, clock, auction)
    for user, amount in ((first, START), (second, START + INCREMENT)):
        with unit_of_work(session):
            place_bid(session, auction.id, institution_id=user.institution_id, amount_fen=amount, now=clock())
    session.commit()
    return auction, first, second


def _bearer(session, user):
    token = create_api_token(session, user)
    session.commit()
    return {"Authorization": f"Bearer {token}"}


def test_a_banks_system_reads_its_outbid_notice_with_the_price_and_next_minimum(client, session, clock):
    auction, first, _second = _outbid(session, clock)
    body = client.get("/api/v1/notices?unread=true", headers=_bearer(session, first)).get_json()
    assert (body["total"], body["unread"], body["page"], body["pages"]) == (1, 1, 1, 1)
    [item] = body["items"]
    assert (item["type"], item["subject"], item["subject_id"], item["case_id"], item["read"]) == (
        "auction.outbid", "auction", auction.id, auction.case_id, False)
    assert item["payload"]["price_fen"] == START + INCREMENT and item["payload"]["minimum_fen"] == START + 2 * INCREMENT
    assert item["occurred_at"].endswith("Z")


def test_marking_a_notice_read_takes_it_off_the_unread_list(client, session, clock):
    _auction, first, _second = _outbid(session, clock)
    headers = _bearer(session, first)
    [item] = client.get("/api/v1/notices", headers=headers).get_json()["items"]
    answer = client.post(f"/api/v1/notices/{item['id']}/read", headers={**headers, "Idempotency-Key": str(uuid.uuid4())})
    assert answer.status_code == 200 and answer.get_json() == {"id": item["id"], "read": True, "unread": 0}
    assert client.get("/api/v1/notices?unread=true", headers=headers).get_json()["items"] == []
    assert client.get("/api/v1/notices", headers=headers).get_json()["items"][0]["read"] is True


def test_nobody_reads_or_marks_another_users_notice(client, session, clock):
    _auction, first, second = _outbid(session, clock)
    entry = session.scalar(sa.select(UserNotice.id).where(UserNotice.user_id == first.id))
    headers = _bearer(session, second)
    assert client.get("/api/v1/notices", headers=headers).get_json()["total"] == 0
    answer = client.post(f"/api/v1/notices/{entry}/read", headers={**headers, "Idempotency-Key": str(uuid.uuid4())})
    assert answer.status_code == 404
    assert session.scalar(sa.select(UserNotice.read_at).where(UserNotice.id == entry)) is None


def test_notices_are_paged_newest_first(client, session, clock):
    auction, first, second = _outbid(session, clock)
    with unit_of_work(session):  # first takes the lead back; second is outbid; first outbid again
        place_bid(session, auction.id, institution_id=first.institution_id, amount_fen=START + 2 * INCREMENT,
                  now=clock())
        place_bid(session, auction.id, institution_id=second.institution_id, amount_fen=START + 3 * INCREMENT,
                  now=clock())
    headers = _bearer(session, first)
    page = client.get("/api/v1/notices?per_page=1", headers=headers).get_json()
    assert (page["total"], page["pages"], page["items"][0]["payload"]["price_fen"]) == (2, 2, START + 3 * INCREMENT)
    second_page = client.get("/api/v1/notices?per_page=1&page=2", headers=headers).get_json()
    assert second_page["items"][0]["payload"]["price_fen"] == START + INCREMENT
    assert client.get("/api/v1/notices?page=x", headers=headers).status_code == 400


def test_the_outbid_notice_reads_in_english_and_in_chinese(client, session, clock, auth):
    auction, first, _second = _outbid(session, clock)
    auth.login(first.email)
    page = client.get("/notices/").get_data(as_text=True)
    assert f"You were outbid on {auction.title}: the price is now ¥1,060,000.00" in page
    client.get("/language/zh")
    page = client.get("/notices/").get_data(as_text=True)
    assert f"您在“{auction.title}”的出价已被超越：当前价 ¥1,060,000.00" in page and "被超越出价" in page
