"""Idempotency keys for API POSTs: a retry with the same key and body replays the first answer."""

from __future__ import annotations

import functools
import hashlib
import json

import sqlalchemy as sa
from flask import make_response, request
from sqlalchemy.dialects import postgresql, sqlite

from market.domain.errors import Refusal
from market.models import IdempotencyRecord
from market.web.api import api_caller, require_bearer_token
from market.web.api.problems import (
    IdempotencyKeyRequired,
    IdempotencyKeyReused,
    IdempotencyKeyTooLong,
    KeyInProgress,
)
from market.web.context import db
from market.web.refusals import api_refusal

KEY_MAX_LENGTH = 200


def _request_hash() -> str:
    parsed = request.get_json(silent=True)  # parsed once: the declared body is validated from the same object
    if request.mimetype == "multipart/form-data":  # the parts, not the bytes (each send has its own boundary)
        # a part whose name werkzeug cannot read comes back named None: names are compared as text
        form = sorted([str(name), values] for name, values in request.form.lists())
        files = sorted([str(name), storage.filename or "", _digest(storage.stream)]
                       for name, storage in request.files.items(multi=True))
        canonical = json.dumps({"form": form, "files": files}).encode()
    elif parsed is None:
        canonical = request.get_data() or b""
    else:
        canonical = json.dumps(parsed, sort_keys=True, separators=(",", ":")).encode()
    return hashlib.sha256(request.path.encode() + b"\n" + canonical).hexdigest()


def _digest(stream) -> str:
    stream.seek(0)  # the view has read it
    return hashlib.sha256(stream.read()).hexdigest()


def _statements(dialect) -> dict[str, sa.Executable]:
    """The stored answer and the look-up, built once per dialect (every API POST runs them)."""
    table = IdempotencyRecord.__table__  # the table: no ORM bulk-insert machinery
    body = sa.bindparam("response_body", type_=sa.Text)  # the answer's JSON text as sent, not parsed and dumped again
    if dialect is postgresql:
        body = sa.cast(body, table.c.response_body.type)  # (SQLite keeps JSON as text; a CAST there would not)
    return {
        "store": dialect.insert(table).values(
            user_id=sa.bindparam("user_id"), key=sa.bindparam("key"), endpoint=sa.bindparam("endpoint"),
            request_hash=sa.bindparam("request_hash"), status_code=sa.bindparam("status_code"), response_body=body,
        ).on_conflict_do_nothing(index_elements=["user_id", "key"]).returning(table.c.id),
        "find": sa.select(table).where(table.c.user_id == sa.bindparam("user_id"),
                                       table.c.key == sa.bindparam("key")),
    }


_STATEMENTS = {"postgresql": _statements(postgresql), "sqlite": _statements(sqlite)}


def idempotent(view):
    """Require an Idempotency-Key header; replay the stored answer, refuse a reused key with another body.

    The answer is stored under the key in the request's unit of work, beside the work it answers, so
    both commit or neither does (a crash or a 5xx leaves nothing: the client retries with the same
    key). A refusal rolls the work back; its answer is stored and committed alone. Storing meets the
    key's unique constraint when the key was used before, or by a concurrent request that committed
    first (on PostgreSQL the insert waits for it): the work is then rolled back and the stored answer
    replayed, so a retry never does the work twice.
    """

    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        require_bearer_token()  # who asks comes before what is wrong with the request (401 before 400)
        key = request.headers.get("Idempotency-Key", "").strip()
        if not key:
            raise IdempotencyKeyRequired()
        if len(key) > KEY_MAX_LENGTH:
            raise IdempotencyKeyTooLong(max_length=KEY_MAX_LENGTH)
        session = db()
        try:
            response = make_response(view(*args, **kwargs))
        except Refusal as error:
            response = api_refusal(error)
        if response.status_code >= 500:
            return response  # not stored: the unit of work rolls back and the client may retry
        refused = response.status_code >= 400
        if refused:
            session.rollback()  # nothing a refused request did stands; its answer does
        record = {"user_id": api_caller(write=True).id, "key": key, "endpoint": request.path,
                  "request_hash": _request_hash()}
        answer = {"status_code": response.status_code,
                  "response_body": response.get_data(as_text=True) if response.is_json else None}
        connection = session.connection()
        if connection.execute(_STATEMENTS[connection.dialect.name]["store"], record | answer).first() is None:
            first = connection.execute(_STATEMENTS[connection.dialect.name]["find"], record).one()
            session.rollback()
            return _replay(first, record["request_hash"])
        if refused:
            session.commit()  # the unit of work rolls back whatever answers with an error status
        return response

    return wrapper


def _replay(record, request_hash: str):
    if record.request_hash != request_hash:
        return api_refusal(IdempotencyKeyReused())
    if record.status_code is None:  # only rows claimed before answers were stored with the work
        return api_refusal(KeyInProgress())
    return make_response(record.response_body, record.status_code)
