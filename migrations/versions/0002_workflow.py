"""disposal workflow: catalogue and tick additions (issue 3)

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import market.models.base

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

OPEN_CASES = "state NOT IN ('rejected', 'withdrawn')"
NEW_COLUMNS = (
    ("owner_name", lambda: sa.Column("owner_name", sa.String(length=200), server_default="", nullable=False)),
    ("registry_numbers",
     lambda: sa.Column("registry_numbers", sa.String(length=600), server_default="", nullable=False)),
    ("search_text", lambda: sa.Column("search_text", sa.String(length=700), server_default="", nullable=False)),
    ("listed", lambda: sa.Column("listed", sa.Boolean(), server_default=sa.false(), nullable=False)),
    ("due_at", lambda: sa.Column("due_at", market.models.base.UTCDateTime(), nullable=True)),
    ("encumbrances", lambda: sa.Column("encumbrances", sa.Text(), server_default="", nullable=False)),
    ("suspended_at", lambda: sa.Column("suspended_at", market.models.base.UTCDateTime(), nullable=True)),
    ("negotiated_sale_ends_at",
     lambda: sa.Column("negotiated_sale_ends_at", market.models.base.UTCDateTime(), nullable=True)),
    ("negotiated_sale_lapsed_at",
     lambda: sa.Column("negotiated_sale_lapsed_at", market.models.base.UTCDateTime(), nullable=True)),
    ("sale_price_fen", lambda: sa.Column("sale_price_fen", sa.BigInteger(), nullable=True)),
    ("payment_due_at", lambda: sa.Column("payment_due_at", market.models.base.UTCDateTime(), nullable=True)),
    ("buyer_name", lambda: sa.Column("buyer_name", sa.String(length=200), server_default="", nullable=False)),
)
INDEXES = (
    ("ix_disposal_case_listed_published", ["listed", "notice_published_at"]),
    ("ix_disposal_case_listed_price", ["listed", "list_price_fen"]),
    ("ix_disposal_case_listed_due", ["listed", "due_at"]),
    ("ix_disposal_case_state_due", ["state", "due_at"]),
    ("ix_disposal_case_catalogue_filter",
     ["listed", "primary_kind", "channel", "state", "industry", "region", "list_price_fen"]),
    ("ix_disposal_case_search", ["listed", "search_text"]),
)


def upgrade() -> None:
    with op.batch_alter_table("disposal_case", schema=None) as batch_op:
        for _name, column in NEW_COLUMNS:
            batch_op.add_column(column())
        for name, columns in INDEXES:
            batch_op.create_index(name, columns, unique=False)
        batch_op.create_index("uq_disposal_case_open_loan", ["loan_id"], unique=True,
                              sqlite_where=sa.text(OPEN_CASES), postgresql_where=sa.text(OPEN_CASES))


def downgrade() -> None:
    with op.batch_alter_table("disposal_case", schema=None) as batch_op:
        batch_op.drop_index("uq_disposal_case_open_loan")
        for name, _columns in reversed(INDEXES):
            batch_op.drop_index(name)
        for name, _column in reversed(NEW_COLUMNS):
            batch_op.drop_column(name)
