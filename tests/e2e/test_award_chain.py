"""Real browsers through the award chain: the winner of a round has defaulted, the operator offers the lot to the
second bidder, who accepts it at its own last bid; and, on a paid sale, the seller and the buyer each sign the
confirmation of sale (成交确认书) and download it signed from the case.

The real app runs under gunicorn with a temporary SQLite database (tests/live_server.py), in Chinese.
"""

from __future__ import annotations

import io
import os
from datetime import UTC, datetime, timedelta

import pytest

from tests.live_server import CHROMIUM, gunicorn_serving

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(not os.path.exists(CHROMIUM),
                       reason=f"Debian's chromium is not installed at {CHROMIUM} (apt-get install -y chromium)"),
]

SECOND_PRICE = "¥1,060,000.00"


def _arrange(database_url: str) -> dict:
    """Two rounds: one whose winner defaulted an hour ago (second bidder at ¥1,060,000), one sold and paid."""
    from market.db import make_engine, make_session_factory, unit_of_work
    from market.domain.roles import Role
    from market.services.auctions import open_auction, pay_deposit
    from market.services.audit import Actor
    from market.services.bidding import place_bid
    from market.services.closing import close_auction, record_default, record_payment
    from tests.conftest import Clock
    from tests.factories import make_institution, make_user
    from tests.factories_auctions import DEPOSIT, INCREMENT, START, make_operator, make_ready_case

    now = datetime.now(UTC)
    opened = Clock(now - timedelta(days=12))
    engine = make_engine(database_url)
    with make_session_factory(engine)() as session, unit_of_work(session):
        operator = make_operator(session)
        rounds, buyers = [], []
        for lot in range(2):
            case = make_ready_case(session, opened, valued_on=(now - timedelta(days=20)).date())
            auction = open_auction(session, case.id, starting_price_fen=START, increment_fen=INCREMENT,
                                   deposit_fen=DEPOSIT, starts_at=opened(), ends_at=opened() + timedelta(days=1),
                                   actor=Actor.of(operator), now=opened(), second_bidder_offer=lot == 0)
            bidders = []
            for n in range(3):
                bank = make_user(session, Role.BANK, institution=make_institution(session, name=f"E2E银行{lot}{n}"))
                pay_deposit(session, auction.id, bank.institution_id, now=opened(), user=bank)
                place_bid(session, auction.id, institution_id=bank.institution_id,
                          amount_fen=START + n * INCREMENT, now=opened() + timedelta(hours=1 + n))
                bidders.append(bank)
            close_auction(session, auction.id, now=opened() + timedelta(days=1))
            rounds.append(auction)
            buyers.append(bidders)
        record_default(session, rounds[0].id, now=now - timedelta(hours=1))
        record_payment(session, rounds[1].id, actor=Actor.of(operator), now=opened() + timedelta(days=2))
        seller = make_user(session, Role.BANK, institution=rounds[1].case.bank)
        arranged = {"defaulted_id": rounds[0].id, "second": buyers[0][1].email, "operator": operator.email,
                    "sold_case_id": rounds[1].case_id, "seller": seller.email, "buyer": buyers[1][2].email}
    engine.dispose()
    return arranged


@pytest.fixture
def live_server(tmp_path):
    """gunicorn serving the real app on loopback; yields (base_url, arranged)."""
    with gunicorn_serving(tmp_path, _arrange) as served:
        yield served


@pytest.fixture
def browser():
    """Debian's chromium, headless, through Playwright."""
    sync_api = pytest.importorskip("playwright.sync_api", reason="Playwright for Python is not installed")
    with sync_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run"],
        )
        try:
            yield launched
        finally:
            launched.close()


def test_the_operator_offers_the_defaulted_lot_and_the_second_bidder_accepts_it(live_server, browser):
    from playwright.sync_api import expect

    base, arranged = live_server
    page_url = f"{base}/auctions/{arranged['defaulted_id']}"
    operator = _logged_in(browser, base, arranged["operator"])
    operator.goto(page_url)
    expect(operator.locator('[data-panel="second-bidder"]')).to_contain_text(SECOND_PRICE)
    operator.get_by_role("button", name="向第二出价人转让").click()
    expect(operator.locator(".flash-success")).to_contain_text("已向第二出价人发出转让要约")

    second = _logged_in(browser, base, arranged["second"])
    second.goto(page_url)
    expect(second.locator('[data-panel="second-bidder"]')).to_contain_text(f"按您的最后出价 {SECOND_PRICE}")
    second.get_by_role("button", name="接受并按我的最后出价购买").click()
    expect(second.locator(".flash-success")).to_contain_text("您已接受标的")
    expect(second.locator("main")).to_contain_text("请于")
    expect(second.locator('[data-field="status-badge"]').first).to_contain_text("待付款")


def test_the_seller_and_the_buyer_sign_the_confirmation_and_download_it_signed(live_server, browser):
    from playwright.sync_api import expect

    base, arranged = live_server
    case_id = arranged["sold_case_id"]
    seller = _logged_in(browser, base, arranged["seller"])
    seller.goto(f"{base}/cases/{case_id}")
    seller.locator('[data-panel="confirmation"] a').first.click()
    expect(seller.locator("h1")).to_contain_text("成交确认书")
    sha256 = seller.locator('[data-field="sha256"]').inner_text().strip()
    with seller.expect_download() as original:
        seller.locator('[data-link="pdf"]').click()
    assert _sha256(original.value.path()) == sha256
    seller.get_by_role("button", name="代表本机构签署确认书").click()
    expect(seller.locator(".flash-success")).to_contain_text("已代表贵机构签署")
    expect(seller.locator('[data-field="signatures"]')).to_contain_text("出让方")

    buyer = _logged_in(browser, base, arranged["buyer"])
    buyer.goto(f"{base}/cases/{case_id}/confirmation")
    buyer.get_by_role("button", name="代表本机构签署确认书").click()
    expect(buyer.locator('[data-field="signatures"]')).to_contain_text("买受人")
    with buyer.expect_download() as signed:
        buyer.locator('[data-link="signed-pdf"]').click()
    text = _pdf_text(signed.value.path())
    assert sha256 in text and "签署" in text and "¥1,070,000.00" in text

    seller.goto(f"{base}/cases/{case_id}")  # the case links the signed confirmation
    expect(seller.locator('[data-panel="confirmation"]')).to_contain_text("双方已签署")


def _sha256(path) -> str:
    import hashlib

    with open(path, "rb") as handle:
        return hashlib.sha256(handle.read()).hexdigest()


def _pdf_text(path) -> str:
    import pypdf

    with open(path, "rb") as handle:
        return "".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(handle.read())).pages)


def _logged_in(browser, base: str, email: str):
    """A fresh browser context (Chinese, the default language) logged in through the real form."""
    page = browser.new_context(locale="zh-CN", accept_downloads=True).new_page()
    page.goto(f"{base}/login")
    page.fill('input[name="email"]', email)
    page.fill('input[name="password"]', "password-123")
    page.locator('form [type="submit"]').click()
    page.wait_for_url(lambda url: "/login" not in url, timeout=10_000)
    return page
