"""E-mail of notices: which kinds a user gets unless they choose otherwise, how notices batch into mails, when a
failed mail is tried again, and what an SMTP server URL (MARKET_SMTP_URL) means.

Batching: the kinds in `DIGESTED` (a flood of them would annoy: outbid, round extended) make one digest per
kind and record (e.g. one mail per round listing every outbid since the last pass); every other notice (won,
payment due, a case moved on, ...) is its own mail, since each asks for its own action.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum
from urllib.parse import unquote, urlsplit

from market.domain.notices import DIGESTED, NoticeType

# What a user who never chose is mailed: everything but a late bid's extension (the outbid mail already tells
# a bidder the round is live; each extension of a busy round would be one more mail).
MAILED_BY_DEFAULT = frozenset(NoticeType) - {NoticeType.ROUND_EXTENDED}
DEFAULT_LANGUAGE = "zh"  # the product speaks Chinese unless the user chose English

# A notice not yet mailed when it is this old is not mailed at all (e.g. the backlog from before SMTP was
# configured): an outbid of last week is noise. It stays in the user's list in the app.
STALE_AFTER = timedelta(days=2)

# A failed send is tried again after 1, 2, 4, ... minutes, at most every 6 hours, until it goes through.
RETRY_FIRST = timedelta(minutes=1)
RETRY_LONGEST = timedelta(hours=6)
# A mail being sent is not picked by another deliverer for this long (a deliverer that died mid-send: after it).
SENDING_LEASE = timedelta(minutes=5)


def retry_delay(attempts: int) -> timedelta:
    """How long after its `attempts`-th failed attempt a mail is tried again (exponential, capped)."""
    return min(RETRY_FIRST * 2 ** min(max(attempts - 1, 0), 20), RETRY_LONGEST)


@dataclass(frozen=True)
class Pending:
    """A notice waiting in one user's mail: its entry, its kind and the record it is about."""

    entry_id: int
    type: NoticeType
    subject: str
    subject_id: int


def mails(entries: Iterable[Pending]) -> list[list[Pending]]:
    """One user's pending notices (oldest first) grouped into mails: digested kinds one mail per kind and
    record, every other notice one mail; in the order of each mail's first notice."""
    groups: dict[tuple, list[Pending]] = {}
    for entry in entries:
        key = (entry.type, entry.subject, entry.subject_id) if entry.type in DIGESTED else (entry.entry_id,)
        groups.setdefault(key, []).append(entry)
    return list(groups.values())


class SmtpSecurity(StrEnum):
    """How the connection to the SMTP server is protected."""

    NONE = "none"  # smtp://      plain SMTP (a relay on the same host or network), port 25
    STARTTLS = "starttls"  # smtp+starttls:// upgraded with STARTTLS before logging in, port 587
    TLS = "tls"  # smtps://     TLS from the first byte, port 465


_SCHEMES = {"smtp": (SmtpSecurity.NONE, 25), "smtp+starttls": (SmtpSecurity.STARTTLS, 587),
            "smtps": (SmtpSecurity.TLS, 465)}


@dataclass(frozen=True)
class SmtpServer:
    """Where mail is handed over, read from MARKET_SMTP_URL."""

    host: str
    port: int
    security: SmtpSecurity
    username: str | None = None
    password: str | None = None

    def __repr__(self) -> str:  # never print the password
        return f"SmtpServer({self.security.value}://{self.host}:{self.port}, user={self.username!r})"


def parse_smtp_url(url: str) -> SmtpServer:
    """`smtp://host[:port]`, `smtp+starttls://user:pass@host[:port]` or `smtps://user:pass@host[:port]`
    (user and password percent-encoded); a ValueError naming what is wrong otherwise."""
    parts = urlsplit(url.strip())
    if parts.scheme not in _SCHEMES:
        raise ValueError(f"MARKET_SMTP_URL must start with smtp://, smtp+starttls:// or smtps://, not {parts.scheme!r}")
    if not parts.hostname:
        raise ValueError("MARKET_SMTP_URL names no host")
    security, default_port = _SCHEMES[parts.scheme]
    try:
        port = parts.port or default_port
    except ValueError as error:
        raise ValueError("MARKET_SMTP_URL has an invalid port") from error
    return SmtpServer(host=parts.hostname, port=port, security=security,
                      username=unquote(parts.username) if parts.username else None,
                      password=unquote(parts.password) if parts.password is not None else None)


def smtp_server(settings: Mapping) -> SmtpServer | None:
    """The server the app's settings name (SMTP_URL, with MAIL_FROM required beside it), or None when mail is
    not configured; a ValueError when misconfigured."""
    url = settings.get("SMTP_URL") or ""
    if not url:
        return None
    if not settings.get("MAIL_FROM"):
        raise ValueError("MARKET_SMTP_URL is set but MARKET_MAIL_FROM (the From address) is not")
    return parse_smtp_url(url)
