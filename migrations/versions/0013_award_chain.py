"""The award chain (second-bidder offer after a winner's default) and signed confirmations of sale (issue 21)

Revision ID: 0013_award_chain
Revises: 0011_qualification
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import market.models.base
from market.migrate import allow_changes, forbid_changes, replace_check

revision = "0013_award_chain"
down_revision = "0011_qualification"
branch_labels = None
depends_on = None

OLD_STATUSES = "'open', 'first_refusal', 'awarded', 'sold', 'defaulted', 'failed', 'cancelled'"
NEW_STATUSES = ("'open', 'first_refusal', 'awarded', 'second_bidder_decision', 'second_bidder_offered', 'sold', "
                "'defaulted', 'failed', 'cancelled'")


def upgrade() -> None:
    with op.batch_alter_table("auction", schema=None) as batch_op:
        batch_op.add_column(sa.Column("second_bidder_offer_allowed", sa.Boolean(), server_default=sa.false(),
                                      nullable=False))
        batch_op.add_column(sa.Column("second_bidder_decision_due_at", market.models.base.UTCDateTime(),
                                      nullable=True))
        batch_op.add_column(sa.Column("second_bidder_answer_due_at", market.models.base.UTCDateTime(),
                                      nullable=True))
    replace_check(op, "auction", "ck_auction_auctionstatus", f"status IN ({OLD_STATUSES})",
                  f"status IN ({NEW_STATUSES})")

    op.create_table(
        "second_bidder_offer",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("auction_id", sa.Integer(), nullable=False),
        sa.Column("bidder_id", sa.Integer(), nullable=False),
        sa.Column("institution_id", sa.Integer(), nullable=False),
        sa.Column("price_fen", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.Enum("offered", "accepted", "declined", "lapsed", name="secondofferstatus",
                                    native_enum=False, create_constraint=True, length=32), nullable=False),
        sa.Column("offered_at", market.models.base.UTCDateTime(), nullable=False),
        sa.Column("offered_by_user_id", sa.Integer(), nullable=True),
        sa.Column("answer_due_at", market.models.base.UTCDateTime(), nullable=False),
        sa.Column("answered_at", market.models.base.UTCDateTime(), nullable=True),
        sa.Column("answered_by_user_id", sa.Integer(), nullable=True),
        sa.CheckConstraint("price_fen > 0", name=op.f("ck_second_bidder_offer_price_positive")),
        sa.ForeignKeyConstraint(["auction_id"], ["auction.id"], name=op.f("fk_second_bidder_offer_auction_id_auction")),
        sa.ForeignKeyConstraint(["bidder_id"], ["auction_bidder.id"],
                                name=op.f("fk_second_bidder_offer_bidder_id_auction_bidder")),
        sa.ForeignKeyConstraint(["institution_id"], ["institution.id"],
                                name=op.f("fk_second_bidder_offer_institution_id_institution")),
        sa.ForeignKeyConstraint(["offered_by_user_id"], ["user_account.id"],
                                name=op.f("fk_second_bidder_offer_offered_by_user_id_user_account")),
        sa.ForeignKeyConstraint(["answered_by_user_id"], ["user_account.id"],
                                name=op.f("fk_second_bidder_offer_answered_by_user_id_user_account")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_second_bidder_offer")),
        sa.UniqueConstraint("auction_id", name=op.f("uq_second_bidder_offer_auction_id")),
    )
    op.create_index(op.f("ix_second_bidder_offer_institution_id"), "second_bidder_offer", ["institution_id"],
                    unique=False)

    op.create_table(
        "sale_confirmation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("auction_id", sa.Integer(), nullable=False),
        sa.Column("document_id", sa.Integer(), nullable=False),
        sa.Column("document_sha256", sa.String(length=64), nullable=False),
        sa.Column("seller_institution_id", sa.Integer(), nullable=False),
        sa.Column("buyer_institution_id", sa.Integer(), nullable=False),
        sa.Column("price_fen", sa.BigInteger(), nullable=False),
        sa.Column("generated_at", market.models.base.UTCDateTime(), nullable=False),
        sa.Column("signed_document_id", sa.Integer(), nullable=True),
        sa.Column("signed_at", market.models.base.UTCDateTime(), nullable=True),
        sa.CheckConstraint("price_fen > 0", name=op.f("ck_sale_confirmation_price_positive")),
        sa.CheckConstraint("(signed_document_id IS NULL) = (signed_at IS NULL)",
                           name=op.f("ck_sale_confirmation_signed_together")),
        sa.ForeignKeyConstraint(["case_id"], ["disposal_case.id"], name=op.f("fk_sale_confirmation_case_id_disposal_case")),
        sa.ForeignKeyConstraint(["auction_id"], ["auction.id"], name=op.f("fk_sale_confirmation_auction_id_auction")),
        sa.ForeignKeyConstraint(["document_id"], ["stored_document.id"],
                                name=op.f("fk_sale_confirmation_document_id_stored_document")),
        sa.ForeignKeyConstraint(["signed_document_id"], ["stored_document.id"],
                                name=op.f("fk_sale_confirmation_signed_document_id_stored_document")),
        sa.ForeignKeyConstraint(["seller_institution_id"], ["institution.id"],
                                name=op.f("fk_sale_confirmation_seller_institution_id_institution")),
        sa.ForeignKeyConstraint(["buyer_institution_id"], ["institution.id"],
                                name=op.f("fk_sale_confirmation_buyer_institution_id_institution")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sale_confirmation")),
        sa.UniqueConstraint("auction_id", name=op.f("uq_sale_confirmation_auction_id")),
        sa.UniqueConstraint("case_id", name=op.f("uq_sale_confirmation_case_id")),
    )

    op.create_table(
        "confirmation_signature",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("confirmation_id", sa.Integer(), nullable=False),
        sa.Column("party", sa.Enum("seller", "buyer", name="sale_party", native_enum=False, create_constraint=True,
                                   length=32), nullable=False),
        sa.Column("institution_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("method", sa.Enum("electronic_acceptance", "qualified", name="signaturemethod", native_enum=False,
                                    create_constraint=True, length=32), nullable=False),
        sa.Column("document_sha256", sa.String(length=64), nullable=False),
        sa.Column("evidence", sa.Text(), nullable=False),
        sa.Column("evidence_sha256", sa.String(length=64), nullable=False),
        sa.Column("signed_at", market.models.base.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["confirmation_id"], ["sale_confirmation.id"],
                                name=op.f("fk_confirmation_signature_confirmation_id_sale_confirmation")),
        sa.ForeignKeyConstraint(["institution_id"], ["institution.id"],
                                name=op.f("fk_confirmation_signature_institution_id_institution")),
        sa.ForeignKeyConstraint(["user_id"], ["user_account.id"],
                                name=op.f("fk_confirmation_signature_user_id_user_account")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_confirmation_signature")),
        sa.UniqueConstraint("confirmation_id", "party", name="uq_confirmation_signature_party"),
    )
    forbid_changes(op, ("confirmation_signature",))


def downgrade() -> None:
    allow_changes(op, ("confirmation_signature",))
    op.drop_table("confirmation_signature")
    op.drop_table("sale_confirmation")
    op.drop_index(op.f("ix_second_bidder_offer_institution_id"), table_name="second_bidder_offer")
    op.drop_table("second_bidder_offer")
    op.execute("UPDATE auction SET status = 'defaulted' "
               "WHERE status IN ('second_bidder_decision', 'second_bidder_offered')")
    replace_check(op, "auction", "ck_auction_auctionstatus", f"status IN ({NEW_STATUSES})",
                  f"status IN ({OLD_STATUSES})")
    with op.batch_alter_table("auction", schema=None) as batch_op:
        batch_op.drop_column("second_bidder_answer_due_at")
        batch_op.drop_column("second_bidder_decision_due_at")
        batch_op.drop_column("second_bidder_offer_allowed")
