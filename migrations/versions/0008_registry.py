"""The IP registry: each asset"s legal-status changes (append-only) and the holds they put on cases,
auction rounds and licence rounds (issue 17)

Revision ID: 0008_registry
Revises: 0006_i_ops
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import market.models.base
from market.migrate import allow_changes, forbid_changes


revision = "0008_registry"
down_revision = "0007_i_risk"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table("registry_change",
    sa.Column("id", sa.Integer(), nullable=False),
    sa.Column("asset_id", sa.Integer(), nullable=False),
    sa.Column("status", sa.Enum("in_force", "lapsed", "invalidated", "pledged", "pledge_changed", "pledge_released", "changed", name="registrystatus", native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column("effective_on", sa.Date(), nullable=False),
    sa.Column("event_code", sa.String(length=60), nullable=False),
    sa.Column("source_ref", sa.String(length=200), nullable=False),
    sa.Column("recorded_at", market.models.base.UTCDateTime(), nullable=False),
    sa.Column("recorded_by_user_id", sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(["asset_id"], ["ip_asset.id"], name=op.f("fk_registry_change_asset_id_ip_asset")),
    sa.ForeignKeyConstraint(["recorded_by_user_id"], ["user_account.id"], name=op.f("fk_registry_change_recorded_by_user_id_user_account")),
    sa.PrimaryKeyConstraint("id", name=op.f("pk_registry_change"))
    )
    with op.batch_alter_table("registry_change", schema=None) as batch_op:
        batch_op.create_index("ix_registry_change_asset", ["asset_id", "effective_on", "id"], unique=False)

    op.create_table("registry_hold",
    sa.Column("id", sa.Integer(), nullable=False),
    sa.Column("change_id", sa.Integer(), nullable=False),
    sa.Column("case_id", sa.Integer(), nullable=False),
    sa.Column("auction_id", sa.Integer(), nullable=True),
    sa.Column("licence_round_id", sa.Integer(), nullable=True),
    sa.Column("held_at", market.models.base.UTCDateTime(), nullable=False),
    sa.Column("remaining_seconds", sa.Integer(), nullable=True),
    sa.Column("case_suspended", sa.Boolean(), nullable=False),
    sa.Column("resolution", sa.Enum("resumed", "withdrawn", name="holdresolution", native_enum=False, create_constraint=True, length=32), nullable=True),
    sa.Column("resolved_at", market.models.base.UTCDateTime(), nullable=True),
    sa.Column("resolution_reason", sa.Text(), nullable=False),
    sa.Column("resolved_by_user_id", sa.Integer(), nullable=True),
    sa.CheckConstraint("(resolution IS NULL) = (resolved_at IS NULL)", name=op.f("ck_registry_hold_resolved_together")),
    sa.CheckConstraint("remaining_seconds IS NULL OR remaining_seconds >= 0", name=op.f("ck_registry_hold_remaining_not_negative")),
    sa.ForeignKeyConstraint(["auction_id"], ["auction.id"], name=op.f("fk_registry_hold_auction_id_auction")),
    sa.ForeignKeyConstraint(["case_id"], ["disposal_case.id"], name=op.f("fk_registry_hold_case_id_disposal_case")),
    sa.ForeignKeyConstraint(["change_id"], ["registry_change.id"], name=op.f("fk_registry_hold_change_id_registry_change")),
    sa.ForeignKeyConstraint(["licence_round_id"], ["licence_round.id"], name=op.f("fk_registry_hold_licence_round_id_licence_round")),
    sa.ForeignKeyConstraint(["resolved_by_user_id"], ["user_account.id"], name=op.f("fk_registry_hold_resolved_by_user_id_user_account")),
    sa.PrimaryKeyConstraint("id", name=op.f("pk_registry_hold"))
    )
    with op.batch_alter_table("registry_hold", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_registry_hold_case_id"), ["case_id"], unique=False)
        batch_op.create_index("uq_registry_hold_open_case", ["case_id"], unique=True, sqlite_where=sa.text("resolved_at IS NULL"), postgresql_where=sa.text("resolved_at IS NULL"))

    with op.batch_alter_table("auction", schema=None) as batch_op:
        batch_op.add_column(sa.Column("held_at", market.models.base.UTCDateTime(), nullable=True))
    with op.batch_alter_table("licence_round", schema=None) as batch_op:
        batch_op.add_column(sa.Column("held_at", market.models.base.UTCDateTime(), nullable=True))
    forbid_changes(op, ("registry_change",))


def downgrade() -> None:
    allow_changes(op, ("registry_change",))
    with op.batch_alter_table("licence_round", schema=None) as batch_op:
        batch_op.drop_column("held_at")

    with op.batch_alter_table("auction", schema=None) as batch_op:
        batch_op.drop_column("held_at")

    with op.batch_alter_table("registry_hold", schema=None) as batch_op:
        batch_op.drop_index("uq_registry_hold_open_case", sqlite_where=sa.text("resolved_at IS NULL"), postgresql_where=sa.text("resolved_at IS NULL"))
        batch_op.drop_index(batch_op.f("ix_registry_hold_case_id"))

    op.drop_table("registry_hold")
    with op.batch_alter_table("registry_change", schema=None) as batch_op:
        batch_op.drop_index("ix_registry_change_asset")

    op.drop_table("registry_change")
