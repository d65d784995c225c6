"""The sandbox's clock anchor: one row that every worker and the tick process read (issue 21)

Revision ID: 0014_sandbox_clock
Revises: 0016_notices
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import market.models.base

revision = "0014_sandbox_clock"
down_revision = "0016_notices"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "sandbox_clock",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("real_at", market.models.base.UTCDateTime(), nullable=False),
        sa.Column("sandbox_at", market.models.base.UTCDateTime(), nullable=False),
        sa.Column("factor", sa.Integer(), nullable=False),
        sa.CheckConstraint("id = 1", name=op.f("ck_sandbox_clock_one_row")),
        sa.CheckConstraint("factor >= 1", name=op.f("ck_sandbox_clock_factor_positive")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sandbox_clock")),
    )


def downgrade() -> None:
    op.drop_table("sandbox_clock")
