
"""One answer per audience: the API's JSON in the Accept-Language (English by default), the page again for people."""

from __future__ import annotations

import uuid

from market.models import Auction
from tests.auctions.test_api import bearer, bid
from tests.factories_auctions import make_operator, make_ready_case, open_round


def test_an_api_refusal_names_its_code_and_parameters_and_speaks_english_by_default(client, session, clock):
    round_ = open_round(session, clock)
    _user, headers = bearer(session)
    client.post(f"/api/v1/auctions/{round_.id}/deposit", headers={**headers, "Idempotency-Key": str(uuid.uuid4())})
    response = bid(client, round_.id, headers, "1000000", "too-low")
    assert response.status_code == 422
    assert response.get_json() == {
        "error": "below_minimum", "params": {"starting_price": "1050000.00"},
        "message": "Bids start at the starting price of ¥1,050,000.00.",
    }


def test_an_api_refusal_speaks_the_language_the_client_accepts(client, session, clock):
    round_ = open_round(session, clock)
    _user, headers = bearer(session)
    client.post(f"/api/v1/auctions/{round_.id}/deposit", headers={**headers, "Idempotency-Key": str(uuid.uuid4())})
    response = bid(client, round_.id, {**headers, "Accept-Language": "zh-CN,zh;q=0.9"}, "1050050", "off-grid")
    assert response.status_code == 422 and response.get_json()["error"] == "not_multiple_of_increment"
    assert response.get_json()["message"] == "出价须为起拍价加上加价幅度¥10,000.00的整数倍。"


def test_the_apis_own_refusals_are_refusals_too_in_the_clients_language(client, session, clock):
    round_ = open_round(session, clock)
    _user, headers = bearer(session)
    response = client.post(f"/api/v1/auctions/{round_.id}/bids", json={"amount": "1050000"},
                           headers={**headers, "Accept-Language": "zh"})
    assert response.status_code == 400
    assert response.get_json() == {"error": "idempotency_key_required", "params": {},
                                   "message": "每个 POST 请求都须带 Idempotency-Key 请求头（例如一个 UUID）。"}
    listing = client.get("/api/v1/auctions?status=bogus", headers=headers)
    assert listing.status_code == 400 and "first_refusal" in listing.get_json()["params"]["allowed"]


def test_a_post_without_a_bearer_token_is_401_before_anything_is_wrong_with_it(client, session, clock):
    round_ = open_round(session, clock)
    response = client.post(f"/api/v1/auctions/{round_.id}/bids", data="not json")
    assert response.status_code == 401 and response.get_json()["error"] == "unauthorized"


def test_a_refused_form_comes_back_with_the_message_and_what_was_typed(client, session, clock, auth):
    case = make_ready_case(session, clock)
    operator = make_operator(session)
    session.commit()
    auth.login(operator.email)
    client.get("/language/zh")
    response = client.post(f"/auctions/open/{case.id}", data={
        "kind": "asset", "starting_price": "900000", "increment": "10000", "deposit": "90000",
        "ends_at": "2026-11-25T10:00"})
    page = response.get_data(as_text=True)
    assert "首次拍卖的起拍价不得低于评估价的70%，即不低于¥1,050,000.00。" in page
    assert 'value="900000"' in page and 'value="2026-11-25T10:00"' in page
    assert session.query(Auction).filter_by(case_id=case.id).count() == 0


def test_a_refused_post_only_action_redirects_with_the_message(client, session, clock, auth):
    round_ = open_round(session, clock)
    user, _headers = bearer(session)
    auth.login(user.email)
    client.get("/language/zh")
    client.post(f"/auctions/{round_.id}/deposit")
    response = client.post(f"/auctions/{round_.id}/bid", data={"amount": "1000000"}, follow_redirects=True)
    assert response.request.path == f"/auctions/{round_.id}"
    assert "出价不得低于起拍价¥1,050,000.00。" in response.get_data(as_text=True)


def test_form_field_messages_are_in_the_readers_language_and_show_a_valid_amount(client, session, clock, auth):
    case = make_ready_case(session, clock)
    operator = make_operator(session)
    session.commit()
    auth.login(operator.email)
    client.get("/language/zh")
    response = client.post(f"/auctions/open/{case.id}", data={
        "kind": "asset", "starting_price": "1,050,000.005", "increment": "abc", "deposit": "", "ends_at": ""})
    page = response.get_data(as_text=True)
    assert "起拍价（元）：金额最多两位小数，请精确到 0.01 元，例如 1,234.50。" in page
    assert "“abc”不是有效金额；请填写数字（可用逗号每三位分组），最多两位小数，例如 1,234.50。" in page
    assert "该字段是必填字段。" in page


def test_a_refusal_that_names_a_field_of_the_form_is_shown_under_that_field(app, client):
    from flask_wtf import FlaskForm
    from wtforms import StringField

    from market.domain.money import AmountNotText
    from market.web.refusals import submitted

    class AmountForm(FlaskForm):
        amount = StringField()

    def pay():
        form = AmountForm()
        if submitted(form):
            raise AmountNotText(field="amount")
        return {"amount_errors": list(form.amount.errors), "typed": form.amount.data}

    app.add_url_rule("/test-pay", "test_pay", pay, methods=["POST"])
    answer = client.post("/test-pay", data={"amount": "12"}).get_json()
    assert answer == {"amount_errors": ["Send “amount” as a decimal string in yuan, e.g. “1234.50”."], "typed": "12"}
