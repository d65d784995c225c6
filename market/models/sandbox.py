"""The sandbox's clock anchor: one row, shared by every worker and the tick process (market.domain.sandbox)."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
import sqlalchemy.orm as so

from market.domain.sandbox import ClockAnchor
from market.models.base import Base, UTCDateTime

__all__ = ["SandboxClock"]

SANDBOX_CLOCK_ID = 1


class SandboxClock(Base):
    """Where the sandbox's clock was last set: real time, sandbox time and speed at that moment."""

    __tablename__ = "sandbox_clock"

    id: so.Mapped[int] = so.mapped_column(primary_key=True, autoincrement=False)
    real_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime)
    sandbox_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime)
    factor: so.Mapped[int] = so.mapped_column(sa.Integer)

    __table_args__ = (
        sa.CheckConstraint(f"id = {SANDBOX_CLOCK_ID}", name="one_row"),
        sa.CheckConstraint("factor >= 1", name="factor_positive"),
    )

    def anchor(self) -> ClockAnchor:
        """The row as the domain's anchor."""
        return ClockAnchor(real_at=self.real_at, sandbox_at=self.sandbox_at, factor=self.factor)
