"""The bank's pages: file a case with clear field errors, see its cases and timeline, resubmit, withdraw;
and what others may not see or do."""

import re

import sqlalchemy as sa

from market.domain.roles import Role
from market.domain.workflow import CaseState as S
from market.models import DisposalCase
from tests.factories import make_user
from tests.factories_workflow import case_in, make_bank_with_loan, sign_in


def _filing_data(loan, **overrides):
    data = {"asset_ids": [str(a.id) for a in loan.pledge.assets], "principal_outstanding": "1,000,000.00",
            "unpaid_interest": "22500", "costs_so_far": "0", "pledgee_consent": "y", "summary": "逾期超过90天。"}
    data.update(overrides)
    return data


def test_a_bank_files_a_case_from_its_defaulted_loan_and_sees_its_timeline(client, session):
    user, loan = make_bank_with_loan(session, assets=2)
    sign_in(client, user)
    listing = client.get("/cases/new").get_data(as_text=True)
    assert loan.contract_number in listing
    form = client.get(f"/cases/new/{loan.id}").get_data(as_text=True)
    assert 'value="1000000.00"' in form and loan.pledge.assets[1].registry_number in form
    response = client.post(f"/cases/new/{loan.id}", data=_filing_data(loan))
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    case = session.scalar(sa.select(DisposalCase))
    assert case.reference in page and "Filed by the bank" in page and "Filed" in page
    assert case.principal_outstanding_fen == 100_000_000 and case.unpaid_interest_fen == 2_250_000


def test_bad_amounts_are_shown_next_to_their_fields_and_nothing_is_filed(client, session):
    user, loan = make_bank_with_loan(session)
    sign_in(client, user)
    response = client.post(f"/cases/new/{loan.id}", data=_filing_data(
        loan, principal_outstanding="12.345", unpaid_interest="abc", asset_ids=[]))
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "at most two decimals" in page and "is not an amount" in page and "Choose at least one pledged asset" in page
    assert session.scalar(sa.select(sa.func.count(DisposalCase.id))) == 0


def test_a_broken_filing_rule_is_explained_and_the_typed_values_stay(client, session):
    user, loan = make_bank_with_loan(session, co_owners=("清华大学",))
    sign_in(client, user)
    response = client.post(f"/cases/new/{loan.id}", data=_filing_data(loan, principal_outstanding="999999.99"))
    page = response.get_data(as_text=True)
    assert response.status_code == 422 and "清华大学" in page and "co-owner" in page
    assert 'value="999999.99"' in page
    response = client.post(f"/cases/new/{loan.id}", data=_filing_data(loan, pledgee_consent="", co_owner_consents="清华大学"))
    assert "art. 444" in response.get_data(as_text=True)


def test_the_filing_form_is_refused_without_its_csrf_token(csrf_app):
    with csrf_app.extensions["market.sessions"]() as session:
        user, loan = make_bank_with_loan(session)
        email, loan_id, data = user.email, loan.id, _filing_data(loan)
    client = csrf_app.test_client()
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    client.post("/login", data={"email": email, "password": "password-123", "csrf_token": token})
    assert client.post(f"/cases/new/{loan_id}", data=data).status_code == 400


def test_a_bank_sees_only_its_own_cases_and_another_banks_case_is_not_found(client, session, clock):
    user, _operator, mine = case_in(session, clock, S.UNDER_REVIEW)
    _other, _, theirs = case_in(session, clock, S.FILED)
    sign_in(client, user)
    page = client.get("/cases/").get_data(as_text=True)
    assert mine.reference in page and theirs.reference not in page
    assert client.get(f"/cases/{theirs.id}").status_code == 404
    assert client.get(f"/cases/new/{theirs.loan_id}").status_code == 404
    assert client.post(f"/cases/{theirs.id}/withdraw", data={"withdraw-paid_by_debtor": "1",
                                                             "withdraw-reason": "x"}).status_code == 404


def test_a_returned_case_shows_the_reasons_and_the_bank_resubmits_it(client, session, clock):
    user, _operator, case = case_in(session, clock, S.RETURNED)
    sign_in(client, user)
    page = client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert "The pledge certificate scan is unreadable." in page and "Resubmit the case" in page
    response = client.post(f"/cases/{case.id}/resubmit", data={
        "resubmit-asset_ids": [str(case.assets[0].id)], "resubmit-principal_outstanding": "900000",
        "resubmit-unpaid_interest": "0", "resubmit-costs_so_far": "1200", "resubmit-pledgee_consent": "y"})
    assert response.status_code == 302
    session.expire_all()
    case = session.get(DisposalCase, case.id)
    assert case.state == S.FILED and case.costs_so_far_fen == 120_000


def test_the_bank_withdraws_its_case_and_a_missing_reason_is_a_field_error(client, session, clock):
    user, _operator, case = case_in(session, clock, S.NOTICE_PUBLISHED)
    sign_in(client, user)
    response = client.post(f"/cases/{case.id}/withdraw", data={"withdraw-paid_by_debtor": "1000000"})
    assert response.status_code == 422 and "Give a reason" in response.get_data(as_text=True)
    response = client.post(f"/cases/{case.id}/withdraw", data={"withdraw-paid_by_debtor": "1000000",
                                                               "withdraw-reason": "债务人已清偿。"})
    assert response.status_code == 302
    session.expire_all()
    assert session.get(DisposalCase, case.id).state == S.WITHDRAWN


def test_a_guarantor_sees_the_cases_it_shares_in_but_cannot_file(client, session, clock):
    guarantor = make_user(session, Role.GUARANTOR)
    session.commit()
    user, _operator, shared = case_in(session, clock, S.FILED, guarantor=guarantor.institution,
                                      bank_share_ppm=500_000, guarantor_share_ppm=500_000)
    _other, _, unrelated = case_in(session, clock, S.FILED)
    sign_in(client, guarantor)
    assert client.get(f"/cases/{shared.id}").status_code == 200
    assert client.get(f"/cases/{unrelated.id}").status_code == 404
    assert client.get("/cases/new").status_code == 403
    assert client.post(f"/cases/new/{shared.loan_id}", data={}).status_code == 403
    home = client.get("/home").get_data(as_text=True)
    assert "Disposal cases" in home


def test_pages_behind_login_send_a_visitor_to_the_login_form(client):
    response = client.get("/cases/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
