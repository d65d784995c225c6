"""Engine and session set-up: SQLite gets WAL, foreign keys, a busy timeout, BEGIN IMMEDIATE and a writers' queue."""

from __future__ import annotations

import os
import random
import threading
import time

import sqlalchemy as sa
import sqlalchemy.orm as so
from sqlalchemy.engine import Engine

try:
    import fcntl
except ImportError:  # not on Windows: writers there rely on BEGIN IMMEDIATE's retries alone
    fcntl = None


def make_engine(url: str, **kwargs) -> Engine:
    """Create an engine; on SQLite apply the pysqlite recipe so writes cannot deadlock or lose updates."""
    if url.startswith("sqlite"):
        engine = sa.create_engine(
            url, connect_args={"timeout": 30, "check_same_thread": False}, **kwargs
        )
        _configure_sqlite(engine)
    else:
        # no pre-ping: it costs a round trip per checkout (several per request); stale connections are
        # recycled instead
        engine = sa.create_engine(url, pool_recycle=1800, pool_size=10, max_overflow=20, **kwargs)
    sa.event.listen(engine, "before_cursor_execute", _refuse_writes_in_plain_reads)
    return engine


class WriteInPlainRead(RuntimeError):
    """A write was sent inside a plain read (begin_read), where it would commit on its own."""


PLAIN_READ = "plain_read"  # the execution option begin_read sets on the session's connection


def _refuse_writes_in_plain_reads(connection, _cursor, statement, _parameters, context, _executemany):
    if context is not None and (context.isinsert or context.isupdate or context.isdelete) \
            and connection.get_execution_options().get(PLAIN_READ):
        raise WriteInPlainRead(f"A write inside a plain read (commit the read first): {statement[:80]}")


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

    queue = WritersQueue.beside(engine.url.database)

    @sa.event.listens_for(engine, "begin")
    def _on_begin(connection):
        if connection.get_execution_options().get(PLAIN_READ):
            return  # begin_read: no BEGIN, each statement reads on its own
        if queue is None:
            _begin_immediate(connection)
            return
        dbapi_connection = connection.connection.dbapi_connection
        queue.wait_turn(dbapi_connection)
        try:
            _begin_immediate(connection)
        except BaseException:
            queue.done(dbapi_connection)
            raise

    if queue is not None:
        dialect = engine.dialect
        # The turn ends when the transaction does, whichever way (commit, rollback, pool reset).
        for name in ("do_commit", "do_rollback"):
            setattr(dialect, name, queue.ending(getattr(dialect, name)))

        @sa.event.listens_for(engine, "close")
        def _on_close(dbapi_connection, _record):
            queue.done(dbapi_connection)


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


class WritersQueue:
    """SQLite writers of every process and thread take turns on a kernel file lock beside the database.

    A writer blocked on the lock is woken the moment the holder's transaction ends, where BEGIN
    IMMEDIATE alone would have it poll with sleeps (late by up to a sleep, and burning a try each
    time). Each connection opens the lock file itself, so threads exclude each other like processes.
    A thread that already holds a turn through another connection does not queue again (it would
    wait on itself); it falls back to BEGIN IMMEDIATE's own retries, which end with "database is
    locked" after BUSY_TIMEOUT_S. Writers that do not use this queue (another program) are still
    covered by BEGIN IMMEDIATE: the queue only decides the order among ours.
    """

    def __init__(self, path: str):
        self.path = path
        self._held: dict[int, tuple[int, int]] = {}  # id(dbapi connection) -> (descriptor, thread)
        self._mutex = threading.Lock()

    @classmethod
    def beside(cls, database: str | None) -> WritersQueue | None:
        """A queue for a database file (none for an in-memory database, or where flock is missing)."""
        if fcntl is None or not database or database == ":memory:" or database.startswith("file:"):
            return None
        return cls(os.path.abspath(database) + "-writers")

    def wait_turn(self, dbapi_connection) -> None:
        """Block until no other connection of ours is writing, then hold the turn."""
        me = threading.get_ident()
        with self._mutex:
            if any(thread == me for _descriptor, thread in self._held.values()):
                return
        descriptor = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX)
        except BaseException:
            os.close(descriptor)
            raise
        with self._mutex:
            self._held[id(dbapi_connection)] = (descriptor, me)

    def done(self, dbapi_connection) -> None:
        """End the connection's turn, if it holds one (closing the descriptor releases the lock)."""
        # SQLAlchemy hands the dialect its pool's proxy of the connection, the events the connection itself
        raw = getattr(dbapi_connection, "dbapi_connection", dbapi_connection)
        with self._mutex:
            held = self._held.pop(id(raw), None)
        if held is not None:
            os.close(held[0])

    def ending(self, end_transaction):
        """Wrap the dialect's commit or rollback so the turn ends after it, whatever it raises."""

        def end(dbapi_connection):
            try:
                end_transaction(dbapi_connection)
            finally:
                self.done(dbapi_connection)

        return end


def begin_read(session: so.Session) -> None:
    """Start the session's next transaction as a plain read: no BEGIN, each statement reads the latest
    committed state on its own (as READ COMMITTED gives on PostgreSQL anyway), so it takes no lock and
    costs no BEGIN/COMMIT (on PostgreSQL round trips; on SQLite a write lock if it were IMMEDIATE).

    Use only for a transaction that will not write; end it (commit) before any write, which then
    starts a real transaction (on SQLite with BEGIN IMMEDIATE) as usual.
    """
    bind = session.get_bind()
    if session.in_transaction() or (isinstance(bind, sa.Connection) and bind.in_transaction()):
        return  # already reading, or joined to a connection's transaction (it cannot change now)
    if bind.dialect.name == "sqlite":  # the begin hook sends no BEGIN
        session.connection(execution_options={PLAIN_READ: True})
    else:
        session.connection(execution_options={PLAIN_READ: True, "isolation_level": "AUTOCOMMIT"})


def is_postgresql(session_or_engine) -> bool:
    """Whether we talk to PostgreSQL (for FOR UPDATE and dialect-specific SQL)."""
    bind = session_or_engine.get_bind() if isinstance(session_or_engine, so.Session) else session_or_engine
    return bind.dialect.name == "postgresql"
