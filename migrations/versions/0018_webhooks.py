"""Webhooks: institutions' endpoints, the event types each wants, the outbox of deliveries and the attempt log
(issue 20)

The `webhook.disabled` notice type is new here; 0016's CHECK on `notice.type` is built from the live
NoticeType, and 0016 has not shipped without it, so it is not altered here.

Revision ID: 0018_webhooks
Revises: 0013_award_chain
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import market.models.base
from market.domain.notices import NoticeType

revision = "0018_webhooks"
down_revision = "0013_award_chain"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "webhook_endpoint",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("institution_id", sa.Integer(), nullable=False),
        sa.Column("url", sa.String(length=500), nullable=False),
        sa.Column("secret", sa.String(length=100), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("consecutive_failures", sa.Integer(), nullable=False),
        sa.Column("created_at", market.models.base.UTCDateTime(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("secret_rotated_at", market.models.base.UTCDateTime(), nullable=True),
        sa.Column("disabled_at", market.models.base.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(["created_by_id"], ["user_account.id"],
                                name=op.f("fk_webhook_endpoint_created_by_id_user_account")),
        sa.ForeignKeyConstraint(["institution_id"], ["institution.id"],
                                name=op.f("fk_webhook_endpoint_institution_id_institution")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webhook_endpoint")),
    )
    op.create_index(op.f("ix_webhook_endpoint_institution_id"), "webhook_endpoint", ["institution_id"],
                    unique=False)
    op.create_table(
        "webhook_subscription",
        sa.Column("endpoint_id", sa.Integer(), nullable=False),
        sa.Column("event_type", market.models.base.enum_column(NoticeType, name="webhook_event_type"),
                  nullable=False),
        sa.ForeignKeyConstraint(["endpoint_id"], ["webhook_endpoint.id"],
                                name=op.f("fk_webhook_subscription_endpoint_id_webhook_endpoint")),
        sa.PrimaryKeyConstraint("endpoint_id", "event_type", name=op.f("pk_webhook_subscription")),
    )
    op.create_table(
        "webhook_delivery",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("endpoint_id", sa.Integer(), nullable=False),
        sa.Column("notice_id", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", market.models.base.UTCDateTime(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("delivered_at", market.models.base.UTCDateTime(), nullable=True),
        sa.Column("claimed_by", sa.String(length=40), nullable=True),
        sa.ForeignKeyConstraint(["endpoint_id"], ["webhook_endpoint.id"],
                                name=op.f("fk_webhook_delivery_endpoint_id_webhook_endpoint")),
        sa.ForeignKeyConstraint(["notice_id"], ["notice.id"], name=op.f("fk_webhook_delivery_notice_id_notice")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webhook_delivery")),
        sa.UniqueConstraint("endpoint_id", "notice_id", name="uq_webhook_delivery_endpoint_notice"),
    )
    op.create_index(op.f("ix_webhook_delivery_notice_id"), "webhook_delivery", ["notice_id"], unique=False)
    op.create_index("ix_webhook_delivery_due", "webhook_delivery", ["next_attempt_at"], unique=False,
                    sqlite_where=sa.text("delivered_at IS NULL"), postgresql_where=sa.text("delivered_at IS NULL"))
    op.create_table(
        "webhook_attempt",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("delivery_id", sa.Integer(), nullable=False),
        sa.Column("endpoint_id", sa.Integer(), nullable=False),
        sa.Column("attempted_at", market.models.base.UTCDateTime(), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=True),
        sa.Column("error", sa.String(length=300), nullable=True),
        sa.Column("duration_ms", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["delivery_id"], ["webhook_delivery.id"],
                                name=op.f("fk_webhook_attempt_delivery_id_webhook_delivery")),
        sa.ForeignKeyConstraint(["endpoint_id"], ["webhook_endpoint.id"],
                                name=op.f("fk_webhook_attempt_endpoint_id_webhook_endpoint")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webhook_attempt")),
    )
    op.create_index(op.f("ix_webhook_attempt_delivery_id"), "webhook_attempt", ["delivery_id"], unique=False)
    op.create_index("ix_webhook_attempt_endpoint", "webhook_attempt", ["endpoint_id", "attempted_at"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_webhook_attempt_endpoint", table_name="webhook_attempt")
    op.drop_index(op.f("ix_webhook_attempt_delivery_id"), table_name="webhook_attempt")
    op.drop_table("webhook_attempt")
    op.drop_index("ix_webhook_delivery_due", table_name="webhook_delivery",
                  sqlite_where=sa.text("delivered_at IS NULL"), postgresql_where=sa.text("delivered_at IS NULL"))
    op.drop_index(op.f("ix_webhook_delivery_notice_id"), table_name="webhook_delivery")
    op.drop_table("webhook_delivery")
    op.drop_table("webhook_subscription")
    op.drop_index(op.f("ix_webhook_endpoint_institution_id"), table_name="webhook_endpoint")
    op.drop_table("webhook_endpoint")
