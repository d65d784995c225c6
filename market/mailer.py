"""E-mail as a delivery kind of `flask deliver`: collect new notices into mails, then hand each due mail to the
SMTP server in MARKET_SMTP_URL (the standard library's smtplib), recording every attempt in its own unit of work.

Nothing happens while SMTP is not configured. A mail the server refuses or cannot take is tried again with
backoff (market.domain.mail.retry_delay) and never dropped; once the server took it, it is never sent again.
A deliverer that dies between the server's "250 OK" and recording it sends that mail once more after
SENDING_LEASE: the Message-ID names the mail, so the copy is recognisably the same message.
"""

from __future__ import annotations

import smtplib
import ssl
from collections.abc import Mapping
from datetime import datetime
from email.message import EmailMessage
from email.policy import SMTP as SMTP_POLICY
from email.utils import format_datetime, parseaddr

import sqlalchemy as sa
import sqlalchemy.orm as so

from market.db import unit_of_work
from market.domain.mail import SmtpSecurity, SmtpServer, smtp_server
from market.models import MailMessage
from market.services import mail
from market.web.mail_words import renderer

SMTP_TIMEOUT_S = 30
# The server refused this one mail (its recipient, sender or content); the connection still takes others.
_REFUSED_ONE = (smtplib.SMTPRecipientsRefused, smtplib.SMTPSenderRefused, smtplib.SMTPDataError)


def send_mail(session: so.Session, now: datetime, config: Mapping) -> int:
    """Collect new notices into mails and send every mail due at `now`; how many the server took."""
    server = smtp_server(config)
    if server is None:
        return 0
    try:
        with unit_of_work(session):
            mail.collect(session, now, renderer(config.get("BASE_URL") or ""))
    except sa.exc.IntegrityError:
        pass  # another deliverer collected the same entries at the same time: they are in its mails
    with unit_of_work(session):
        due = mail.due(session, now)
    sent = 0
    with Postman(server) as postman:
        for message_id in due:
            with unit_of_work(session):
                message = mail.claim(session, message_id, now)
            if message is None:
                continue  # sent or taken by another deliverer meanwhile
            try:
                postman.send(email_message(message, config["MAIL_FROM"]))
            except (smtplib.SMTPException, OSError) as error:
                with unit_of_work(session):
                    mail.record_failure(session, message_id, now, _describe(error))
                if isinstance(error, _REFUSED_ONE):
                    continue
                break  # the server is not taking mail: the rest stay due and wait for the next pass
            with unit_of_work(session):
                mail.record_sent(session, message_id, now)
            sent += 1
    return sent


def email_message(message: MailMessage, sender: str) -> EmailMessage:
    """The MIME message of an outbox mail: plain text with an HTML alternative, a Message-ID naming the mail."""
    domain = parseaddr(sender)[1].rpartition("@")[2] or "localhost"
    email = EmailMessage(policy=SMTP_POLICY)
    email["Subject"] = message.subject
    email["From"] = sender
    email["To"] = message.recipient
    email["Date"] = format_datetime(message.created_at)
    email["Message-ID"] = f"<ipd-mail-{message.id}@{domain}>"
    email["Auto-Submitted"] = "auto-generated"  # RFC 3834: auto-responders do not answer it
    email.set_content(message.text_body)
    email.add_alternative(message.html_body, subtype="html")
    email["Content-Language"] = "zh-CN" if message.language == "zh" else message.language  # after: the parts
    # take the Content-* headers set before add_alternative
    return email


class Postman:
    """One SMTP connection for a pass, opened at the first mail and closed at the end."""

    def __init__(self, server: SmtpServer, timeout: float = SMTP_TIMEOUT_S):
        self.server = server
        self.timeout = timeout
        self._smtp: smtplib.SMTP | None = None

    def __enter__(self) -> Postman:
        return self

    def __exit__(self, *_exc) -> None:
        if self._smtp is not None:
            try:
                self._smtp.quit()
            except (smtplib.SMTPException, OSError):
                self._smtp.close()
            self._smtp = None

    def send(self, email: EmailMessage) -> None:
        """Hand one message to the server; raises smtplib's errors (or OSError) when it does not take it."""
        if self._smtp is None:
            self._smtp = self._connect()
        try:
            self._smtp.send_message(email)
        except _REFUSED_ONE:
            raise
        except (smtplib.SMTPException, OSError):
            self._smtp.close()
            self._smtp = None
            raise

    def _connect(self) -> smtplib.SMTP:
        server = self.server
        if server.security is SmtpSecurity.TLS:
            smtp = smtplib.SMTP_SSL(server.host, server.port, timeout=self.timeout,
                                    context=ssl.create_default_context())
        else:
            smtp = smtplib.SMTP(server.host, server.port, timeout=self.timeout)
        try:
            if server.security is SmtpSecurity.STARTTLS:
                smtp.starttls(context=ssl.create_default_context())
            if server.username:
                smtp.login(server.username, server.password or "")
        except BaseException:
            smtp.close()
            raise
        return smtp


def _describe(error: BaseException) -> str:
    """An attempt's failure in one line for the outbox (an SMTP reply's code and text when there is one)."""
    if isinstance(error, smtplib.SMTPResponseException):
        text = error.smtp_error.decode(errors="replace") if isinstance(error.smtp_error, bytes) else error.smtp_error
        return f"{type(error).__name__}: {error.smtp_code} {text}"
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        code, text = next(iter(error.recipients.values()), (0, b""))
        return f"SMTPRecipientsRefused: {code} {text.decode(errors='replace') if isinstance(text, bytes) else text}"
    return f"{type(error).__name__}: {error}"
