"""Engine and session set-up, and the unit of work every entry point runs its services in."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import sqlalchemy as sa
import sqlalchemy.orm as so
from sqlalchemy.engine import Engine

SQLITE_BUSY_TIMEOUT_S = 30


def make_engine(url: str, **kwargs) -> Engine:
    """Create an engine; SQLite gets SQLAlchemy's documented pysqlite recipe (see _configure_sqlite)."""
    if url.startswith("sqlite"):
        engine = sa.create_engine(
            url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_S, "check_same_thread": False}, **kwargs
        )
        _configure_sqlite(engine)
        return engine
    # no pre-ping: it costs a round trip per checkout; stale connections are recycled instead
    return sa.create_engine(url, pool_recycle=1800, pool_size=10, max_overflow=20, **kwargs)


def make_session_factory(engine: Engine) -> so.sessionmaker[so.Session]:
    """Sessions that keep loaded objects usable after commit (views render after the work commits)."""
    return so.sessionmaker(bind=engine, expire_on_commit=False)


@contextmanager
def unit_of_work(session: so.Session) -> Iterator[so.Session]:
    """Commit what the block did when it ends normally; roll all of it back when it raises.

    The one way a transaction ends: services change the session and raise, entry points (views, CLI
    commands, each item a tick advances) run them inside this.
    """
    try:
        yield session
    except BaseException:
        session.rollback()
        raise
    session.commit()


def _configure_sqlite(engine: Engine) -> None:
    # SQLAlchemy's pysqlite recipe ("Serializable isolation / Savepoints / Transactional DDL"): take
    # BEGIN away from the driver and emit it ourselves. Every transaction is BEGIN IMMEDIATE, so code
    # that reads then writes holds the write lock from its first read (no lost update, no deadlock
    # upgrading a read lock); waiting writers retry under the driver's busy timeout. WAL lets readers
    # outside our transactions (backups, sqlite3 shell) read while one writes.
    @sa.event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @sa.event.listens_for(engine, "begin")
    def _on_begin(connection):
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def is_postgresql(session_or_engine) -> bool:
    """Whether we talk to PostgreSQL (for FOR UPDATE and dialect-specific SQL)."""
    bind = session_or_engine.get_bind() if isinstance(session_or_engine, so.Session) else session_or_engine
    return bind.dialect.name == "postgresql"
