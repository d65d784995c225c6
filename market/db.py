"""Engine and session set-up: SQLite gets WAL, foreign keys, a busy timeout and BEGIN IMMEDIATE."""

from __future__ import annotations

import random
import time

import sqlalchemy as sa
import sqlalchemy.orm as so
from sqlalchemy.engine import Engine


def make_engine(url: str, **kwargs) -> Engine:
    """Create an engine; on SQLite apply the pysqlite recipe so writes cannot deadlock or lose updates."""
    if url.startswith("sqlite"):
        engine = sa.create_engine(
            url, connect_args={"timeout": 30, "check_same_thread": False}, **kwargs
        )
        _configure_sqlite(engine)
        return engine
    # no pre-ping: it costs a round trip per checkout (several per request); stale connections are
    # recycled instead
    return sa.create_engine(url, pool_recycle=1800, pool_size=10, max_overflow=20, **kwargs)


def make_session_factory(engine: Engine) -> so.sessionmaker[so.Session]:
    """Sessions that keep loaded objects usable after commit (views render after services commit)."""
    return so.sessionmaker(bind=engine, expire_on_commit=False)


def _configure_sqlite(engine: Engine) -> None:
    # SQLAlchemy's documented pysqlite recipe: take control of BEGIN away from the driver,
    # then start every transaction with BEGIN IMMEDIATE so read-then-write code holds the
    # write lock from its first read.
    @sa.event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        # SQLite's own busy handler sleeps 1, 2, 5, 10, 15, 20, 25 ms... between tries, so under
        # contention a write lock held for a millisecond costs its waiters tens of milliseconds.
        # BEGIN IMMEDIATE is retried below with sub-millisecond sleeps instead; the short busy
        # timeout only covers the rare busy answer to anything else.
        cursor.execute(f"PRAGMA busy_timeout={SHORT_BUSY_MS}")
        cursor.close()

    @sa.event.listens_for(engine, "begin")
    def _on_begin(connection):
        mode = connection.get_execution_options().get("sqlite_begin", "IMMEDIATE")
        if mode != "IMMEDIATE":
            connection.exec_driver_sql(f"BEGIN {mode}")
            return
        _begin_immediate(connection)


SHORT_BUSY_MS = 5
BUSY_TIMEOUT_S = 30.0


def _begin_immediate(connection) -> None:
    deadline = time.monotonic() + BUSY_TIMEOUT_S
    delay = 0.0002
    while True:
        try:
            connection.exec_driver_sql("BEGIN IMMEDIATE")
            return
        except sa.exc.OperationalError as error:
            if "locked" not in str(error.orig) or time.monotonic() > deadline:
                raise
        time.sleep(delay * (0.5 + random.random()))
        delay = min(delay * 1.5, 0.004)


def begin_read(session: so.Session) -> None:
    """Start the session's next transaction as a plain read (SQLite: deferred, so it takes no write lock).

    Use only for a transaction that will not write; end it (commit) before any write, which then
    starts with BEGIN IMMEDIATE as usual.
    """
    if not session.in_transaction() and session.get_bind().dialect.name == "sqlite":
        session.connection(execution_options={"sqlite_begin": "DEFERRED"})


def is_postgresql(session_or_engine) -> bool:
    """Whether we talk to PostgreSQL (for FOR UPDATE and dialect-specific SQL)."""
    bind = session_or_engine.get_bind() if isinstance(session_or_engine, so.Session) else session_or_engine
    return bind.dialect.name == "postgresql"
