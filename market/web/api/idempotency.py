"""Idempotency keys for API POSTs: a retry with the same key and body replays the first answer."""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json

import sqlalchemy as sa
from flask import current_app, g, make_response, request
from sqlalchemy.dialects import postgresql, sqlite

from market.domain.errors import Refusal
from market.models import IdempotencyRecord
from market.web.api import api_caller, api_error
from market.web.context import JOINED
from market.web.refusals import api_refusal


def _request_hash() -> str:
    parsed = request.get_json(silent=True)  # parsed once: the view's json_body() gets the same object
    if parsed is None:
        canonical = request.get_data() or b""
    else:
        canonical = json.dumps(parsed, sort_keys=True, separators=(",", ":")).encode()
    return hashlib.sha256(request.path.encode() + b"\n" + canonical).hexdigest()


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

    The caller's look-up, the view's work and its answer under the key are one transaction on one
    connection: the view runs in a session joined to that transaction (its commits leave it open; a
    rollback, as most services do when they refuse, undoes all of it and the answer is then stored in
    a transaction of its own), then the answer is stored under the key and everything commits at
    once. Storing meets the key's unique constraint when the key was used before, or by a concurrent
    request that committed first (on PostgreSQL the insert waits for it): then the work is rolled
    back and the stored answer replayed. So a crash or a 5xx leaves nothing behind and the client may
    retry with the same key, a retry never does the work twice, and a key's first use costs one
    statement.
    """

    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        key = request.headers.get("Idempotency-Key", "").strip()
        if not key:
            return api_error(400, "idempotency_key_required",
                             "Send an Idempotency-Key header (e.g. a UUID) with every POST.")
        if len(key) > 200:
            return api_error(400, "idempotency_key_too_long", "Idempotency-Key has at most 200 characters.")
        engine = current_app.extensions["market.engine"]
        statements = _STATEMENTS[engine.dialect.name]
        with engine.connect() as connection:
            connection.begin()
            with _joined(connection):  # the caller is looked up in this transaction too (the view may read it
                # with what it reads first): one connection
                try:
                    response = make_response(view(*args, **kwargs))
                except Refusal as error:  # the refusal's answer is stored like any other
                    response = api_refusal(error)
                record = {"user_id": api_caller(write=True).id, "key": key, "endpoint": request.path,
                          "request_hash": _request_hash()}
            if response.status_code >= 500:
                connection.rollback()
                return response
            if not connection.in_transaction():  # the view's work was rolled back: store the answer alone
                connection.begin()
            answer = {"status_code": response.status_code,
                      "response_body": response.get_data(as_text=True) if response.is_json else None}
            if connection.execute(statements["store"], record | answer).first() is None:
                first = connection.execute(statements["find"], record).one()
                connection.rollback()
                return _replay(first, record["request_hash"])
            connection.commit()
        return response

    return wrapper


def _replay(record, request_hash: str):
    if record.request_hash != request_hash:
        return api_error(422, "idempotency_key_reused",
                         "This Idempotency-Key was used with another request; use a new key.")
    if record.status_code is None:  # only rows claimed before answers were stored with the work
        return api_error(409, "in_progress", "The first request with this key is still being handled.")
    return make_response(record.response_body, record.status_code)


@contextlib.contextmanager
def _joined(connection):
    """Within the block, db() is a session joined to `connection`'s transaction: the session's commits
    leave that transaction open, its rollback ends it (no savepoints: each costs PostgreSQL a round trip),
    and ending a read (context.end_read) is left to the caller."""
    outer = g.pop("db_session", None)
    g.db_session = current_app.extensions["market.sessions"](bind=connection, join_transaction_mode="rollback_only",
                                                             info={JOINED: True})
    try:
        yield
    finally:
        g.pop("db_session").close()
        if outer is not None:
            g.db_session = outer
