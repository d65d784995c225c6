"""A real browser through registering for a lot with proof: the bank uploads its licence for the lot's
condition and submits; the operator opens the proof (its SHA-256 on the page) and approves; the bank's
auction page then takes its deposit.

The real app runs under gunicorn with a temporary SQLite database (see tests/live_server.py).
"""

from __future__ import annotations

import hashlib
import os
from datetime import UTC, datetime, timedelta

import pytest

from tests.live_server import CHROMIUM, gunicorn_serving

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(not os.path.exists(CHROMIUM),
                       reason=f"Debian's chromium is not installed at {CHROMIUM} (apt-get install -y chromium)"),
]

LICENCE = "持有集成电路设计行业许可证"
PDF = b"%PDF-1.7\n% E2E licence scan\n%%EOF\n"
BROWSER_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--no-first-run"]


def _arrange(database_url: str) -> dict:
    """An open round on a lot with one condition of the operator's, a bank and the operator."""
    from market.db import make_engine, make_session_factory, unit_of_work
    from market.services import qualification
    from market.services.auctions import open_auction
    from market.services.audit import Actor
    from tests.conftest import Clock
    from tests.factories import make_institution, make_user
    from tests.factories_auctions import DEPOSIT, INCREMENT, START, make_operator, make_ready_case

    now = datetime.now(UTC)
    engine = make_engine(database_url)
    with make_session_factory(engine)() as session, unit_of_work(session):
        case = make_ready_case(session, Clock(now), valued_on=(now - timedelta(days=10)).date())
        operator = make_operator(session)
        auction = open_auction(session, case.id, starting_price_fen=START, increment_fen=INCREMENT,
                               deposit_fen=DEPOSIT, starts_at=now, ends_at=now + timedelta(days=2),
                               actor=Actor.of(operator), now=now)
        qualification.add_condition(session, case.id, LICENCE, actor=Actor.of(operator), now=now)
        bank = make_user(session, institution=make_institution(session, name="E2E竞买银行"))
        arranged = {"auction_id": auction.id, "case_id": case.id, "operator": operator.email, "bank": bank.email}
    engine.dispose()
    return arranged


@pytest.fixture
def live_server(tmp_path):
    """gunicorn serving the real app on loopback; yields (base_url, arranged)."""
    with gunicorn_serving(tmp_path, _arrange) as served:
        yield served


def _log_in(browser, base, email):
    page = browser.new_context(locale="zh-CN").new_page()
    page.goto(f"{base}/login")
    page.fill('input[name="email"]', email)
    page.fill('input[name="password"]', "password-123")
    page.locator('form [type="submit"]').click()
    page.wait_for_url(lambda url: "/login" not in url, timeout=10_000)
    return page


def test_a_bank_registers_with_its_proof_the_operator_approves_and_the_deposit_opens(live_server, tmp_path):
    sync_api = pytest.importorskip("playwright.sync_api", reason="Playwright for Python is not installed")
    base, arranged = live_server
    scan = tmp_path / "行业许可证.pdf"
    scan.write_bytes(PDF)
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=BROWSER_ARGS)
        try:
            bank = _log_in(browser, base, arranged["bank"])
            bank.goto(f"{base}/auctions/{arranged['auction_id']}")
            sync_api.expect(bank.locator('[data-section="who-may-bid"]')).to_contain_text(LICENCE)
            bank.locator('[data-link="lot-registration"]').click()
            form = bank.locator('form[data-form="proof"]')
            form.locator('input[type="file"]').set_input_files(str(scan))
            form.locator('[type="submit"]').click()
            sync_api.expect(bank.locator(".flash-success")).to_contain_text("证明材料已保存")
            sync_api.expect(bank.locator('[data-field="proof-sha256"]')).to_have_text(hashlib.sha256(PDF).hexdigest())
            bank.locator('form[data-form="submit-registration"] [type="submit"]').click()
            sync_api.expect(bank.locator('[data-field="registration-status"]')).to_have_text("等待交易中心审核")

            operator = _log_in(browser, base, arranged["operator"])
            operator.goto(f"{base}/lots/registrations")
            operator.get_by_role("link", name="E2E竞买银行").click()
            sync_api.expect(operator.locator('[data-field="proof-sha256"]')).to_have_text(hashlib.sha256(PDF).hexdigest())
            operator.get_by_role("button", name="批准").click()
            sync_api.expect(operator.locator('[data-field="registration-status"]')).to_have_text("已批准")

            bank.goto(f"{base}/auctions/{arranged['auction_id']}")
            bank.locator('form[action$="/deposit"] [type="submit"]').click()
            sync_api.expect(bank.locator('[data-field="your_code"]')).not_to_be_empty()
        finally:
            browser.close()
