"""Idempotency keys for API POSTs: a retry with the same key and body replays the first answer."""

from __future__ import annotations

import functools
import hashlib
import json

import sqlalchemy as sa
from flask import make_response, request
from sqlalchemy.dialects import postgresql, sqlite

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


def _statements(dialect) -> dict[str, sa.Executable]:
    """The claim, the look-up and the stored answer, built once per dialect (every API POST runs them)."""
    insert = dialect.insert(IdempotencyRecord.__table__).values(  # the table: no ORM bulk-insert machinery
        user_id=sa.bindparam("user_id"), key=sa.bindparam("key"), endpoint=sa.bindparam("endpoint"),
        request_hash=sa.bindparam("request_hash"),
    )
    answer = insert.values(status_code=sa.bindparam("status_code"), response_body=sa.bindparam("response_body"))
    return {
        "claim": insert.on_conflict_do_nothing(index_elements=["user_id", "key"]).returning(insert.table.c.id),
        "find": sa.select(IdempotencyRecord).where(IdempotencyRecord.user_id == sa.bindparam("user_id"),
                                                   IdempotencyRecord.key == sa.bindparam("key")),
        "answer": answer.on_conflict_do_update(
            index_elements=["user_id", "key"],
            set_={"status_code": answer.excluded.status_code, "response_body": answer.excluded.response_body},
        ),
    }


_STATEMENTS = {"postgresql": _statements(postgresql), "sqlite": _statements(sqlite)}


def _statement(session, name: str) -> sa.Executable:
    return _STATEMENTS["postgresql" if session.get_bind().dialect.name == "postgresql" else "sqlite"][name]


def idempotent(view):
    """Require an Idempotency-Key header; replay the stored answer, refuse a reused key with another body.

    The key is claimed in the same transaction as the view's own work (so a crash leaves nothing
    behind and a concurrent retry waits on it), then the answer is stored with one upsert.
    """

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
        claimed = session.execute(
            _statement(session, "claim"),
            {"user_id": user.id, "key": key, "endpoint": request.path, "request_hash": digest},
        ).first()
        if claimed is None:
            record = session.scalar(_statement(session, "find"), {"user_id": user.id, "key": key})
            session.rollback()
            if record.request_hash != digest:
                return api_error(422, "idempotency_key_reused",
                                 "This Idempotency-Key was used with another request; use a new key.")
            if record.status_code is None:
                return api_error(409, "in_progress", "The first request with this key is still being handled.")
            return make_response(record.response_body, record.status_code)
        return _run_and_store(view, user.id, key, digest, args, kwargs)

    return wrapper


def _run_and_store(view, user_id: int, key: str, digest: str, args, kwargs):
    try:
        response = make_response(view(*args, **kwargs))
    except BaseException:
        db().rollback()  # the claim goes with the failed work: the client may retry with the same key
        raise
    session = db()
    session.rollback()  # anything the view left open (a successful view has committed already)
    if response.status_code >= 500:
        return response
    body = response.get_json(silent=True)
    session.execute(
        _statement(session, "answer"),
        {"user_id": user_id, "key": key, "endpoint": request.path, "request_hash": digest,
         "status_code": response.status_code, "response_body": body},
    )
    session.commit()
    return response
