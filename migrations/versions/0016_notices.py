"""Notices: what happened, for which institutions, and each user's unread list (issue 20)

Revision ID: 0016_notices
Revises: 0010_documents
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import market.models.base
from market.domain.notices import NoticeType

revision = "0016_notices"
down_revision = "0010_documents"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "notice",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("type", market.models.base.enum_column(NoticeType, name="notice_type"), nullable=False),
        sa.Column("occurred_at", market.models.base.UTCDateTime(), nullable=False),
        sa.Column("subject", sa.String(length=40), nullable=False),
        sa.Column("subject_id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=True),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("dedupe_key", sa.String(length=120), nullable=True),
        sa.ForeignKeyConstraint(["case_id"], ["disposal_case.id"], name=op.f("fk_notice_case_id_disposal_case")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notice")),
        sa.UniqueConstraint("dedupe_key", name=op.f("uq_notice_dedupe_key")),
    )
    op.create_index(op.f("ix_notice_case_id"), "notice", ["case_id"], unique=False)
    op.create_index("ix_notice_subject", "notice", ["subject", "subject_id"], unique=False)
    op.create_table(
        "notice_institution",
        sa.Column("notice_id", sa.Integer(), nullable=False),
        sa.Column("institution_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["institution_id"], ["institution.id"],
                                name=op.f("fk_notice_institution_institution_id_institution")),
        sa.ForeignKeyConstraint(["notice_id"], ["notice.id"], name=op.f("fk_notice_institution_notice_id_notice")),
        sa.PrimaryKeyConstraint("notice_id", "institution_id", name=op.f("pk_notice_institution")),
    )
    op.create_index(op.f("ix_notice_institution_institution_id"), "notice_institution", ["institution_id"],
                    unique=False)
    op.create_table(
        "user_notice",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("notice_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("read_at", market.models.base.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(["notice_id"], ["notice.id"], name=op.f("fk_user_notice_notice_id_notice")),
        sa.ForeignKeyConstraint(["user_id"], ["user_account.id"], name=op.f("fk_user_notice_user_id_user_account")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_user_notice")),
        sa.UniqueConstraint("notice_id", "user_id", name="uq_user_notice_notice_user"),
    )
    op.create_index("ix_user_notice_user_unread", "user_notice", ["user_id", "read_at"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_user_notice_user_unread", table_name="user_notice")
    op.drop_table("user_notice")
    op.drop_index(op.f("ix_notice_institution_institution_id"), table_name="notice_institution")
    op.drop_table("notice_institution")
    op.drop_index("ix_notice_subject", table_name="notice")
    op.drop_index(op.f("ix_notice_case_id"), table_name="notice")
    op.drop_table("notice")
