"""SQLite writers take turns on a file lock: the turn passes at commit or rollback, and nobody waits on itself."""

from __future__ import annotations

import threading
import time

import pytest
import sqlalchemy as sa

from market.db import WritersQueue, make_engine


@pytest.fixture
def engine(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'queue.sqlite3'}")
    with engine.begin() as connection:
        connection.exec_driver_sql("CREATE TABLE counter (n INTEGER NOT NULL)")
        connection.exec_driver_sql("INSERT INTO counter VALUES (0)")
    yield engine
    engine.dispose()


def _second_writer_after(engine, end_first) -> float:
    """Hold a write transaction in this thread while a second writer waits; end it after 0.3 s.

    Returns how long after the first transaction ended the second writer finished.
    """
    finished = []
    first = engine.connect()
    first.begin()
    first.exec_driver_sql("UPDATE counter SET n = n + 1")

    def second_writer():
        with engine.begin() as connection:
            connection.exec_driver_sql("UPDATE counter SET n = n + 1")
        finished.append(time.monotonic())

    thread = threading.Thread(target=second_writer)
    thread.start()
    time.sleep(0.3)
    assert thread.is_alive(), "the second writer must wait while the first holds its turn"
    ended = time.monotonic()
    end_first(first)
    first.close()
    thread.join(timeout=10)
    assert not thread.is_alive()
    return finished[0] - ended


def test_a_writer_waits_for_the_one_before_it_and_goes_the_moment_it_commits(engine):
    assert 0 <= _second_writer_after(engine, lambda connection: connection.commit()) < 2
    with engine.connect() as connection:
        assert connection.exec_driver_sql("SELECT n FROM counter").scalar() == 2


def test_a_rolled_back_writer_passes_the_turn_on_too(engine):
    assert 0 <= _second_writer_after(engine, lambda connection: connection.rollback()) < 2
    with engine.connect() as connection:
        assert connection.exec_driver_sql("SELECT n FROM counter").scalar() == 1


def test_a_thread_holding_a_turn_is_told_the_database_is_locked_instead_of_waiting_on_itself(engine, monkeypatch):
    monkeypatch.setattr("market.db.BUSY_TIMEOUT_S", 0.2)
    with engine.connect() as holder:
        holder.begin()
        holder.exec_driver_sql("UPDATE counter SET n = n + 1")
        with pytest.raises(sa.exc.OperationalError, match="locked"), engine.begin() as second:
            second.exec_driver_sql("UPDATE counter SET n = n + 1")
        holder.commit()
    with engine.begin() as connection:  # and the turn is free again afterwards
        connection.exec_driver_sql("UPDATE counter SET n = n + 1")


def test_an_in_memory_database_has_no_queue():
    assert WritersQueue.beside(":memory:") is None
    assert WritersQueue.beside(None) is None
