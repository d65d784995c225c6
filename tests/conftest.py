"""Fixtures in the Flask-tutorial style: app, client, auth, session, clock; SQLite or PostgreSQL."""

from __future__ import annotations

import os
import shutil
import threading
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient

from market.app import create_app
from market.db import make_engine
from market.migrate import upgrade_to_head

# Under pytest-xdist each worker gets its own PostgreSQL database, named after the given one and the worker
# (created on first use, dropped at the end); a plain run uses the given database itself.
_GIVEN_PG_URL = os.environ.get("MARKET_TEST_DATABASE_URL")
_WORKER = os.environ.get("PYTEST_XDIST_WORKER", "")
PG_URL = (sa.engine.make_url(_GIVEN_PG_URL).set(database=f"{sa.engine.make_url(_GIVEN_PG_URL).database}_{_WORKER}")
          .render_as_string(hide_password=False) if _GIVEN_PG_URL and _WORKER else _GIVEN_PG_URL)
START = datetime(2026, 11, 22, 2, 0, tzinfo=UTC)


class Clock:
    """An injected server clock that tests move by hand (never sleep)."""

    def __init__(self, at: datetime = START):
        self.at = at

    def __call__(self) -> datetime:
        return self.at

    def advance(self, **delta) -> datetime:
        """Move time forward, e.g. clock.advance(days=30)."""
        self.at += timedelta(**delta)
        return self.at


@pytest.fixture(scope="session")
def database_template(tmp_path_factory, request):
    """Migrate once per run: an SQLite file to copy per test, or the PostgreSQL test database."""
    if PG_URL:
        if PG_URL != _GIVEN_PG_URL:
            _worker_database("create")
            request.addfinalizer(lambda: _worker_database("drop"))
        engine = make_engine(PG_URL)
        upgrade_to_head(engine)
        engine.dispose()
        return PG_URL
    path = tmp_path_factory.mktemp("template") / "template.sqlite3"
    engine = make_engine(f"sqlite:///{path}")
    upgrade_to_head(engine)
    engine.dispose()
    return path


def _worker_database(verb: str) -> None:
    """Create (afresh) or drop this xdist worker's database, through the given database's server."""
    for engine in _PG_ENGINES.values():
        engine.dispose()
    _PG_ENGINES.clear()
    name = sa.engine.make_url(PG_URL).database
    admin = sa.create_engine(_GIVEN_PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        if verb == "create":
            connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    admin.dispose()


@pytest.fixture
def database_url(database_template, tmp_path):
    """A clean database for one test."""
    if PG_URL:
        _empty_postgresql(PG_URL)
        return PG_URL
    path = tmp_path / "test.sqlite3"
    shutil.copy(database_template, path)
    return f"sqlite:///{path}"


_PG_ENGINES: dict[str, sa.engine.Engine] = {}


def _empty_postgresql(url: str) -> None:
    # DELETE with triggers off (replica role) is ~100x faster than TRUNCATE of every table, and the
    # append-only triggers would refuse it otherwise; sequences restart so ids are as on a new database.
    engine = _PG_ENGINES.get(url) or _PG_ENGINES.setdefault(url, make_engine(url))
    with engine.begin() as connection:
        tables = connection.execute(sa.text(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'alembic_version'"
        )).scalars().all()
        connection.execute(sa.text("SET LOCAL session_replication_role = replica"))
        for table in tables:
            connection.execute(sa.text(f'DELETE FROM "{table}"'))
        connection.execute(sa.text(
            "SELECT setval(c.oid, 1, false) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE c.relkind = 'S' AND n.nspname = 'public'"
        ))


@pytest.fixture
def clock():
    """The server clock, starting at 2026-11-22 10:00 Beijing time."""
    return Clock()


class ArrangedClient(FlaskClient):
    """A test client that first commits what the test arranged through the `session` fixture, as if an
    earlier request had done it (services never commit: the entry point does)."""

    def open(self, *args, **kwargs):
        """Commit the test's arrangement, then send the request."""
        arranged, thread = self.application.extensions.get(ARRANGED, (None, None))
        if arranged is not None and thread == threading.get_ident():  # sessions are not shared across threads
            arranged.commit()
        return super().open(*args, **kwargs)


ARRANGED = "tests: the session fixture"


def make_test_app(database_url: str, clock: Clock, **overrides):
    """An app on the given database with test settings (CSRF off unless overridden)."""
    config = {
        "TESTING": True,
        "DATABASE_URL": database_url,
        "SECRET_KEY": "test-secret-key-not-for-production",
        "WTF_CSRF_ENABLED": False,
        "CLOCK": clock,
        "RATELIMIT_STORAGE_URI": "memory://",
        # tests read English; the product's default (Chinese) is tested on its own
        "BABEL_DEFAULT_LOCALE": "en",
    }
    config.update(overrides)
    app = create_app(config)
    app.test_client_class = ArrangedClient
    return app


@pytest.fixture
def app(database_url, clock):
    """The marketplace app on a clean database."""
    app = make_test_app(database_url, clock)
    yield app
    app.extensions["market.engine"].dispose()


@pytest.fixture
def csrf_app(database_url, clock):
    """The app with CSRF protection on, as in production."""
    app = make_test_app(database_url, clock, WTF_CSRF_ENABLED=True)
    yield app
    app.extensions["market.engine"].dispose()


@pytest.fixture
def session(app):
    """A database session for arranging data and calling services directly (requests by the test client
    commit it first)."""
    with app.extensions["market.sessions"]() as session:
        app.extensions[ARRANGED] = (session, threading.get_ident())
        yield session
        app.extensions.pop(ARRANGED, None)


@pytest.fixture
def client(app):
    """A test client."""
    return app.test_client()


class AuthActions:
    """Log in and out through the real forms."""

    def __init__(self, client):
        self._client = client

    def login(self, email: str, password: str = "password-123"):
        """Post the login form."""
        return self._client.post("/login", data={"email": email, "password": password})

    def logout(self):
        """Post the logout form."""
        return self._client.post("/logout")


@pytest.fixture
def auth(client):
    """Log the test client in and out."""
    return AuthActions(client)
