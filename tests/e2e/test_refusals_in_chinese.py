"""A real browser in Chinese meets the common refusals and reads each in Chinese: ¥ amounts, Beijing time,
translated labels, no English sentence, no raw enum value, no "fen".

The app runs under gunicorn (production settings: CSRF and CSP on, Chinese by default) on a temporary SQLite
file; the cases, the open round, the barred bank and the conversion are arranged beforehand.
"""

from __future__ import annotations

import os
import re
from datetime import UTC, date, datetime, timedelta

import pytest

from tests.live_server import CHROMIUM, gunicorn_serving

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(not os.path.exists(CHROMIUM), reason=f"Debian's chromium is not installed at {CHROMIUM}"),
]

ENGLISH_SENTENCE = re.compile(r"[A-Za-z]{2,}(?:[ ,;:'’-]+[A-Za-z]{2,}){2,}")


def _arrange(database_url: str) -> dict:
    """Cases at each decision, an open round with a bidder and a barred bank, a conversion short of consents."""
    from market.db import make_engine, make_session_factory, unit_of_work
    from market.domain.roles import InstitutionKind, Role
    from market.domain.workflow import CaseState
    from market.models import AuctionBar
    from market.services import conversion
    from market.services.audit import Actor
    from tests.conftest import Clock
    from tests.factories import make_institution, make_user
    from tests.factories_auctions import make_bidder, open_round
    from tests.factories_channels import conversion_terms, make_channel_case
    from tests.factories_workflow import file_for, make_bank_with_loan, make_operator, walk

    engine = make_engine(database_url)
    now = Clock(datetime.now(UTC))
    with make_session_factory(engine)() as session:
        operator = make_operator(session)
        cases = {}
        for state in (CaseState.UNDER_REVIEW, CaseState.VERIFIED, CaseState.VALUED, CaseState.NOTICE_PUBLISHED):
            user, loan = make_bank_with_loan(session)
            cases[state] = walk(session, now, operator, file_for(session, now, user, loan), state).id
        round_ = open_round(session, now)
        bidder, _registration = make_bidder(session, now, round_)
        barred = make_user(session, Role.BANK, institution=make_institution(session))
        session.add(AuctionBar(case_id=round_.case_id, institution_id=barred.institution_id, auction_id=round_.id,
                               barred_at=now(), reason="did not pay"))
        case = make_channel_case(session, notice_published_at=now() - timedelta(days=40),
                                 notice_ends_at=now() - timedelta(days=10))
        aic = make_institution(session, InstitutionKind.AIC)
        with unit_of_work(session):
            proposal = conversion.propose_conversion(session, case.id, aic_id=aic.id, terms=conversion_terms(),
                                                     fund_compensation=False, actor=Actor.of(operator), now=now())
        arranged = {"operator": operator.email, "bidder": bidder.email, "barred": barred.email,
                    "round": round_.id, "proposal": proposal.id, **{state.value: id_ for state, id_ in cases.items()}}
    engine.dispose()
    return arranged


@pytest.fixture
def live_server(tmp_path):
    """gunicorn serving the real app on loopback; yields (base_url, arranged ids)."""
    with gunicorn_serving(tmp_path, _arrange) as served:
        yield served


def _raw_enum_values() -> set[str]:
    from market.web.labels import LABELS

    return {str(member.value) for enum_cls in LABELS for member in enum_cls}


def test_a_chinese_reader_meets_ten_common_refusals_in_chinese(live_server):
    sync_api = pytest.importorskip("playwright.sync_api", reason="Playwright for Python is not installed")
    base, arranged = live_server
    raw_values = _raw_enum_values()
    seen: list[str] = []

    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--headless", "--no-sandbox",
                                                                            "--disable-gpu", "--no-first-run"])
        try:
            def signed_in(email: str):
                page = browser.new_context(locale="zh-CN").new_page()
                page.goto(f"{base}/login")
                page.fill('input[name="email"]', email)
                page.fill('input[name="password"]', "password-123")
                page.locator('form [type="submit"]').click()
                page.wait_for_url(lambda url: "/login" not in url)
                return page

            def refused(page, *expected: str) -> None:
                flash = page.locator(".flash-error")
                sync_api.expect(flash).to_have_count(1)
                text = flash.inner_text()
                seen.append(text)
                for words in expected:
                    assert words in text, text
                assert re.search(r"[\u4e00-\u9fff]", text), text
                assert not ENGLISH_SENTENCE.search(text), f"an English sentence: {text}"
                assert not {token for token in re.findall(r"[a-z_]+", text) if token in raw_values}, text
                assert not re.search(r"\bfen\b", page.locator("body").inner_text()), text

            def decide(page, case_id: int, verb: str, fields: dict[str, str], checks: int = 0) -> None:
                page.goto(f"{base}/operator/cases/{case_id}")
                form = page.locator(f'form[action$="/{case_id}/{verb}"]')
                for name, value in fields.items():
                    form.locator(f'[name="{verb}-{name}"]').fill(value)
                for box in form.locator('input[type="checkbox"]').all()[:checks]:
                    box.check()
                form.locator('[type="submit"]').click()

            operator = signed_in(arranged["operator"])
            decide(operator, arranged["under_review"], "verify", {}, checks=1)
            refused(operator, "尚待核验", "知识产权局质押登记")

            stale = (date.today() - timedelta(days=400)).isoformat()
            decide(operator, arranged["verified"], "valuation",
                   {"appraised_value": "1500000", "report_ref": "京评报字[2025]第7号", "valued_on": stale})
            refused(operator, stale, "365")

            notice = {"start_price": "900000", "deposit_percent": "10", "notice_days": "30", "encumbrances": "无"}
            decide(operator, arranged["valued"], "publish", notice)
            refused(operator, "70%", "¥1,050,000.00")
            decide(operator, arranged["valued"], "publish", {**notice, "start_price": "1050000", "notice_days": "10"})
            refused(operator, "30")
            decide(operator, arranged["valued"], "publish", {**notice, "start_price": "1050000", "deposit_percent": "30"})
            refused(operator, "5%", "20%", "¥52,500.00", "¥210,000.00")

            operator.goto(f"{base}/auctions/open/{arranged['notice_published']}")
            operator.locator('form[method="post"] [type="submit"]').last.click()
            refused(operator, "公告期")

            operator.goto(f"{base}/channels/conversions/{arranged['proposal']}")
            operator.locator('form[action$="/execute"] [type="submit"]').click()
            refused(operator, "质权银行", "借款企业")

            bidder = signed_in(arranged["bidder"])
            for amount, words in (("1000000", "¥1,050,000.00"), ("1050050", "¥10,000.00")):
                bidder.goto(f"{base}/auctions/{arranged['round']}")
                bidder.fill('input[name="amount"]', amount)
                bidder.locator("form.bid-form [type='submit']").click()
                refused(bidder, words)

            barred = signed_in(arranged["barred"])
            barred.goto(f"{base}/auctions/{arranged['round']}")
            barred.locator('form[action$="/deposit"] [type="submit"]').click()
            refused(barred, "悔拍")
        finally:
            browser.close()
    assert len(seen) == 10
