"""The bureau's policy levers (issue 22): ratios by loan-size band and by bank, an annual cap on
compensation, a stop-loss line per bank

Revision ID: 0007_i_risk
Revises: 0006_i_ops
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import market.models.base

revision = "0007_i_risk"
down_revision = "0006_i_ops"
branch_labels = None
depends_on = None

# policy_version is append-only (its rows never change), so the columns are added in place (no batch
# copy of the table): earlier versions read as "no levers".
def _columns(sqlite: bool) -> tuple[sa.Column, ...]:
    """The new columns; SQLite cannot add a column's CHECK constraint in place (the enum's values are
    still checked by SQLAlchemy on every write)."""
    return (
        sa.Column("size_band_edges_fen", sa.JSON(), nullable=False, server_default="[]"),
        sa.Column("size_band_ratios_ppm", sa.JSON(), nullable=False, server_default="[]"),
        sa.Column("bank_ratios_ppm", sa.JSON(), nullable=False, server_default="{}"),
        sa.Column("annual_cap_fen", market.models.base.Fen(), nullable=True),
        sa.Column("stop_loss_ppm", sa.Integer(), nullable=True),
        sa.Column(
            "stop_loss_resume",
            sa.Enum("year_end", "below", name="stoplossresume", native_enum=False,
                    create_constraint=not sqlite, length=32),
            nullable=False,
            server_default="year_end",
        ),
    )


def upgrade() -> None:
    for column in _columns(op.get_bind().dialect.name == "sqlite"):
        op.add_column("policy_version", column)


def downgrade() -> None:
    for column in reversed(_columns(op.get_bind().dialect.name == "sqlite")):
        op.drop_column("policy_version", column.name)
