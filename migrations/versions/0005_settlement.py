"""settlement, ledger, claims and the fund (issue 6)

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import market.models.base
from market.migrate import allow_changes, forbid_changes

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

# Statements, reviews, payments and policy versions are records of what happened: never edited.
APPEND_ONLY = ("settlement_statement", "settlement_layer", "claim_review", "claim_payment", "policy_version")


def upgrade() -> None:
    op.create_table('fund_year',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('opened_at', market.models.base.UTCDateTime(), nullable=False),
    sa.Column('closed_at', market.models.base.UTCDateTime(), nullable=True),
    sa.Column('closed_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['closed_by_id'], ['user_account.id'], name=op.f('fk_fund_year_closed_by_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_fund_year')),
    sa.UniqueConstraint('year', name=op.f('uq_fund_year_year'))
    )
    op.create_table('policy_version',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', market.models.base.UTCDateTime(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('ratio_bank_ppm', sa.Integer(), nullable=False),
    sa.Column('ratio_guarantor_ppm', sa.Integer(), nullable=False),
    sa.Column('ratio_insurer_ppm', sa.Integer(), nullable=False),
    sa.Column('ratio_agency_ppm', sa.Integer(), nullable=False),
    sa.Column('cap_bank_fen', sa.BigInteger(), nullable=True),
    sa.Column('cap_guarantor_fen', sa.BigInteger(), nullable=True),
    sa.Column('cap_insurer_fen', sa.BigInteger(), nullable=True),
    sa.Column('cap_agency_fen', sa.BigInteger(), nullable=True),
    sa.Column('cap_per_loan_fen', sa.BigInteger(), nullable=True),
    sa.Column('cap_per_institution_year_fen', sa.BigInteger(), nullable=True),
    sa.Column('annual_budget_fen', sa.BigInteger(), nullable=False),
    sa.Column('subsidy_budget_fen', sa.BigInteger(), nullable=False),
    sa.Column('shortfall', sa.Enum('wait', 'lapse', name='shortfall', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('four_eyes_above_fen', sa.BigInteger(), nullable=True),
    sa.Column('interest_subsidy_ppm', sa.Integer(), nullable=False),
    sa.Column('interest_subsidy_cap_fen', sa.BigInteger(), nullable=True),
    sa.Column('appraisal_subsidy_ppm', sa.Integer(), nullable=False),
    sa.Column('appraisal_subsidy_cap_fen', sa.BigInteger(), nullable=True),
    sa.Column('premium_subsidy_ppm', sa.Integer(), nullable=False),
    sa.Column('premium_subsidy_cap_fen', sa.BigInteger(), nullable=True),
    sa.CheckConstraint('annual_budget_fen >= 0 AND subsidy_budget_fen >= 0', name=op.f('ck_policy_version_budgets_not_negative')),
    sa.CheckConstraint('interest_subsidy_ppm BETWEEN 0 AND 1000000 AND appraisal_subsidy_ppm BETWEEN 0 AND 1000000 AND premium_subsidy_ppm BETWEEN 0 AND 1000000', name=op.f('ck_policy_version_subsidy_shares_are_shares')),
    sa.CheckConstraint('ratio_bank_ppm BETWEEN 0 AND 1000000 AND ratio_guarantor_ppm BETWEEN 0 AND 1000000 AND ratio_insurer_ppm BETWEEN 0 AND 1000000 AND ratio_agency_ppm BETWEEN 0 AND 1000000', name=op.f('ck_policy_version_ratios_are_shares')),
    sa.ForeignKeyConstraint(['created_by_id'], ['user_account.id'], name=op.f('fk_policy_version_created_by_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_policy_version')),
    sa.UniqueConstraint('version', name=op.f('uq_policy_version_version'))
    )
    op.create_table('settlement_statement',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('revision', sa.Integer(), nullable=False),
    sa.Column('created_at', market.models.base.UTCDateTime(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('cause', sa.String(length=40), nullable=False),
    sa.Column('channel_recovery_fen', sa.BigInteger(), nullable=False),
    sa.Column('forfeited_fen', sa.BigInteger(), nullable=False),
    sa.Column('later_recoveries_fen', sa.BigInteger(), nullable=False),
    sa.Column('commission_fen', sa.BigInteger(), nullable=False),
    sa.Column('appraisal_fen', sa.BigInteger(), nullable=False),
    sa.Column('taxes_fen', sa.BigInteger(), nullable=False),
    sa.Column('other_costs_fen', sa.BigInteger(), nullable=False),
    sa.Column('commission_ppm', sa.Integer(), nullable=False),
    sa.Column('tax_ppm', sa.Integer(), nullable=False),
    sa.Column('unpaid_interest_fen', sa.BigInteger(), nullable=False),
    sa.Column('principal_fen', sa.BigInteger(), nullable=False),
    sa.Column('to_costs_fen', sa.BigInteger(), nullable=False),
    sa.Column('to_interest_fen', sa.BigInteger(), nullable=False),
    sa.Column('to_principal_fen', sa.BigInteger(), nullable=False),
    sa.Column('surplus_fen', sa.BigInteger(), nullable=False),
    sa.Column('principal_loss_fen', sa.BigInteger(), nullable=False),
    sa.Column('reguarantee_ppm', sa.Integer(), nullable=False),
    sa.Column('reinsurance_ppm', sa.Integer(), nullable=False),
    sa.CheckConstraint('channel_recovery_fen >= 0 AND forfeited_fen >= 0 AND later_recoveries_fen >= 0 AND commission_fen >= 0 AND appraisal_fen >= 0 AND taxes_fen >= 0 AND other_costs_fen >= 0', name=op.f('ck_settlement_statement_amounts_not_negative')),
    sa.CheckConstraint('principal_loss_fen = principal_fen - to_principal_fen', name=op.f('ck_settlement_statement_loss_is_principal_left')),
    sa.CheckConstraint('to_costs_fen + to_interest_fen + to_principal_fen + surplus_fen = channel_recovery_fen + forfeited_fen + later_recoveries_fen', name=op.f('ck_settlement_statement_proceeds_fully_applied')),
    sa.ForeignKeyConstraint(['case_id'], ['disposal_case.id'], name=op.f('fk_settlement_statement_case_id_disposal_case')),
    sa.ForeignKeyConstraint(['created_by_id'], ['user_account.id'], name=op.f('fk_settlement_statement_created_by_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_settlement_statement')),
    sa.UniqueConstraint('case_id', 'revision', name='uq_settlement_statement_case_revision')
    )
    with op.batch_alter_table('settlement_statement', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_settlement_statement_case_id'), ['case_id'], unique=False)

    op.create_table('compensation_claim',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('compensation', 'interest_subsidy', 'appraisal_subsidy', 'premium_subsidy', name='claimkind', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('state', sa.Enum('drafted', 'filed', 'awaiting_second_approval', 'approved', 'pending', 'paid', 'lapsed', 'rejected', 'clawed_back', name='claimstate', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('loan_id', sa.Integer(), nullable=False),
    sa.Column('enterprise_id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=True),
    sa.Column('statement_id', sa.Integer(), nullable=True),
    sa.Column('institution_id', sa.Integer(), nullable=False),
    sa.Column('layer', sa.Enum('bank', 'guarantor', 'insurer', 'agency', name='layer', native_enum=False, create_constraint=True, length=32), nullable=True),
    sa.Column('policy_version_id', sa.Integer(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('share_ppm', sa.Integer(), nullable=True),
    sa.Column('loss_fen', sa.BigInteger(), nullable=False),
    sa.Column('dispersed_fen', sa.BigInteger(), nullable=False),
    sa.Column('base_fen', sa.BigInteger(), nullable=False),
    sa.Column('ratio_ppm', sa.Integer(), nullable=False),
    sa.Column('uncapped_fen', sa.BigInteger(), nullable=False),
    sa.Column('cap_fen', sa.BigInteger(), nullable=True),
    sa.Column('loan_cap_fen', sa.BigInteger(), nullable=True),
    sa.Column('year_cap_fen', sa.BigInteger(), nullable=True),
    sa.Column('year_used_fen', sa.BigInteger(), nullable=False),
    sa.Column('claimed_fen', sa.BigInteger(), nullable=False),
    sa.Column('evidence', sa.String(length=200), nullable=False),
    sa.Column('approved_fen', sa.BigInteger(), nullable=True),
    sa.Column('due_fen', sa.BigInteger(), nullable=False),
    sa.Column('paid_fen', sa.BigInteger(), nullable=False),
    sa.Column('pending_fen', sa.BigInteger(), nullable=False),
    sa.Column('lapsed_fen', sa.BigInteger(), nullable=False),
    sa.Column('clawed_back_fen', sa.BigInteger(), nullable=False),
    sa.Column('queue_position', sa.Integer(), nullable=True),
    sa.Column('decision_reason', sa.Text(), nullable=False),
    sa.Column('drafted_at', market.models.base.UTCDateTime(), nullable=False),
    sa.Column('filed_at', market.models.base.UTCDateTime(), nullable=True),
    sa.Column('filed_by_id', sa.Integer(), nullable=True),
    sa.Column('approved_at', market.models.base.UTCDateTime(), nullable=True),
    sa.CheckConstraint('approved_fen IS NULL OR approved_fen <= claimed_fen', name=op.f('ck_compensation_claim_approved_within_claim')),
    sa.CheckConstraint('claimed_fen >= 0 AND base_fen >= 0 AND uncapped_fen >= 0 AND paid_fen >= 0 AND pending_fen >= 0 AND lapsed_fen >= 0 AND clawed_back_fen >= 0 AND due_fen >= 0', name=op.f('ck_compensation_claim_amounts_not_negative')),
    sa.CheckConstraint('clawed_back_fen <= paid_fen', name=op.f('ck_compensation_claim_clawback_within_paid')),
    sa.CheckConstraint('paid_fen + pending_fen + lapsed_fen <= due_fen + clawed_back_fen', name=op.f('ck_compensation_claim_within_due')),
    sa.ForeignKeyConstraint(['case_id'], ['disposal_case.id'], name=op.f('fk_compensation_claim_case_id_disposal_case')),
    sa.ForeignKeyConstraint(['enterprise_id'], ['enterprise.id'], name=op.f('fk_compensation_claim_enterprise_id_enterprise')),
    sa.ForeignKeyConstraint(['filed_by_id'], ['user_account.id'], name=op.f('fk_compensation_claim_filed_by_id_user_account')),
    sa.ForeignKeyConstraint(['institution_id'], ['institution.id'], name=op.f('fk_compensation_claim_institution_id_institution')),
    sa.ForeignKeyConstraint(['loan_id'], ['loan.id'], name=op.f('fk_compensation_claim_loan_id_loan')),
    sa.ForeignKeyConstraint(['policy_version_id'], ['policy_version.id'], name=op.f('fk_compensation_claim_policy_version_id_policy_version')),
    sa.ForeignKeyConstraint(['statement_id'], ['settlement_statement.id'], name=op.f('fk_compensation_claim_statement_id_settlement_statement')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_compensation_claim')),
    sa.UniqueConstraint('queue_position', name=op.f('uq_compensation_claim_queue_position'))
    )
    with op.batch_alter_table('compensation_claim', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_compensation_claim_case_id'), ['case_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_compensation_claim_enterprise_id'), ['enterprise_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_compensation_claim_institution_id'), ['institution_id'], unique=False)
        batch_op.create_index('ix_compensation_claim_institution_year', ['institution_id', 'year', 'kind'], unique=False)
        batch_op.create_index(batch_op.f('ix_compensation_claim_kind'), ['kind'], unique=False)
        batch_op.create_index(batch_op.f('ix_compensation_claim_loan_id'), ['loan_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_compensation_claim_state'), ['state'], unique=False)
        batch_op.create_index(batch_op.f('ix_compensation_claim_year'), ['year'], unique=False)

    op.create_table('later_recovery',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('amount_fen', sa.BigInteger(), nullable=False),
    sa.Column('received_at', market.models.base.UTCDateTime(), nullable=False),
    sa.Column('memo', sa.Text(), nullable=False),
    sa.Column('statement_id', sa.Integer(), nullable=True),
    sa.CheckConstraint('amount_fen > 0', name=op.f('ck_later_recovery_amount_positive')),
    sa.ForeignKeyConstraint(['case_id'], ['disposal_case.id'], name=op.f('fk_later_recovery_case_id_disposal_case')),
    sa.ForeignKeyConstraint(['statement_id'], ['settlement_statement.id'], name=op.f('fk_later_recovery_statement_id_settlement_statement')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_later_recovery'))
    )
    with op.batch_alter_table('later_recovery', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_later_recovery_case_id'), ['case_id'], unique=False)

    op.create_table('settlement_layer',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('statement_id', sa.Integer(), nullable=False),
    sa.Column('layer', sa.Enum('bank', 'guarantor', 'insurer', 'agency', name='layer', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('institution_id', sa.Integer(), nullable=True),
    sa.Column('share_ppm', sa.Integer(), nullable=False),
    sa.Column('loss_fen', sa.BigInteger(), nullable=False),
    sa.Column('dispersed_fen', sa.BigInteger(), nullable=False),
    sa.Column('base_fen', sa.BigInteger(), nullable=False),
    sa.CheckConstraint('loss_fen = dispersed_fen + base_fen AND base_fen >= 0 AND dispersed_fen >= 0', name=op.f('ck_settlement_layer_loss_is_base_plus_dispersed')),
    sa.ForeignKeyConstraint(['institution_id'], ['institution.id'], name=op.f('fk_settlement_layer_institution_id_institution')),
    sa.ForeignKeyConstraint(['statement_id'], ['settlement_statement.id'], name=op.f('fk_settlement_layer_statement_id_settlement_statement')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_settlement_layer')),
    sa.UniqueConstraint('statement_id', 'layer', name='uq_settlement_layer_statement_layer')
    )
    with op.batch_alter_table('settlement_layer', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_settlement_layer_statement_id'), ['statement_id'], unique=False)

    op.create_table('claim_payment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('claim_id', sa.Integer(), nullable=False),
    sa.Column('amount_fen', sa.BigInteger(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('paid_at', market.models.base.UTCDateTime(), nullable=False),
    sa.Column('ledger_transaction_id', sa.Integer(), nullable=False),
    sa.CheckConstraint('amount_fen > 0', name=op.f('ck_claim_payment_amount_positive')),
    sa.ForeignKeyConstraint(['claim_id'], ['compensation_claim.id'], name=op.f('fk_claim_payment_claim_id_compensation_claim')),
    sa.ForeignKeyConstraint(['ledger_transaction_id'], ['ledger_transaction.id'], name=op.f('fk_claim_payment_ledger_transaction_id_ledger_transaction')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_claim_payment'))
    )
    with op.batch_alter_table('claim_payment', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_claim_payment_claim_id'), ['claim_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_claim_payment_paid_at'), ['paid_at'], unique=False)

    op.create_table('claim_review',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('claim_id', sa.Integer(), nullable=False),
    sa.Column('step', sa.Integer(), nullable=False),
    sa.Column('reviewer_id', sa.Integer(), nullable=False),
    sa.Column('decision', sa.Enum('approve', 'reduce', 'reject', name='reviewdecision', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('amount_fen', sa.BigInteger(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('decided_at', market.models.base.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['claim_id'], ['compensation_claim.id'], name=op.f('fk_claim_review_claim_id_compensation_claim')),
    sa.ForeignKeyConstraint(['reviewer_id'], ['user_account.id'], name=op.f('fk_claim_review_reviewer_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_claim_review')),
    sa.UniqueConstraint('claim_id', 'step', name='uq_claim_review_claim_step')
    )
    with op.batch_alter_table('claim_review', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_claim_review_claim_id'), ['claim_id'], unique=False)

    op.create_table('clawback',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('claim_id', sa.Integer(), nullable=False),
    sa.Column('statement_id', sa.Integer(), nullable=False),
    sa.Column('amount_fen', sa.BigInteger(), nullable=False),
    sa.Column('demanded_at', market.models.base.UTCDateTime(), nullable=False),
    sa.Column('repaid_at', market.models.base.UTCDateTime(), nullable=True),
    sa.CheckConstraint('amount_fen > 0', name=op.f('ck_clawback_amount_positive')),
    sa.ForeignKeyConstraint(['claim_id'], ['compensation_claim.id'], name=op.f('fk_clawback_claim_id_compensation_claim')),
    sa.ForeignKeyConstraint(['statement_id'], ['settlement_statement.id'], name=op.f('fk_clawback_statement_id_settlement_statement')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_clawback'))
    )
    with op.batch_alter_table('clawback', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_clawback_claim_id'), ['claim_id'], unique=False)
    forbid_changes_to_append_only_tables()


def forbid_changes_to_append_only_tables() -> None:
    """Statements, reviews, payments and policy versions are append-only in the database itself."""
    forbid_changes(op, APPEND_ONLY)


def downgrade() -> None:
    allow_changes(op, APPEND_ONLY)
    with op.batch_alter_table('clawback', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_clawback_claim_id'))

    op.drop_table('clawback')
    with op.batch_alter_table('claim_review', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_claim_review_claim_id'))

    op.drop_table('claim_review')
    with op.batch_alter_table('claim_payment', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_claim_payment_paid_at'))
        batch_op.drop_index(batch_op.f('ix_claim_payment_claim_id'))

    op.drop_table('claim_payment')
    with op.batch_alter_table('settlement_layer', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_settlement_layer_statement_id'))

    op.drop_table('settlement_layer')
    with op.batch_alter_table('later_recovery', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_later_recovery_case_id'))

    op.drop_table('later_recovery')
    with op.batch_alter_table('compensation_claim', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_compensation_claim_year'))
        batch_op.drop_index(batch_op.f('ix_compensation_claim_state'))
        batch_op.drop_index(batch_op.f('ix_compensation_claim_loan_id'))
        batch_op.drop_index(batch_op.f('ix_compensation_claim_kind'))
        batch_op.drop_index('ix_compensation_claim_institution_year')
        batch_op.drop_index(batch_op.f('ix_compensation_claim_institution_id'))
        batch_op.drop_index(batch_op.f('ix_compensation_claim_enterprise_id'))
        batch_op.drop_index(batch_op.f('ix_compensation_claim_case_id'))

    op.drop_table('compensation_claim')
    with op.batch_alter_table('settlement_statement', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_settlement_statement_case_id'))

    op.drop_table('settlement_statement')
    op.drop_table('policy_version')
    op.drop_table('fund_year')
