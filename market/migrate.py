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


def replace_check(op, table: str, name: str, old_condition: str, new_condition: str) -> None:
    """Replace a CHECK constraint (e.g. an enum column's list of values) on a table that others reference.

    PostgreSQL drops and adds it. SQLite cannot alter a constraint, and Alembic's batch copy would drop a table
    other tables' foreign keys point at, which SQLite refuses (the implicit DELETE) even when deferred, because
    the copy was filled under another name. So the table is kept aside, dropped and re-created from its own
    stored SQL with the new condition, and refilled under its own name, which settles the deferred checks.
    """
    if op.get_bind().dialect.name != "sqlite":
        op.drop_constraint(op.f(name), table, type_="check")
        op.create_check_constraint(op.f(name), table, new_condition)
        return
    bind = op.get_bind()
    table_sql = bind.exec_driver_sql(
        "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?", (table,)).scalar_one()
    old = f"CONSTRAINT {name} CHECK ({old_condition})"
    if old not in table_sql:
        raise RuntimeError(f"{table}: constraint {name} is not CHECK ({old_condition})")
    others = [sql for (sql,) in bind.exec_driver_sql(
        "SELECT sql FROM sqlite_master WHERE tbl_name = ? AND type IN ('index', 'trigger') AND sql IS NOT NULL",
        (table,))]
    op.execute("PRAGMA defer_foreign_keys = ON")  # until this transaction commits
    op.execute(f"CREATE TABLE _kept_{table} AS SELECT * FROM {table}")
    op.execute(f"DROP TABLE {table}")
    op.execute(table_sql.replace(old, f"CONSTRAINT {name} CHECK ({new_condition})"))
    op.execute(f"INSERT INTO {table} SELECT * FROM _kept_{table}")
    op.execute(f"DROP TABLE _kept_{table}")
    for sql in others:
        op.execute(sql)
