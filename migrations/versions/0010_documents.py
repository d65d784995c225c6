"""Stored documents: proofs, data-room files and generated confirmations, with their SHA-256 (issue 21)

Revision ID: 0010_documents
Revises: 0009_holder_invitation
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import market.models.base

revision = "0010_documents"
down_revision = "0009_holder_invitation"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "stored_document",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("filename", sa.String(length=200), nullable=False),
        sa.Column("media_type", sa.String(length=60), nullable=False),
        sa.Column("size_bytes", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("stored_at", market.models.base.UTCDateTime(), nullable=False),
        sa.Column("stored_by_user_id", sa.Integer(), nullable=True),
        sa.CheckConstraint("size_bytes > 0", name=op.f("ck_stored_document_size_positive")),
        sa.ForeignKeyConstraint(["stored_by_user_id"], ["user_account.id"],
                                name=op.f("fk_stored_document_stored_by_user_id_user_account")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stored_document")),
    )
    op.create_index(op.f("ix_stored_document_sha256"), "stored_document", ["sha256"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_stored_document_sha256"), table_name="stored_document")
    op.drop_table("stored_document")
