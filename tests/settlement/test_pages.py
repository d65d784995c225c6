"""The settlement, claim and bureau pages in the browser: who sees what, and the whole flow end to end."""

import re
from pathlib import Path

import pytest

from market.domain.loss import Layer
from market.domain.settlement import ClaimState
from market.domain.workflow import CaseState
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


def _reload(session, row):
    """Read a row again and end the read transaction."""
    session.refresh(row)
    session.commit()
    return row


def _login(client, user, session=None):
    """Log in as the user (ending the test session's transaction first: SQLite has one writer)."""
    email = user.email
    if session is not None:
        session.commit()
    client.post("/logout")
    response = client.post("/login", data={"email": email, "password": "password-123"})
    assert response.status_code == 302


def test_a_disposed_case_flows_to_settlement_claims_four_eyes_approval_and_payment(app, session, client, clock):
    make_policy(session, four_eyes_above_fen=100_000 * YUAN)
    case = make_disposed_case(session, recovery_fen=0)
    op = operator(session)
    first, second = bureau_users(session)
    bank_user = user_of(session, case.loan.bank)
    session.commit()

    _login(client, op)
    page = client.get(f"/cases/{case.id}/settlement")
    assert page.status_code == 200 and "settlement/settle" not in page.get_data(as_text=True)
    response = client.post(f"/cases/{case.id}/settlement",
                           data={"commission": "0", "appraisal": "0", "taxes": "0", "other": "0"})
    assert response.status_code == 302
    session.expire_all()
    assert session.get(type(case), case.id).state == CaseState.SETTLED
    session.commit()

    _login(client, bank_user, session)
    statement = client.get(f"/cases/{case.id}/settlement").get_data(as_text=True)
    assert "1,000,000.00" in statement and "120,000.00" in statement
    assert client.post(f"/cases/{case.id}/settlement/claim").status_code == 302
    claim = claims_of(session, case)[Layer.BANK]
    session.commit()
    _reload(session, claim)
    assert claim.state == ClaimState.FILED

    _login(client, first, session)
    client.post(f"/bureau/claims/{claim.id}/review", data={"decision": "approve"})
    _reload(session, claim)
    assert claim.state == ClaimState.AWAITING_SECOND_APPROVAL
    again = client.post(f"/bureau/claims/{claim.id}/review", data={"decision": "approve"}, follow_redirects=True)
    assert "second bureau user" in again.get_data(as_text=True) or "二" in again.get_data(as_text=True)
    _reload(session, claim)
    assert claim.state == ClaimState.AWAITING_SECOND_APPROVAL

    _login(client, second, session)
    client.post(f"/bureau/claims/{claim.id}/review", data={"decision": "approve"})
    _reload(session, claim)
    assert claim.state == ClaimState.APPROVED
    client.post("/bureau/fund/contribute", data={"amount": "500000", "memo": "Municipal appropriation"})
    client.post("/bureau/fund/budget", data={"year": "2026", "line": "compensation", "amount": "300000"})
    client.post("/bureau/fund/pay")
    _reload(session, claim)
    assert claim.state == ClaimState.PAID and claim.paid_fen == 120_000 * YUAN
    dashboard = client.get("/bureau/").get_data(as_text=True)
    assert "120,000.00" in dashboard and "<svg" in dashboard

    _login(client, op, session)
    client.post(f"/cases/{case.id}/settlement/transfer", data={"released_on": "2026-11-23"})
    client.post(f"/cases/{case.id}/settlement/close")
    session.expire_all()
    assert session.get(type(case), case.id).state == CaseState.CLOSED


def test_each_institution_on_the_loan_opens_the_statement_and_others_get_404(app, session, client, clock):
    make_policy(session)
    case = make_disposed_case(session)
    session.commit()
    settle(session, case, now=clock())
    loan = case.loan
    for institution in (loan.bank, loan.guarantor, loan.insurer, loan.agency):
        _login(client, user_of(session, institution), session)
        assert client.get(f"/cases/{case.id}/settlement").status_code == 200
    _login(client, make_user(session), session)
    assert client.get(f"/cases/{case.id}/settlement").status_code == 404
    assert client.get(f"/cases/{case.id}/settlement.csv").status_code == 404


def test_claims_are_private_to_their_institution(app, session, client, clock):
    make_policy(session)
    case = make_disposed_case(session)
    session.commit()
    settle(session, case, now=clock())
    claims = claims_of(session, case)
    _login(client, user_of(session, case.loan.guarantor), session)
    assert client.get(f"/compensation/claims/{claims[Layer.GUARANTOR].id}").status_code == 200
    assert client.get(f"/compensation/claims/{claims[Layer.BANK].id}").status_code == 404
    assert client.post(f"/compensation/claims/{claims[Layer.BANK].id}/file").status_code == 404


@pytest.mark.parametrize("path", ["/bureau/", "/bureau/claims", "/bureau/fund", "/bureau/policy",
                                  "/bureau/statistics", "/bureau/policy/new"])
def test_bureau_pages_are_closed_to_banks(app, session, client, path):
    _login(client, make_user(session), session)
    assert client.get(path).status_code == 403


def test_only_the_bureau_acts_on_the_fund_while_the_centre_may_read(app, session, client, clock):
    op = operator(session)
    session.commit()
    _login(client, op)
    assert client.get("/bureau/fund").status_code == 200
    assert client.post("/bureau/fund/contribute", data={"amount": "1", "memo": "x"}).status_code == 403
    assert client.post("/cases/999/settlement/close").status_code == 404


@pytest.mark.parametrize("path", ["/bureau/claims.csv", "/bureau/fund/payments.csv", "/bureau/fund/queue.csv",
                                  "/bureau/clawbacks.csv", "/bureau/policy.csv", "/bureau/statistics.csv",
                                  "/bureau/statistics/trend.csv", "/compensation/claims.csv",
                                  "/settlement.csv"])
def test_every_table_exports_as_csv(app, session, client, clock, path):
    first, _ = bureau_users(session)
    make_policy(session)
    case = make_disposed_case(session)
    session.commit()
    settle(session, case, now=clock())
    _login(client, first, session)
    response = client.get(path)
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert response.get_data(as_text=True).lstrip("\ufeff").count("\n") >= 1


def test_the_bureau_edits_the_policy_as_a_new_version(app, session, client, clock):
    first, _ = bureau_users(session)
    make_policy(session)
    session.commit()
    _login(client, first, session)
    form = client.get("/bureau/policy/new").get_data(as_text=True)
    assert 'value="30"' in form
    data = {"ratio_bank": "20", "ratio_guarantor": "40", "ratio_insurer": "30", "ratio_agency": "10",
            "cap_bank": "", "cap_guarantor": "1000000", "cap_insurer": "", "cap_agency": "", "cap_per_loan": "",
            "cap_per_institution_year": "", "annual_budget": "30000000", "subsidy_budget": "5000000",
            "shortfall": "lapse", "four_eyes_above": "500000", "interest_subsidy": "40",
            "interest_subsidy_cap": "500000", "appraisal_subsidy": "50", "appraisal_subsidy_cap": "100000",
            "premium_subsidy": "50", "premium_subsidy_cap": "200000", "note": "Jiangsu-style ratios"}
    assert client.post("/bureau/policy/new", data=data).status_code == 302
    from market.services.fund import current_policy

    policy = current_policy(session)
    session.commit()
    assert (policy.version, policy.ratio_guarantor_ppm, policy.cap_guarantor_fen, policy.shortfall.value) == (
        2, 400_000, 1_000_000 * YUAN, "lapse")
    bad = client.post("/bureau/policy/new", data={**data, "ratio_bank": "120"})
    assert bad.status_code == 422


def test_the_bureau_sets_an_annual_cap_and_a_stop_loss_line_in_the_policy(app, session, client, clock):
    first, _ = bureau_users(session)
    make_policy(session, size_band_edges_fen=[5_000_000 * YUAN], size_band_ratios_ppm=[400_000, 200_000])
    session.commit()
    _login(client, first, session)
    form = client.get("/bureau/policy/new").get_data(as_text=True)
    assert 'name="stop_loss"' in form and 'name="annual_cap"' in form
    assert 'name="size_bands-0-edge" type="text" value="5000000.00"' in form
    data = {"ratio_bank": "30", "ratio_guarantor": "30", "ratio_insurer": "30", "ratio_agency": "30",
            "annual_budget": "0", "subsidy_budget": "0", "shortfall": "wait", "interest_subsidy": "40",
            "appraisal_subsidy": "50", "premium_subsidy": "50", "annual_cap": "1,500,000,000",
            "stop_loss": "3", "stop_loss_resume": "below", "note": "Guangzhou 2025 levers",
            "size_bands-0-edge": "5000000.00", "size_bands-0-ratio": "40", "above_ratio": "20"}
    assert client.post("/bureau/policy/new", data=data).status_code == 302
    from market.services.fund import current_policy

    policy = current_policy(session)
    session.commit()
    assert (policy.annual_cap_fen, policy.stop_loss_ppm, policy.stop_loss_resume.value) == (
        1_500_000_000 * YUAN, 30_000, "below")
    assert policy.size_band_ratios_ppm == [400_000, 200_000]  # as the form showed them from the version before
    page = client.get("/bureau/policy").get_data(as_text=True)
    assert "3.00%" in page and "40.00%" in page  # the stop-loss line, the first band's ratio
    assert client.post("/bureau/policy/new", data={**data, "stop_loss_resume": "never"}).status_code == 422


def test_the_dashboard_shows_the_quarter_s_statistics(app, session, client, clock):
    first, _ = bureau_users(session)
    fund_money(session, now=clock(), balance_fen=10_000 * YUAN, budget_fen=5_000 * YUAN, bureau=first)
    _login(client, first, session)
    page = client.get("/bureau/?quarter=2026Q4").get_data(as_text=True)
    assert "2026Q4" in page and "<svg" in page
    assert client.get("/bureau/statistics?quarter=nonsense").status_code == 200


def test_my_templates_keep_the_strict_csp():
    root = Path(__file__).resolve().parents[2] / "templates"
    for folder in ("settlement", "bureau"):
        for template in (root / folder).glob("*.html"):
            text = template.read_text()
            assert not re.search(r"\sstyle\s*=", text), template
            assert "<script" not in text or "src=" in text, template


def test_a_decision_without_the_csrf_token_is_refused(csrf_app, session, clock):
    client = csrf_app.test_client()
    make_policy(session)
    case = make_disposed_case(session)
    first, _ = bureau_users(session)
    session.commit()
    settle(session, case, now=clock())
    claim = claims_of(session, case)[Layer.BANK]
    session.commit()
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    client.post("/login", data={"email": first.email, "password": "password-123", "csrf_token": token})
    assert client.post(f"/bureau/claims/{claim.id}/review", data={"decision": "reject", "reason": "x"}).status_code == 400
    _reload(session, claim)
    assert claim.state == ClaimState.DRAFTED


def test_a_disposed_case_without_a_result_explains_itself_instead_of_failing(app, session, client, clock):
    case = make_disposed_case(session, recovery_fen=None)
    op = operator(session)
    _login(client, op, session)
    response = client.get(f"/cases/{case.id}/settlement")
    assert response.status_code == 200 and "recovery_missing" not in response.get_data(as_text=True)
