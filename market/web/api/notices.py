"""The caller's notices, for a bank's system that reads them instead of polling every page: newest first, paged,
optionally only the unread ones; and marking one read."""

from __future__ import annotations

import math
from typing import Any

import sqlalchemy as sa
from pydantic import Field

from market.domain.notices import NoticeType
from market.models import UserNotice
from market.services import notices
from market.web.api import api_user, bp
from market.web.api.contract import IdempotencyKey, Model, Moment, QueryNumber, operation
from market.web.api.idempotency import idempotent
from market.web.context import db, now

_ERRORS = {401: "No or bad token"}


class NoticeItem(Model):
    """One notice in the caller's list."""

    id: int = Field(description="The entry's id in your list (mark it read with POST /notices/{id}/read)")
    type: NoticeType
    occurred_at: Moment
    subject: str = Field(description="The kind of record it is about: auction, case, compensation_claim, "
                                     "licence_round, licence, claim_listing, conversion_proposal")
    subject_id: int
    case_id: int | None
    payload: dict[str, Any] = Field(description="The facts: amounts in fen (`*_fen`), times in ISO 8601, "
                                                "codes by value (e.g. title, price_fen, minimum_fen, round_no)")
    read: bool


class NoticePage(Model):
    """A page of the caller's notices, newest first."""

    items: list[NoticeItem]
    total: int = Field(ge=0)
    unread: int = Field(ge=0, description="How many of your notices are unread (all pages)")
    page: int = Field(ge=1)
    per_page: int = Field(ge=1)
    pages: int = Field(ge=0)


class NoticesQuery(Model):
    """Paging, and whether to list only unread notices."""

    page: QueryNumber("page", 1) = Field(1, description="Page number from 1")
    per_page: QueryNumber("per_page", 1) = Field(50, description="Notices per page; at most 100 are returned")
    unread: bool = Field(False, description="true: only your unread notices")


class NoticeRead(Model):
    """What marking read changed."""

    id: int
    read: bool
    unread: int = Field(ge=0, description="How many of your notices are still unread")


def notice_item(entry: UserNotice) -> NoticeItem:
    """One entry of the caller's list as the API shows it."""
    notice = entry.notice
    return NoticeItem(id=entry.id, type=notice.type, occurred_at=notice.occurred_at, subject=notice.subject,
                      subject_id=notice.subject_id, case_id=notice.case_id, payload=notice.payload or {},
                      read=entry.read_at is not None)


@bp.get("/notices")
@operation("notices", {200: (NoticePage, "Your notices, newest first"),
                       400: "page or per_page is not a whole number from 1", **_ERRORS,
                       422: "unread is not true or false; the message and `parameter` name it"})
def list_notices(query: NoticesQuery):
    """Your notices: outbid, rounds closing and closed, payments, deposits, case moves, claims"""
    user = api_user()
    per_page = min(query.per_page, 100)
    statement = notices.user_notices(user.id, unread_only=query.unread)
    total = db().scalar(statement.with_only_columns(sa.func.count()).order_by(None)) or 0
    pages = math.ceil(total / per_page)
    entries = db().scalars(statement.limit(per_page).offset((query.page - 1) * per_page)).all()
    return NoticePage(items=[notice_item(entry) for entry in entries], total=total,
                      unread=notices.unread_count(db(), user.id), page=query.page, per_page=per_page, pages=pages)


@bp.post("/notices/<int:entry_id>/read")
@idempotent
@operation("notices", {200: (NoticeRead, "Marked read (already read: unchanged)"), 400: "Missing Idempotency-Key",
                       **_ERRORS, 404: "No such notice in your list", 422: "Idempotency-Key reused"})
def read_notice(entry_id: int, headers: IdempotencyKey):
    """Mark one of your notices read"""
    user = api_user(write=True)
    notices.mark_read(db(), user.id, now=now(), entry_id=entry_id)
    return NoticeRead(id=entry_id, read=True, unread=notices.unread_count(db(), user.id))
