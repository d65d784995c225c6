"""The operator's pages: the queue by state and deadline, and a case taken from filed to closed in the browser."""

from datetime import timedelta

import pytest
import sqlalchemy as sa

from market.domain.roles import Role
from market.domain.workflow import CaseState as S
from market.models import DisposalCase
from market.services import disposal
from market.services.tick import run_due
from market.web.forms.auctions import utc_to_beijing_input
from tests.factories import make_user
from tests.factories_workflow import case_in, file_for, make_bank_with_loan, make_operator, sign_in


def _post(client, case, verb, **fields):
    return client.post(f"/operator/cases/{case.id}/{verb}", data={f"{verb}-{k}": v for k, v in fields.items()})


def _state(session, case):
    session.expire_all()
    state = session.get(DisposalCase, case.id).state
    session.commit()
    return state


def _open_round(client, case, clock, start_price):
    """Open an auction round on the auction desk, bidding for one day from now."""
    ends_at = utc_to_beijing_input(clock() + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    return client.post(f"/auctions/open/{case.id}", data={
        "kind": "asset", "starting_price": start_price, "increment": "10000",
        "deposit": str(int(start_price) // 10), "ends_at": ends_at})


def _round_ends_without_a_bid(session, clock):
    """The clock passes the round's end and the tick closes it: no valid bid, so the round fails."""
    session.commit()
    clock.advance(days=1, minutes=1)
    assert run_due(session, clock())["auctions: close ended rounds"] == 1


def test_an_operator_takes_a_filed_case_all_the_way_to_closed_in_the_browser(client, session, clock):
    user, loan = make_bank_with_loan(session, co_owners=("清华大学",))
    case = file_for(session, clock, user, loan)
    operator = make_operator(session)
    session.commit()
    sign_in(client, operator)
    assert case.reference in client.get("/operator/").get_data(as_text=True)
    steps = [
        ("start-review", {}, S.UNDER_REVIEW),
        ("verify", {"checks": ["title", "pledge_registration", "legal_status", "co_owner_consent", "pledgee_consent"]},
         S.VERIFIED),
        ("valuation", {"appraised_value": "1,500,000", "report_ref": "京评报字[2026]第88号", "valued_on": "2026-11-20",
                       "appraiser_id": ""}, S.VALUED),
        ("publish", {"start_price": "1050000", "deposit_percent": "10", "notice_days": "30",
                     "encumbrances": "无其他质押、查封或许可。", "first_refusal_holders": "清华大学 | 共有人"},
         S.NOTICE_PUBLISHED),
    ]
    for verb, fields, state in steps:
        response = _post(client, case, verb, **fields)
        assert response.status_code == 302, response.get_data(as_text=True)
        assert _state(session, case) == state
    page = client.get(f"/operator/cases/{case.id}").get_data(as_text=True)
    assert "The notice period runs until" in page and f'href="/auctions/open/{case.id}"' in page
    clock.advance(days=31)
    refused = _open_round(client, case, clock, "1000000")
    assert ("The first auction must start at no less than 70% of the appraised value, i.e. at least ¥1,050,000.00."
            in refused.get_data(as_text=True))
    assert _state(session, case) == S.NOTICE_PUBLISHED
    for start_price, state in [("1050000", S.AWAITING_CHANNEL), ("840000", S.NEGOTIATED_SALE)]:
        assert _open_round(client, case, clock, start_price).status_code == 302
        assert _state(session, case) == S.AUCTION
        _round_ends_without_a_bid(session, clock)
        assert _state(session, case) == state
    too_low = _post(client, case, "agree-sale", price="839999.99", buyer_name="深圳市华科创新投资有限公司")
    assert too_low.status_code == 422 and "¥840,000.00" in too_low.get_data(as_text=True)
    for verb, fields, state in [
        ("agree-sale", {"price": "840000", "buyer_name": "深圳市华科创新投资有限公司", "buyer_institution_id": ""},
         S.AWAITING_PAYMENT),
        ("payment", {}, S.DISPOSED),
    ]:
        response = _post(client, case, verb, **fields)
        assert response.status_code == 302, response.get_data(as_text=True)
        assert _state(session, case) == state
    assert f'href="/cases/{case.id}/settlement"' in client.get(f"/operator/cases/{case.id}").get_data(as_text=True)
    for path, fields, state in [
        ("", {"commission": "0", "appraisal": "0", "taxes": "0", "other": "0"}, S.SETTLED),
        ("/transfer", {"released_on": clock().date().isoformat()}, S.TRANSFER_RECORDED),
        ("/close", {}, S.CLOSED),
    ]:
        response = client.post(f"/cases/{case.id}/settlement{path}", data=fields)
        assert response.status_code == 302, response.get_data(as_text=True)
        assert _state(session, case) == state
    timeline = client.get(f"/cases/{case.id}").get_data(as_text=True)
    for words in ("Filed by the bank", "Notice published", "Auction round failed", "Negotiated sale agreed",
                  "Buyer paid", "Transfer recorded with the IP office", "Closed"):
        assert words in timeline
    public = client.get(f"/catalogue/{case.id}").get_data(as_text=True)
    assert "¥840,000.00" in public and "清华大学" in public


def test_the_review_explains_what_is_missing_and_a_return_needs_reasons(client, session, clock):
    _user, operator, case = case_in(session, clock, S.UNDER_REVIEW)
    sign_in(client, operator)
    response = _post(client, case, "verify", checks=["title"])
    assert response.status_code == 422 and "Still to verify: Pledge registration with the IP office" in response.get_data(as_text=True)
    response = _post(client, case, "return", reason="")
    assert response.status_code == 422 and "Give a reason" in response.get_data(as_text=True)
    assert _post(client, case, "return", reason="请补充共有人同意书。").status_code == 302
    assert _state(session, case) == S.RETURNED


def test_a_decision_not_open_in_the_cases_state_is_refused_and_an_unknown_one_is_not_found(client, session, clock):
    _user, operator, case = case_in(session, clock, S.FILED)
    sign_in(client, operator)
    assert _post(client, case, "publish", encumbrances="none").status_code == 409
    assert _post(client, case, "teleport").status_code == 404
    assert _state(session, case) == S.FILED


def test_the_workbench_links_to_the_auction_desk_and_takes_no_auction_decision_itself(client, session, clock):
    _user, operator, case = case_in(session, clock, S.NOTICE_PUBLISHED)
    sign_in(client, operator)
    page = client.get(f"/operator/cases/{case.id}").get_data(as_text=True)
    assert f'href="/auctions/open/{case.id}"' in page
    assert f'action="/operator/cases/{case.id}/open-round"' not in page
    assert _post(client, case, "open-round", start_price="1050000").status_code == 404


def test_the_queue_puts_overdue_deadlines_first_and_filters_by_state(client, session, clock):
    _user, operator, filed = case_in(session, clock, S.FILED)
    _user, _op, negotiating = case_in(session, clock, S.NEGOTIATED_SALE)
    _user, _op, published = case_in(session, clock, S.NOTICE_PUBLISHED)
    clock.advance(days=45)  # the notice has ended; the negotiated sale still runs
    sign_in(client, operator)
    page = client.get("/operator/").get_data(as_text=True)
    assert page.index(published.reference) < page.index(negotiating.reference) < page.index(filed.reference)
    assert 'class="overdue"' in page
    only = client.get("/operator/?state=filed").get_data(as_text=True)
    assert filed.reference in only and published.reference not in only


@pytest.mark.parametrize("role", [Role.BANK, Role.GUARANTOR, Role.BUREAU])
def test_no_one_but_the_operator_may_open_the_operator_pages(client, session, clock, role):
    _user, _operator, case = case_in(session, clock, S.UNDER_REVIEW)
    someone = make_user(session, role)
    session.commit()
    sign_in(client, someone)
    assert client.get("/operator/").status_code == 403
    assert client.get(f"/operator/cases/{case.id}").status_code == 403
    assert _post(client, case, "verify", checks=["title"]).status_code == 403
    assert _state(session, case) == S.UNDER_REVIEW


def test_the_operator_home_shows_the_work_queue_panel(client, session, clock):
    _user, operator, _case = case_in(session, clock, S.FILED)
    sign_in(client, operator)
    page = client.get("/home").get_data(as_text=True)
    assert "Disposal work queue" in page and "Overdue deadlines" in page
    assert session.scalar(sa.select(sa.func.count(DisposalCase.id))) == 1


def test_the_operator_asks_an_agency_for_a_valuation_and_the_agency_may_then_see_the_case(client, session, clock):
    _user, operator, case = case_in(session, clock, S.VERIFIED)
    agency = make_user(session, Role.AGENCY)
    session.commit()
    sign_in(client, agency)
    assert client.get(f"/cases/{case.id}").status_code == 404
    client.post("/logout")
    sign_in(client, operator)
    assert _post(client, case, "request-valuation", appraiser_id="").status_code == 422
    assert _post(client, case, "request-valuation", appraiser_id=str(agency.institution_id)).status_code == 302
    page = client.get(f"/operator/cases/{case.id}").get_data(as_text=True)
    assert "Valuation requested from the appraisal agency" in page
    assert f'<option selected value="{agency.institution_id}">' in page
    client.post("/logout")
    sign_in(client, agency)
    assert client.get(f"/cases/{case.id}").status_code == 200
    assert _state(session, case) == S.VERIFIED


def test_a_longer_timeline_costs_no_extra_queries(client, session, clock):
    from market.domain.workflow import CaseAction
    from market.services.audit import Actor

    _user, operator, short = case_in(session, clock, S.NOTICE_PUBLISHED)
    _user, _op, longer = case_in(session, clock, S.SUSPENDED)
    disposal.take_action(session, longer.id, CaseAction.RESUME, actor=Actor.of(operator), now=clock(), reason="ok")
    session.commit()
    sign_in(client, operator)
    engine = client.application.extensions["market.engine"]
    counts = []
    for case in (short, longer):
        statements = []

        def count(*args, statements=statements):
            statements.append(args[2])

        sa.event.listen(engine, "before_cursor_execute", count)
        try:
            assert client.get(f"/operator/cases/{case.id}").status_code == 200
        finally:
            sa.event.remove(engine, "before_cursor_execute", count)
        counts.append(len(statements))
    assert counts[0] == counts[1]
