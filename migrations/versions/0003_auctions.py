"""auctions, deposits and bids (issue 4)

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import market.models.base
from market.migrate import allow_changes, forbid_changes

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

# Accepted bids and round outcomes are never changed or removed (same pattern as 0001's ledger).
APPEND_ONLY = ("bid", "auction_result")
TABLES = ("bid", "proxy_bid", "auction_result", "first_refusal_answer", "auction_bar", "auction_bidder", "auction")


def upgrade() -> None:
    op.create_table('auction',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('round_no', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('asset', 'claim', name='auctionkind', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('title', sa.String(length=300), nullable=False),
    sa.Column('status', sa.Enum('open', 'first_refusal', 'awarded', 'sold', 'defaulted', 'failed', 'cancelled', name='auctionstatus', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('starting_price_fen', sa.BigInteger(), nullable=False),
    sa.Column('increment_fen', sa.BigInteger(), nullable=False),
    sa.Column('deposit_fen', sa.BigInteger(), nullable=False),
    sa.Column('starts_at', market.models.base.UTCDateTime(), nullable=False),
    sa.Column('scheduled_end_at', market.models.base.UTCDateTime(), nullable=False),
    sa.Column('ends_at', market.models.base.UTCDateTime(), nullable=False),
    sa.Column('extension_seconds', sa.Integer(), nullable=False),
    sa.Column('code_salt', sa.String(length=32), nullable=False),
    sa.Column('bid_count', sa.Integer(), nullable=False),
    sa.Column('current_price_fen', sa.BigInteger(), nullable=True),
    sa.Column('leader_institution_id', sa.Integer(), nullable=True),
    sa.Column('leader_code', sa.String(length=12), nullable=True),
    sa.Column('proxy_count', sa.Integer(), nullable=False),
    sa.Column('closed_at', market.models.base.UTCDateTime(), nullable=True),
    sa.Column('first_refusal_ends_at', market.models.base.UTCDateTime(), nullable=True),
    sa.Column('payment_due_at', market.models.base.UTCDateTime(), nullable=True),
    sa.Column('paid_at', market.models.base.UTCDateTime(), nullable=True),
    sa.Column('opened_by_user_id', sa.Integer(), nullable=True),
    sa.Column('created_at', market.models.base.UTCDateTime(), nullable=False),
    sa.CheckConstraint('(bid_count = 0 AND current_price_fen IS NULL) OR (bid_count > 0 AND current_price_fen >= starting_price_fen)', name=op.f('ck_auction_price_matches_bids')),
    sa.CheckConstraint('bid_count >= 0', name=op.f('ck_auction_bid_count_not_negative')),
    sa.CheckConstraint('proxy_count >= 0', name=op.f('ck_auction_proxy_count_not_negative')),
    sa.CheckConstraint('deposit_fen >= 0', name=op.f('ck_auction_deposit_not_negative')),
    sa.CheckConstraint('ends_at > starts_at', name=op.f('ck_auction_ends_after_start')),
    sa.CheckConstraint('increment_fen > 0', name=op.f('ck_auction_increment_positive')),
    sa.CheckConstraint('round_no > 0', name=op.f('ck_auction_round_positive')),
    sa.CheckConstraint('starting_price_fen > 0', name=op.f('ck_auction_start_positive')),
    sa.ForeignKeyConstraint(['case_id'], ['disposal_case.id'], name=op.f('fk_auction_case_id_disposal_case')),
    sa.ForeignKeyConstraint(['leader_institution_id'], ['institution.id'], name=op.f('fk_auction_leader_institution_id_institution')),
    sa.ForeignKeyConstraint(['opened_by_user_id'], ['user_account.id'], name=op.f('fk_auction_opened_by_user_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_auction')),
    sa.UniqueConstraint('case_id', 'round_no', name='uq_auction_case_round')
    )
    with op.batch_alter_table('auction', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_auction_case_id'), ['case_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_auction_ends_at'), ['ends_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_auction_status'), ['status'], unique=False)
        batch_op.create_index('ix_auction_status_ends_at', ['status', 'ends_at'], unique=False)

    op.create_table('auction_bar',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('institution_id', sa.Integer(), nullable=False),
    sa.Column('auction_id', sa.Integer(), nullable=False),
    sa.Column('barred_at', market.models.base.UTCDateTime(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['auction_id'], ['auction.id'], name=op.f('fk_auction_bar_auction_id_auction')),
    sa.ForeignKeyConstraint(['case_id'], ['disposal_case.id'], name=op.f('fk_auction_bar_case_id_disposal_case')),
    sa.ForeignKeyConstraint(['institution_id'], ['institution.id'], name=op.f('fk_auction_bar_institution_id_institution')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_auction_bar')),
    sa.UniqueConstraint('case_id', 'institution_id', name='uq_auction_bar_case_institution')
    )
    op.create_table('auction_bidder',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('auction_id', sa.Integer(), nullable=False),
    sa.Column('institution_id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=12), nullable=False),
    sa.Column('deposit_fen', sa.BigInteger(), nullable=False),
    sa.Column('deposit_status', sa.Enum('held', 'exempt', 'refunded', 'applied', 'forfeited', name='depositstatus', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('registered_at', market.models.base.UTCDateTime(), nullable=False),
    sa.Column('released_at', market.models.base.UTCDateTime(), nullable=True),
    sa.Column('registered_by_user_id', sa.Integer(), nullable=True),
    sa.CheckConstraint('deposit_fen >= 0', name=op.f('ck_auction_bidder_deposit_not_negative')),
    sa.ForeignKeyConstraint(['auction_id'], ['auction.id'], name=op.f('fk_auction_bidder_auction_id_auction')),
    sa.ForeignKeyConstraint(['institution_id'], ['institution.id'], name=op.f('fk_auction_bidder_institution_id_institution')),
    sa.ForeignKeyConstraint(['registered_by_user_id'], ['user_account.id'], name=op.f('fk_auction_bidder_registered_by_user_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_auction_bidder')),
    sa.UniqueConstraint('auction_id', 'code', name='uq_auction_bidder_code'),
    sa.UniqueConstraint('auction_id', 'institution_id', name='uq_auction_bidder_institution')
    )
    with op.batch_alter_table('auction_bidder', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_auction_bidder_institution_id'), ['institution_id'], unique=False)

    op.create_table('first_refusal_answer',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('auction_id', sa.Integer(), nullable=False),
    sa.Column('holder_id', sa.Integer(), nullable=False),
    sa.Column('decision', sa.Enum('match', 'decline', name='refusaldecision', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('decided_at', market.models.base.UTCDateTime(), nullable=False),
    sa.Column('decided_by_user_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['auction_id'], ['auction.id'], name=op.f('fk_first_refusal_answer_auction_id_auction')),
    sa.ForeignKeyConstraint(['decided_by_user_id'], ['user_account.id'], name=op.f('fk_first_refusal_answer_decided_by_user_id_user_account')),
    sa.ForeignKeyConstraint(['holder_id'], ['first_refusal_holder.id'], name=op.f('fk_first_refusal_answer_holder_id_first_refusal_holder')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_first_refusal_answer')),
    sa.UniqueConstraint('auction_id', 'holder_id', name='uq_first_refusal_answer_holder')
    )
    op.create_table('auction_result',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('auction_id', sa.Integer(), nullable=False),
    sa.Column('outcome', sa.Enum('won', 'failed', name='auction_outcome', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('winner_bidder_id', sa.Integer(), nullable=True),
    sa.Column('winner_institution_id', sa.Integer(), nullable=True),
    sa.Column('price_fen', sa.BigInteger(), nullable=True),
    sa.Column('winning_seq', sa.Integer(), nullable=True),
    sa.Column('via_first_refusal', sa.Boolean(), nullable=False),
    sa.Column('decided_at', market.models.base.UTCDateTime(), nullable=False),
    sa.CheckConstraint("(outcome = 'won' AND price_fen > 0 AND winner_institution_id IS NOT NULL) OR (outcome = 'failed' AND price_fen IS NULL AND winner_institution_id IS NULL)", name=op.f('ck_auction_result_won_has_price_and_winner')),
    sa.ForeignKeyConstraint(['auction_id'], ['auction.id'], name=op.f('fk_auction_result_auction_id_auction')),
    sa.ForeignKeyConstraint(['winner_bidder_id'], ['auction_bidder.id'], name=op.f('fk_auction_result_winner_bidder_id_auction_bidder')),
    sa.ForeignKeyConstraint(['winner_institution_id'], ['institution.id'], name=op.f('fk_auction_result_winner_institution_id_institution')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_auction_result')),
    sa.UniqueConstraint('auction_id', name=op.f('uq_auction_result_auction_id'))
    )
    op.create_table('bid',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('auction_id', sa.Integer(), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('bidder_id', sa.Integer(), nullable=False),
    sa.Column('amount_fen', sa.BigInteger(), nullable=False),
    sa.Column('placed_at', market.models.base.UTCDateTime(), nullable=False),
    sa.Column('by_proxy', sa.Boolean(), nullable=False),
    sa.CheckConstraint('amount_fen > 0', name=op.f('ck_bid_amount_positive')),
    sa.CheckConstraint('seq > 0', name=op.f('ck_bid_seq_positive')),
    sa.ForeignKeyConstraint(['auction_id'], ['auction.id'], name=op.f('fk_bid_auction_id_auction')),
    sa.ForeignKeyConstraint(['bidder_id'], ['auction_bidder.id'], name=op.f('fk_bid_bidder_id_auction_bidder')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_bid')),
    sa.UniqueConstraint('auction_id', 'amount_fen', name='uq_bid_auction_amount'),
    sa.UniqueConstraint('auction_id', 'seq', name='uq_bid_auction_seq')
    )
    with op.batch_alter_table('bid', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_bid_bidder_id'), ['bidder_id'], unique=False)

    op.create_table('proxy_bid',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('auction_id', sa.Integer(), nullable=False),
    sa.Column('bidder_id', sa.Integer(), nullable=False),
    sa.Column('max_fen', sa.BigInteger(), nullable=False),
    sa.Column('set_at', market.models.base.UTCDateTime(), nullable=False),
    sa.CheckConstraint('max_fen > 0', name=op.f('ck_proxy_bid_max_positive')),
    sa.ForeignKeyConstraint(['auction_id'], ['auction.id'], name=op.f('fk_proxy_bid_auction_id_auction')),
    sa.ForeignKeyConstraint(['bidder_id'], ['auction_bidder.id'], name=op.f('fk_proxy_bid_bidder_id_auction_bidder')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_proxy_bid')),
    sa.UniqueConstraint('auction_id', 'bidder_id', name='uq_proxy_bid_bidder')
    )
    forbid_changes_to_append_only_tables()


def forbid_changes_to_append_only_tables() -> None:
    """Bids and outcomes are append-only in the database itself."""
    forbid_changes(op, APPEND_ONLY)


def downgrade() -> None:
    allow_changes(op, APPEND_ONLY)
    for table in TABLES:
        op.drop_table(table)
