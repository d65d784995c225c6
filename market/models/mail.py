"""E-mail of notices: each user's choices, the mails written (the outbox) and which notices each one carries."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
import sqlalchemy.orm as so

from market.domain.mail import DEFAULT_LANGUAGE
from market.domain.notices import NoticeType
from market.models.base import Base, UTCDateTime, enum_column

__all__ = ["MailChoice", "MailEntry", "MailMessage", "MailSettings"]


class MailSettings(Base):
    """A user's language for mail: the interface language the user last chose (Chinese until then)."""

    __tablename__ = "mail_settings"

    user_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("user_account.id"), primary_key=True)
    language: so.Mapped[str] = so.mapped_column(sa.String(8), default=DEFAULT_LANGUAGE)


class MailChoice(Base):
    """Whether a user wants one kind of notice by e-mail; a kind without a row follows MAILED_BY_DEFAULT."""

    __tablename__ = "mail_choice"

    user_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("user_account.id"), primary_key=True)
    type: so.Mapped[NoticeType] = so.mapped_column(enum_column(NoticeType, name="notice_type"), primary_key=True)
    wanted: so.Mapped[bool]


class MailMessage(Base):
    """One mail to one user, written ready to send (in the user's language when it was written).

    Unsent while `sent_at` is empty; it is tried at `next_attempt_at` and, after a failure, later again
    (`attempts`, `last_error`), never dropped. Its Message-ID names its id, so a mail sent again after a
    deliverer died between sending and recording is recognisably the same one."""

    __tablename__ = "mail_message"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    user_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("user_account.id"), index=True)
    recipient: so.Mapped[str] = so.mapped_column(sa.String(254))
    language: so.Mapped[str] = so.mapped_column(sa.String(8))
    subject: so.Mapped[str] = so.mapped_column(sa.String(300))
    text_body: so.Mapped[str] = so.mapped_column(sa.Text)
    html_body: so.Mapped[str] = so.mapped_column(sa.Text)
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime)
    next_attempt_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime)
    attempts: so.Mapped[int] = so.mapped_column(sa.Integer, default=0)
    last_error: so.Mapped[str | None] = so.mapped_column(sa.String(300))
    sent_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime)

    __table_args__ = (sa.Index("ix_mail_message_due", "sent_at", "next_attempt_at"),)


class MailEntry(Base):
    """A user's notice seen by the mail collector: the mail that carries it, or none (the user does not want
    that kind, the user has left, or it was too old to mail). Each entry is collected once."""

    __tablename__ = "mail_entry"

    user_notice_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("user_notice.id"), primary_key=True)
    message_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("mail_message.id"), index=True)
