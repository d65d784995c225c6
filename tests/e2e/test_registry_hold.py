"""A real browser: the operator records a lapse on the registry desk; the bidder's auction page shows the round
on hold and a bid is refused with the reason (the app's own language, Chinese)."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta

import pytest

from tests.live_server import CHROMIUM, gunicorn_serving

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(not os.path.exists(CHROMIUM),
                       reason=f"Debian's chromium is not installed at {CHROMIUM} (apt-get install -y chromium)"),
]


def _arrange(database_url: str) -> dict:
    """An open auction ending in a day, one bank with its deposit paid, and an operator."""
    from market.db import make_engine, make_session_factory, unit_of_work
    from market.services.auctions import open_auction, pay_deposit
    from market.services.audit import Actor
    from tests.conftest import Clock
    from tests.factories import make_institution, make_user
    from tests.factories_auctions import DEPOSIT, INCREMENT, START, make_operator, make_ready_case

    now = datetime.now(UTC)
    engine = make_engine(database_url)
    with make_session_factory(engine)() as session, unit_of_work(session):
        case = make_ready_case(session, Clock(now), valued_on=(now - timedelta(days=10)).date())
        operator = make_operator(session)
        bank = make_user(session, institution=make_institution(session, name="E2E竞买银行"))
        auction = open_auction(session, case.id, starting_price_fen=START, increment_fen=INCREMENT,
                               deposit_fen=DEPOSIT, ends_at=now + timedelta(days=1), actor=Actor.of(operator),
                               now=now)
        pay_deposit(session, auction.id, bank.institution_id, now=now, user=bank)
        arranged = {"auction_id": auction.id, "operator": operator.email, "bidder": bank.email,
                    "registry_number": case.assets[0].registry_number}
    engine.dispose()
    return arranged


@pytest.fixture
def live_server(tmp_path):
    """gunicorn serving the real app on loopback; yields (base_url, arranged)."""
    with gunicorn_serving(tmp_path, _arrange) as served:
        yield served


def test_a_lapse_recorded_by_the_operator_holds_the_auction_and_the_bid_is_refused(live_server):
    sync_api = pytest.importorskip("playwright.sync_api", reason="Playwright for Python is not installed")
    base, arranged = live_server
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run"],
        )
        try:
            bidder = _logged_in(browser, base, arranged["bidder"])
            bidder.goto(f"{base}/auctions/{arranged['auction_id']}")
            sync_api.expect(bidder.locator('[data-field="hold-notice"]')).to_have_count(0)

            operator = _logged_in(browser, base, arranged["operator"])
            operator.goto(f"{base}/registry/")
            operator.fill('input[name="registry_number"]', arranged["registry_number"])
            operator.select_option('select[name="status"]', "lapsed")
            operator.fill('input[name="effective_on"]', datetime.now(UTC).date().isoformat())
            operator.fill('input[name="source_ref"]', "专利公报 第42卷第47号 未缴年费专利权终止")
            operator.locator('form[action$="/registry/changes"] [type="submit"]').click()
            sync_api.expect(operator.locator('[data-section="holds"] [data-hold]')).to_have_count(1)

            # the open page notices the hold on its next poll and shows it without the bidder reloading
            sync_api.expect(bidder.locator('[data-field="hold-notice"]')).to_be_visible(timeout=10_000)
            sync_api.expect(bidder.locator('[data-field="countdown"]')).to_have_text("已暂停")
            bidder.locator('form.bid-form input[name="amount"]').fill("1050000")
            bidder.locator('form.bid-form [type="submit"]').click()
            sync_api.expect(bidder.locator(".flash-error").first).to_contain_text("登记簿显示该标的法律状态发生变更")
            sync_api.expect(bidder.locator('[data-field="bid_count"]')).to_have_text("0")
        finally:
            browser.close()


def _logged_in(browser, base: str, email: str):
    """A fresh browser context logged in through the real form."""
    page = browser.new_context(locale="zh-CN").new_page()
    page.goto(f"{base}/login")
    page.fill('input[name="email"]', email)
    page.fill('input[name="password"]', "password-123")
    page.locator('form [type="submit"]').click()
    page.wait_for_url(lambda url: "/login" not in url, timeout=10_000)
    return page
