"""Money: the double-entry ledger, settlement statements, the fund's policy versions, claims and payments."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
import sqlalchemy.orm as so

from market.domain.levers import StopLossResume
from market.domain.loss import Layer, Shortfall
from market.domain.settlement import ClaimKind, ClaimState, ReviewDecision
from market.models.base import Base, Fen, UTCDateTime, enum_column
from market.models.core import Enterprise, Institution, Loan, User

__all__ = [
    "LedgerTransaction", "LedgerPosting", "PolicyVersion", "FundYear", "SettlementStatement",
    "SettlementLayer", "LaterRecovery", "CompensationClaim", "ClaimReview", "ClaimPayment", "Clawback",
]


class LedgerTransaction(Base):
    """One balanced movement of money (its postings sum to zero)."""

    __tablename__ = "ledger_transaction"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    movement: so.Mapped[str] = so.mapped_column(sa.String(40), index=True)
    case_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("disposal_case.id"), index=True)
    institution_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("institution.id"), index=True)
    reference: so.Mapped[str | None] = so.mapped_column(sa.String(80), unique=True)  # idempotency of postings
    memo: so.Mapped[str] = so.mapped_column(sa.Text, default="")
    occurred_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime)

    postings: so.Mapped[list[LedgerPosting]] = so.relationship(back_populates="transaction")


class LedgerPosting(Base):
    """One side of a transaction: a signed amount on an account (debit positive, credit negative)."""

    __tablename__ = "ledger_posting"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    transaction_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("ledger_transaction.id"), index=True)
    account: so.Mapped[str] = so.mapped_column(sa.String(80), index=True)
    amount_fen: so.Mapped[int] = so.mapped_column(Fen)

    transaction: so.Mapped[LedgerTransaction] = so.relationship(back_populates="postings")

    __table_args__ = (sa.CheckConstraint("amount_fen <> 0", name="amount_not_zero"),)


class PolicyVersion(Base):
    """One version of the fund's policy; the bureau edits by adding a version, claims record theirs."""

    __tablename__ = "policy_version"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    version: so.Mapped[int] = so.mapped_column(unique=True)
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime)
    created_by_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("user_account.id"))
    note: so.Mapped[str] = so.mapped_column(sa.Text, default="")

    ratio_bank_ppm: so.Mapped[int] = so.mapped_column(sa.Integer, default=0)
    ratio_guarantor_ppm: so.Mapped[int] = so.mapped_column(sa.Integer, default=0)
    ratio_insurer_ppm: so.Mapped[int] = so.mapped_column(sa.Integer, default=0)
    ratio_agency_ppm: so.Mapped[int] = so.mapped_column(sa.Integer, default=0)
    cap_bank_fen: so.Mapped[int | None] = so.mapped_column(Fen)  # per loan
    cap_guarantor_fen: so.Mapped[int | None] = so.mapped_column(Fen)
    cap_insurer_fen: so.Mapped[int | None] = so.mapped_column(Fen)
    cap_agency_fen: so.Mapped[int | None] = so.mapped_column(Fen)
    cap_per_loan_fen: so.Mapped[int | None] = so.mapped_column(Fen)
    cap_per_institution_year_fen: so.Mapped[int | None] = so.mapped_column(Fen)

    annual_budget_fen: so.Mapped[int] = so.mapped_column(Fen, default=0)  # compensation line
    subsidy_budget_fen: so.Mapped[int] = so.mapped_column(Fen, default=0)
    shortfall: so.Mapped[Shortfall] = so.mapped_column(enum_column(Shortfall), default=Shortfall.WAIT)
    four_eyes_above_fen: so.Mapped[int | None] = so.mapped_column(Fen)

    interest_subsidy_ppm: so.Mapped[int] = so.mapped_column(sa.Integer, default=0)
    interest_subsidy_cap_fen: so.Mapped[int | None] = so.mapped_column(Fen)  # per firm per year
    appraisal_subsidy_ppm: so.Mapped[int] = so.mapped_column(sa.Integer, default=0)
    appraisal_subsidy_cap_fen: so.Mapped[int | None] = so.mapped_column(Fen)
    premium_subsidy_ppm: so.Mapped[int] = so.mapped_column(sa.Integer, default=0)
    premium_subsidy_cap_fen: so.Mapped[int | None] = so.mapped_column(Fen)

    # the levers of market/domain/levers.py: a ratio per loan-size band (upper edges, then a ratio per
    # band and one above), per lending bank (institution id -> ppm), an annual cap on compensation
    # approved, and the stop-loss line (a bank's losses over its loans, ppm) with when it lifts
    size_band_edges_fen: so.Mapped[list[int]] = so.mapped_column(sa.JSON, default=list)
    size_band_ratios_ppm: so.Mapped[list[int]] = so.mapped_column(sa.JSON, default=list)
    bank_ratios_ppm: so.Mapped[dict[str, int]] = so.mapped_column(sa.JSON, default=dict)
    annual_cap_fen: so.Mapped[int | None] = so.mapped_column(Fen)
    stop_loss_ppm: so.Mapped[int | None] = so.mapped_column(sa.Integer)
    stop_loss_resume: so.Mapped[StopLossResume] = so.mapped_column(
        enum_column(StopLossResume), default=StopLossResume.YEAR_END
    )

    created_by: so.Mapped[User | None] = so.relationship()

    __table_args__ = (
        sa.CheckConstraint(
            "ratio_bank_ppm BETWEEN 0 AND 1000000 AND ratio_guarantor_ppm BETWEEN 0 AND 1000000 "
            "AND ratio_insurer_ppm BETWEEN 0 AND 1000000 AND ratio_agency_ppm BETWEEN 0 AND 1000000",
            name="ratios_are_shares",
        ),
        sa.CheckConstraint(
            "interest_subsidy_ppm BETWEEN 0 AND 1000000 AND appraisal_subsidy_ppm BETWEEN 0 AND 1000000 "
            "AND premium_subsidy_ppm BETWEEN 0 AND 1000000",
            name="subsidy_shares_are_shares",
        ),
        sa.CheckConstraint("annual_budget_fen >= 0 AND subsidy_budget_fen >= 0", name="budgets_not_negative"),
    )


class FundYear(Base):
    """A budget year of the fund; its money and budget lines live in the ledger."""

    __tablename__ = "fund_year"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    year: so.Mapped[int] = so.mapped_column(unique=True)
    opened_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime)
    closed_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime)
    closed_by_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("user_account.id"))


class SettlementStatement(Base):
    """One revision of a case's settlement statement (a later recovery adds a revision; rows never change)."""

    __tablename__ = "settlement_statement"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    case_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("disposal_case.id"), index=True)
    revision: so.Mapped[int] = so.mapped_column()
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime)
    created_by_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("user_account.id"))
    cause: so.Mapped[str] = so.mapped_column(sa.String(40))  # "settlement" or "later_recovery"

    channel_recovery_fen: so.Mapped[int] = so.mapped_column(Fen)
    forfeited_fen: so.Mapped[int] = so.mapped_column(Fen, default=0)
    later_recoveries_fen: so.Mapped[int] = so.mapped_column(Fen, default=0)
    commission_fen: so.Mapped[int] = so.mapped_column(Fen, default=0)
    appraisal_fen: so.Mapped[int] = so.mapped_column(Fen, default=0)
    taxes_fen: so.Mapped[int] = so.mapped_column(Fen, default=0)
    other_costs_fen: so.Mapped[int] = so.mapped_column(Fen, default=0)
    commission_ppm: so.Mapped[int] = so.mapped_column(sa.Integer)  # rates for re-running on later money
    tax_ppm: so.Mapped[int] = so.mapped_column(sa.Integer)
    unpaid_interest_fen: so.Mapped[int] = so.mapped_column(Fen)
    principal_fen: so.Mapped[int] = so.mapped_column(Fen)
    to_costs_fen: so.Mapped[int] = so.mapped_column(Fen)
    to_interest_fen: so.Mapped[int] = so.mapped_column(Fen)
    to_principal_fen: so.Mapped[int] = so.mapped_column(Fen)
    surplus_fen: so.Mapped[int] = so.mapped_column(Fen)
    principal_loss_fen: so.Mapped[int] = so.mapped_column(Fen)
    reguarantee_ppm: so.Mapped[int] = so.mapped_column(sa.Integer, default=0)
    reinsurance_ppm: so.Mapped[int] = so.mapped_column(sa.Integer, default=0)

    layers: so.Mapped[list[SettlementLayer]] = so.relationship(
        back_populates="statement", order_by="SettlementLayer.id"
    )
    created_by: so.Mapped[User | None] = so.relationship()

    __table_args__ = (
        sa.UniqueConstraint("case_id", "revision", name="uq_settlement_statement_case_revision"),
        sa.CheckConstraint(
            "channel_recovery_fen >= 0 AND forfeited_fen >= 0 AND later_recoveries_fen >= 0 "
            "AND commission_fen >= 0 AND appraisal_fen >= 0 AND taxes_fen >= 0 AND other_costs_fen >= 0",
            name="amounts_not_negative",
        ),
        sa.CheckConstraint(
            "to_costs_fen + to_interest_fen + to_principal_fen + surplus_fen "
            "= channel_recovery_fen + forfeited_fen + later_recoveries_fen",
            name="proceeds_fully_applied",
        ),
        sa.CheckConstraint("principal_loss_fen = principal_fen - to_principal_fen", name="loss_is_principal_left"),
    )

    @property
    def costs_fen(self) -> int:
        """All disposal costs."""
        return self.commission_fen + self.appraisal_fen + self.taxes_fen + self.other_costs_fen

    @property
    def gross_proceeds_fen(self) -> int:
        """Everything the disposal brought in."""
        return self.channel_recovery_fen + self.forfeited_fen + self.later_recoveries_fen


class SettlementLayer(Base):
    """One layer's share of a statement's principal loss (bank, guarantor, insurer, agency)."""

    __tablename__ = "settlement_layer"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    statement_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("settlement_statement.id"), index=True)
    layer: so.Mapped[Layer] = so.mapped_column(enum_column(Layer))
    institution_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("institution.id"))
    share_ppm: so.Mapped[int] = so.mapped_column(sa.Integer)
    loss_fen: so.Mapped[int] = so.mapped_column(Fen)
    dispersed_fen: so.Mapped[int] = so.mapped_column(Fen)
    base_fen: so.Mapped[int] = so.mapped_column(Fen)

    statement: so.Mapped[SettlementStatement] = so.relationship(back_populates="layers")
    institution: so.Mapped[Institution | None] = so.relationship()

    __table_args__ = (
        sa.UniqueConstraint("statement_id", "layer", name="uq_settlement_layer_statement_layer"),
        sa.CheckConstraint("loss_fen = dispersed_fen + base_fen AND base_fen >= 0 AND dispersed_fen >= 0",
                           name="loss_is_base_plus_dispersed"),
    )


class LaterRecovery(Base):
    """Money recovered for a case after it was settled (e.g. royalties); it re-runs the statement."""

    __tablename__ = "later_recovery"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    case_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("disposal_case.id"), index=True)
    amount_fen: so.Mapped[int] = so.mapped_column(Fen)
    received_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime)
    memo: so.Mapped[str] = so.mapped_column(sa.Text, default="")
    statement_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("settlement_statement.id"))

    __table_args__ = (sa.CheckConstraint("amount_fen > 0", name="amount_positive"),)


class CompensationClaim(Base):
    """A claim on the fund: compensation of a layer's loss, or a subsidy; it keeps the numbers it was computed from."""

    __tablename__ = "compensation_claim"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    kind: so.Mapped[ClaimKind] = so.mapped_column(enum_column(ClaimKind), index=True)
    state: so.Mapped[ClaimState] = so.mapped_column(enum_column(ClaimState), index=True)
    loan_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("loan.id"), index=True)
    enterprise_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("enterprise.id"), index=True)
    case_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("disposal_case.id"), index=True)
    statement_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("settlement_statement.id"))
    institution_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("institution.id"), index=True)
    layer: so.Mapped[Layer | None] = so.mapped_column(enum_column(Layer))
    policy_version_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("policy_version.id"))
    year: so.Mapped[int] = so.mapped_column(index=True)  # the fund year the claim counts against

    # how the amount was computed
    share_ppm: so.Mapped[int | None] = so.mapped_column(sa.Integer)  # the layer's share of the loss
    loss_fen: so.Mapped[int] = so.mapped_column(Fen, default=0)
    dispersed_fen: so.Mapped[int] = so.mapped_column(Fen, default=0)
    base_fen: so.Mapped[int] = so.mapped_column(Fen)  # loss after dispersal, or the subsidised cost
    ratio_ppm: so.Mapped[int] = so.mapped_column(sa.Integer)
    uncapped_fen: so.Mapped[int] = so.mapped_column(Fen)  # ratio x base
    cap_fen: so.Mapped[int | None] = so.mapped_column(Fen)  # per layer per loan, or per firm per year
    loan_cap_fen: so.Mapped[int | None] = so.mapped_column(Fen)
    year_cap_fen: so.Mapped[int | None] = so.mapped_column(Fen)
    year_used_fen: so.Mapped[int] = so.mapped_column(Fen, default=0)  # approved earlier that year
    claimed_fen: so.Mapped[int] = so.mapped_column(Fen)
    evidence: so.Mapped[str] = so.mapped_column(sa.String(200), default="")

    # the review and the money
    approved_fen: so.Mapped[int | None] = so.mapped_column(Fen)
    due_fen: so.Mapped[int] = so.mapped_column(Fen, default=0)  # approved, less what later recoveries took off
    paid_fen: so.Mapped[int] = so.mapped_column(Fen, default=0)
    pending_fen: so.Mapped[int] = so.mapped_column(Fen, default=0)
    lapsed_fen: so.Mapped[int] = so.mapped_column(Fen, default=0)
    clawed_back_fen: so.Mapped[int] = so.mapped_column(Fen, default=0)
    queue_position: so.Mapped[int | None] = so.mapped_column(unique=True)  # order of approval
    decision_reason: so.Mapped[str] = so.mapped_column(sa.Text, default="")

    drafted_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime)
    filed_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime)
    filed_by_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("user_account.id"))
    approved_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime)

    loan: so.Mapped[Loan] = so.relationship()
    enterprise: so.Mapped[Enterprise] = so.relationship()
    institution: so.Mapped[Institution] = so.relationship()
    policy_version: so.Mapped[PolicyVersion] = so.relationship()
    statement: so.Mapped[SettlementStatement | None] = so.relationship()
    filed_by: so.Mapped[User | None] = so.relationship()
    reviews: so.Mapped[list[ClaimReview]] = so.relationship(back_populates="claim", order_by="ClaimReview.id")
    payments: so.Mapped[list[ClaimPayment]] = so.relationship(back_populates="claim", order_by="ClaimPayment.id")
    clawbacks: so.Mapped[list[Clawback]] = so.relationship(back_populates="claim", order_by="Clawback.id")

    __table_args__ = (
        sa.CheckConstraint(
            "claimed_fen >= 0 AND base_fen >= 0 AND uncapped_fen >= 0 AND paid_fen >= 0 AND pending_fen >= 0 "
            "AND lapsed_fen >= 0 AND clawed_back_fen >= 0 AND due_fen >= 0",
            name="amounts_not_negative",
        ),
        sa.CheckConstraint("paid_fen + pending_fen + lapsed_fen <= due_fen + clawed_back_fen", name="within_due"),
        sa.CheckConstraint("clawed_back_fen <= paid_fen", name="clawback_within_paid"),
        sa.CheckConstraint("approved_fen IS NULL OR approved_fen <= claimed_fen", name="approved_within_claim"),
        sa.Index("ix_compensation_claim_institution_year", "institution_id", "year", "kind"),
    )

    @property
    def still_owed_fen(self) -> int:
        """What the fund still has to pay on this approved claim."""
        if not self.state.in_payment_queue:
            return 0
        return max(0, self.due_fen - (self.paid_fen - self.clawed_back_fen) - self.lapsed_fen)


class ClaimReview(Base):
    """One bureau user's decision on a claim (two of them above the four-eyes amount)."""

    __tablename__ = "claim_review"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    claim_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("compensation_claim.id"), index=True)
    step: so.Mapped[int] = so.mapped_column()
    reviewer_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("user_account.id"))
    decision: so.Mapped[ReviewDecision] = so.mapped_column(enum_column(ReviewDecision))
    amount_fen: so.Mapped[int] = so.mapped_column(Fen)
    reason: so.Mapped[str] = so.mapped_column(sa.Text, default="")
    decided_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime)

    claim: so.Mapped[CompensationClaim] = so.relationship(back_populates="reviews")
    reviewer: so.Mapped[User] = so.relationship()

    __table_args__ = (sa.UniqueConstraint("claim_id", "step", name="uq_claim_review_claim_step"),)


class ClaimPayment(Base):
    """One payment from the fund on a claim."""

    __tablename__ = "claim_payment"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    claim_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("compensation_claim.id"), index=True)
    amount_fen: so.Mapped[int] = so.mapped_column(Fen)
    year: so.Mapped[int] = so.mapped_column()
    paid_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, index=True)
    ledger_transaction_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("ledger_transaction.id"))

    claim: so.Mapped[CompensationClaim] = so.relationship(back_populates="payments")

    __table_args__ = (sa.CheckConstraint("amount_fen > 0", name="amount_positive"),)


class Clawback(Base):
    """Part of a paid claim the claimant must repay after a later recovery."""

    __tablename__ = "clawback"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    claim_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("compensation_claim.id"), index=True)
    statement_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("settlement_statement.id"))
    amount_fen: so.Mapped[int] = so.mapped_column(Fen)
    demanded_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime)
    repaid_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime)

    claim: so.Mapped[CompensationClaim] = so.relationship(back_populates="clawbacks")

    __table_args__ = (sa.CheckConstraint("amount_fen > 0", name="amount_positive"),)
