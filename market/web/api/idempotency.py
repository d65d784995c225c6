"""Idempotency keys for API POSTs: a retry with the same key and body replays the first answer."""

from __future__ import annotations

import functools
import hashlib
import json

import sqlalchemy as sa
from flask import make_response, request
from sqlalchemy.exc import IntegrityError

from market.models import IdempotencyRecord
from market.web.api import api_error, api_user
from market.web.context import db


def _request_hash() -> str:
    body = request.get_data() or b""
    try:
        canonical = json.dumps(json.loads(body), sort_keys=True, separators=(",", ":")).encode()
    except ValueError:
        canonical = body
    return hashlib.sha256(request.path.encode() + b"\n" + canonical).hexdigest()


def idempotent(view):
    """Require an Idempotency-Key header; replay the stored answer, refuse a reused key with another body."""

    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        key = request.headers.get("Idempotency-Key", "").strip()
        if not key:
            return api_error(400, "idempotency_key_required",
                             "Send an Idempotency-Key header (e.g. a UUID) with every POST.")
        if len(key) > 200:
            return api_error(400, "idempotency_key_too_long", "Idempotency-Key has at most 200 characters.")
        user = api_user(write=True)
        session = db()
        digest = _request_hash()
        record = session.scalar(
            sa.select(IdempotencyRecord).where(
                IdempotencyRecord.user_id == user.id, IdempotencyRecord.key == key
            )
        )
        session.rollback()
        if record is None:
            record = IdempotencyRecord(user_id=user.id, key=key, endpoint=request.path, request_hash=digest)
            session.add(record)
            try:
                session.commit()
            except IntegrityError:
                session.rollback()
                record = session.scalar(
                    sa.select(IdempotencyRecord).where(
                        IdempotencyRecord.user_id == user.id, IdempotencyRecord.key == key
                    )
                )
                session.rollback()
            else:
                return _run_and_store(view, record.id, args, kwargs)
        if record.request_hash != digest:
            return api_error(422, "idempotency_key_reused",
                             "This Idempotency-Key was used with another request; use a new key.")
        if record.status_code is None:
            return api_error(409, "in_progress", "The first request with this key is still being handled.")
        return make_response(record.response_body, record.status_code)

    return wrapper


def _run_and_store(view, record_id: int, args, kwargs):
    response = make_response(view(*args, **kwargs))
    session = db()
    session.rollback()
    if response.status_code >= 500:
        # let the client retry a server failure with the same key
        session.execute(sa.delete(IdempotencyRecord).where(IdempotencyRecord.id == record_id))
    else:
        session.execute(
            sa.update(IdempotencyRecord)
            .where(IdempotencyRecord.id == record_id)
            .values(status_code=response.status_code, response_body=response.get_json(silent=True))
        )
    session.commit()
    return response
