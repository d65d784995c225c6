"""A user's notices: the list (newest first, unread marked), marking read, and the header's unread count."""

from __future__ import annotations

import math

import sqlalchemy as sa
from flask import Blueprint, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from market.models import UserNotice
from market.services import notices
from market.web.context import db, now, user
from market.web.notice_words import notice_name, sentence
from market.web.paging import page_links
from market.web.request_limits import query_number

bp = Blueprint("notices", __name__, url_prefix="/notices")
PER_PAGE = 30

# Where a notice's subject is read: the endpoint and its argument.
SUBJECT_PAGES = {
    "case": ("cases.show", "case_id"),
    "auction": ("auctions.show", "auction_id"),
    "compensation_claim": ("settlement.claim", "claim_id"),
    "licence_round": ("channels.round_page", "round_id"),
    "licence": ("channels.licence_page", "licence_id"),
    "claim_listing": ("channels.claim_page", "listing_id"),
    "conversion_proposal": ("channels.proposal_page", "proposal_id"),
    "webhook_endpoint": ("webhooks.show", "endpoint_id"),
}


def subject_url(subject: str, subject_id: int) -> str:
    """The page of the record a notice is about."""
    endpoint, argument = SUBJECT_PAGES[subject]
    return url_for(endpoint, **{argument: subject_id})


@bp.app_context_processor
def _unread():
    """The header's unread count, for a logged-in user (a function: only pages that show the header ask)."""
    def unread_notices() -> int:
        return notices.unread_count(db(), current_user.record.id) if current_user.is_authenticated else 0
    return {"unread_notices": unread_notices}


@bp.route("/")
@login_required
def index():
    """The user's notices, newest first; `?unread=1` shows only the unread ones."""
    unread_only = request.args.get("unread") == "1"
    page_no = query_number("page", 1, minimum=1)
    query = notices.user_notices(user().id, unread_only=unread_only)
    total = db().scalar(query.with_only_columns(sa.func.count()).order_by(None)) or 0
    pages = max(1, math.ceil(total / PER_PAGE))
    entries = db().scalars(query.limit(PER_PAGE).offset((min(page_no, pages) - 1) * PER_PAGE)).all()
    args = {"unread": "1"} if unread_only else {}
    return render_template("notices/index.html", entries=entries, total=total, page=min(page_no, pages),
                           pages=pages, links=page_links(min(page_no, pages), pages), args=args,
                           unread_only=unread_only, notice_name=notice_name, sentence=sentence,
                           subject_url=subject_url)


@bp.route("/<int:entry_id>/read", methods=["POST"])
@login_required
def read(entry_id: int):
    """Mark one notice read and open what it is about."""
    notices.mark_read(db(), user().id, now=now(), entry_id=entry_id)
    entry = db().get(UserNotice, entry_id)
    return redirect(subject_url(entry.notice.subject, entry.notice.subject_id))


@bp.route("/read-all", methods=["POST"])
@login_required
def read_all():
    """Mark every notice read."""
    notices.mark_read(db(), user().id, now=now())
    return redirect(url_for("notices.index"))
