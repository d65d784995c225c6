"""The pure rules of e-mail: who gets what by default, digests, backoff and the SMTP URL."""

from datetime import timedelta

import pytest

from market.domain.mail import (
    MAILED_BY_DEFAULT,
    Pending,
    SmtpSecurity,
    SmtpServer,
    mails,
    parse_smtp_url,
    retry_delay,
    smtp_server,
)
from market.domain.notices import NoticeType


def test_everything_but_round_extensions_is_mailed_by_default():
    assert set(NoticeType) - MAILED_BY_DEFAULT == {NoticeType.ROUND_EXTENDED}


def test_outbids_batch_per_round_and_other_notices_stay_one_mail_each():
    entries = [Pending(1, NoticeType.OUTBID, "auction", 7), Pending(2, NoticeType.ROUND_WON, "auction", 8),
               Pending(3, NoticeType.OUTBID, "auction", 9), Pending(4, NoticeType.OUTBID, "auction", 7),
               Pending(5, NoticeType.ROUND_EXTENDED, "auction", 7), Pending(6, NoticeType.PAYMENT_DUE, "auction", 8),
               Pending(7, NoticeType.PAYMENT_DUE, "auction", 8)]
    assert [[entry.entry_id for entry in mail] for mail in mails(entries)] == [[1, 4], [2], [3], [5], [6], [7]]


def test_a_failed_mail_waits_twice_as_long_each_time_up_to_six_hours():
    assert [retry_delay(n) for n in (1, 2, 3, 4)] == [timedelta(minutes=m) for m in (1, 2, 4, 8)]
    assert retry_delay(9) == timedelta(minutes=256) and retry_delay(10) == retry_delay(1000) == timedelta(hours=6)


@pytest.mark.parametrize(("url", "server"), [
    ("smtp://relay.internal", SmtpServer("relay.internal", 25, SmtpSecurity.NONE)),
    ("smtp://127.0.0.1:2525", SmtpServer("127.0.0.1", 2525, SmtpSecurity.NONE)),
    ("smtp+starttls://ipd%40centre.cn:p%3Ass@smtp.centre.cn",
     SmtpServer("smtp.centre.cn", 587, SmtpSecurity.STARTTLS, "ipd@centre.cn", "p:ss")),
    ("smtps://user:secret@smtp.example.org:465", SmtpServer("smtp.example.org", 465, SmtpSecurity.TLS, "user", "secret")),
])
def test_an_smtp_url_names_the_server_its_protection_and_login(url, server):
    assert parse_smtp_url(url) == server


@pytest.mark.parametrize("url", ["http://smtp.example.org", "smtp://", "smtp://host:99999", "smtp.example.org:25"])
def test_a_wrong_smtp_url_is_refused(url):
    with pytest.raises(ValueError, match="MARKET_SMTP_URL"):
        parse_smtp_url(url)


def test_mail_is_off_without_a_url_and_needs_a_from_address_with_one():
    assert smtp_server({"SMTP_URL": "", "MAIL_FROM": ""}) is None
    with pytest.raises(ValueError, match="MARKET_MAIL_FROM"):
        smtp_server({"SMTP_URL": "smtp://relay"})
    assert smtp_server({"SMTP_URL": "smtp://relay", "MAIL_FROM": "noreply@centre.cn"}).host == "relay"


def test_the_password_never_shows_in_the_servers_repr():
    assert "secret" not in repr(parse_smtp_url("smtps://user:secret@smtp.example.org"))


def test_the_settings_refuse_a_wrong_smtp_url_at_start(monkeypatch):
    from market.config import mail_settings

    monkeypatch.setenv("MARKET_SMTP_URL", "smtps://relay.example.cn")
    monkeypatch.delenv("MARKET_MAIL_FROM", raising=False)
    with pytest.raises(ValueError, match="MARKET_MAIL_FROM"):
        mail_settings()
    monkeypatch.setenv("MARKET_MAIL_FROM", "ipd@ipx.example.cn")
    assert mail_settings()["SMTP_URL"] == "smtps://relay.example.cn"
    monkeypatch.setenv("MARKET_SMTP_URL", "imap://relay.example.cn")
    with pytest.raises(ValueError, match="smtp://"):
        mail_settings()
