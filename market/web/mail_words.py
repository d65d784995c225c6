"""A mail of notices in its reader's language: subject, plain text and HTML (templates/mail/), worded like the
notice list (notice_words) under the user's mail language, with links to the records when MARKET_BASE_URL is set.
"""

from __future__ import annotations

from collections.abc import Sequence

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _

from market.models import Notice, User
from market.services.mail import Render, RenderedMail
from market.web.notice_words import SUBJECT_PAGES, notice_name, sentence


def renderer(base_url: str) -> Render:
    """The collector's `render`: one mail's words for a user, links built on `base_url` (none when empty)."""

    def render(language: str, notices: Sequence[Notice], user: User) -> RenderedMail:
        return mail_words(language, notices, user, base_url)

    return render


def mail_words(language: str, notices: Sequence[Notice], user: User, base_url: str = "") -> RenderedMail:
    """Subject, text and HTML of one mail carrying `notices` (one, or a digest about one record) to `user`."""
    with force_locale(language):
        first = notices[0]
        name, record = notice_name(first), _record(first)
        if len(notices) > 1:
            subject = _("%(name)s (%(count)s): %(record)s", name=name, count=len(notices), record=record)
        else:
            subject = _("%(name)s: %(record)s", name=name, record=record) if record else name
        page = {"language": language, "subject": subject, "user": user, "name": name,
                "items": [(notice.occurred_at, sentence(notice)) for notice in notices],
                "record_link": _record_link(base_url, first),
                "preferences_link": _link(base_url, "mail_preferences.index")}
        # the app's Jinja environment without its page context processors: mail is written outside any request
        templates = current_app.jinja_env
        return RenderedMail(subject=subject, text=templates.get_template("mail/notices.txt").render(page),
                            html=templates.get_template("mail/notices.html").render(page))


def _record(notice: Notice) -> str:
    """What the notice is about, for the subject line: the lot's title, else the case number."""
    payload = notice.payload or {}
    return str(payload.get("title") or payload.get("case_no") or "")


def _record_link(base_url: str, notice: Notice) -> str | None:
    """The page of the record the notice is about, as the notice list links it."""
    return _link(base_url, *SUBJECT_PAGES[notice.subject], notice.subject_id)


def _link(base_url: str, endpoint: str, argument: str | None = None, value: int | None = None) -> str | None:
    """The page's address under `base_url` (mail is sent outside any request), or None without one."""
    if not base_url:
        return None
    adapter = current_app.url_map.bind("mail.invalid")
    path = adapter.build(endpoint, {argument: value} if argument else {})
    return base_url.rstrip("/") + path
