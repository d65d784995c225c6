"""Conversion and claim transfer in the browser, for each role, including the forbidden paths."""

import pytest

from market.domain.roles import InstitutionKind, Role
from market.domain.workflow import CaseState
from market.models import ClaimListing, ConversionProposal, LoanStatus
from tests.factories import make_institution, make_loan, make_user
from tests.factories_channels import make_channel_case


def login(client, auth, user):
    """Log in as a user; its email is read once, so no test transaction holds SQLite's write lock meanwhile."""
    email = user.__dict__.get("login_email") or user.email
    auth.logout()
    assert auth.login(email).status_code == 302



@pytest.fixture
def stacked(session):
    """A case shared by bank, guarantor and insurer, with a user for every party and some strangers."""
    bank = make_institution(session)
    guarantor = make_institution(session, InstitutionKind.GUARANTOR)
    insurer = make_institution(session, InstitutionKind.INSURER)
    loan = make_loan(session, bank=bank, guarantor=guarantor, insurer=insurer, bank_share_ppm=500_000,
                     guarantor_share_ppm=300_000, insurer_share_ppm=200_000)
    case = make_channel_case(session, loan=loan)
    aic = make_institution(session, InstitutionKind.AIC)
    users = {
        "operator": make_user(session, Role.OPERATOR), "bank": make_user(session, Role.BANK, institution=bank),
        "aic": make_user(session, Role.AIC, institution=aic),
        "guarantor": make_user(session, Role.GUARANTOR, institution=guarantor),
        "insurer": make_user(session, Role.INSURER, institution=insurer), "bureau": make_user(session, Role.BUREAU),
        "other_bank": make_user(session, Role.BANK), "other_aic": make_user(session, Role.AIC),
        "other_guarantor": make_user(session, Role.GUARANTOR),
        "unlicensed_bank": make_user(session, Role.BANK,
                                     institution=make_institution(session, licensed_financial=False)),
    }
    session.commit()
    for user in users.values():
        user.login_email = user.email  # a plain attribute: survives expiry, needs no query
    return case, aic, users


CONVERSION_FORM = {"claim_price": "600000", "claim_valuation": "650000", "valuation_report_ref": "中评报字[2026]第88号",
                   "pre_money_valuation": "5400000", "lockup_months": "36", "exit_route": "buyback",
                   "exit_terms": "Buy-back at cost plus 6% a year", "fund_compensation": "y"}


def test_a_case_ends_through_conversion_in_the_browser(client, auth, session, stacked):
    case, aic, users = stacked
    login(client, auth, users["operator"])
    response = client.post(f"/channels/cases/{case.id}/conversion/new", data={**CONVERSION_FORM, "aic_id": aic.id})
    assert response.status_code == 302, response.get_data(as_text=True)
    proposal_url = response.headers["Location"]
    page = client.get(proposal_url).get_data(as_text=True)
    assert "10.00%" in page and "missing" in page

    response = client.post(proposal_url + "/execute", follow_redirects=True)
    assert "without the consent of: Pledgee bank" in response.get_data(as_text=True)

    decisions = [("bank", {}), ("aic", {}), ("guarantor", {}), ("insurer", {}), ("bureau", {}),
                 ("operator", {"reference": "董事会决议〔2026〕12号"})]
    for name, extra in decisions:
        login(client, auth, users[name])
        assert client.get(proposal_url).status_code == 200
        response = client.post(proposal_url + "/consent", data={"consent": "Consent", **extra})
        assert response.status_code == 302, (name, response.get_data(as_text=True))
    login(client, auth, users["operator"])
    assert client.post(proposal_url + "/execute").status_code == 302
    session.expire_all()
    assert case.state == CaseState.DISPOSED and case.recovery_fen == 600_000_00
    session.commit()
    login(client, auth, users["aic"])
    assert "Equity positions held" in client.get("/channels/conversions").get_data(as_text=True)


def test_strangers_cannot_see_a_conversion_and_parties_cannot_execute_it(client, auth, session, stacked):
    case, aic, users = stacked
    login(client, auth, users["operator"])
    proposal_url = client.post(f"/channels/cases/{case.id}/conversion/new",
                               data={**CONVERSION_FORM, "aic_id": aic.id}).headers["Location"]
    for name in ("other_bank", "other_aic", "other_guarantor"):
        login(client, auth, users[name])
        assert client.get(proposal_url).status_code == 404
        assert client.post(proposal_url + "/consent", data={"consent": "Consent"}).status_code == 404
    for name in ("bank", "aic", "bureau"):
        login(client, auth, users[name])
        assert client.post(proposal_url + "/execute").status_code == 403
        assert client.post(proposal_url + "/abandon", data={"reason": "x"}).status_code == 403
        assert client.get(f"/channels/cases/{case.id}/conversion/new").status_code == 403


def test_a_refusal_without_a_reason_is_refused(client, auth, session, stacked):
    case, aic, users = stacked
    login(client, auth, users["operator"])
    proposal_url = client.post(f"/channels/cases/{case.id}/conversion/new",
                               data={**CONVERSION_FORM, "aic_id": aic.id}).headers["Location"]
    login(client, auth, users["insurer"])
    response = client.post(proposal_url + "/consent", data={"refuse": "Refuse"})
    assert response.status_code == 422 and "reason" in response.get_data(as_text=True)


def test_a_claim_is_listed_sold_and_transferred_in_the_browser(client, auth, session, clock, stacked):
    case, _, users = stacked
    login(client, auth, users["bank"])
    assert client.get("/channels/claims/new").status_code == 200
    response = client.post("/channels/claims/new", data={
        "loan_id": case.loan_id, "mode": "negotiated", "asking_price": "800,000",
        "offer_deadline": "2026-12-05T10:00", "data_room_notes": "Full servicing file"})
    assert response.status_code == 302, response.get_data(as_text=True)
    claim_url = response.headers["Location"]
    login(client, auth, users["aic"])
    assert client.get(claim_url).status_code == 404  # not open yet
    login(client, auth, users["operator"])
    assert client.post(claim_url + "/open").status_code == 302
    login(client, auth, users["aic"])
    assert "Full servicing file" in client.get(claim_url).get_data(as_text=True)
    assert client.post(claim_url + "/offer", data={"price": "760000", "terms": "Pay in 5 days"}).status_code == 302
    for name, expected in (("unlicensed_bank", 404), ("other_guarantor", 404)):
        login(client, auth, users[name])
        assert client.get(claim_url).status_code == expected
    login(client, auth, users["unlicensed_bank"])
    assert client.get("/channels/claims").status_code == 403
    assert client.post(claim_url + "/offer", data={"price": "900000"}).status_code == 404
    login(client, auth, users["other_guarantor"])
    assert client.get("/channels/claims").status_code == 403
    assert client.post(claim_url + "/offer", data={"price": "900000"}).status_code == 403

    login(client, auth, users["bank"])
    listing_id = int(claim_url.rsplit("/", 1)[1])
    offer_id = session.get(ClaimListing, listing_id).offers[0].id
    session.commit()
    assert client.post(claim_url + "/accept", data={"offer_id": str(offer_id)}).status_code == 302
    login(client, auth, users["other_bank"])
    assert client.post(claim_url + "/complete").status_code == 403
    login(client, auth, users["operator"])
    assert client.post(claim_url + "/complete").status_code == 302
    session.expire_all()
    assert case.loan.status == LoanStatus.TRANSFERRED and case.loan.bank_id == users["aic"].institution_id
    assert case.recovery_fen == 760_000_00
    session.commit()
    login(client, auth, users["bank"])
    assert "Loan transferred to" in client.get("/channels/claims/mine").get_data(as_text=True)
    login(client, auth, users["operator"])
    response = client.post(claim_url + "/recordal", data={"recordal_number": "Y2026990123",
                                                          "recorded_on": clock().date().isoformat()})
    assert response.status_code == 302


def test_a_claim_auction_is_opened_from_the_listing(client, auth, session, clock, stacked):
    case, _, users = stacked
    login(client, auth, users["bank"])
    claim_url = client.post("/channels/claims/new", data={
        "loan_id": case.loan_id, "mode": "auction", "asking_price": "500000",
        "offer_deadline": "2026-12-05T10:00"}).headers["Location"]
    login(client, auth, users["operator"])
    response = client.post(claim_url + "/open", data={"starting_price": "500000", "increment": "5000",
                                                      "deposit": "50000", "ends_at": "2026-11-25T10:00"})
    assert response.status_code == 302, response.get_data(as_text=True)
    page = client.get(claim_url).get_data(as_text=True)
    assert "Go to the claim auction" in page
    login(client, auth, users["unlicensed_bank"])
    assert client.get(claim_url).status_code == 404


def test_a_guarantor_or_aic_cannot_list_a_claim(client, auth, stacked):
    _, _, users = stacked
    for name in ("aic", "guarantor", "operator"):
        login(client, auth, users[name])
        assert client.get("/channels/claims/new").status_code == 403


def test_a_performing_loan_can_be_listed(client, auth, session, stacked):
    _, _, users = stacked
    loan = make_loan(session, bank=users["other_bank"].institution, status=LoanStatus.PERFORMING, defaulted_on=None)
    session.commit()
    login(client, auth, users["other_bank"])
    response = client.post("/channels/claims/new", data={
        "loan_id": loan.id, "mode": "negotiated", "asking_price": "950000", "offer_deadline": "2026-12-05T10:00"})
    assert response.status_code == 302
    assert session.query(ClaimListing).one().case_id is None
    assert session.query(ConversionProposal).count() == 0
