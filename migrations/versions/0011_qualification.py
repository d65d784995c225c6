"""Qualification and strikes: lot conditions, registrations with proofs, strikes and bans (issue 21)

Revision ID: 0011_qualification
Revises: 0019_mail
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import market.models.base

revision = "0011_qualification"
down_revision = "0019_mail"
branch_labels = None
depends_on = None

STATUSES = ("draft", "pending", "approved", "refused")


def upgrade() -> None:
    op.create_table(
        "lot_condition",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("text", sa.String(length=500), nullable=False),
        sa.Column("created_at", market.models.base.UTCDateTime(), nullable=False),
        sa.Column("created_by_user_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["case_id"], ["disposal_case.id"], name=op.f("fk_lot_condition_case_id_disposal_case")),
        sa.ForeignKeyConstraint(["created_by_user_id"], ["user_account.id"],
                                name=op.f("fk_lot_condition_created_by_user_id_user_account")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lot_condition")),
    )
    op.create_index(op.f("ix_lot_condition_case_id"), "lot_condition", ["case_id"], unique=False)
    op.create_table(
        "lot_registration",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("institution_id", sa.Integer(), nullable=False),
        sa.Column("credit_code", sa.String(length=18), nullable=False),
        sa.Column("status", sa.Enum(*STATUSES, name="qualificationstatus", native_enum=False, create_constraint=True,
                                     length=32), nullable=False),
        sa.Column("created_at", market.models.base.UTCDateTime(), nullable=False),
        sa.Column("submitted_at", market.models.base.UTCDateTime(), nullable=True),
        sa.Column("submitted_by_user_id", sa.Integer(), nullable=True),
        sa.Column("decided_at", market.models.base.UTCDateTime(), nullable=True),
        sa.Column("decided_by_user_id", sa.Integer(), nullable=True),
        sa.Column("decision_reason", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["disposal_case.id"],
                                name=op.f("fk_lot_registration_case_id_disposal_case")),
        sa.ForeignKeyConstraint(["institution_id"], ["institution.id"],
                                name=op.f("fk_lot_registration_institution_id_institution")),
        sa.ForeignKeyConstraint(["submitted_by_user_id"], ["user_account.id"],
                                name=op.f("fk_lot_registration_submitted_by_user_id_user_account")),
        sa.ForeignKeyConstraint(["decided_by_user_id"], ["user_account.id"],
                                name=op.f("fk_lot_registration_decided_by_user_id_user_account")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lot_registration")),
        sa.UniqueConstraint("case_id", "institution_id", name="uq_lot_registration_institution"),
    )
    op.create_index(op.f("ix_lot_registration_case_id"), "lot_registration", ["case_id"], unique=False)
    op.create_index(op.f("ix_lot_registration_institution_id"), "lot_registration", ["institution_id"], unique=False)
    op.create_index(op.f("ix_lot_registration_status"), "lot_registration", ["status"], unique=False)
    op.create_table(
        "registration_proof",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("registration_id", sa.Integer(), nullable=False),
        sa.Column("condition_id", sa.Integer(), nullable=False),
        sa.Column("document_id", sa.Integer(), nullable=False),
        sa.Column("attached_at", market.models.base.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["registration_id"], ["lot_registration.id"],
                                name=op.f("fk_registration_proof_registration_id_lot_registration")),
        sa.ForeignKeyConstraint(["condition_id"], ["lot_condition.id"],
                                name=op.f("fk_registration_proof_condition_id_lot_condition")),
        sa.ForeignKeyConstraint(["document_id"], ["stored_document.id"],
                                name=op.f("fk_registration_proof_document_id_stored_document")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_registration_proof")),
        sa.UniqueConstraint("registration_id", "condition_id", name="uq_registration_proof_condition"),
    )
    op.create_table(
        "bidding_strike",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("institution_id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("auction_id", sa.Integer(), nullable=False),
        sa.Column("struck_at", market.models.base.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["institution_id"], ["institution.id"],
                                name=op.f("fk_bidding_strike_institution_id_institution")),
        sa.ForeignKeyConstraint(["case_id"], ["disposal_case.id"], name=op.f("fk_bidding_strike_case_id_disposal_case")),
        sa.ForeignKeyConstraint(["auction_id"], ["auction.id"], name=op.f("fk_bidding_strike_auction_id_auction")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bidding_strike")),
        sa.UniqueConstraint("auction_id", name=op.f("uq_bidding_strike_auction_id")),
    )
    op.create_index(op.f("ix_bidding_strike_institution_id"), "bidding_strike", ["institution_id"], unique=False)
    op.create_table(
        "bidding_ban",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("institution_id", sa.Integer(), nullable=False),
        sa.Column("imposed_at", market.models.base.UTCDateTime(), nullable=False),
        sa.Column("strike_count", sa.Integer(), nullable=False),
        sa.Column("lifted_at", market.models.base.UTCDateTime(), nullable=True),
        sa.Column("lifted_by_user_id", sa.Integer(), nullable=True),
        sa.Column("lift_reason", sa.Text(), nullable=False),
        sa.CheckConstraint("strike_count > 0", name=op.f("ck_bidding_ban_strike_count_positive")),
        sa.ForeignKeyConstraint(["institution_id"], ["institution.id"],
                                name=op.f("fk_bidding_ban_institution_id_institution")),
        sa.ForeignKeyConstraint(["lifted_by_user_id"], ["user_account.id"],
                                name=op.f("fk_bidding_ban_lifted_by_user_id_user_account")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bidding_ban")),
    )
    op.create_index(op.f("ix_bidding_ban_institution_id"), "bidding_ban", ["institution_id"], unique=False)
    op.create_index("uq_bidding_ban_in_force", "bidding_ban", ["institution_id"], unique=True,
                    sqlite_where=sa.text("lifted_at IS NULL"), postgresql_where=sa.text("lifted_at IS NULL"))


def downgrade() -> None:
    op.drop_index("uq_bidding_ban_in_force", table_name="bidding_ban")
    op.drop_index(op.f("ix_bidding_ban_institution_id"), table_name="bidding_ban")
    op.drop_table("bidding_ban")
    op.drop_index(op.f("ix_bidding_strike_institution_id"), table_name="bidding_strike")
    op.drop_table("bidding_strike")
    op.drop_table("registration_proof")
    op.drop_index(op.f("ix_lot_registration_status"), table_name="lot_registration")
    op.drop_index(op.f("ix_lot_registration_institution_id"), table_name="lot_registration")
    op.drop_index(op.f("ix_lot_registration_case_id"), table_name="lot_registration")
    op.drop_table("lot_registration")
    op.drop_index(op.f("ix_lot_condition_case_id"), table_name="lot_condition")
    op.drop_table("lot_condition")
