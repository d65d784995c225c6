"""The JSON API for banks' systems: /api/v1, bearer tokens, amounts as decimal yuan strings."""

from __future__ import annotations

from flask import Blueprint, abort, jsonify, request
from flask_login import current_user

from market.models import User
from market.services.accounts import Caller
from market.web.context import db

bp = Blueprint("api", __name__, url_prefix="/api/v1")


def api_error(status: int, code: str, message: str, **extra):
    """A JSON error answer: {"error": code, "message": ...}."""
    response = jsonify(error=code, message=message, **extra)
    response.status_code = status
    return response


def api_caller(write: bool = False) -> Caller:
    """Who is asking; writes need a bearer token (a browser cookie is accepted for reads only)."""
    if not current_user.is_authenticated:
        abort(api_error(401, "unauthorized", "Send Authorization: Bearer <token> (see create-token)."))
    if write and not current_user.via_api:
        abort(api_error(401, "unauthorized", "Writes through the API need a bearer token."))
    if write and db().in_transaction():
        db().commit()  # end the token look-up's read: the write starts its own (SQLite: IMMEDIATE) transaction
    return current_user.caller


def api_user(write: bool = False) -> User:
    """The caller's User, for views whose services take one (as api_caller, and loaded before a write
    ends the read)."""
    if current_user.is_authenticated:
        current_user.record  # noqa: B018 (loads it in the read that api_caller(write=True) ends)
    api_caller(write)
    return current_user.record


def json_body() -> dict:
    """The request's JSON object, or a 400 that says what is wrong."""
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        abort(api_error(400, "invalid_json", "Send a JSON object with Content-Type: application/json."))
    return body


# Area modules add their routes to `bp` and their paths to the OpenAPI document on import.
from market.web.api import auctions, cases, channels, idempotency, me, openapi, settlement  # noqa: E402,F401
