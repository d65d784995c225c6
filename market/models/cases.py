"""The disposal case: one defaulted loan's pledged IP handed to the trading centre."""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
import sqlalchemy.orm as so

from market.domain.workflow import CaseState, Channel
from market.models.base import Base, Fen, UTCDateTime, enum_column, utcnow
from market.models.core import Enterprise, Institution, IPAsset, IPKind, Loan

case_asset = sa.Table(
    "case_asset",
    Base.metadata,
    sa.Column("case_id", sa.ForeignKey("disposal_case.id"), primary_key=True),
    sa.Column("asset_id", sa.ForeignKey("ip_asset.id"), primary_key=True),
)


class DisposalCase(Base):
    """A defaulted loan's pledged IP in the trading centre's hands, from filing to closing."""

    __tablename__ = "disposal_case"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    reference: so.Mapped[str] = so.mapped_column(sa.String(30), unique=True)
    loan_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("loan.id"), index=True)
    bank_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("institution.id"), index=True)
    state: so.Mapped[CaseState] = so.mapped_column(enum_column(CaseState), index=True)
    channel: so.Mapped[Channel | None] = so.mapped_column(enum_column(Channel))

    # what the public catalogue shows and filters on (copied at filing so listing needs no joins)
    title: so.Mapped[str] = so.mapped_column(sa.String(300))
    primary_kind: so.Mapped[IPKind] = so.mapped_column(enum_column(IPKind))
    industry: so.Mapped[str] = so.mapped_column(sa.String(60))
    region: so.Mapped[str] = so.mapped_column(sa.String(60))
    list_price_fen: so.Mapped[int | None] = so.mapped_column(Fen)
    summary: so.Mapped[str] = so.mapped_column(sa.Text, default="")
    owner_name: so.Mapped[str] = so.mapped_column(sa.String(200), default="", server_default="")
    registry_numbers: so.Mapped[str] = so.mapped_column(sa.String(600), default="", server_default="")
    # lower-cased title, registry numbers, reference and owner (at most 700 characters, so it fits a
    # B-tree index on PostgreSQL): what catalogue search matches
    search_text: so.Mapped[str] = so.mapped_column(sa.String(700), default="", server_default="")
    listed: so.Mapped[bool] = so.mapped_column(default=False, server_default=sa.false())
    due_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime)  # deadline of the current step

    # the claim at filing
    principal_outstanding_fen: so.Mapped[int] = so.mapped_column(Fen)
    unpaid_interest_fen: so.Mapped[int] = so.mapped_column(Fen, default=0)
    costs_so_far_fen: so.Mapped[int] = so.mapped_column(Fen, default=0)
    pledgee_consent: so.Mapped[bool] = so.mapped_column(default=False)  # Civil Code art. 444
    co_owner_consents: so.Mapped[list[str]] = so.mapped_column(sa.JSON, default=list)
    review_checks: so.Mapped[list[str]] = so.mapped_column(sa.JSON, default=list)

    # valuation
    appraised_value_fen: so.Mapped[int | None] = so.mapped_column(Fen)
    appraiser_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("institution.id"))
    valuation_report_ref: so.Mapped[str | None] = so.mapped_column(sa.String(80))
    valued_on: so.Mapped[date | None] = so.mapped_column(sa.Date)

    # notice and disposal progress
    notice_published_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime)
    notice_ends_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime)
    deposit_share_ppm: so.Mapped[int] = so.mapped_column(sa.Integer, default=100_000)
    encumbrances: so.Mapped[str] = so.mapped_column(sa.Text, default="", server_default="")
    failed_rounds: so.Mapped[int] = so.mapped_column(default=0)
    last_start_price_fen: so.Mapped[int | None] = so.mapped_column(Fen)
    suspended_from: so.Mapped[CaseState | None] = so.mapped_column(
        enum_column(CaseState, name="suspended_from_state")
    )
    suspended_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime)
    withdrawn_amount_fen: so.Mapped[int | None] = so.mapped_column(Fen)
    negotiated_sale_ends_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime)
    negotiated_sale_lapsed_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime)
    sale_price_fen: so.Mapped[int | None] = so.mapped_column(Fen)  # agreed or hammer price awaiting payment
    payment_due_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime)

    # the channel's result, in fen, for settlement
    recovery_fen: so.Mapped[int | None] = so.mapped_column(Fen)
    buyer_institution_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("institution.id"))
    buyer_name: so.Mapped[str] = so.mapped_column(sa.String(200), default="", server_default="")
    disposed_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime)
    settled_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime)
    transfer_recorded_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime)
    closed_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime)

    filed_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=utcnow)
    # set by the services from their `now` (the app's clock); an onupdate would stamp the wall clock instead
    updated_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=utcnow)

    loan: so.Mapped[Loan] = so.relationship()
    bank: so.Mapped[Institution] = so.relationship(foreign_keys=[bank_id])
    appraiser: so.Mapped[Institution | None] = so.relationship(foreign_keys=[appraiser_id])
    buyer: so.Mapped[Institution | None] = so.relationship(foreign_keys=[buyer_institution_id])
    assets: so.Mapped[list[IPAsset]] = so.relationship(secondary=case_asset)
    first_refusal_holders: so.Mapped[list[FirstRefusalHolder]] = so.relationship(
        back_populates="case", order_by="FirstRefusalHolder.rank", cascade="all, delete-orphan"
    )

    __table_args__ = (
        sa.CheckConstraint("principal_outstanding_fen >= 0", name="principal_not_negative"),
        sa.CheckConstraint("unpaid_interest_fen >= 0", name="interest_not_negative"),
        sa.CheckConstraint("costs_so_far_fen >= 0", name="costs_not_negative"),
        sa.CheckConstraint("appraised_value_fen IS NULL OR appraised_value_fen > 0", name="appraisal_positive"),
        sa.CheckConstraint("recovery_fen IS NULL OR recovery_fen >= 0", name="recovery_not_negative"),
        sa.Index("ix_disposal_case_catalogue", "state", "list_price_fen"),
        sa.Index("ix_disposal_case_kind_state", "primary_kind", "state"),
        sa.Index("ix_disposal_case_industry_state", "industry", "state"),
        sa.Index("ix_disposal_case_region_state", "region", "state"),
        # the public catalogue's sort orders, and one open case per loan at a time
        sa.Index("ix_disposal_case_listed_published", "listed", "notice_published_at"),
        sa.Index("ix_disposal_case_listed_price", "listed", "list_price_fen"),
        sa.Index("ix_disposal_case_listed_due", "listed", "due_at"),
        sa.Index("ix_disposal_case_state_due", "state", "due_at"),
        # counts of any filter combination read this narrow index instead of the wide rows
        sa.Index("ix_disposal_case_catalogue_filter", "listed", "primary_kind", "channel", "state", "industry",
                 "region", "list_price_fen"),
        sa.Index("ix_disposal_case_search", "listed", "search_text"),
        sa.Index("uq_disposal_case_open_loan", "loan_id", unique=True,
                 sqlite_where=sa.text("state NOT IN ('rejected', 'withdrawn')"),
                 postgresql_where=sa.text("state NOT IN ('rejected', 'withdrawn')")),
    )

    @property
    def enterprise(self) -> Enterprise:
        """The borrower whose IP is disposed of."""
        return self.loan.enterprise


class FirstRefusalHolder(Base):
    """A holder named in the notice who may match the final price (co-owner, existing licensee)."""

    __tablename__ = "first_refusal_holder"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    case_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("disposal_case.id"), index=True)
    name: so.Mapped[str] = so.mapped_column(sa.String(200))
    institution_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("institution.id"))
    basis: so.Mapped[str] = so.mapped_column(sa.String(60))  # co-owner, exclusive licensee, ...
    rank: so.Mapped[int] = so.mapped_column(default=1)  # senior first

    case: so.Mapped[DisposalCase] = so.relationship(back_populates="first_refusal_holders")
    institution: so.Mapped[Institution | None] = so.relationship()
