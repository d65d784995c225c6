"""A real browser (CSP, CSRF and production settings on): the operator takes a filed case to its public notice,
and a case in its negotiated sale through payment, the settlement desk and the IP office recordal to closed.

The 30-day notice and the two failed rounds in between are arranged beforehand on a past clock; everything a
person decides is clicked. The app runs under gunicorn on a free loopback port with a temporary SQLite file.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta

import pytest

from tests.live_server import CHROMIUM, gunicorn_serving

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(not os.path.exists(CHROMIUM), reason=f"Debian's chromium is not installed at {CHROMIUM}"),
]


def _arrange(database_url: str) -> dict:
    """A case just filed, a case whose negotiated sale runs (notice and rounds 40 days in the past), an operator."""
    from market.db import make_engine, make_session_factory
    from market.domain.workflow import CaseState
    from tests.conftest import Clock
    from tests.factories_workflow import file_for, make_bank_with_loan, make_operator, walk

    engine = make_engine(database_url)
    with make_session_factory(engine)() as session:
        operator = make_operator(session)
        past = Clock(datetime.now(UTC) - timedelta(days=40))
        user, loan = make_bank_with_loan(session)
        selling = walk(session, past, operator, file_for(session, past, user, loan), CaseState.NEGOTIATED_SALE)
        user, loan = make_bank_with_loan(session, co_owners=("清华大学",))
        filed = file_for(session, Clock(datetime.now(UTC) - timedelta(hours=1)), user, loan)
        arranged = {"operator": operator.email, "filed": filed.id, "selling": selling.id}
    engine.dispose()
    return arranged


@pytest.fixture
def live_server(tmp_path):
    """gunicorn serving the real app on loopback; yields (base_url, arranged ids)."""
    with gunicorn_serving(tmp_path, _arrange) as served:
        yield served


def test_the_operator_takes_cases_through_review_notice_sale_settlement_and_closing(live_server):
    sync_api = pytest.importorskip("playwright.sync_api", reason="Playwright for Python is not installed")
    expect = sync_api.expect
    base, arranged = live_server
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--headless", "--no-sandbox",
                                                                            "--disable-gpu", "--no-first-run"])
        try:
            page = browser.new_context(locale="en-US").new_page()
            problems: list[str] = []
            page.on("console", lambda m: problems.append(m.text) if "Content Security Policy" in m.text else None)
            page.goto(f"{base}/language/en?next=/login")
            page.fill('input[name="email"]', arranged["operator"])
            page.fill('input[name="password"]', "password-123")
            page.locator('form [type="submit"]').click()
            page.wait_for_url(lambda url: "/login" not in url)

            def decide(case_id: int, verb: str, fill=None):
                page.goto(f"{base}/operator/cases/{case_id}")
                form = page.locator(f'form[action$="/{case_id}/{verb}"]')
                if fill:
                    fill(form)
                form.locator('[type="submit"]').click()
                expect(page.locator(".flash-error")).to_have_count(0)

            filed = arranged["filed"]
            decide(filed, "start-review")
            decide(filed, "verify", lambda form: [box.check() for box in form.locator('input[type="checkbox"]').all()])
            decide(filed, "valuation", lambda form: (
                form.locator('input[name="valuation-appraised_value"]').fill("1500000"),
                form.locator('input[name="valuation-report_ref"]').fill("京评报字[2026]第99号"),
                form.locator('input[name="valuation-valued_on"]').fill(datetime.now(UTC).date().isoformat())))
            decide(filed, "publish", lambda form: form.locator('textarea[name="publish-encumbrances"]').fill(
                "无其他质押、查封或许可。"))
            expect(page.locator(".page-head .badge").first).to_have_text("Notice published")
            page.goto(f"{base}/catalogue/{filed}")
            expect(page.locator(".price-big")).to_have_text("¥1,050,000.00")

            selling = arranged["selling"]
            decide(selling, "agree-sale", lambda form: form.locator('input[name="agree-sale-buyer_name"]').fill(
                "深圳市华科创新投资有限公司"))
            decide(selling, "payment")
            expect(page.locator(".page-head .badge").first).to_have_text("Disposed of")
            page.locator(".next-steps a.button", has_text="Settlement desk").click()
            page.locator(f'form[action$="/cases/{selling}/settlement"] [type="submit"]').click()
            page.locator(f'form[action$="/cases/{selling}/settlement/transfer"] [type="submit"]').click()
            page.locator(f'form[action$="/cases/{selling}/settlement/close"] [type="submit"]').click()
            page.goto(f"{base}/operator/cases/{selling}")
            expect(page.locator(".page-head .badge").first).to_have_text("Closed")
            expect(page.locator(".case-timeline")).to_contain_text("Transfer recorded with the IP office")
            assert not problems, problems
        finally:
            browser.close()
