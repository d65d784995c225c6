"""E-mail of notices: each user's mail language and choices, the mail outbox, and which notices each mail carries
(issue 20)

Revision ID: 0019_mail
Revises: 0012_data_room
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import market.models.base
from market.domain.notices import NoticeType

revision = "0019_mail"
down_revision = "0012_data_room"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "mail_settings",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["user_account.id"], name=op.f("fk_mail_settings_user_id_user_account")),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_mail_settings")),
    )
    op.create_table(
        "mail_choice",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("type", market.models.base.enum_column(NoticeType, name="notice_type"), nullable=False),
        sa.Column("wanted", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["user_account.id"], name=op.f("fk_mail_choice_user_id_user_account")),
        sa.PrimaryKeyConstraint("user_id", "type", name=op.f("pk_mail_choice")),
    )
    op.create_table(
        "mail_message",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("recipient", sa.String(length=254), nullable=False),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column("subject", sa.String(length=300), nullable=False),
        sa.Column("text_body", sa.Text(), nullable=False),
        sa.Column("html_body", sa.Text(), nullable=False),
        sa.Column("created_at", market.models.base.UTCDateTime(), nullable=False),
        sa.Column("next_attempt_at", market.models.base.UTCDateTime(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.String(length=300), nullable=True),
        sa.Column("sent_at", market.models.base.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["user_account.id"], name=op.f("fk_mail_message_user_id_user_account")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mail_message")),
    )
    op.create_index(op.f("ix_mail_message_user_id"), "mail_message", ["user_id"], unique=False)
    op.create_index("ix_mail_message_due", "mail_message", ["sent_at", "next_attempt_at"], unique=False)
    op.create_table(
        "mail_entry",
        sa.Column("user_notice_id", sa.Integer(), nullable=False),
        sa.Column("message_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["message_id"], ["mail_message.id"], name=op.f("fk_mail_entry_message_id_mail_message")),
        sa.ForeignKeyConstraint(["user_notice_id"], ["user_notice.id"],
                                name=op.f("fk_mail_entry_user_notice_id_user_notice")),
        sa.PrimaryKeyConstraint("user_notice_id", name=op.f("pk_mail_entry")),
    )
    op.create_index(op.f("ix_mail_entry_message_id"), "mail_entry", ["message_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_mail_entry_message_id"), table_name="mail_entry")
    op.drop_table("mail_entry")
    op.drop_index("ix_mail_message_due", table_name="mail_message")
    op.drop_index(op.f("ix_mail_message_user_id"), table_name="mail_message")
    op.drop_table("mail_message")
    op.drop_table("mail_choice")
    op.drop_table("mail_settings")
