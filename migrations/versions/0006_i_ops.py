"""API tokens expire and record their last use (issue 23)

Revision ID: 0006_i_ops
Revises: 0005
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import market.models.base

revision = "0006_i_ops"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("api_token", schema=None) as batch_op:
        batch_op.add_column(sa.Column("expires_at", market.models.base.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column("last_used_at", market.models.base.UTCDateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("api_token", schema=None) as batch_op:
        batch_op.drop_column("last_used_at")
        batch_op.drop_column("expires_at")
