"""A real browser in a lot's data room: a registered bidder passes the NDA gate and downloads a confidential
document whose SHA-256 is the one shown; a bank asks a question, the centre answers, and anyone reads the answer
on the lot's public page without the asker's name.

The real app runs under gunicorn with a temporary SQLite database (see tests/live_server.py).
"""

from __future__ import annotations

import hashlib
import os
from datetime import UTC, datetime

import pytest

from tests.live_server import CHROMIUM, gunicorn_serving

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(not os.path.exists(CHROMIUM),
                       reason=f"Debian's chromium is not installed at {CHROMIUM} (apt-get install -y chromium)"),
]

BROWSER_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--no-first-run"]
QUESTION = "该专利是否存在在先的独占许可？"
ANSWER = "不存在独占许可，仅有一项普通许可，合同见资料室。"


def _arrange(database_url: str) -> dict:
    """A lot with an open round, its seller, a bidder registered for it and a confidential valuation report;
    another lot in its notice period; the centre's operator and a bank that will ask."""
    from market.db import make_engine, make_session_factory, unit_of_work
    from market.domain.roles import Role
    from tests.conftest import Clock
    from tests.factories import make_user
    from tests.factories_auctions import make_operator
    from tests.factories_data_room import PDF, add_document, lot_with_bidder, make_lot

    clock = Clock(datetime.now(UTC))
    engine = make_engine(database_url)
    with make_session_factory(engine)() as session:
        case, seller, bidder = lot_with_bidder(session, clock)
        add_document(session, clock, case, seller, title="资产评估报告")
        with unit_of_work(session):
            lot = make_lot(session, clock)
            asker = make_user(session, Role.BANK, display_name="提问的银行")
            operator = make_operator(session)
        arranged = {"case_id": case.id, "lot_id": lot.id, "bidder": bidder.email, "asker": asker.email,
                    "operator": operator.email, "sha256": hashlib.sha256(PDF).hexdigest()}
    engine.dispose()
    return arranged


@pytest.fixture
def live_server(tmp_path):
    """gunicorn serving the real app on loopback; yields (base_url, arranged)."""
    with gunicorn_serving(tmp_path, _arrange) as served:
        yield served


def _log_in(browser, base: str, email: str):
    page = browser.new_context(locale="zh-CN", accept_downloads=True).new_page()
    page.goto(f"{base}/login")
    page.fill('input[name="email"]', email)
    page.fill('input[name="password"]', "password-123")
    page.locator('form [type="submit"]').click()
    page.wait_for_url(lambda url: "/login" not in url, timeout=10_000)
    return page


def test_a_registered_bidder_accepts_the_nda_and_downloads_the_document_it_was_shown(live_server):
    sync_api = pytest.importorskip("playwright.sync_api", reason="Playwright for Python is not installed")
    base, arranged = live_server
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=BROWSER_ARGS)
        try:
            page = _log_in(browser, base, arranged["bidder"])
            page.goto(f"{base}/lots/{arranged['case_id']}/room")
            row = page.locator("tr[data-confidential='yes']")
            sync_api.expect(row).to_contain_text("资产评估报告")
            sync_api.expect(row.locator("[data-sha256]")).to_have_text(arranged["sha256"])
            sync_api.expect(row.locator("[data-locked]")).to_be_visible()
            gate = page.locator("form[data-form='accept-nda']")
            gate.get_by_role("button", name="签署保密承诺").click()  # not ticked: refused, nothing recorded
            sync_api.expect(page.locator("form[data-form='accept-nda']")).to_contain_text("请勾选以接受保密承诺")
            page.locator("form[data-form='accept-nda'] input[type='checkbox']").check()
            page.locator("form[data-form='accept-nda']").get_by_role("button", name="签署保密承诺").click()
            sync_api.expect(page.locator(".flash-success")).to_contain_text("签署人与签署时间已记录")
            with page.expect_download() as download:
                page.locator("tr[data-confidential='yes'] [data-download]").click()
            data = open(download.value.path(), "rb").read()
            assert hashlib.sha256(data).hexdigest() == arranged["sha256"]
        finally:
            browser.close()


def test_a_question_is_answered_by_the_centre_and_published_on_the_lot_without_the_asker(live_server):
    sync_api = pytest.importorskip("playwright.sync_api", reason="Playwright for Python is not installed")
    base, arranged = live_server
    room = f"{base}/lots/{arranged['lot_id']}/room"
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=BROWSER_ARGS)
        try:
            asker = _log_in(browser, base, arranged["asker"])
            asker.goto(room)
            form = asker.locator("form[data-form='ask-question']")
            form.locator("textarea").fill(QUESTION)
            form.get_by_role("button", name="提问").click()
            sync_api.expect(asker.locator(".flash-success")).to_contain_text("答复将在此公布")
            sync_api.expect(asker.locator("[data-section='my-questions']")).to_contain_text(QUESTION)

            operator = _log_in(browser, base, arranged["operator"])
            operator.goto(room)
            answer = operator.locator("form[data-form='answer-question']").filter(has_text=QUESTION)
            answer.locator("textarea").fill(ANSWER)
            answer.get_by_role("button", name="公布答复").click()
            sync_api.expect(operator.locator(".flash-success")).to_contain_text("答复已在标的页面公布")

            public = browser.new_context(locale="zh-CN").new_page()
            public.goto(f"{base}/catalogue/{arranged['lot_id']}")
            published = public.locator("[data-section='lot-questions']")
            sync_api.expect(published).to_contain_text(QUESTION)
            sync_api.expect(published).to_contain_text(ANSWER)
            assert "提问的银行" not in public.content() and arranged["asker"] not in public.content()
            asker.reload()
            sync_api.expect(asker.locator("[data-section='questions'] [data-answer]")).to_have_text(ANSWER)
        finally:
            browser.close()
