"""What views need from the request: the database session, the clock and the current user."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

import sqlalchemy.orm as so
from flask import abort, current_app, g
from flask.typing import ResponseReturnValue
from flask_login import current_user

from market.db import unit_of_work
from market.domain.sandbox import ClockAnchor
from market.models import User
from market.services import sandbox


def db() -> so.Session:
    """The request's database session (opened on first use, closed at teardown)."""
    if "db_session" not in g:
        g.db_session = current_app.extensions["market.sessions"]()
    return g.db_session


def dispatch_in_unit_of_work(dispatch: Callable[[], ResponseReturnValue]) -> ResponseReturnValue:
    """Run a view in the request's unit of work (db.unit_of_work): commit when it answers, roll back when
    it raises or answers with an error status (nothing a refused request did stands).

    Flask's error handlers run after the exception has left the view, so a refusal is rolled back
    before any handler renders it.
    """
    with unit_of_work(db()) as work:
        answer = dispatch()
        if _status(answer) >= 400:
            work.rollback()
    return answer


def _status(answer: ResponseReturnValue) -> int:
    if isinstance(answer, tuple) and len(answer) > 1 and isinstance(answer[1], int):
        return answer[1]
    return getattr(answer, "status_code", 200)


def close_db(_exc: BaseException | None = None) -> None:
    """Close the request's session, rolling back anything left uncommitted."""
    session = g.pop("db_session", None)
    if session is not None:
        session.close()


def now() -> datetime:
    """Server time (UTC): the CLOCK setting's (tests inject one), or in a sandbox the sandbox's clock."""
    real = current_app.config["CLOCK"]()
    if not current_app.config["SANDBOX"]:
        return real
    return sandbox_anchor().time_at(real)


def sandbox_anchor() -> ClockAnchor:
    """The sandbox clock's anchor, read once per request in the request's own transaction (so SQLite's single
    writer is never waited for by the same request)."""
    if "sandbox_anchor" not in g:
        g.sandbox_anchor = sandbox.clock_anchor(db(), current_app.config["CLOCK"](),
                                                current_app.config["SANDBOX_FACTOR"])
    return g.sandbox_anchor


def user() -> User:
    """The logged-in user (views behind login_required only)."""
    if not current_user.is_authenticated:
        abort(401)
    return current_user.record
