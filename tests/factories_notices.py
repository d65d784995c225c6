"""Reading what a user was told: the notices in a user's list."""

from __future__ import annotations

import sqlalchemy as sa

from market.domain.notices import NoticeType
from market.models import Notice, User, UserNotice


def received(session, user: User, notice_type: NoticeType | None = None) -> list[Notice]:
    """The notices in the user's list (only those of one type, when given), oldest first."""
    query = sa.select(Notice).join(UserNotice, UserNotice.notice_id == Notice.id).where(UserNotice.user_id == user.id)
    if notice_type is not None:
        query = query.where(Notice.type == notice_type)
    return list(session.scalars(query.order_by(Notice.id)))


def types_received(session, user: User) -> list[NoticeType]:
    """The types of the notices in the user's list, oldest first."""
    return [NoticeType(notice.type) for notice in received(session, user)]


def raised(session, notice_type: NoticeType) -> int:
    """How many notices of a type were raised, for anyone."""
    return session.scalar(sa.select(sa.func.count()).select_from(Notice).where(Notice.type == notice_type)) or 0
