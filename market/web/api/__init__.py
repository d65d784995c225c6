"""The JSON API for banks' systems: /api/v1, bearer tokens, amounts as decimal yuan strings; every body is
declared once in pydantic models (market.web.api.contract)."""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from flask import Blueprint, g, request
from flask_login import current_user
from werkzeug.exceptions import RequestEntityTooLarge

from market.domain.errors import Refusal
from market.models import User
from market.services.accounts import Caller, caller_for_api_token
from market.services.auctions import rounds_for, rounds_for_token
from market.web.api.problems import BodyTooLarge, Unauthorized
from market.web.context import db
from market.web.refusals import api_refusal

bp = Blueprint("api", __name__, url_prefix="/api/v1")
bp.register_error_handler(Refusal, api_refusal)
bp.register_error_handler(
    RequestEntityTooLarge, lambda error: api_refusal(BodyTooLarge(max_bytes=request.max_content_length)))


def api_caller(write: bool = False) -> Caller:
    """Who is asking: the caller of the bearer token (looked up once per request), or for reads a
    signed-in browser; 401 otherwise. A write needs a bearer token."""
    caller = g.get("api_caller")
    if caller is None:
        token = _bearer_token()
        if token is not None:
            caller = _identified(caller_for_api_token(db(), token))
        elif current_user.is_authenticated:
            caller = current_user.caller  # a browser's cookie (the live auction page reads the API)
        else:
            raise Unauthorized()
    if write:
        require_bearer_token()
    return caller


def api_rounds(ids: Sequence[int], write: bool = False) -> list[sa.Row]:
    """The auctions with `ids` the caller may see, each as round_for reads it, soonest end first; with a
    bearer token looked up in the same query (one statement where there would be two)."""
    token = _bearer_token()
    session = db()
    if "api_caller" in g or token is None:
        caller = api_caller(write)
        return rounds_for(session, caller, ids=ids)
    caller, rows = rounds_for_token(session, token, ids)
    _identified(caller)
    return rows


def api_user(write: bool = False) -> User:
    """The caller's User, for views whose services take one (as api_caller)."""
    return db().get(User, api_caller(write).id)


def require_bearer_token() -> None:
    """A write through the API needs a bearer token: refuse at once (401) when there is none."""
    if _bearer_token() is None:
        raise Unauthorized()


def _bearer_token() -> str | None:
    header = request.headers.get("Authorization", "")
    return header.removeprefix("Bearer ").strip() if header.startswith("Bearer ") else None


def _identified(caller: Caller | None) -> Caller:
    if caller is None:
        raise Unauthorized()
    g.api_caller = caller
    return caller


# Area modules add their routes to `bp` on import; their declarations make the OpenAPI document.
from market.web.api import (  # noqa: E402,F401
    auctions,
    award,
    cases,
    channels,
    data_room,
    idempotency,
    lots,
    me,
    notices,
    openapi,
    sandbox,
    settlement,
    webhooks,
)
