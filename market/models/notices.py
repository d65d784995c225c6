"""Notices: what happened, for whom, and whether each user has read it."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
import sqlalchemy.orm as so

from market.domain.notices import NoticeType
from market.models.base import Base, UTCDateTime, enum_column

__all__ = ["Notice", "NoticeInstitution", "UserNotice"]


class Notice(Base):
    """One thing that happened that someone must hear of: its type, time, subject and the facts to word it.

    `subject` and `subject_id` name the record it is about (auction, case, compensation_claim, …); `payload`
    holds codes, integer fen and ISO times only (the reader's edge words it). `dedupe_key`, when set, makes
    a notice raised by the clock (closing soon, payment due) unique, so a second tick raises nothing."""

    __tablename__ = "notice"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    type: so.Mapped[NoticeType] = so.mapped_column(enum_column(NoticeType, name="notice_type"))
    occurred_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime)
    subject: so.Mapped[str] = so.mapped_column(sa.String(40))
    subject_id: so.Mapped[int] = so.mapped_column(sa.Integer)
    case_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("disposal_case.id"), index=True)
    payload: so.Mapped[dict] = so.mapped_column(sa.JSON, default=dict)
    dedupe_key: so.Mapped[str | None] = so.mapped_column(sa.String(120), unique=True)

    __table_args__ = (sa.Index("ix_notice_subject", "subject", "subject_id"),)


class NoticeInstitution(Base):
    """An institution a notice is for (what webhooks deliver to)."""

    __tablename__ = "notice_institution"

    notice_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("notice.id"), primary_key=True)
    institution_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("institution.id"), primary_key=True, index=True)


class UserNotice(Base):
    """A notice in one user's list, unread until the user marks it."""

    __tablename__ = "user_notice"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    notice_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("notice.id"))
    user_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("user_account.id"))
    read_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime)

    notice: so.Mapped[Notice] = so.relationship(lazy="joined")

    __table_args__ = (
        sa.UniqueConstraint("notice_id", "user_id", name="uq_user_notice_notice_user"),
        sa.Index("ix_user_notice_user_unread", "user_id", "read_at"),
    )
