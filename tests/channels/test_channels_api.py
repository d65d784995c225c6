"""The channels API for each role: bearer tokens, decimal yuan strings, Idempotency-Key, forbidden paths."""

import itertools
from datetime import timedelta

import pytest

from market.domain.roles import InstitutionKind, Role
from market.domain.workflow import CaseState
from market.models import LoanStatus
from market.services.accounts import create_api_token
from tests.factories import make_institution, make_loan, make_user
from tests.factories_channels import make_channel_case

_keys = itertools.count(1)


class Caller:
    """One institution's system: its bearer token, and a fresh Idempotency-Key per POST."""

    def __init__(self, client, session, user):
        self.client, self.user = client, user
        self.institution_id = user.institution_id
        self.headers = {"Authorization": f"Bearer {create_api_token(session, user)}"}

    def get(self, path):
        return self.client.get("/api/v1" + path, headers=self.headers)

    def post(self, path, body=None, key=None):
        headers = {**self.headers, "Idempotency-Key": key or f"k-{next(_keys)}"}
        return self.client.post("/api/v1" + path, json=body or {}, headers=headers)


@pytest.fixture
def api(client, session):
    """A stacked case and a caller for every party and some strangers."""
    bank = make_institution(session)
    guarantor = make_institution(session, InstitutionKind.GUARANTOR)
    loan = make_loan(session, bank=bank, guarantor=guarantor, bank_share_ppm=600_000, guarantor_share_ppm=400_000)
    case = make_channel_case(session, loan=loan)
    aic = make_institution(session, InstitutionKind.AIC)
    users = {
        "operator": make_user(session, Role.OPERATOR), "bank": make_user(session, Role.BANK, institution=bank),
        "aic": make_user(session, Role.AIC, institution=aic),
        "guarantor": make_user(session, Role.GUARANTOR, institution=guarantor),
        "bureau": make_user(session, Role.BUREAU), "other_bank": make_user(session, Role.BANK),
        "unlicensed": make_user(session, Role.BANK, institution=make_institution(session, licensed_financial=False)),
    }
    session.commit()
    callers = {name: Caller(client, session, user) for name, user in users.items()}
    return case.id, case.loan_id, aic.id, callers


ROUND = {"kind": "exclusive", "field_of_use": "Machine vision", "territory": "Mainland China", "term_months": 36,
         "reporting_period": "quarterly", "min_upfront": "100000.00", "min_royalty_rate_percent": "3",
         "discount_rate_percent": "8", "reference_yearly_sales": "5000000.00",
         "offer_deadline": "2026-12-01T02:00:00Z"}


def test_a_case_ends_through_licensing_over_the_api(clock, api, session):
    case_id, _, _, c = api
    response = c["operator"].post("/licence-rounds", {**ROUND, "case_id": case_id})
    assert response.status_code == 201, response.get_json()
    round_id = response.get_json()["id"]
    assert response.get_json()["scoring"]["discount_rate_percent"] == "8"
    offer = c["aic"].post(f"/licence-rounds/{round_id}/offers", {"upfront": "200000.00", "royalty_rate_percent": "5"})
    assert offer.status_code == 201 and offer.get_json()["offer"]["upfront"] == "200000.00"
    mine = c["aic"].get(f"/licence-rounds/{round_id}").get_json()
    assert mine["your_offer"]["score"] == "860958.82" and "ranking" not in mine
    assert "ranking" not in c["operator"].get(f"/licence-rounds/{round_id}").get_json()  # sealed

    assert c["operator"].post(f"/licence-rounds/{round_id}/close").status_code == 409
    clock.advance(days=9)
    closed = c["operator"].post(f"/licence-rounds/{round_id}/close").get_json()
    [ranked] = closed["ranking"]
    assert ranked["rank"] == 1 and ranked["score"] == "860958.82"
    assert c["operator"].post(f"/licence-rounds/{round_id}/award", {"offer_ids": [ranked["id"]]}).status_code == 200
    sign = {"contract_refs": ["L-2026-1"], "signed_on": clock().date().isoformat()}
    refused = c["operator"].post(f"/licence-rounds/{round_id}/sign", sign)
    assert refused.status_code == 409 and refused.get_json()["error"] == "pledgee_consent_missing"
    assert c["bank"].post(f"/licence-rounds/{round_id}/consent", {"consent": True, "reference": "OK-1"}).status_code == 200
    signed = c["operator"].post(f"/licence-rounds/{round_id}/sign", sign)
    assert signed.status_code == 201
    licence_id = signed.get_json()["licences"][0]["id"]

    paid = c["operator"].post(f"/licences/{licence_id}/payments",
                              {"received_on": clock().date().isoformat(), "amount": "25000.50", "reference": "TX-1"})
    assert paid.status_code == 201
    body = paid.get_json()
    assert body["received_to_date"] == "225000.50"
    assert [(p["to_interest"], p["to_principal"]) for p in body["payments"]] == [
        ("22500.00", "177500.00"), ("0.00", "25000.50")]
    imported = c["operator"].post(f"/licences/{licence_id}/payments/import",
                                  {"csv": "received_on,amount,reference\n" + clock().date().isoformat() + ",10,C-1\n"})
    assert imported.status_code == 201 and imported.get_json()["import"]["recorded"] == 1
    bad = c["operator"].post(f"/licences/{licence_id}/payments/import", {"csv": "received_on,amount\n"})
    assert bad.status_code == 422 and bad.get_json()["error"] == "csv_rejected"
    assert c["aic"].get(f"/licences/{licence_id}").status_code == 200  # the licensee
    assert c["other_bank"].get(f"/licences/{licence_id}").status_code == 404
    session.expire_all()
    from market.models import DisposalCase
    case = session.get(DisposalCase, case_id)
    assert case.state == CaseState.DISPOSED and case.recovery_fen == 200_000_00 + 25_000_50 + 10_00


@pytest.mark.parametrize(("who", "path", "status"), [
    ("bank", "/licence-rounds", 403), ("aic", "/licence-rounds", 403), ("bureau", "/licence-rounds", 403),
])
def test_only_the_operator_opens_a_round(api, who, path, status):
    case_id, _, _, c = api
    assert c[who].post(path, {**ROUND, "case_id": case_id}).status_code == status


def test_roles_that_may_not_apply_or_act_are_refused(api):
    case_id, _, _, c = api
    round_id = c["operator"].post("/licence-rounds", {**ROUND, "case_id": case_id}).get_json()["id"]
    offer = {"upfront": "200000", "royalty_rate_percent": "5"}
    assert c["bureau"].post(f"/licence-rounds/{round_id}/offers", offer).status_code == 403
    assert c["bank"].post(f"/licence-rounds/{round_id}/offers", offer).status_code == 403  # the pledgee
    assert c["aic"].post(f"/licence-rounds/{round_id}/close").status_code == 403
    assert c["aic"].post(f"/licence-rounds/{round_id}/abandon", {"reason": "x"}).status_code == 403
    assert c["aic"].post(f"/licence-rounds/{round_id}/consent", {"consent": True}).status_code == 403


@pytest.mark.parametrize(("body", "field"), [
    ({"upfront": 200000.5, "royalty_rate_percent": "5"}, None),
    ({"upfront": "200000", "royalty_rate_percent": "five"}, "royalty_rate_percent"),
    ({"upfront": "1.234", "royalty_rate_percent": "5"}, None),
])
def test_bad_amounts_and_rates_answer_422(api, body, field):
    case_id, _, _, c = api
    round_id = c["operator"].post("/licence-rounds", {**ROUND, "case_id": case_id}).get_json()["id"]
    response = c["aic"].post(f"/licence-rounds/{round_id}/offers", body)
    assert response.status_code == 422
    if field:
        assert response.get_json()["field"] == field


def test_every_post_needs_an_idempotency_key_and_a_retry_replays_the_answer(client, api):
    case_id, _, _, c = api
    response = client.post("/api/v1/licence-rounds", json={**ROUND, "case_id": case_id},
                           headers=c["operator"].headers)
    assert response.status_code == 400 and response.get_json()["error"] == "idempotency_key_required"
    first = c["operator"].post("/licence-rounds", {**ROUND, "case_id": case_id}, key="same")
    again = c["operator"].post("/licence-rounds", {**ROUND, "case_id": case_id}, key="same")
    assert first.status_code == again.status_code == 201 and first.get_json() == again.get_json()
    assert c["operator"].get("/licence-rounds").get_json()["licence_rounds"].__len__() == 1


def test_without_a_token_the_channels_api_answers_401(client):
    assert client.get("/api/v1/licence-rounds").status_code == 401
    assert client.get("/api/v1/claim-listings").status_code == 401


CONVERSION = {"claim_price": "600000.00", "claim_valuation": "650000.00", "valuation_report_ref": "R-88",
              "pre_money_valuation": "5400000.00", "lockup_months": 36, "exit_route": "buyback",
              "exit_terms": "Buy-back at cost plus 6%", "fund_compensation": True}


def test_a_case_ends_through_conversion_over_the_api_and_missing_consents_are_named(api):
    case_id, _, aic_id, c = api
    created = c["operator"].post("/conversions", {**CONVERSION, "case_id": case_id, "aic_id": aic_id})
    assert created.status_code == 201, created.get_json()
    proposal = created.get_json()
    assert proposal["equity_share_percent"] == "10" and proposal["equity_share_exact"] == "1/10"
    assert [p["party"] for p in proposal["consents"]] == ["bank", "aic", "borrower", "guarantor", "bureau"]
    pid = proposal["id"]
    blocked = c["operator"].post(f"/conversions/{pid}/execute")
    refusal = blocked.get_json()
    assert blocked.status_code == 409 and refusal["error"] == "consent_missing" and "Pledgee bank" in refusal["message"]
    assert refusal["params"]["parties"] == ["bank", "aic", "borrower", "guarantor", "bureau"]
    for who, body in (("bank", {}), ("aic", {}), ("guarantor", {}), ("operator", {"reference": "BR-12"})):
        assert c[who].post(f"/conversions/{pid}/consents", {"consent": True, **body}).status_code == 201
    blocked = c["operator"].post(f"/conversions/{pid}/execute")
    assert blocked.get_json()["error"] == "consent_missing" and blocked.get_json()["params"]["parties"] == ["bureau"]
    assert c["bureau"].post(f"/conversions/{pid}/consents", {"consent": True}).status_code == 201
    done = c["operator"].post(f"/conversions/{pid}/execute")
    assert done.status_code == 200 and done.get_json()["equity_position"]["share_percent"] == "10"
    assert c["other_bank"].get(f"/conversions/{pid}").status_code == 404
    assert c["other_bank"].post(f"/conversions/{pid}/consents", {"consent": True}).status_code == 404


def test_a_claim_is_sold_over_the_api_and_kept_from_ineligible_institutions(api, clock, session):
    case_id, loan_id, _, c = api
    deadline = (clock() + timedelta(days=10)).isoformat()
    listed = c["bank"].post("/claim-listings", {"loan_id": loan_id, "asking_price": "800000.00",
                                                "offer_deadline": deadline})
    assert listed.status_code == 201, listed.get_json()
    lid = listed.get_json()["id"]
    assert c["aic"].post(f"/claim-listings/{lid}/open").status_code == 403
    assert c["operator"].post(f"/claim-listings/{lid}/open").status_code == 200
    assert [item["id"] for item in c["aic"].get("/claim-listings").get_json()["claims"]] == [lid]
    assert c["unlicensed"].get("/claim-listings").status_code == 403
    assert c["guarantor"].get("/claim-listings").status_code == 403
    assert c["unlicensed"].get(f"/claim-listings/{lid}").status_code == 404
    assert c["unlicensed"].post(f"/claim-listings/{lid}/offers", {"price": "900000"}).status_code == 404
    offer = c["aic"].post(f"/claim-listings/{lid}/offers", {"price": "760000.00"})
    assert offer.status_code == 201 and "offers" not in offer.get_json()
    offers = c["bank"].get(f"/claim-listings/{lid}").get_json()["offers"]
    assert c["other_bank"].post(f"/claim-listings/{lid}/accept", {"offer_id": offers[0]["id"]}).status_code == 404
    assert c["bank"].post(f"/claim-listings/{lid}/accept", {"offer_id": offers[0]["id"]}).status_code == 200
    done = c["operator"].post(f"/claim-listings/{lid}/complete")
    assert done.status_code == 200 and done.get_json()["price"] == "760000.00"
    assert done.get_json()["recordal"]["overdue"] is False
    mine = c["bank"].get("/claim-listings?mine=1").get_json()["claims"]
    assert mine[0]["status"] == "completed"
    from market.models import Loan
    loan = session.get(Loan, loan_id)
    assert loan.status == LoanStatus.TRANSFERRED and loan.bank_id == c["aic"].institution_id


def test_the_openapi_document_describes_the_channels(client):
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    for path in ("/licence-rounds", "/licence-rounds/{round_id}/offers", "/licences/{licence_id}/payments",
                 "/conversions/{proposal_id}/consents", "/claim-listings/{listing_id}/offers"):
        assert path in paths
        for operation in paths[path].values():
            if operation is paths[path].get("post"):
                assert any(p["name"] == "Idempotency-Key" for p in operation["parameters"])
