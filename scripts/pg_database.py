"""Create or drop a PostgreSQL database for a test run: pg_database.py create|drop ADMIN_URL NAME."""

from __future__ import annotations

import re
import sys

import sqlalchemy as sa


def main(verb: str, admin_url: str, name: str) -> int:
    """Exit 0 on success, 1 when no server answers (create) — CI then skips the PostgreSQL run."""
    if not re.fullmatch(r"[a-z0-9_]+", name):
        print(f"bad database name {name!r}", file=sys.stderr)
        return 2
    try:
        engine = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 5})
        with engine.connect() as connection:
            if verb == "create":
                connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
            else:
                connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        engine.dispose()
    except sa.exc.OperationalError as error:
        print(f"PostgreSQL not available: {error.orig}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:4]))
