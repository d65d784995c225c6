"""The registry desk, the refused bid on a held auction (page and API), and the notices on the parties' desks."""

import io

import sqlalchemy as sa

from market.domain.roles import Role
from market.models import Auction, RegistryChange, RegistryHold
from market.services.accounts import create_api_token
from tests.factories import make_institution, make_user
from tests.factories_auctions import make_bidder, make_operator, open_round


def _operator(session, auth):
    operator = make_operator(session)
    session.commit()
    auth.login(operator.email)
    return operator


def _lapse_through_the_page(client, auction):
    return client.post("/registry/changes", data={
        "registry_number": auction.case.assets[0].registry_number, "status": "lapsed",
        "effective_on": "2026-11-20", "source_ref": "专利公报 第42卷第47号"}, follow_redirects=True)


def test_the_operator_records_a_lapse_on_the_page_and_the_auction_shows_it_held(client, session, clock, auth):
    auction = open_round(session, clock)
    _operator(session, auth)
    page = _lapse_through_the_page(client, auction).get_data(as_text=True)
    assert "is now “Lapsed”" in page and "1 cases put on hold" in page
    assert auction.case.reference in page  # in the list of holds
    shown = client.get(f"/auctions/{auction.id}").get_data(as_text=True)
    assert 'data-field="hold-notice"' in shown and 'data-held="1"' in shown
    assert client.get(f"/auctions/{auction.id}/live.json").get_json()["auction"]["held"] is True


def test_a_bid_on_a_held_auction_is_refused_on_the_page_and_by_the_api(client, session, clock, auth):
    auction = open_round(session, clock)
    bidder, _ = make_bidder(session, clock, auction)
    _operator(session, auth)
    _lapse_through_the_page(client, auction)
    auth.logout()
    auth.login(bidder.email)
    refused = client.post(f"/auctions/{auction.id}/bid", data={"amount": "1050000"}, follow_redirects=True)
    assert "On hold: the IP office's register shows a change" in refused.get_data(as_text=True)
    token = create_api_token(session, bidder)
    session.commit()
    answer = client.post(f"/api/v1/auctions/{auction.id}/bids", json={"amount": "1050000"},
                         headers={"Authorization": f"Bearer {token}", "Idempotency-Key": "held-1"})
    assert answer.status_code == 409 and answer.get_json()["error"] == "asset_on_hold"
    chinese = client.post(f"/api/v1/auctions/{auction.id}/bids", json={"amount": "1050000"},
                          headers={"Authorization": f"Bearer {token}", "Idempotency-Key": "held-2",
                                   "Accept-Language": "zh"})
    assert "暂停" in chinese.get_json()["message"]
    session.expire_all()
    assert session.get(Auction, auction.id).bid_count == 0


def test_the_bank_the_bidder_and_the_operator_see_the_hold_on_their_desks(client, session, clock, auth):
    auction = open_round(session, clock)
    bidder, _ = make_bidder(session, clock, auction)
    bank_user = make_user(session, Role.BANK, institution=auction.case.bank)
    stranger = make_user(session, Role.BANK, institution=make_institution(session))
    _operator(session, auth)
    _lapse_through_the_page(client, auction)
    assert "IP registry" in client.get("/home").get_data(as_text=True)
    number = auction.case.assets[0].registry_number
    for user, sees in ((bank_user, True), (bidder, True), (stranger, False)):
        auth.logout()
        auth.login(user.email)
        assert (number in client.get("/home").get_data(as_text=True)) is sees


def test_a_bad_csv_is_reported_row_by_row_and_nothing_is_written(client, session, clock, auth):
    auction = open_round(session, clock)
    _operator(session, auth)
    number = auction.case.assets[0].registry_number
    text = f"registry_number,event_code,date\n{number},未缴年费专利权终止,2026-11-20\n{number},终止,2026-11-20\n"
    page = client.post("/registry/import", data={"statement": (io.BytesIO(text.encode()), "legal.csv")},
                       content_type="multipart/form-data")
    html = page.get_data(as_text=True)
    assert page.status_code == 422 and 'data-section="csv-report"' in html
    assert "Row 3: “终止” is not an event code" in html
    assert session.scalar(sa.select(sa.func.count(RegistryChange.id))) == 0


def test_importing_the_csv_on_the_page_then_resuming_with_a_reason(client, session, clock, auth):
    auction = open_round(session, clock)
    _operator(session, auth)
    number = auction.case.assets[0].registry_number
    text = f"registry_number,event_code,date,source\n{number},专利权质押合同登记的注销,2026-11-21,公报47\n"
    client.post("/registry/import", data={"statement": (io.BytesIO(text.encode()), "legal.csv")},
                content_type="multipart/form-data")
    hold = session.scalar(sa.select(RegistryHold))
    assert hold is not None and hold.auction_id == auction.id
    refused = client.post(f"/registry/holds/{hold.id}/resume", data={"reason": "质押已重新登记"},
                          follow_redirects=True)
    assert "still shows" in refused.get_data(as_text=True)
    text = f"registry_number,event_code,date\n{number},专利权质押合同登记的生效,2026-11-22\n"
    client.post("/registry/import", data={"statement": (io.BytesIO(text.encode()), "again.csv")},
                content_type="multipart/form-data")
    assert client.post(f"/registry/holds/{hold.id}/resume", data={"reason": "质押已重新登记"}).status_code == 302
    session.expire_all()
    assert session.get(Auction, auction.id).held_at is None


def test_only_the_operator_opens_the_registry_desk(client, session, clock, auth):
    bank = make_user(session, Role.BANK, institution=make_institution(session))
    session.commit()
    auth.login(bank.email)
    assert client.get("/registry/").status_code == 403
    assert client.post("/registry/changes", data={}).status_code == 403


def test_the_desk_is_in_chinese_by_default(client, session, clock, auth, app):
    app.config["BABEL_DEFAULT_LOCALE"] = "zh"
    _operator(session, auth)
    html = client.get("/registry/").get_data(as_text=True)
    assert "知识产权登记" in html and "IP registry" not in html
