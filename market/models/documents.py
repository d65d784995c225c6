"""Documents kept by the platform: proofs, data-room files, generated confirmations (bytes and fingerprint)."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
import sqlalchemy.orm as so

from market.models.base import Base, UTCDateTime

__all__ = ["StoredDocument"]


class StoredDocument(Base):
    """One file as received: its bytes, SHA-256, kept name and media type; never changed once stored."""

    __tablename__ = "stored_document"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    filename: so.Mapped[str] = so.mapped_column(sa.String(200))
    media_type: so.Mapped[str] = so.mapped_column(sa.String(60))
    size_bytes: so.Mapped[int] = so.mapped_column(sa.Integer)
    sha256: so.Mapped[str] = so.mapped_column(sa.String(64), index=True)
    content: so.Mapped[bytes] = so.mapped_column(sa.LargeBinary, deferred=True)
    stored_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime)
    stored_by_user_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("user_account.id"))

    __table_args__ = (sa.CheckConstraint("size_bytes > 0", name="size_positive"),)
