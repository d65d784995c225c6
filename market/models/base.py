"""Declarative base, naming conventions and the column types every model shares."""

from __future__ import annotations

import enum
from datetime import UTC, datetime

import sqlalchemy as sa
import sqlalchemy.orm as so

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(sa.types.TypeDecorator):
    """Stores naive UTC on every engine and hands back timezone-aware UTC datetimes."""

    impl = sa.DateTime
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("Store aware datetimes only (UTC).")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return value.replace(tzinfo=UTC)


def enum_column(enum_cls: type[enum.Enum], **kwargs) -> sa.Enum:
    """A portable enum column: stored as its value, checked by a CHECK constraint."""
    return sa.Enum(
        enum_cls,
        native_enum=False,
        create_constraint=True,
        length=32,
        values_callable=lambda members: [m.value for m in members],
        validate_strings=True,
        name=kwargs.pop("name", enum_cls.__name__.lower()),
        **kwargs,
    )


def utcnow() -> datetime:
    """The current time, aware UTC."""
    return datetime.now(UTC)


Fen = sa.BigInteger


class Base(so.DeclarativeBase):
    """Base of all models."""

    metadata = sa.MetaData(naming_convention=NAMING)
