"""The OpenAPI document matches the auction API's behaviour (schemathesis against the WSGI app, demo token).

Two tests: generated requests never get a 5xx nor an undocumented or ill-shaped answer; and every status
the document promises for the auction operations can actually be produced.
"""

from __future__ import annotations

import uuid

import pytest
import schemathesis
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from market.db import unit_of_work
from market.demo import auctions as demo_auctions
from market.demo import core as demo_core
from market.models import Auction, User
from market.services.accounts import create_api_token

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


@pytest.fixture
def demo(app, session, clock):
    """The demo data, a token for bank2 and for the operator, and the loaded schema."""
    with unit_of_work(session):
        demo_core.seed(session, clock())
        demo_auctions.seed(session, clock())
        tokens = {who: create_api_token(session, session.scalar(sa.select(User).where(User.email == f"{who}@demo.test")))
                  for who in ("bank2", "operator")}
    auctions = {a.title[:4]: a.id for a in session.scalars(sa.select(Auction))}
    statuses = {a.id: a.status.value for a in session.scalars(sa.select(Auction))}
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app).include(path_regex="^/auctions")
    session.rollback()
    return schema, tokens, auctions, statuses


def _bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def test_generated_requests_get_documented_well_formed_answers_and_no_5xx(demo):
    schema, tokens, auctions, _statuses = demo
    real_ids = sorted(auctions.values())
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) == 6
    for operation in operations:

        @settings(max_examples=25, deadline=None, database=None,
                  suppress_health_check=list(HealthCheck))
        @given(case=operation.as_strategy(), target=st.sampled_from([None, *real_ids]))
        def exercise(case, target):
            if target is not None and "auction_id" in (case.path_parameters or {}):
                case.path_parameters["auction_id"] = target  # half the calls hit real demo auctions
            headers = _bearer(tokens["bank2"])
            if case.method.upper() == "POST":
                headers["Idempotency-Key"] = str(uuid.uuid4())  # reuse is tested on its own (test_api)
            case.call_and_validate(headers=headers, checks=CHECKS)

        exercise()


def test_every_documented_status_of_the_auction_operations_can_be_produced(demo):
    schema, tokens, auctions, statuses = demo
    open_id = next(i for i, s in statuses.items() if s == "open")
    awarded_id = next(i for i, s in statuses.items() if s == "awarded")
    bank, operator = _bearer(tokens["bank2"]), _bearer(tokens["operator"])
    seen: dict[tuple[str, str], set[str]] = {}

    def call(method, path, status, *, headers=None, auction_id=None, query=None, body=None, key=True):
        operation = schema[path][method]
        sent = dict(headers or {})
        if method == "POST" and key:
            sent["Idempotency-Key"] = str(uuid.uuid4())
        case = operation.Case(path_parameters={"auction_id": auction_id} if auction_id is not None else None,
                              headers=sent, query=query, **({"body": body} if body is not None else {}),
                              **({"media_type": "application/json"} if body is not None else {}))
        response = case.call_and_validate(checks=CHECKS)
        assert response.status_code == int(status), (method, path, response.status_code, response.text)
        seen.setdefault((method, path), set()).add(status)

    call("GET", "/auctions", "200", headers=bank, query={"status": "open"})
    call("GET", "/auctions", "400", headers=bank, query={"status": "bogus"})
    call("GET", "/auctions", "401")
    one, bids = "/auctions/{auction_id}", "/auctions/{auction_id}/bids"
    call("GET", one, "200", headers=bank, auction_id=open_id)
    call("GET", one, "401", auction_id=open_id)
    call("GET", one, "404", headers=bank, auction_id=999_999)
    call("GET", bids, "200", headers=bank, auction_id=open_id)
    call("GET", bids, "400", headers=bank, auction_id=open_id, query={"after": "x"})
    call("GET", bids, "401", auction_id=open_id)
    call("GET", bids, "404", headers=bank, auction_id=999_999)

    deposit = "/auctions/{auction_id}/deposit"
    call("POST", deposit, "201", headers=bank, auction_id=open_id)
    call("POST", deposit, "400", headers=bank, auction_id=open_id, key=False)
    call("POST", deposit, "401", auction_id=open_id)
    call("POST", deposit, "403", headers=operator, auction_id=open_id)
    call("POST", deposit, "404", headers=bank, auction_id=999_999)
    # a bank that has not registered is refused once bidding has ended
    newcomer = _newcomer_token(schema)
    call("POST", deposit, "409", headers=_bearer(newcomer), auction_id=awarded_id)

    amount = {"amount": "1.00"}
    current = _minimum(schema, bank, open_id)
    call("POST", bids, "201", headers=bank, auction_id=open_id, body={"amount": current})
    call("POST", bids, "400", headers=bank, auction_id=open_id, body=amount, key=False)
    call("POST", bids, "401", auction_id=open_id, body=amount)
    call("POST", bids, "403", headers=_bearer(newcomer), auction_id=open_id, body={"amount": current})
    call("POST", bids, "404", headers=bank, auction_id=999_999, body=amount)
    call("POST", bids, "409", headers=bank, auction_id=open_id, body={"amount": _minimum(schema, bank, open_id)})
    call("POST", bids, "422", headers=bank, auction_id=open_id, body=amount)

    proxy = "/auctions/{auction_id}/proxy"
    call("POST", proxy, "200", headers=bank, auction_id=open_id,
         body={"max_amount": _minimum(schema, bank, open_id, steps=3)})
    call("POST", proxy, "400", headers=bank, auction_id=open_id, body={"max_amount": "1.00"}, key=False)
    call("POST", proxy, "401", auction_id=open_id, body={"max_amount": "1.00"})
    call("POST", proxy, "403", headers=_bearer(newcomer), auction_id=open_id, body={"max_amount": "1.00"})
    call("POST", proxy, "404", headers=bank, auction_id=999_999, body={"max_amount": "1.00"})
    call("POST", proxy, "409", headers=bank, auction_id=awarded_id, body={"max_amount": "1.00"})
    call("POST", proxy, "422", headers=bank, auction_id=open_id, body={"max_amount": "1.001"})

    documented = {
        (method.upper(), path): set(spec["responses"])
        for path, item in schema.raw_schema["paths"].items() if path.startswith("/auctions")
        for method, spec in item.items()
    }
    assert seen == documented


def _minimum(schema, headers, auction_id, steps=0) -> str:
    """The next valid bid on an auction, read through the API (plus some increments)."""
    body = schema.app.test_client().get(f"/api/v1/auctions/{auction_id}", headers=headers).get_json()
    fen = round(float(body["minimum_bid"]) * 100) + steps * round(float(body["increment"]) * 100)
    return f"{fen // 100}.{fen % 100:02d}"


def _newcomer_token(schema) -> str:
    """A token for a bank that has paid no deposit anywhere."""
    from tests.factories import make_institution, make_user

    with schema.app.extensions["market.sessions"]() as session, unit_of_work(session):
        user = make_user(session, institution=make_institution(session))
        return create_api_token(session, user)
