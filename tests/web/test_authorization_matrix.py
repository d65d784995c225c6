"""Every page and API read × every role × someone else's object: the right answer, never a 500.

The database is the demo data (every area's objects exist, owned by different institutions); each int in a
URL is filled with the id of an object that belongs to bank1's side of the market.
"""

from __future__ import annotations

import re
import shutil

import pytest
import sqlalchemy as sa
from werkzeug.routing import IntegerConverter

from market.db import unit_of_work
from market.demo import seed
from market.models import DisposalCase, User
from market.services.accounts import create_api_token
from tests.conftest import PG_URL, Clock, make_test_app

ROLES_BY_EMAIL = [None, "operator", "bank1", "bank2", "guarantor", "insurer", "agency", "bureau", "aic"]
# Pages anyone may open without logging in.
PUBLIC = {"main.index", "auth.login", "auth.language", "catalogue.index", "catalogue.show",
          "api.catalogue_listings", "api.openapi_json",
          # judicial auctions are public: anyone may watch; bidders show only as anonymous codes
          "auctions.index", "auctions.show", "auctions.live",
          # a first-refusal holder's invitation: the one-time link is the credential (unknown links are 404)
          "invitations.accept",
          # a listed lot's data room and published questions: public documents open to all (others are 404)
          "data_room.show", "data_room.download", "api.lot_documents", "api.lot_document", "api.lot_questions_published"}
# Pages only some roles may open at all: endpoint prefix → roles allowed.
ROLE_AREAS = {
    "bureau.": {"bureau", "operator"},  # the centre reads the fund figures too
    "auctions.manage": {"operator"},
    "auctions.open_round": {"operator"},
}


@pytest.fixture(scope="module")
def demo_app(database_template, tmp_path_factory):
    """One app over the demo data for the whole matrix (the requests only read)."""
    if PG_URL:
        pytest.skip("the matrix runs on SQLite (the demo data is the same on both engines)")
    path = tmp_path_factory.mktemp("matrix") / "demo.sqlite3"
    shutil.copy(database_template, path)
    clock = Clock()
    app = make_test_app(f"sqlite:///{path}", clock, LOGIN_RATE_LIMIT="10000 per minute")
    with app.extensions["market.sessions"]() as session, unit_of_work(session):
        seed(session, now=clock())
    yield app
    app.extensions["market.engine"].dispose()


def _get_routes(app):
    for rule in app.url_map.iter_rules():
        if "GET" in rule.methods and rule.endpoint != "static":
            yield rule


def _fill(rule, bank1_case_id: int) -> str:
    values = {}
    for arg in rule.arguments:
        if arg == "lang":
            values[arg] = "en"
        elif isinstance(rule._converters[arg], IntegerConverter):
            values[arg] = bank1_case_id if "case" in arg else 1
        else:
            values[arg] = "x"
    path = rule.rule
    for arg, value in values.items():
        path = re.sub(rf"<[^>]*:?{arg}>", str(value), path)
    return path


def _client_for(app, who: str | None):
    client = app.test_client()
    headers = {}
    if who is not None:
        client.post("/login", data={"email": f"{who}@demo.test", "password": "demo-password"})
        with app.extensions["market.sessions"]() as session, unit_of_work(session):
            user = session.scalar(sa.select(User).where(User.email == f"{who}@demo.test"))
            headers["Authorization"] = f"Bearer {create_api_token(session, user, label='matrix')}"
    return client, headers


@pytest.mark.parametrize("who", ROLES_BY_EMAIL)
def test_every_get_route_answers_each_role_without_a_server_error(demo_app, who):
    with demo_app.extensions["market.sessions"]() as session:
        bank1_case = session.scalar(
            sa.select(DisposalCase.id).join(User, User.institution_id == DisposalCase.bank_id)
            .where(User.email == "bank1@demo.test").order_by(DisposalCase.id).limit(1)
        )
    client, headers = _client_for(demo_app, who)
    problems = []
    for rule in _get_routes(demo_app):
        path = _fill(rule, bank1_case)
        is_api = path.startswith("/api/")
        response = client.get(path, headers=headers if is_api else {})
        status = response.status_code
        if status >= 500:
            problems.append(f"{path}: {status}")
            continue
        public = rule.endpoint in PUBLIC
        if who is None and not public:
            expected = {401} if is_api else {302}
            if status not in expected:
                problems.append(f"{path}: anonymous got {status}, expected {expected}")
            elif status == 302 and "/login" not in response.headers["Location"]:
                problems.append(f"{path}: anonymous redirected to {response.headers['Location']}")
        for prefix, allowed in ROLE_AREAS.items():
            if who is not None and rule.endpoint.startswith(prefix) and who not in allowed and status == 200:
                problems.append(f"{path}: {who} may not open {prefix}* but got 200")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize(
    "who, expected",
    [("bank1", 200), ("operator", 200), ("bureau", 200), ("bank2", 404), ("aic", 404), (None, 302)],
)
def test_a_banks_case_page_is_visible_to_it_and_the_centre_only(demo_app, who, expected):
    with demo_app.extensions["market.sessions"]() as session:
        case_id = session.scalar(
            sa.select(DisposalCase.id).join(User, User.institution_id == DisposalCase.bank_id)
            .where(User.email == "bank1@demo.test").order_by(DisposalCase.id).limit(1)
        )
    client, _ = _client_for(demo_app, who)
    assert client.get(f"/cases/{case_id}").status_code == expected


@pytest.mark.parametrize(
    "who, expected",
    [("bank1", 200), ("operator", 200), ("bank2", 404), ("aic", 404), (None, 401)],
)
def test_a_banks_case_in_the_api_is_visible_to_it_and_the_centre_only(demo_app, who, expected):
    with demo_app.extensions["market.sessions"]() as session:
        case_id = session.scalar(
            sa.select(DisposalCase.id).join(User, User.institution_id == DisposalCase.bank_id)
            .where(User.email == "bank1@demo.test").order_by(DisposalCase.id).limit(1)
        )
    client, headers = _client_for(demo_app, who)
    assert client.get(f"/api/v1/cases/{case_id}", headers=headers).status_code == expected


@pytest.mark.parametrize(
    "who, expected", [("bureau", 200), ("operator", 200), ("bank1", 403), ("guarantor", 403), (None, 401)]
)
def test_the_fund_is_open_to_the_bureau_and_the_centre_only(demo_app, who, expected):
    client, headers = _client_for(demo_app, who)
    assert client.get("/api/v1/fund", headers=headers).status_code == expected


@pytest.mark.parametrize("who, expected", [("bureau", 200), ("operator", 200), ("bank1", 403), ("aic", 403)])
def test_the_bureau_desk_is_open_to_the_bureau_and_the_centre_only(demo_app, who, expected):
    client, _ = _client_for(demo_app, who)
    assert client.get("/bureau/").status_code == expected
