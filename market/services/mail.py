"""E-mail of notices: each user's choices, collecting new notices into mails, and recording each attempt.

The mail outbox is written from the users' notice entries (themselves written in the unit of work of the
action that raised the notice), so a mail is only ever about work that committed. `collect` sees each entry
once: it either goes into a mail (digested kinds batched per record, market.domain.mail) or is marked as not
mailed. Sending (market.mailer) claims one due mail at a time with a conditional update, so two deliverers
never send the same mail; a failure is recorded with the next attempt's time, a success with its time.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
import sqlalchemy.orm as so

from market.domain.mail import (
    DEFAULT_LANGUAGE,
    MAILED_BY_DEFAULT,
    SENDING_LEASE,
    STALE_AFTER,
    Pending,
    mails,
    retry_delay,
)
from market.domain.notices import NoticeType
from market.models import MailChoice, MailEntry, MailMessage, MailSettings, Notice, User, UserNotice

COLLECT_AT_MOST = 2000  # notice entries one pass turns into mails (the rest wait for the next pass)
SEND_AT_MOST = 500  # mails one pass tries to send


@dataclass(frozen=True)
class MailPreferences:
    """What a user has mailed and in which language."""

    language: str
    wanted: frozenset[NoticeType]


@dataclass(frozen=True)
class RenderedMail:
    """A mail's words: subject, plain text and HTML."""

    subject: str
    text: str
    html: str


# render(language, notices of one mail, recipient) -> its words; the web edge supplies it (templates, catalogue)
Render = Callable[[str, Sequence[Notice], User], RenderedMail]


# --- preferences ----------------------------------------------------------------------------------------------

def preferences(session: so.Session, user_id: int) -> MailPreferences:
    """The user's language for mail and the kinds of notice mailed to the user."""
    return _preferences(session, [user_id])[user_id]


def _preferences(session: so.Session, user_ids: Iterable[int]) -> dict[int, MailPreferences]:
    ids = sorted(set(user_ids))
    languages = dict(session.execute(sa.select(MailSettings.user_id, MailSettings.language).where(
        MailSettings.user_id.in_(ids))).all())
    choices: dict[int, dict[NoticeType, bool]] = {user_id: {} for user_id in ids}
    for user_id, notice_type, wanted in session.execute(sa.select(
            MailChoice.user_id, MailChoice.type, MailChoice.wanted).where(MailChoice.user_id.in_(ids))):
        choices[user_id][NoticeType(notice_type)] = wanted
    return {user_id: MailPreferences(
        language=languages.get(user_id, DEFAULT_LANGUAGE),
        wanted=frozenset(t for t in NoticeType if choices[user_id].get(t, t in MAILED_BY_DEFAULT)))
        for user_id in ids}


def choose(session: so.Session, user_id: int, *, wanted: Iterable[NoticeType], language: str) -> None:
    """Record which kinds of notice the user wants by e-mail (every kind, so later defaults do not move it) and
    the language of the user's mail."""
    wanted = frozenset(wanted)
    existing = {choice.type: choice for choice in session.scalars(
        sa.select(MailChoice).where(MailChoice.user_id == user_id))}
    for notice_type in NoticeType:
        if notice_type in existing:
            existing[notice_type].wanted = notice_type in wanted
        else:
            session.add(MailChoice(user_id=user_id, type=notice_type, wanted=notice_type in wanted))
    remember_language(session, user_id, language)


def remember_language(session: so.Session, user_id: int, language: str) -> None:
    """Mail the user in `language` from now on (the interface language the user chose last)."""
    settings = session.get(MailSettings, user_id)
    if settings is None:
        session.add(MailSettings(user_id=user_id, language=language))
    else:
        settings.language = language
    session.flush()


# --- collecting -----------------------------------------------------------------------------------------------

def collect(session: so.Session, now: datetime, render: Render) -> int:
    """Turn the notice entries no pass has seen yet into mails for the users who want them; how many mails.

    An entry for a user who left, of a kind the user does not want, or older than STALE_AFTER is marked as
    not mailed, so no later pass (nor a later change of mind) mails it."""
    rows = session.execute(
        sa.select(UserNotice, User)
        .join(Notice, Notice.id == UserNotice.notice_id)
        .join(User, User.id == UserNotice.user_id)
        .outerjoin(MailEntry, MailEntry.user_notice_id == UserNotice.id)
        .where(MailEntry.user_notice_id.is_(None))
        .options(so.contains_eager(UserNotice.notice))
        .order_by(UserNotice.user_id, Notice.occurred_at, Notice.id)
        .limit(COLLECT_AT_MOST)).all()
    chosen = _preferences(session, (user.id for _entry, user in rows))
    by_user: dict[int, tuple[User, list[UserNotice]]] = {}
    for entry, user in rows:
        wanted = (user.active and NoticeType(entry.notice.type) in chosen[user.id].wanted
                  and now - entry.notice.occurred_at <= STALE_AFTER)
        if wanted:
            by_user.setdefault(user.id, (user, []))[1].append(entry)
        else:
            session.add(MailEntry(user_notice_id=entry.id, message_id=None))
    written = 0
    for user, entries in by_user.values():
        language = chosen[user.id].language
        notices = {entry.id: entry.notice for entry in entries}
        pending = [Pending(entry.id, NoticeType(entry.notice.type), entry.notice.subject, entry.notice.subject_id)
                   for entry in entries]
        for group in mails(pending):
            words = render(language, [notices[item.entry_id] for item in group], user)
            message = MailMessage(user_id=user.id, recipient=user.email, language=language,
                                  subject=_one_line(words.subject)[:300], text_body=words.text, html_body=words.html,
                                  created_at=now, next_attempt_at=now, attempts=0)
            session.add(message)
            session.flush()
            session.add_all(MailEntry(user_notice_id=item.entry_id, message_id=message.id) for item in group)
            written += 1
    session.flush()
    return written


def _one_line(text: str) -> str:
    """A header's value: a lot's title typed with a line break must not break the mail's headers."""
    return " ".join(text.split())


# --- sending --------------------------------------------------------------------------------------------------

def due(session: so.Session, now: datetime) -> list[int]:
    """The unsent mails whose attempt is due at `now`, oldest first."""
    return list(session.scalars(sa.select(MailMessage.id).where(
        MailMessage.sent_at.is_(None), MailMessage.next_attempt_at <= now)
        .order_by(MailMessage.next_attempt_at, MailMessage.id).limit(SEND_AT_MOST)))


def claim(session: so.Session, message_id: int, now: datetime) -> MailMessage | None:
    """Take a due mail for sending (one statement: no other deliverer takes it for SENDING_LEASE); None when
    it was sent or taken meanwhile."""
    taken = session.execute(sa.update(MailMessage).where(
        MailMessage.id == message_id, MailMessage.sent_at.is_(None), MailMessage.next_attempt_at <= now)
        .values(next_attempt_at=now + SENDING_LEASE, attempts=MailMessage.attempts + 1)
        .execution_options(synchronize_session=False))
    if taken.rowcount != 1:
        return None
    return session.scalar(sa.select(MailMessage).where(MailMessage.id == message_id)
                          .execution_options(populate_existing=True))


def record_sent(session: so.Session, message_id: int, now: datetime) -> None:
    """The server took the mail: it is never sent again."""
    session.execute(sa.update(MailMessage).where(MailMessage.id == message_id).values(sent_at=now)
                    .execution_options(synchronize_session=False))


def record_failure(session: so.Session, message_id: int, now: datetime, error: str) -> datetime:
    """The attempt failed: keep the reason and try again after the backoff; when the next attempt is."""
    attempts = session.scalar(sa.select(MailMessage.attempts).where(MailMessage.id == message_id)) or 1
    retry_at = now + retry_delay(attempts)
    session.execute(sa.update(MailMessage).where(MailMessage.id == message_id, MailMessage.sent_at.is_(None))
                    .values(next_attempt_at=retry_at, last_error=error[:300])
                    .execution_options(synchronize_session=False))
    return retry_at
