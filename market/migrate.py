"""Run Alembic migrations from code (init-db, tests) against a given engine."""

from __future__ import annotations

from alembic import command
from alembic.config import Config
from sqlalchemy.engine import Engine


def alembic_config() -> Config:
    """The project's Alembic configuration, built here so an installed package migrates without alembic.ini
    (which stays for developers' `alembic` commands in a checkout)."""
    config = Config()
    # Alembic's package-resource form: the top-level migrations/, shipped as market/_migrations
    config.set_main_option("script_location", "market:_migrations")
    config.set_main_option("path_separator", "os")
    return config


def upgrade_to_head(engine: Engine) -> None:
    """Migrate the database behind the engine to the newest revision."""
    config = alembic_config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")


def forbid_changes(op, tables: tuple[str, ...]) -> None:
    """Make tables append-only in the database itself: UPDATE, DELETE and TRUNCATE are refused by triggers.

    On PostgreSQL the shared trigger function forbid_change() is created by migration 0001.
    """
    sqlite = op.get_bind().dialect.name == "sqlite"
    for table in tables:
        if sqlite:
            for verb in ("UPDATE", "DELETE"):
                op.execute(
                    f"CREATE TRIGGER {table}_no_{verb.lower()} BEFORE {verb} ON {table} "
                    f"BEGIN SELECT RAISE(ABORT, '{table} is append-only'); END"
                )
        else:
            op.execute(
                f"CREATE TRIGGER {table}_no_change BEFORE UPDATE OR DELETE ON {table} "
                "FOR EACH ROW EXECUTE FUNCTION forbid_change()"
            )
    forbid_truncate(op, tables)


def forbid_truncate(op, tables: tuple[str, ...]) -> None:
    """On PostgreSQL, refuse TRUNCATE of the tables too (a statement trigger; row triggers do not see it).
    SQLite has no TRUNCATE, and its DELETE without WHERE meets the row triggers."""
    if op.get_bind().dialect.name != "postgresql":
        return
    for table in tables:
        op.execute(f"CREATE OR REPLACE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
                   "FOR EACH STATEMENT EXECUTE FUNCTION forbid_change()")


def allow_changes(op, tables: tuple[str, ...]) -> None:
    """Drop the append-only triggers of forbid_changes (downgrades)."""
    sqlite = op.get_bind().dialect.name == "sqlite"
    for table in tables:
        if sqlite:
            op.execute(f"DROP TRIGGER IF EXISTS {table}_no_update")
            op.execute(f"DROP TRIGGER IF EXISTS {table}_no_delete")
        else:
            op.execute(f"DROP TRIGGER IF EXISTS {table}_no_change ON {table}")
            op.execute(f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table}")
