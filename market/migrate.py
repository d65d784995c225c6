"""Run Alembic migrations from code (init-db, tests) against a given engine."""

from __future__ import annotations

from alembic import command
from alembic.config import Config
from sqlalchemy.engine import Engine

from market.config import PROJECT_ROOT


def alembic_config() -> Config:
    """The project's Alembic configuration."""
    return Config(str(PROJECT_ROOT / "alembic.ini"))


def upgrade_to_head(engine: Engine) -> None:
    """Migrate the database behind the engine to the newest revision."""
    config = alembic_config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")
