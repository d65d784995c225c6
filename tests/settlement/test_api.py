"""The settlement, claim and fund API: bearer tokens, decimal yuan strings, Idempotency-Key, deny by default."""

from market.domain.loss import Layer
from market.domain.settlement import ClaimState, DisposalCosts
from market.services.accounts import create_api_token
from tests.factories import make_user
from tests.factories_settlement import (
    YUAN,
    bureau_users,
    claims_of,
    fund_money,
    make_disposed_case,
    make_policy,
    operator,
    settle,
    user_of,
)


def _bearer(session, user):
    return {"Authorization": f"Bearer {create_api_token(session, user)}"}


def _settled(session, clock):
    make_policy(session)
    case = make_disposed_case(session, recovery_fen=0)
    session.commit()
    settle(session, case, now=clock(), costs=DisposalCosts())
    return case


def test_the_settlement_answers_with_every_layer_in_decimal_yuan(client, session, clock):
    case = _settled(session, clock)
    headers = _bearer(session, user_of(session, case.loan.insurer))
    body = client.get(f"/api/v1/cases/{case.id}/settlement", headers=headers).get_json()
    assert body["principal_loss"] == "1000000.00" and body["proceeds"] == "0.00"
    assert body["costs"] == "0.00" and body["interest"] == "0.00" and body["principal"] == "0.00"
    layers = {line["layer"]: line for line in body["layers"]}
    assert layers["guarantor"] == {
        "layer": "guarantor", "institution": case.loan.guarantor.name, "share": "0.3", "loss": "300000.00",
        "dispersed": "150000.00", "base": "150000.00", "ratio": "0.3", "cap": None, "claim": "45000.00",
        "paid": "0.00", "pending": "0.00", "clawed_back": "0.00", "claim_id": layers["guarantor"]["claim_id"],
        "claim_state": "drafted",
    }
    assert sum(float(line["claim"]) for line in body["layers"]) == 240_000


def test_a_stranger_gets_404_and_an_unsettled_case_409(client, session, clock):
    case = _settled(session, clock)
    other = make_disposed_case(session)
    stranger = make_user(session)
    session.commit()
    assert client.get(f"/api/v1/cases/{case.id}/settlement", headers=_bearer(session, stranger)).status_code == 404
    response = client.get(f"/api/v1/cases/{other.id}/settlement", headers=_bearer(session, operator(session)))
    assert response.status_code == 409 and response.get_json()["error"] == "case_not_settled"
    assert client.get(f"/api/v1/cases/{case.id}/settlement").status_code == 401


def test_the_fund_is_for_the_bureau_and_the_centre_only(client, session, clock):
    first, _ = bureau_users(session)
    session.commit()
    fund_money(session, now=clock(), balance_fen=3_000_000 * YUAN, budget_fen=1_000_000 * YUAN, bureau=first)
    body = client.get("/api/v1/fund", headers=_bearer(session, first)).get_json()
    assert (body["balance"], body["budget"], body["paid"], body["pending"]) == (
        "3000000.00", "1000000.00", "0.00", "0.00")
    assert client.get("/api/v1/fund", headers=_bearer(session, operator(session))).status_code == 200
    bank = make_user(session)
    session.commit()
    response = client.get("/api/v1/fund", headers=_bearer(session, bank))
    assert response.status_code == 403 and response.get_json()["error"] == "forbidden"


def test_filing_through_the_api_needs_an_idempotency_key_and_replays_the_first_answer(client, session, clock):
    case = _settled(session, clock)
    headers = _bearer(session, user_of(session, case.loan.bank))
    url = f"/api/v1/cases/{case.id}/settlement/claims"
    assert client.post(url, headers=headers, json={}).status_code == 400
    first = client.post(url, headers={**headers, "Idempotency-Key": "file-1"}, json={})
    assert first.status_code == 201 and first.get_json()["claims"][0]["state"] == "filed"
    again = client.post(url, headers={**headers, "Idempotency-Key": "file-1"}, json={})
    assert again.status_code == 201 and again.get_json() == first.get_json()
    other = client.post(url, headers={**headers, "Idempotency-Key": "file-2"}, json={})
    assert other.status_code == 409 and other.get_json()["error"] == "no_draft_claim"
    session.expire_all()
    assert claims_of(session, case)[Layer.BANK].state == ClaimState.FILED


def test_claims_list_only_the_caller_s_own(client, session, clock):
    case = _settled(session, clock)
    headers = _bearer(session, user_of(session, case.loan.agency))
    claims = client.get("/api/v1/claims", headers=headers).get_json()["claims"]
    assert [c["layer"] for c in claims] == ["agency"] and claims[0]["claimed"] == "30000.00"
    bank_claim = claims_of(session, case)[Layer.BANK]
    session.commit()
    assert client.get(f"/api/v1/claims/{bank_claim.id}", headers=headers).status_code == 404


def test_the_openapi_document_describes_the_settlement_and_fund(client):
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    assert {"/cases/{case_id}/settlement", "/cases/{case_id}/settlement/claims", "/claims", "/claims/{claim_id}",
            "/fund"} <= set(paths)
