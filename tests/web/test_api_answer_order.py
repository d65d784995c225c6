"""Who asks and what they may do come before what is wrong with the request; a method the path does not
take is a 405 naming the ones it does, in the refusal model like every other answer."""

from __future__ import annotations

from market.domain.roles import Role
from market.services.accounts import create_api_token
from tests.factories import make_institution, make_user


def _bearer(session, role):
    user = make_user(session, role, institution=make_institution(session))
    session.commit()
    return {"Authorization": f"Bearer {create_api_token(session, user)}", "Idempotency-Key": "k-1"}


def test_a_bank_sending_a_malformed_licence_round_is_refused_for_its_role_first(client, session):
    answer = client.post("/api/v1/licence-rounds", json={"kind": "spaceship"}, headers=_bearer(session, Role.BANK))
    assert answer.status_code == 403 and answer.get_json()["error"] == "forbidden"


def test_the_operator_sending_the_same_body_is_told_which_field_is_wrong(client, session):
    answer = client.post("/api/v1/licence-rounds", json={"kind": "spaceship"},
                         headers=_bearer(session, Role.OPERATOR))
    body = answer.get_json()
    assert answer.status_code == 422 and body["field"] and set(body) >= {"error", "message", "params"}


def test_a_method_the_path_does_not_take_is_a_405_with_allow(client):
    answer = client.delete("/api/v1/auctions")
    assert answer.status_code == 405
    assert "GET" in answer.headers["Allow"] and answer.get_json()["error"] == "method_not_allowed"


def test_an_unknown_api_path_is_a_refusal_with_params(client):
    answer = client.get("/api/v1/no-such-thing")
    assert answer.status_code == 404 and answer.get_json() == {
        "error": "not_found", "message": answer.get_json()["message"], "params": {}}
