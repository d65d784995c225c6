"""A lot"s data room, questions and inspections: documents, NDA acceptances, approvals, downloads (issue 21)

Revision ID: 0012_data_room
Revises: 0014_sandbox_clock
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import market.models.base
from market.migrate import allow_changes, forbid_changes

revision = "0012_data_room"
down_revision = "0014_sandbox_clock"
branch_labels = None
depends_on = None

# who accepted which NDA, and every download, are kept as they were written
APPEND_ONLY = ("nda_acceptance", "document_download")


def upgrade() -> None:
    op.create_table("data_room",
    sa.Column("id", sa.Integer(), nullable=False),
    sa.Column("case_id", sa.Integer(), nullable=False),
    sa.Column("approval_required", sa.Boolean(), server_default=sa.false(), nullable=False),
    sa.Column("questions_closed_at", market.models.base.UTCDateTime(), nullable=True),
    sa.Column("updated_at", market.models.base.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(["case_id"], ["disposal_case.id"], name=op.f("fk_data_room_case_id_disposal_case")),
    sa.PrimaryKeyConstraint("id", name=op.f("pk_data_room")),
    sa.UniqueConstraint("case_id", name=op.f("uq_data_room_case_id"))
    )
    op.create_table("inspection_slot",
    sa.Column("id", sa.Integer(), nullable=False),
    sa.Column("case_id", sa.Integer(), nullable=False),
    sa.Column("kind", sa.Enum("technology_demonstration", "inventor_session", "physical_carriers", name="inspectionkind", native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column("starts_at", market.models.base.UTCDateTime(), nullable=False),
    sa.Column("ends_at", market.models.base.UTCDateTime(), nullable=False),
    sa.Column("place", sa.String(length=200), nullable=False),
    sa.Column("capacity", sa.Integer(), nullable=False),
    sa.Column("booked", sa.Integer(), nullable=False),
    sa.Column("published_by_user_id", sa.Integer(), nullable=False),
    sa.Column("published_at", market.models.base.UTCDateTime(), nullable=False),
    sa.Column("cancelled_at", market.models.base.UTCDateTime(), nullable=True),
    sa.CheckConstraint("booked >= 0 AND booked <= capacity", name=op.f("ck_inspection_slot_booked_within_capacity")),
    sa.CheckConstraint("capacity > 0", name=op.f("ck_inspection_slot_capacity_positive")),
    sa.CheckConstraint("ends_at > starts_at", name=op.f("ck_inspection_slot_ends_after_start")),
    sa.ForeignKeyConstraint(["case_id"], ["disposal_case.id"], name=op.f("fk_inspection_slot_case_id_disposal_case")),
    sa.ForeignKeyConstraint(["published_by_user_id"], ["user_account.id"], name=op.f("fk_inspection_slot_published_by_user_id_user_account")),
    sa.PrimaryKeyConstraint("id", name=op.f("pk_inspection_slot"))
    )
    with op.batch_alter_table("inspection_slot", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_inspection_slot_case_id"), ["case_id"], unique=False)

    op.create_table("lot_question",
    sa.Column("id", sa.Integer(), nullable=False),
    sa.Column("case_id", sa.Integer(), nullable=False),
    sa.Column("text", sa.Text(), nullable=False),
    sa.Column("asked_by_user_id", sa.Integer(), nullable=False),
    sa.Column("asker_institution_id", sa.Integer(), nullable=True),
    sa.Column("asked_at", market.models.base.UTCDateTime(), nullable=False),
    sa.Column("answer", sa.Text(), nullable=True),
    sa.Column("answered_by_user_id", sa.Integer(), nullable=True),
    sa.Column("answered_at", market.models.base.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(["answered_by_user_id"], ["user_account.id"], name=op.f("fk_lot_question_answered_by_user_id_user_account")),
    sa.ForeignKeyConstraint(["asked_by_user_id"], ["user_account.id"], name=op.f("fk_lot_question_asked_by_user_id_user_account")),
    sa.ForeignKeyConstraint(["asker_institution_id"], ["institution.id"], name=op.f("fk_lot_question_asker_institution_id_institution")),
    sa.ForeignKeyConstraint(["case_id"], ["disposal_case.id"], name=op.f("fk_lot_question_case_id_disposal_case")),
    sa.PrimaryKeyConstraint("id", name=op.f("pk_lot_question"))
    )
    with op.batch_alter_table("lot_question", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_lot_question_case_id"), ["case_id"], unique=False)

    op.create_table("nda_acceptance",
    sa.Column("id", sa.Integer(), nullable=False),
    sa.Column("case_id", sa.Integer(), nullable=False),
    sa.Column("institution_id", sa.Integer(), nullable=False),
    sa.Column("nda_version", sa.String(length=20), nullable=False),
    sa.Column("accepted_by_user_id", sa.Integer(), nullable=False),
    sa.Column("accepted_at", market.models.base.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(["accepted_by_user_id"], ["user_account.id"], name=op.f("fk_nda_acceptance_accepted_by_user_id_user_account")),
    sa.ForeignKeyConstraint(["case_id"], ["disposal_case.id"], name=op.f("fk_nda_acceptance_case_id_disposal_case")),
    sa.ForeignKeyConstraint(["institution_id"], ["institution.id"], name=op.f("fk_nda_acceptance_institution_id_institution")),
    sa.PrimaryKeyConstraint("id", name=op.f("pk_nda_acceptance")),
    sa.UniqueConstraint("case_id", "institution_id", "nda_version", name=op.f("uq_nda_acceptance_case_id_institution_id_nda_version"))
    )
    op.create_table("room_approval",
    sa.Column("id", sa.Integer(), nullable=False),
    sa.Column("case_id", sa.Integer(), nullable=False),
    sa.Column("institution_id", sa.Integer(), nullable=False),
    sa.Column("approved_by_user_id", sa.Integer(), nullable=False),
    sa.Column("approved_at", market.models.base.UTCDateTime(), nullable=False),
    sa.Column("revoked_at", market.models.base.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(["approved_by_user_id"], ["user_account.id"], name=op.f("fk_room_approval_approved_by_user_id_user_account")),
    sa.ForeignKeyConstraint(["case_id"], ["disposal_case.id"], name=op.f("fk_room_approval_case_id_disposal_case")),
    sa.ForeignKeyConstraint(["institution_id"], ["institution.id"], name=op.f("fk_room_approval_institution_id_institution")),
    sa.PrimaryKeyConstraint("id", name=op.f("pk_room_approval")),
    sa.UniqueConstraint("case_id", "institution_id", name=op.f("uq_room_approval_case_id_institution_id"))
    )
    op.create_table("room_document",
    sa.Column("id", sa.Integer(), nullable=False),
    sa.Column("case_id", sa.Integer(), nullable=False),
    sa.Column("document_id", sa.Integer(), nullable=False),
    sa.Column("category", sa.Enum("title_certificate", "registry_extract", "valuation_report", "licence", "encumbrance", "pledge_registration", "other", name="documentcategory", native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column("title", sa.String(length=200), nullable=False),
    sa.Column("confidential", sa.Boolean(), nullable=False),
    sa.Column("added_at", market.models.base.UTCDateTime(), nullable=False),
    sa.Column("added_by_user_id", sa.Integer(), nullable=False),
    sa.Column("withdrawn_at", market.models.base.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(["added_by_user_id"], ["user_account.id"], name=op.f("fk_room_document_added_by_user_id_user_account")),
    sa.ForeignKeyConstraint(["case_id"], ["disposal_case.id"], name=op.f("fk_room_document_case_id_disposal_case")),
    sa.ForeignKeyConstraint(["document_id"], ["stored_document.id"], name=op.f("fk_room_document_document_id_stored_document")),
    sa.PrimaryKeyConstraint("id", name=op.f("pk_room_document"))
    )
    with op.batch_alter_table("room_document", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_room_document_case_id"), ["case_id"], unique=False)

    op.create_table("document_download",
    sa.Column("id", sa.Integer(), nullable=False),
    sa.Column("room_document_id", sa.Integer(), nullable=False),
    sa.Column("user_id", sa.Integer(), nullable=True),
    sa.Column("institution_id", sa.Integer(), nullable=True),
    sa.Column("via", sa.String(length=10), nullable=False),
    sa.Column("downloaded_at", market.models.base.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(["institution_id"], ["institution.id"], name=op.f("fk_document_download_institution_id_institution")),
    sa.ForeignKeyConstraint(["room_document_id"], ["room_document.id"], name=op.f("fk_document_download_room_document_id_room_document")),
    sa.ForeignKeyConstraint(["user_id"], ["user_account.id"], name=op.f("fk_document_download_user_id_user_account")),
    sa.PrimaryKeyConstraint("id", name=op.f("pk_document_download"))
    )
    with op.batch_alter_table("document_download", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_document_download_room_document_id"), ["room_document_id"], unique=False)

    op.create_table("inspection_booking",
    sa.Column("id", sa.Integer(), nullable=False),
    sa.Column("slot_id", sa.Integer(), nullable=False),
    sa.Column("institution_id", sa.Integer(), nullable=False),
    sa.Column("booked_by_user_id", sa.Integer(), nullable=False),
    sa.Column("booked_at", market.models.base.UTCDateTime(), nullable=False),
    sa.Column("cancelled_at", market.models.base.UTCDateTime(), nullable=True),
    sa.Column("attendance", sa.Enum("attended", "absent", name="attendance", native_enum=False, create_constraint=True, length=32), nullable=True),
    sa.Column("attendance_recorded_at", market.models.base.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(["booked_by_user_id"], ["user_account.id"], name=op.f("fk_inspection_booking_booked_by_user_id_user_account")),
    sa.ForeignKeyConstraint(["institution_id"], ["institution.id"], name=op.f("fk_inspection_booking_institution_id_institution")),
    sa.ForeignKeyConstraint(["slot_id"], ["inspection_slot.id"], name=op.f("fk_inspection_booking_slot_id_inspection_slot")),
    sa.PrimaryKeyConstraint("id", name=op.f("pk_inspection_booking")),
    sa.UniqueConstraint("slot_id", "institution_id", name=op.f("uq_inspection_booking_slot_id_institution_id"))
    )
    forbid_changes(op, APPEND_ONLY)


def downgrade() -> None:
    allow_changes(op, APPEND_ONLY)
    op.drop_table("inspection_booking")
    with op.batch_alter_table("document_download", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_document_download_room_document_id"))

    op.drop_table("document_download")
    with op.batch_alter_table("room_document", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_room_document_case_id"))

    op.drop_table("room_document")
    op.drop_table("room_approval")
    op.drop_table("nda_acceptance")
    with op.batch_alter_table("lot_question", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_lot_question_case_id"))

    op.drop_table("lot_question")
    with op.batch_alter_table("inspection_slot", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_inspection_slot_case_id"))

    op.drop_table("inspection_slot")
    op.drop_table("data_room")
