"""Hostile input never gets a 500 and a refusal writes nothing: every money field of the API and the forms,
every id in a path, query values, deep JSON and large bodies, on SQLite and PostgreSQL."""

from __future__ import annotations

import inspect
import itertools
import re

import pytest
import sqlalchemy as sa
from flask_wtf import FlaskForm
from hypothesis import given
from hypothesis import strategies as st
from werkzeug.routing import IntegerConverter
from wtforms.fields.core import UnboundField

from market.db import unit_of_work
from market.models import Auction, Bid
from market.models.base import Base
from market.services.accounts import create_api_token
from market.web.forms import auctions as auction_forms
from market.web.forms import bureau as bureau_forms
from market.web.forms import cases as case_forms
from market.web.forms import channels as channel_forms
from market.web.forms.fields import YuanField
from market.web.request_limits import MAX_ID, DatabaseId
from tests.factories_auctions import make_bidder, open_round

HOSTILE_MONEY = ["1,2,3,4", "+100", "100.", "0000000001", "¥¥5", "1e3", "１００", "-5", "NaN", "1.005", "9" * 30,
                 "0x10", "12 34", "1_000", "\x00", "'; DROP TABLE bid; --", "<b>1</b>", "1" * 5000]
VALID_MONEY = {"1,234.50": 123450, "¥1,060,000": 106_000_000, "1200000": 120_000_000, "0.01": 1, "￥7.5": 750}
WORST_MONEY = ["1,2,3,4", "1e3", "9" * 30, "\x00"]  # sent to every route that reads money
HOSTILE_IDS = ["0", "2147483648", "99999999999999999999", "1" * 400]
UNREAD_TABLES = {"idempotency_record", "login_session", "api_token"}  # bookkeeping of who asks, not the business
API_MONEY_KEYS = ("amount", "max_amount", "min_upfront", "reference_yearly_sales", "upfront", "min_annual_royalty",
                  "reported_sales", "asking_price", "starting_price", "increment", "deposit", "price", "claim_price",
                  "claim_valuation", "pre_money_valuation")
_keys = itertools.count()


def row_counts(app) -> dict[str, int]:
    """How many rows each business table holds."""
    with app.extensions["market.engine"].connect() as connection:
        return {table.name: connection.scalar(sa.select(sa.func.count()).select_from(table))
                for table in Base.metadata.sorted_tables if table.name not in UNREAD_TABLES}


def money_forms() -> dict[str, dict[str, UnboundField]]:
    """Every form class with amounts in yuan: its name → {field name: the unbound YuanField}."""
    found = {}
    for module in (auction_forms, bureau_forms, case_forms, channel_forms):
        for name, form in vars(module).items():
            if inspect.isclass(form) and issubclass(form, FlaskForm):
                fields = {field: unbound for field, unbound in inspect.getmembers(form)
                          if isinstance(unbound, UnboundField) and issubclass(unbound.field_class, YuanField)}
                if fields:
                    found[name] = fields
    return found


def money_routes(app) -> list[tuple]:
    """(rule, money field names) for every page route whose view builds a form with amounts."""
    forms, routes = money_forms(), []
    for rule in app.url_map.iter_rules():
        if "POST" not in rule.methods or rule.rule.startswith("/api/"):
            continue
        source = inspect.getsource(app.view_functions[rule.endpoint])
        used = set(re.findall(r"\b(\w+Form)\(", source)) & set(forms)
        if used:
            routes.append((rule, sorted({field for form in used for field in forms[form]})))
    return routes


def path_for(rule, auction: Auction, value: object = None) -> str:
    """The rule's path with every id filled: `value` if given, else the scene's round or case."""
    path = rule.rule
    for arg in rule.arguments:
        if value is not None:
            filled = value
        else:
            filled = auction.case_id if "case" in arg else auction.id
        path = re.sub(rf"<[^>]*:?{arg}>", str(filled), path)
    return path


@pytest.fixture
def scene(csrf_app, clock):
    """An open round, a bidder with its deposit paid and its bearer token, its browser logged in with CSRF."""
    with csrf_app.extensions["market.sessions"]() as session:
        auction = open_round(session, clock)
        user, _bidder = make_bidder(session, clock, auction)
        with unit_of_work(session):
            token = create_api_token(session, user)
        session.expunge(auction)
        email = user.email
    browser = csrf_app.test_client()
    token_field = _csrf_token(browser, "/login")
    browser.post("/login", data={"email": email, "password": "password-123", "csrf_token": token_field})
    return {"app": csrf_app, "auction": auction, "browser": browser,
            "csrf": _csrf_token(browser, f"/auctions/{auction.id}"),
            "api": csrf_app.test_client(), "headers": {"Authorization": f"Bearer {token}"}}


def _csrf_token(client, path: str) -> str:
    page = client.get(path).get_data(as_text=True)
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)


def _api_post(scene, path: str, body: object, **kwargs):
    headers = {**scene["headers"], "Idempotency-Key": f"hostile-{next(_keys)}"}
    return scene["api"].post(path, json=body, headers=headers, **kwargs)


def test_every_money_field_of_the_forms_reads_exactly_the_valid_amounts_and_forgives_only_surrounding_spaces(app):
    fields = [(form, field, unbound) for form, found in money_forms().items() for field, unbound in found.items()]
    assert len(fields) > 30
    for form_name, field_name, unbound in fields:
        one_field = type("OneField", (FlaskForm,), {field_name: unbound, "Meta": type("Meta", (), {"csrf": False})})
        for text, fen in [*VALID_MONEY.items(), *[(value, None) for value in HOSTILE_MONEY], (" 1,234.50 ", 123450)]:
            with app.test_request_context(method="POST", data={field_name: text}):
                form = one_field()
                form.validate()
                assert form[field_name].data == fen, (form_name, field_name, text)
                shown = " ".join(map(str, form[field_name].errors))
                assert ("1,234.50" in shown) is (fen is None), (form_name, field_name, text)  # the reason, with an example


def test_a_bad_amount_in_the_bid_or_hidden_maximum_form_is_refused_with_a_message_and_writes_nothing(scene):
    app, browser, auction = scene["app"], scene["browser"], scene["auction"]
    before = row_counts(app)
    for form, field in (("bid", "amount"), ("proxy", "max_amount")):
        for value in HOSTILE_MONEY:
            response = browser.post(f"/auctions/{auction.id}/{form}", data={field: value, "csrf_token": scene["csrf"]},
                                    follow_redirects=True)
            assert response.request.path == f"/auctions/{auction.id}", (form, value)
            assert "1,234.50" in response.get_data(as_text=True), (form, value, response.get_data(as_text=True))
    assert row_counts(app) == before
    response = browser.post(f"/auctions/{auction.id}/proxy", data={"max_amount": "¥1,200,000", "csrf_token": scene["csrf"]})
    assert response.status_code == 302 and row_counts(app) != before


def test_every_page_route_that_reads_money_answers_hostile_amounts_without_a_server_error_or_a_write(scene):
    app, browser = scene["app"], scene["browser"]
    routes = money_routes(app)
    assert len(routes) > 10  # the walk finds the money forms (bids, offers, payments, budgets …)
    before = row_counts(app)
    for (rule, fields), value in itertools.product(routes, WORST_MONEY):
        data = {field: value for field in fields} | {"csrf_token": scene["csrf"]}
        response = browser.post(path_for(rule, scene["auction"]), data=data)
        assert response.status_code < 500, (rule.rule, value)
    assert row_counts(app) == before


def test_the_api_refuses_every_hostile_amount_with_422_naming_the_field_and_accepts_exactly_the_valid_ones(scene):
    app, auction = scene["app"], scene["auction"]
    before = row_counts(app)
    for path, field in ((f"/api/v1/auctions/{auction.id}/bids", "amount"),
                        (f"/api/v1/auctions/{auction.id}/proxy", "max_amount")):
        for value in [*HOSTILE_MONEY, " 100", "100 ", 1e3, 100.5, True, None, [], {}]:
            response = _api_post(scene, path, {field: value})
            assert response.status_code == 422, (path, value, response.get_json())
            assert response.get_json()["field"] == field
    assert row_counts(app) == before
    accepted = _api_post(scene, f"/api/v1/auctions/{auction.id}/bids", {"amount": "¥1,060,000"})
    assert accepted.status_code == 201
    assert accepted.get_json()["bid"]["amount"] == "1060000.00"
    with app.extensions["market.sessions"]() as session:
        assert session.scalars(sa.select(Bid.amount_fen)).all() == [VALID_MONEY["¥1,060,000"]]


def test_every_api_route_that_takes_a_body_answers_hostile_amounts_without_a_server_error_or_a_write(scene):
    app = scene["app"]
    before = row_counts(app)
    for rule in app.url_map.iter_rules():
        if "POST" in rule.methods and rule.rule.startswith("/api/"):
            for value in WORST_MONEY:
                response = _api_post(scene, path_for(rule, scene["auction"]), dict.fromkeys(API_MONEY_KEYS, value))
                assert response.status_code < 500, (rule.rule, value)
    assert row_counts(app) == before


def test_an_id_beyond_the_columns_range_is_not_found_on_every_route(scene):
    app, browser, api = scene["app"], scene["browser"], scene["api"]
    rules = [rule for rule in app.url_map.iter_rules()
             if any(isinstance(rule._converters[arg], IntegerConverter) for arg in rule.arguments)]
    before = row_counts(app)
    for rule, value in itertools.product(rules, HOSTILE_IDS):
        path = path_for(rule, scene["auction"], value)
        api_path = path.startswith("/api/")
        if "GET" in rule.methods:
            response = (api.get(path, headers=scene["headers"]) if api_path else browser.get(path))
            assert response.status_code == 404, (path, response.status_code)
        if "POST" in rule.methods:
            response = (_api_post(scene, path, {}) if api_path else browser.post(path, data={"csrf_token": scene["csrf"]}))
            assert response.status_code == 404, (path, response.status_code)
            if api_path:
                assert response.is_json
    largest = [path_for(rule, scene["auction"], 2**31 - 1) for rule in rules if "GET" in rule.methods]
    assert all(browser.get(path).status_code < 500 for path in largest if not path.startswith("/api/"))
    assert all(api.get(path, headers=scene["headers"]).status_code < 500 for path in largest if path.startswith("/api/"))
    assert row_counts(app) == before


@pytest.mark.parametrize("query", ["after=2147483648", "after=-1", "after=１", "after=" + "9" * 30])
def test_a_bid_sequence_number_beyond_the_range_is_a_bad_request(scene, query):
    auction = scene["auction"]
    assert scene["api"].get(f"/api/v1/auctions/{auction.id}/bids?{query}", headers=scene["headers"]).status_code == 400
    assert scene["browser"].get(f"/auctions/{auction.id}/live.json?{query}").status_code == 400


@pytest.mark.parametrize("query", ["page=" + "9" * 30, "page=2147483648", "page=0", "page=x", "per_page=" + "9" * 30])
def test_a_page_number_beyond_the_range_is_a_bad_request(scene, query):
    response = scene["api"].get(f"/api/v1/cases?{query}", headers=scene["headers"])
    assert response.status_code == 400 and response.get_json()["error"] == "invalid_number"
    if query.startswith("page="):
        assert scene["browser"].get(f"/cases/?{query}").status_code == 400


def test_json_nested_too_deeply_to_read_is_invalid_json(scene):
    response = scene["api"].post(f"/api/v1/auctions/{scene['auction'].id}/bids", data="[" * 50_000,
                                 content_type="application/json",
                                 headers={**scene["headers"], "Idempotency-Key": "deep"})
    assert response.status_code == 400 and response.get_json()["error"] == "invalid_json"


def test_a_body_over_a_megabyte_is_refused_with_413_in_json_on_the_api(scene):
    before = row_counts(scene["app"])
    body = {"amount": "1" + "0" * (1024 * 1024)}
    response = _api_post(scene, f"/api/v1/auctions/{scene['auction'].id}/bids", body)
    assert response.status_code == 413 and response.get_json()["error"] == "body_too_large"
    page = scene["browser"].post(f"/auctions/{scene['auction'].id}/bid",
                                 data={"amount": "1" * (1024 * 1024 + 1), "csrf_token": scene["csrf"]})
    assert page.status_code == 413
    assert row_counts(scene["app"]) == before


@given(st.integers(min_value=-10, max_value=10**11))
def test_a_path_id_matches_exactly_when_it_is_in_the_id_columns_range(number):
    assert bool(re.fullmatch(DatabaseId.regex, str(number))) is (1 <= number <= MAX_ID)
