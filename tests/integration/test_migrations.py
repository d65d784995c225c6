"""Migrations build the schema from nothing, on SQLite and PostgreSQL, and match the models."""

import os
import uuid

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from market.db import make_engine
from market.migrate import upgrade_to_head
from market.models import Base

PG_URL = os.environ.get("MARKET_TEST_DATABASE_URL")


def _engines(tmp_path):
    yield "sqlite", make_engine(f"sqlite:///{tmp_path / 'empty.sqlite3'}")
    if PG_URL:
        name = f"ipd_mig_{uuid.uuid4().hex[:8]}"
        admin = sa.create_engine(PG_URL, isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
        url = sa.engine.make_url(PG_URL).set(database=name)
        engine = make_engine(url.render_as_string(hide_password=False))
        try:
            yield "postgresql", engine
        finally:
            engine.dispose()
            with admin.connect() as connection:
                connection.execute(sa.text(f'DROP DATABASE "{name}"'))
            admin.dispose()


def test_migrations_build_a_schema_that_matches_the_models_from_an_empty_database(tmp_path):
    for _name, engine in _engines(tmp_path):
        upgrade_to_head(engine)
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            differences = compare_metadata(context, Base.metadata)
        engine.dispose()
        assert differences == [], f"models and migrations differ on {_name}: {differences}"


def test_migrating_twice_changes_nothing(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'twice.sqlite3'}")
    upgrade_to_head(engine)
    upgrade_to_head(engine)
    with engine.connect() as connection:
        assert connection.scalar(sa.text("SELECT count(*) FROM alembic_version")) == 1
    engine.dispose()


@pytest.mark.skipif(bool(PG_URL), reason="SQLite pragmas only")
def test_sqlite_connections_use_wal_and_enforce_foreign_keys(app):
    engine = app.extensions["market.engine"]
    with engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1



@pytest.mark.skipif(bool(PG_URL), reason="SQLite locking only")
def test_a_sqlite_writer_waits_for_the_lock_instead_of_failing(app):
    import threading
    import time

    engine = app.extensions["market.engine"]
    holder = engine.connect()
    holder.begin()  # BEGIN IMMEDIATE: holds the write lock
    released = threading.Event()

    def release_soon():
        time.sleep(0.3)
        holder.commit()
        holder.close()
        released.set()

    threading.Thread(target=release_soon).start()
    with engine.begin() as waiter:  # must wait (retrying), not raise "database is locked"
        waiter.exec_driver_sql("SELECT 1")
        assert released.is_set()


def test_a_check_on_a_referenced_sqlite_table_is_replaced_with_its_rows_indexes_and_references_kept(tmp_path):
    from alembic.operations import Operations

    from market.migrate import replace_check

    engine = make_engine(f"sqlite:///{tmp_path / 'check.sqlite3'}")
    with engine.begin() as connection:
        connection.exec_driver_sql("CREATE TABLE parent (id INTEGER PRIMARY KEY, status VARCHAR(32) NOT NULL, "
                                   "CONSTRAINT ck_parent_status CHECK (status IN ('a', 'b')))")
        connection.exec_driver_sql("CREATE INDEX ix_parent_status ON parent (status)")
        connection.exec_driver_sql("CREATE TABLE child (id INTEGER PRIMARY KEY, parent_id INTEGER NOT NULL "
                                   "REFERENCES parent (id))")
        connection.exec_driver_sql("INSERT INTO parent VALUES (1, 'a')")
        connection.exec_driver_sql("INSERT INTO child VALUES (1, 1)")
    with engine.begin() as connection:
        replace_check(Operations(MigrationContext.configure(connection)), "parent", "ck_parent_status",
                      "status IN ('a', 'b')", "status IN ('a', 'b', 'c')")
    with engine.begin() as connection:
        connection.exec_driver_sql("INSERT INTO parent VALUES (2, 'c')")
        assert connection.exec_driver_sql("SELECT parent_id FROM child").scalar() == 1
        assert connection.exec_driver_sql("SELECT count(*) FROM sqlite_master WHERE name = 'ix_parent_status'"
                                          ).scalar() == 1
        assert connection.exec_driver_sql("PRAGMA foreign_key_check").all() == []
    with pytest.raises(sa.exc.IntegrityError), engine.begin() as connection:
        connection.exec_driver_sql("INSERT INTO child VALUES (2, 99)")
    with pytest.raises(sa.exc.IntegrityError), engine.begin() as connection:
        connection.exec_driver_sql("INSERT INTO parent VALUES (3, 'd')")
    engine.dispose()
