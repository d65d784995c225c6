"""Alembic environment: migrates the database named by the caller, MARKET_DATABASE_URL or instance/."""

from __future__ import annotations

from alembic import context

from market.config import default_database_url
from market.db import make_engine
from market.models import Base

config = context.config
target_metadata = Base.metadata


def run_migrations() -> None:
    """Run migrations on a live connection (passed in by init-db and tests, or made here)."""
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    url = config.get_main_option("sqlalchemy.url") or default_database_url()
    engine = make_engine(url)
    with engine.connect() as connection:
        _run(connection)
    engine.dispose()


def _run(connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    raise SystemExit("Offline (SQL script) migrations are not supported; run init-db against a database.")
run_migrations()
