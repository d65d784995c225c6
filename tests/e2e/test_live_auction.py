"""A real browser on the live auction page: one bank bids, the other bank's open page shows the new price
and the extended end within seconds, without a reload.

The real app runs under gunicorn on a free loopback port with a temporary SQLite database (init-db plus a
tiny arranged auction whose end is three minutes away, so the bid lands in the anti-sniping window).
"""

from __future__ import annotations

import os
import re
from datetime import UTC, datetime, timedelta

import pytest

from tests.live_server import CHROMIUM, gunicorn_serving

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(not os.path.exists(CHROMIUM),
                       reason=f"Debian's chromium is not installed at {CHROMIUM} (apt-get install -y chromium)"),
]


def _arrange(database_url: str) -> tuple[int, list[str]]:
    """A ready case, an auction ending in three minutes (opened a day ago), two banks with deposits paid."""
    from market.db import make_engine, make_session_factory, unit_of_work
    from market.services.auctions import open_auction, pay_deposit
    from market.services.audit import Actor
    from tests.conftest import Clock
    from tests.factories import make_institution, make_user
    from tests.factories_auctions import DEPOSIT, INCREMENT, START, make_operator, make_ready_case

    now = datetime.now(UTC)
    opened = Clock(now - timedelta(hours=24, minutes=1))
    engine = make_engine(database_url)
    with make_session_factory(engine)() as session, unit_of_work(session):
        case = make_ready_case(session, opened, valued_on=(now - timedelta(days=10)).date())
        operator = make_operator(session)
        banks = [make_user(session, institution=make_institution(session, name=f"E2E银行{i}")) for i in (1, 2)]
        auction = open_auction(session, case.id, starting_price_fen=START, increment_fen=INCREMENT,
                               deposit_fen=DEPOSIT, starts_at=opened(), ends_at=now + timedelta(minutes=3),
                               actor=Actor.of(operator), now=opened())
        for bank in banks:
            pay_deposit(session, auction.id, bank.institution_id, now=now, user=bank)
        emails = [bank.email for bank in banks]
        auction_id = auction.id
    engine.dispose()
    return auction_id, emails


@pytest.fixture
def live_server(tmp_path):
    """gunicorn serving the real app on loopback; yields (base_url, auction_id, emails)."""
    with gunicorn_serving(tmp_path, _arrange) as (base, (auction_id, emails)):
        yield base, auction_id, emails


def test_a_bid_in_one_browser_shows_up_in_the_other_with_the_extended_end(live_server):
    sync_api = pytest.importorskip("playwright.sync_api", reason="Playwright for Python is not installed")
    base, auction_id, (first_email, second_email) = live_server
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run"],
        )
        try:
            bidder, watcher = (_logged_in(browser, base, email) for email in (first_email, second_email))
            csp_errors: list[str] = []
            watcher.on("console", lambda message: csp_errors.append(message.text)
                       if "Content Security Policy" in message.text else None)
            for page in (bidder, watcher):
                page.goto(f"{base}/auctions/{auction_id}")
            price, end = watcher.locator('[data-field="current_price"]'), watcher.locator('[data-field="ends_at"]')
            end_before = end.inner_text()
            sync_api.expect(watcher.locator('[data-field="countdown"]')).to_have_text(
                re.compile(r"^00:0[0-3]:\d\d$"), timeout=5_000)

            bidder.locator('form.bid-form input[name="amount"]').fill("1050000")
            bidder.locator('form.bid-form [type="submit"]').click()
            sync_api.expect(bidder.locator('[data-field="current_price"]')).to_have_text("¥1,050,000.00")

            sync_api.expect(price).to_have_text("¥1,050,000.00", timeout=8_000)
            sync_api.expect(end).not_to_have_text(end_before, timeout=8_000)
            sync_api.expect(watcher.locator('[data-field="history"] tr')).to_have_count(1)
            sync_api.expect(watcher.locator('[data-field="leader"]')).not_to_have_text("—")
            sync_api.expect(watcher.locator('[data-field="standing"]')).to_have_text(
                re.compile("outbid|被超"), timeout=8_000)
            assert not csp_errors, csp_errors
        finally:
            browser.close()


def _logged_in(browser, base: str, email: str):
    """A fresh browser context logged in through the real form."""
    page = browser.new_context(locale="en-US").new_page()
    page.goto(f"{base}/login")
    page.fill('input[name="email"]', email)
    page.fill('input[name="password"]', "password-123")
    page.locator('form [type="submit"]').click()
    page.wait_for_url(lambda url: "/login" not in url, timeout=10_000)
    return page
