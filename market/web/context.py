"""What views need from the request: the database session, the clock and the current user."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy.orm as so
from flask import abort, current_app, g
from flask_login import current_user

from market.models import User


def db() -> so.Session:
    """The request's database session (opened on first use, closed at teardown)."""
    if "db_session" not in g:
        g.db_session = current_app.extensions["market.sessions"]()
    return g.db_session


def end_read() -> None:
    """End the request's read transaction and give its connection back to the pool.

    Inside an idempotent API POST the session is joined to the POST's one transaction, which the
    wrapper ends once the answer is stored: there is nothing to end here.
    """
    session = db()
    if not session.info.get(JOINED):
        session.rollback()


JOINED = "joined to the caller's transaction"


def close_db(_exc: BaseException | None = None) -> None:
    """Close the request's session, rolling back anything left uncommitted."""
    session = g.pop("db_session", None)
    if session is not None:
        session.close()


def now() -> datetime:
    """Server time (UTC); tests inject a clock through the CLOCK setting."""
    return current_app.config["CLOCK"]()


def user() -> User:
    """The logged-in user (views behind login_required only)."""
    if not current_user.is_authenticated:
        abort(401)
    return current_user.record
