"""The IP register as the centre has read it: each asset's legal-status changes, and the holds they caused."""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
import sqlalchemy.orm as so

from market.domain.registry import HoldResolution, RegistryStatus
from market.models.base import Base, UTCDateTime, enum_column
from market.models.cases import DisposalCase
from market.models.core import IPAsset, User

__all__ = ["RegistryChange", "RegistryHold"]


class RegistryChange(Base):
    """One legal-status change of an asset at the IP office: append-only, newest effective date wins."""

    __tablename__ = "registry_change"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    asset_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("ip_asset.id"))
    status: so.Mapped[RegistryStatus] = so.mapped_column(enum_column(RegistryStatus))
    effective_on: so.Mapped[date] = so.mapped_column(sa.Date)
    event_code: so.Mapped[str] = so.mapped_column(sa.String(60), default="")  # the office's, when imported
    source_ref: so.Mapped[str] = so.mapped_column(sa.String(200))  # the office's document or announcement
    recorded_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime)
    recorded_by_user_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("user_account.id"))

    asset: so.Mapped[IPAsset] = so.relationship()
    recorded_by: so.Mapped[User | None] = so.relationship()

    __table_args__ = (sa.Index("ix_registry_change_asset", "asset_id", "effective_on", "id"),)


class RegistryHold(Base):
    """A case (and its live round, if any) stopped by a registry change until the operator resumes or
    withdraws; `remaining_seconds` is what the round's deadline had left when it stopped."""

    __tablename__ = "registry_hold"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    change_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("registry_change.id"))
    case_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("disposal_case.id"), index=True)
    auction_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("auction.id"))
    licence_round_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("licence_round.id"))
    held_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime)
    remaining_seconds: so.Mapped[int | None] = so.mapped_column(sa.Integer)
    case_suspended: so.Mapped[bool] = so.mapped_column(default=False)  # this hold suspended the case
    resolution: so.Mapped[HoldResolution | None] = so.mapped_column(enum_column(HoldResolution))
    resolved_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime)
    resolution_reason: so.Mapped[str] = so.mapped_column(sa.Text, default="")
    resolved_by_user_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("user_account.id"))

    change: so.Mapped[RegistryChange] = so.relationship()
    case: so.Mapped[DisposalCase] = so.relationship()

    __table_args__ = (
        sa.CheckConstraint("remaining_seconds IS NULL OR remaining_seconds >= 0", name="remaining_not_negative"),
        sa.CheckConstraint("(resolution IS NULL) = (resolved_at IS NULL)", name="resolved_together"),
        # at most one unresolved hold per case
        sa.Index("uq_registry_hold_open_case", "case_id", unique=True,
                 sqlite_where=sa.text("resolved_at IS NULL"), postgresql_where=sa.text("resolved_at IS NULL")),
    )
