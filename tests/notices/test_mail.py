"""E-mail of notices through a real SMTP server on loopback: recipient, subject, words and language, digests,
preferences, visibility, and retries after a failure."""

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from market.db import unit_of_work
from market.domain.notices import NoticeType
from market.domain.roles import Role
from market.mailer import send_mail
from market.models import MailEntry, MailMessage
from market.services import mail
from market.services.notices import About, publish
from tests.conftest import make_test_app
from tests.factories import make_case, make_user
from tests.factories_auctions import make_bidder, open_round
from tests.notices.smtp_sink import SmtpSink

SENDER = "知识产权处置平台 <noreply@ipd.test>"


@pytest.fixture
def sink():
    """A real SMTP server on 127.0.0.1."""
    server = SmtpSink()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def app(database_url, clock, sink):
    """The marketplace with SMTP configured (the sink), links to https://ipd.test."""
    app = make_test_app(database_url, clock, SMTP_URL=sink.url, MAIL_FROM=SENDER, BASE_URL="https://ipd.test")
    yield app
    app.extensions["market.engine"].dispose()


def deliver(app, session, clock, **settings) -> int:
    """One pass of the mail delivery at the clock's time; how many mails the server took."""
    with app.app_context():
        return send_mail(session, clock(), {**app.config, **settings})


def outbid(session, clock, auction, bidder, price_fen: int = 2_000_000, title: str = "一种电池专利") -> None:
    """Tell the bidder's institution it was outbid on the round."""
    with unit_of_work(session):
        publish(session, NoticeType.OUTBID, about=About("auction", auction.id, auction.case_id), now=clock(),
                institutions=[bidder.institution_id],
                payload={"title": title, "price_fen": price_fen, "minimum_fen": price_fen + 10_000})


def case_moved(session, clock, case, **kwargs) -> None:
    """Tell the filing bank (or whom the arguments name) that its case moved on."""
    with unit_of_work(session):
        publish(session, NoticeType.CASE_STATE_CHANGED, about=About("case", case.id, case.id), now=clock(),
                payload={"case_no": case.reference, "from_state": "filed", "to_state": "verified"},
                **({"institutions": [case.bank_id]} | kwargs))


def test_an_outbid_is_mailed_to_the_bidder_in_chinese_by_default(app, session, clock, sink):
    auction = open_round(session, clock)
    bidder, _ = make_bidder(session, clock, auction)
    outbid(session, clock, auction, bidder)
    assert deliver(app, session, clock) == 1
    [received] = sink.received
    assert received.rcpt_tos == [bidder.email] and received.message["To"] == bidder.email
    assert received.message["From"] == SENDER and received.mail_from == "noreply@ipd.test"
    assert received.message["Subject"] == "被超越出价：一种电池专利"
    assert received.message["Message-ID"].startswith("<ipd-mail-")
    text = received.text()
    assert "您在“一种电池专利”的出价已被超越：当前价 ¥20,000.00，下一次最低出价 ¥20,100.00。" in text
    assert f"https://ipd.test/auctions/{auction.id}" in text and "https://ipd.test/notices/mail/" in text
    assert "¥20,000.00" in received.html() and received.message["Content-Language"] == "zh-CN"



def test_a_title_with_a_line_break_and_markup_stays_one_subject_line_and_plain_text_in_html(app, session, clock, sink):
    auction = open_round(session, clock)
    bidder, _ = make_bidder(session, clock, auction)
    outbid(session, clock, auction, bidder, title="电池\r\nBcc: x@evil.test <b>专利</b>")
    assert deliver(app, session, clock) == 1
    [received] = sink.received
    assert received.rcpt_tos == [bidder.email] and received.message["Bcc"] is None
    assert received.message["Subject"] == "被超越出价：电池 Bcc: x@evil.test <b>专利</b>"
    assert "&lt;b&gt;专利&lt;/b&gt;" in received.html() and "<b>专利</b>" in received.text()


def test_a_user_who_switched_the_interface_to_english_is_mailed_in_english(app, session, clock, sink, client, auth):
    case = make_case(session)
    banker = make_user(session, Role.BANK, institution=case.bank)
    auth.login(banker.email)
    client.get("/language/en")
    case_moved(session, clock, case)
    assert deliver(app, session, clock) == 1
    [received] = sink.received
    assert received.message["Subject"] == f"Case moved on: {case.reference}"
    assert f"Case {case.reference} moved from “Filed” to" in received.text()
    assert mail.preferences(session, banker.id).language == "en"


def test_three_outbids_on_one_round_come_as_one_digest_listing_them(app, session, clock, sink):
    auction = open_round(session, clock)
    other = open_round(session, clock)
    bidder, _ = make_bidder(session, clock, auction)
    colleague, _ = make_bidder(session, clock, other, institution=bidder.institution)
    for price in (2_000_000, 2_100_000, 2_200_000):
        outbid(session, clock, auction, bidder, price)
        clock.advance(seconds=20)
    outbid(session, clock, other, bidder)
    assert deliver(app, session, clock) == 4  # for each of the institution's two users: the digest and the other
    digest, single = (received for received in sink.received if received.rcpt_tos == [bidder.email])
    assert digest.message["Subject"] == "被超越出价（3 条）：一种电池专利"
    assert [price in digest.text() for price in ("¥20,000.00", "¥21,000.00", "¥22,000.00")] == [True] * 3
    assert "自上一封邮件以来共有 3 条通知" in digest.text()
    assert f"/auctions/{other.id}" in single.text() and single.text().count("出价已被超越") == 1
    assert sorted(received.rcpt_tos[0] for received in sink.received) == sorted([bidder.email, colleague.email] * 2)
    outbid(session, clock, auction, bidder, 2_300_000)
    assert deliver(app, session, clock) == 2  # the next pass: a new digest (of one) for what came after


def test_kinds_the_user_turned_off_are_not_mailed_and_round_extensions_are_off_by_default(
        app, session, clock, sink, client, auth):
    case = make_case(session)
    banker = make_user(session, Role.BANK, institution=case.bank)
    assert NoticeType.ROUND_EXTENDED not in mail.preferences(session, banker.id).wanted
    auth.login(banker.email)
    page = client.get("/notices/mail/").get_data(as_text=True)
    ticked = set(re.findall(r'<input checked id="types-\d+" name="types" type="checkbox" value="([a-z_.]+)"', page))
    assert "case.state_changed" in ticked and "auction.extended" not in ticked and len(ticked) == len(NoticeType) - 1
    saved = client.post("/notices/mail/", data={"types": ["auction.outbid", "payment.due"], "language": "zh"})
    assert saved.status_code == 302
    case_moved(session, clock, case)
    assert deliver(app, session, clock) == 0 and sink.received == []
    assert session.scalar(sa.select(MailEntry.message_id)) is None  # seen once, not mailed, not kept waiting
    client.post("/notices/mail/", data={"types": ["case.state_changed"], "language": "zh"})
    assert deliver(app, session, clock) == 0  # turning it on later does not mail the old notice


def test_nothing_is_collected_or_sent_while_smtp_is_not_configured(app, session, clock, sink):
    case = make_case(session)
    make_user(session, Role.BANK, institution=case.bank)
    case_moved(session, clock, case)
    assert deliver(app, session, clock, SMTP_URL="") == 0
    assert sink.received == [] and session.scalar(sa.select(sa.func.count()).select_from(MailEntry)) == 0


def test_a_user_who_may_not_see_the_record_receives_no_mail(app, session, clock, sink):
    case = make_case(session)
    banker = make_user(session, Role.BANK, institution=case.bank)
    stranger = make_user(session, Role.BANK)
    case_moved(session, clock, case, institutions=[case.bank_id, stranger.institution_id])
    assert deliver(app, session, clock) == 1
    assert [received.rcpt_tos for received in sink.received] == [[banker.email]]


def test_a_refused_mail_is_tried_again_after_the_backoff_and_sent_once(app, session, clock, sink):
    case = make_case(session)
    banker = make_user(session, Role.BANK, institution=case.bank)
    case_moved(session, clock, case)
    sink.refusing = 1
    assert deliver(app, session, clock) == 0
    message = session.scalar(sa.select(MailMessage))
    assert message.attempts == 1 and message.sent_at is None and "451" in message.last_error
    assert deliver(app, session, clock) == 0  # not due again yet
    clock.advance(minutes=1)
    assert deliver(app, session, clock) == 1
    clock.advance(hours=1)
    assert deliver(app, session, clock) == 0
    assert [received.rcpt_tos for received in sink.received] == [[banker.email]]


def test_a_server_that_does_not_answer_leaves_the_mail_waiting_with_a_longer_wait_each_time(app, session, clock, sink):
    case = make_case(session)
    make_user(session, Role.BANK, institution=case.bank)
    case_moved(session, clock, case)
    closed = SmtpSink()  # a port nobody listens on
    start = clock()
    for waited in (0, 1, 2, 4):
        clock.advance(minutes=waited)
        assert deliver(app, session, clock, SMTP_URL=closed.url) == 0
    message = session.scalar(sa.select(MailMessage).execution_options(populate_existing=True))
    assert message.attempts == 4 and message.next_attempt_at == start + timedelta(minutes=7 + 8)
    clock.advance(minutes=8)
    assert deliver(app, session, clock) == 1 and len(sink.received) == 1


def test_a_mail_taken_by_one_deliverer_is_not_taken_by_another(app, session, clock):
    case = make_case(session)
    make_user(session, Role.BANK, institution=case.bank)
    case_moved(session, clock, case)
    with app.app_context(), unit_of_work(session):
        from market.web.mail_words import renderer
        mail.collect(session, clock(), renderer(""))
    [message_id] = mail.due(session, clock())
    with unit_of_work(session):
        assert mail.claim(session, message_id, clock()) is not None
    with unit_of_work(session):
        assert mail.claim(session, message_id, clock()) is None


def test_a_notice_older_than_two_days_when_mail_starts_is_not_mailed(app, session, clock, sink):
    case = make_case(session)
    make_user(session, Role.BANK, institution=case.bank)
    case_moved(session, clock, case)
    clock.advance(days=3)
    assert deliver(app, session, clock) == 0 and sink.received == []


def test_flask_deliver_sends_the_mail_and_says_how_many(app, session, clock, sink):
    case = make_case(session)
    make_user(session, Role.BANK, institution=case.bank)
    case_moved(session, clock, case)
    session.commit()
    with app.app_context():
        output = app.test_cli_runner().invoke(args=["deliver"]).output
    assert "mail: 1" in output and len(sink.received) == 1


def test_the_notice_page_links_to_the_mail_preferences(app, session, client, auth):
    banker = make_user(session, Role.BANK)
    auth.login(banker.email)
    assert 'href="/notices/mail/"' in client.get("/notices/").get_data(as_text=True)
