"""A real browser, in Chinese as the product starts: the centre browses the ledger from its desk (filter, a
transaction's postings); a bank sees only its own postings; the centre filters the audit trail by case and
action and sees the chain verified."""

from __future__ import annotations

import os
import re
from datetime import UTC, datetime, timedelta

import pytest

from tests.live_server import CHROMIUM, gunicorn_serving

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(not os.path.exists(CHROMIUM), reason=f"Debian's chromium is not installed at {CHROMIUM}"),
]


def _arrange(database_url: str) -> dict:
    """Two banks, a case each, deposits both ways, a buyer's payment; an operator; a case taken to its notice."""
    from market.db import make_engine, make_session_factory, unit_of_work
    from market.domain.ledger import Movement
    from market.domain.roles import Role
    from market.domain.workflow import CaseState
    from market.services.ledger import record_movement
    from tests.conftest import Clock
    from tests.factories import make_case, make_institution, make_loan, make_user
    from tests.factories_workflow import case_in

    engine = make_engine(database_url)
    with make_session_factory(engine)() as session, unit_of_work(session):
        now = datetime.now(UTC) - timedelta(hours=2)
        bank_a, bank_b = make_institution(session, name="甲银行"), make_institution(session, name="乙银行")
        case_a = make_case(session, loan=make_loan(session, bank=bank_a))
        case_b = make_case(session, loan=make_loan(session, bank=bank_b))
        record_movement(session, Movement.DEPOSIT_PAID, amount_fen=5_000_000, now=now, case_id=case_b.id,
                        institution_id=bank_a.id)
        record_movement(session, Movement.DEPOSIT_PAID, amount_fen=5_000_000, now=now, case_id=case_a.id,
                        institution_id=bank_b.id)
        record_movement(session, Movement.BUYER_PAYMENT, amount_fen=123_456_700, now=now, case_id=case_a.id)
        arranged = {"operator": make_user(session, Role.OPERATOR).email,
                    "bank_a": make_user(session, Role.BANK, bank_a).email, "case_a": case_a.id}
    with make_session_factory(engine)() as session:
        walked = case_in(session, Clock(datetime.now(UTC) - timedelta(days=3)), CaseState.NOTICE_PUBLISHED)[2]
        arranged["walked"] = walked.id
    engine.dispose()
    return arranged


@pytest.fixture
def live_server(tmp_path):
    """gunicorn serving the real app on loopback; yields (base_url, arranged ids)."""
    with gunicorn_serving(tmp_path, _arrange) as served:
        yield served


def _browser(playwright):
    return playwright.chromium.launch(executable_path=CHROMIUM, args=["--headless", "--no-sandbox", "--disable-gpu",
                                                                      "--no-first-run"])


def _log_in(page, base: str, email: str) -> None:
    page.goto(f"{base}/login")
    page.fill('input[name="email"]', email)
    page.fill('input[name="password"]', "password-123")
    page.locator('form [type="submit"]').click()
    page.wait_for_url(lambda url: "/login" not in url)


def test_the_centre_browses_the_ledger_and_a_bank_sees_only_its_own(live_server):
    sync_api = pytest.importorskip("playwright.sync_api", reason="Playwright for Python is not installed")
    expect = sync_api.expect
    base, arranged = live_server
    with sync_api.sync_playwright() as playwright:
        browser = _browser(playwright)
        try:
            page = browser.new_context(locale="zh-CN").new_page()
            problems: list[str] = []
            page.on("console", lambda m: problems.append(m.text) if "Content Security Policy" in m.text else None)
            _log_in(page, base, arranged["operator"])
            page.goto(f"{base}/home")
            page.get_by_role("link", name="查看总账").click()
            expect(page.locator("h1")).to_have_text("总账")
            expect(page.locator("main")).to_contain_text("共 6 条分录")
            expect(page.locator("table.ledger")).to_contain_text("¥1,234,567.00")
            expect(page.locator("table.ledger")).to_contain_text("代管竞买保证金 · 甲银行")

            page.select_option('select[name="account"]', "cash")
            page.get_by_role("button", name="筛选").click()
            expect(page.locator("main")).to_contain_text("共 3 条分录")
            expect(page.locator("table.ledger tbody tr").first).to_contain_text("¥1,334,567.00")  # balance after

            page.locator("table.ledger a", has_text="#3").click()
            expect(page.locator("h1")).to_contain_text("买受人付款")
            expect(page.locator("main table").nth(1)).to_contain_text(f"应付质权人处置款 · 案件 {arranged['case_a']}")
            expect(page.locator("main table").nth(1)).to_contain_text("贷")
            assert not problems, problems

            bank = browser.new_context(locale="zh-CN").new_page()
            _log_in(bank, base, arranged["bank_a"])
            bank.goto(f"{base}/ledger/")
            expect(bank.locator("main")).to_contain_text("共 2 条分录")
            expect(bank.locator("table.ledger")).not_to_contain_text("乙银行")
            expect(bank.locator("table.ledger")).not_to_contain_text("交易中心银行账户")
        finally:
            browser.close()


def test_the_centre_filters_the_audit_trail_and_sees_the_chain_verified(live_server):
    sync_api = pytest.importorskip("playwright.sync_api", reason="Playwright for Python is not installed")
    expect = sync_api.expect
    base, arranged = live_server
    with sync_api.sync_playwright() as playwright:
        browser = _browser(playwright)
        try:
            page = browser.new_context(locale="zh-CN").new_page()
            problems: list[str] = []
            page.on("console", lambda m: problems.append(m.text) if "Content Security Policy" in m.text else None)
            _log_in(page, base, arranged["operator"])
            page.goto(f"{base}/home")
            page.get_by_role("link", name="查看审计记录").click()
            expect(page.locator(".chain-status .badge")).to_have_text("链条校验通过")
            expect(page.locator(".chain-status code.head-hash")).to_have_text(re.compile(r"^[0-9a-f]{64}$"))

            page.fill('input[name="case"]', str(arranged["walked"]))
            page.select_option('select[name="action"]', "case:publish_notice")
            page.get_by_role("button", name="筛选").click()
            rows = page.locator("table.audit-events tbody tr")
            expect(rows).to_have_count(1)
            expect(rows.first).to_contain_text("已评估")  # before
            expect(rows.first).to_contain_text("已公告")  # after
            assert not problems, problems
        finally:
            browser.close()
