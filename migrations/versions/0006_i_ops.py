"""API tokens expire and record their last use; append-only tables refuse TRUNCATE; ledger transactions
balance at commit; login-throttling counters (issue 23)

Revision ID: 0006_i_ops
Revises: 0005
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import market.models.base
from market.migrate import forbid_truncate

revision = "0006_i_ops"
down_revision = "0005"
branch_labels = None
depends_on = None

# Every table made append-only by the migrations before this one (their forbid_changes now also refuses
# TRUNCATE, so on a new database this only repeats what they did).
APPEND_ONLY = ("audit_event", "ledger_transaction", "ledger_posting", "bid", "auction_result",
               "settlement_statement", "settlement_layer", "claim_review", "claim_payment", "policy_version")

# On PostgreSQL a transaction whose postings do not sum to zero cannot commit (checked at COMMIT, when all
# of its postings are in). SQLite has no deferred triggers: `flask verify-ledger` finds such a transaction.
BALANCED_AT_COMMIT = """
CREATE FUNCTION ledger_transaction_balances() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE total numeric;
BEGIN
  SELECT coalesce(sum(amount_fen), 0) INTO total FROM ledger_posting WHERE transaction_id = NEW.transaction_id;
  IF total <> 0 THEN
    RAISE EXCEPTION 'ledger transaction % does not balance (its postings sum to % fen)', NEW.transaction_id, total;
  END IF;
  RETURN NULL;
END $$;
CREATE CONSTRAINT TRIGGER ledger_posting_balanced AFTER INSERT ON ledger_posting
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION ledger_transaction_balances();
"""


def upgrade() -> None:
    op.create_table("throttle_counter",
    sa.Column("key", sa.String(length=120), nullable=False),
    sa.Column("count", sa.Integer(), nullable=False),
    sa.Column("expires_at", sa.Double(), nullable=False),
    sa.PrimaryKeyConstraint("key", name=op.f("pk_throttle_counter"))
    )
    with op.batch_alter_table("api_token", schema=None) as batch_op:
        batch_op.add_column(sa.Column("expires_at", market.models.base.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column("last_used_at", market.models.base.UTCDateTime(), nullable=True))
    forbid_truncate(op, APPEND_ONLY)
    if op.get_bind().dialect.name == "postgresql":
        op.execute(BALANCED_AT_COMMIT)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS ledger_posting_balanced ON ledger_posting")
        op.execute("DROP FUNCTION IF EXISTS ledger_transaction_balances()")
        for table in APPEND_ONLY:
            op.execute(f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table}")
    with op.batch_alter_table("api_token", schema=None) as batch_op:
        batch_op.drop_column("last_used_at")
        batch_op.drop_column("expires_at")
    op.drop_table("throttle_counter")
