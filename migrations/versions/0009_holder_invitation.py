"""One-time invitations for first-refusal holders to register and be linked (issue 17)

Revision ID: 0009_holder_invitation
Revises: 0006_i_ops
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import market.models.base

revision = "0009_holder_invitation"
down_revision = "0008_registry"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "holder_invitation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("holder_id", sa.Integer(), nullable=False),
        sa.Column("auction_id", sa.Integer(), nullable=False),
        sa.Column("created_by_user_id", sa.Integer(), nullable=False),
        sa.Column("created_at", market.models.base.UTCDateTime(), nullable=False),
        sa.Column("expires_at", market.models.base.UTCDateTime(), nullable=False),
        sa.Column("used_at", market.models.base.UTCDateTime(), nullable=True),
        sa.Column("used_by_user_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["auction_id"], ["auction.id"], name=op.f("fk_holder_invitation_auction_id_auction")),
        sa.ForeignKeyConstraint(["created_by_user_id"], ["user_account.id"],
                                name=op.f("fk_holder_invitation_created_by_user_id_user_account")),
        sa.ForeignKeyConstraint(["holder_id"], ["first_refusal_holder.id"],
                                name=op.f("fk_holder_invitation_holder_id_first_refusal_holder")),
        sa.ForeignKeyConstraint(["used_by_user_id"], ["user_account.id"],
                                name=op.f("fk_holder_invitation_used_by_user_id_user_account")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_holder_invitation")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_holder_invitation_token_hash")),
    )
    with op.batch_alter_table("holder_invitation", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_holder_invitation_holder_id"), ["holder_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("holder_invitation", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_holder_invitation_holder_id"))
    op.drop_table("holder_invitation")
