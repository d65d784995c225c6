"""A real browser through an invitation: the operator invites the holder named in the notice (not yet on the
platform), the holder opens the link, registers and is linked, then matches the final price and wins.

The real app runs under gunicorn with a temporary SQLite database (see tests/live_server.py); the round's
bidding ended half an hour ago and the first-refusal window is open.
"""

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

HOLDER = "E2E受邀共有人有限公司"
TOP_PRICE = "1,060,000.00"
BROWSER_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--no-first-run"]


def _arrange(database_url: str) -> dict:
    """A round that ended with two bids (top ¥1,060,000) and a holder named in the notice, on no platform."""
    from market.db import make_engine, make_session_factory, unit_of_work
    from market.services.auctions import open_auction, pay_deposit
    from market.services.audit import Actor
    from market.services.bidding import place_bid
    from market.services.closing import close_auction
    from tests.conftest import Clock
    from tests.factories import make_institution, make_user
    from tests.factories_auctions import (
        DEPOSIT,
        INCREMENT,
        START,
        make_operator,
        make_ready_case,
        name_holder,
    )

    now = datetime.now(UTC)
    opened = Clock(now - timedelta(hours=25))
    engine = make_engine(database_url)
    with make_session_factory(engine)() as session, unit_of_work(session):
        case = make_ready_case(session, opened, valued_on=(now - timedelta(days=10)).date())
        operator = make_operator(session)
        auction = open_auction(session, case.id, starting_price_fen=START, increment_fen=INCREMENT,
                               deposit_fen=DEPOSIT, starts_at=opened(), ends_at=now - timedelta(minutes=30),
                               actor=Actor.of(operator), now=opened())
        holder = name_holder(session, case, None, name=HOLDER)
        for n in (1, 2):
            bank = make_user(session, institution=make_institution(session, name=f"E2E银行{n}"))
            pay_deposit(session, auction.id, bank.institution_id, now=opened(), user=bank)
            place_bid(session, auction.id, institution_id=bank.institution_id,
                      amount_fen=START + (n - 1) * INCREMENT, now=opened.advance(hours=1))
        close_auction(session, auction.id, now=now)
        arranged = {"auction_id": auction.id, "holder_id": holder.id, "operator": operator.email}
    engine.dispose()
    return arranged


@pytest.fixture
def live_server(tmp_path):
    """gunicorn serving the real app on loopback; yields (base_url, arranged)."""
    with gunicorn_serving(tmp_path, _arrange) as served:
        yield served


def test_the_invited_holder_registers_from_its_link_matches_and_wins_at_the_top_price(live_server):
    sync_api = pytest.importorskip("playwright.sync_api", reason="Playwright for Python is not installed")
    base, arranged = live_server
    page_url = f"{base}/auctions/{arranged['auction_id']}"
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=BROWSER_ARGS)
        try:
            operator = browser.new_context(locale="zh-CN").new_page()
            operator.goto(f"{base}/login")
            operator.fill('input[name="email"]', arranged["operator"])
            operator.fill('input[name="password"]', "password-123")
            operator.locator('form [type="submit"]').click()
            operator.wait_for_url(lambda url: "/login" not in url, timeout=10_000)
            operator.goto(page_url)
            operator.locator('form[data-form="invite-holder"] [type="submit"]').click()
            link = operator.locator("[data-invitation-link]").input_value()
            assert "/invitations/" in link

            holder = browser.new_context(locale="zh-CN").new_page()
            holder.goto(link)
            sync_api.expect(holder.locator("main")).to_contain_text(HOLDER)
            form = holder.locator('form[data-form="register-holder"]')
            form.locator('input[name="credit_code"]').fill("91110108MAE2EHOLD1")
            form.locator('select[name="kind"]').select_option("agency")
            form.locator('input[name="display_name"]').fill("王经理")
            form.locator('input[name="email"]').fill("holder@e2e.test")
            form.locator('input[name="password"]').fill("holder-password-1")
            form.locator('input[name="confirm"]').fill("holder-password-1")
            form.get_by_role("button", name="注册并关联").click()
            sync_api.expect(holder.locator(".flash-success")).to_contain_text("关联为公告所列的优先购买权人")

            holder.get_by_role("button", name="以同等价格优先购买").click()
            sync_api.expect(holder.locator(".flash-success")).to_contain_text("已登记")
            result = holder.locator("main")
            sync_api.expect(result).to_contain_text(TOP_PRICE)
            sync_api.expect(result).to_contain_text("行使优先购买权")
            sync_api.expect(result).to_contain_text("您已竞得")
        finally:
            browser.close()
