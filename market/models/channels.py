"""The other disposal channels: licence rounds and licences, debt-to-equity conversions, claim listings."""

from __future__ import annotations

import enum
from datetime import date, datetime

import sqlalchemy as sa
import sqlalchemy.orm as so

from market.domain.channels import ListingStatus, ProposalStatus, RoundStatus
from market.domain.claim_transfer import SaleMode
from market.domain.conversion import ConsentParty, ExitRoute
from market.domain.licensing import LicenceKind, ReportingPeriod
from market.models.base import Base, Fen, UTCDateTime, enum_column
from market.models.cases import DisposalCase
from market.models.core import Enterprise, Institution, Loan, User

__all__ = [
    "LicenceRound", "LicenceOffer", "Licence", "LicencePayment", "PaymentKind",
    "ConversionProposal", "ConversionConsent", "EquityPosition",
    "ClaimListing", "ClaimOffer",
]

class PaymentKind(enum.StrEnum):
    """What a licence payment is."""

    UPFRONT = "upfront"
    ROYALTY = "royalty"


# ---------------------------------------------------------------- licensing


class LicenceRound(Base):
    """A published licence offer on a case: terms, minimums, scoring formula and the offer deadline."""

    __tablename__ = "licence_round"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    case_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("disposal_case.id"), index=True)
    status: so.Mapped[RoundStatus] = so.mapped_column(enum_column(RoundStatus, name="licence_round_status"),
                                                      index=True)
    kind: so.Mapped[LicenceKind] = so.mapped_column(enum_column(LicenceKind))
    field_of_use: so.Mapped[str] = so.mapped_column(sa.String(300))
    territory: so.Mapped[str] = so.mapped_column(sa.String(200))
    term_months: so.Mapped[int] = so.mapped_column(sa.Integer)
    min_upfront_fen: so.Mapped[int] = so.mapped_column(Fen)
    min_royalty_rate_ppm: so.Mapped[int] = so.mapped_column(sa.Integer)
    reporting_period: so.Mapped[ReportingPeriod] = so.mapped_column(enum_column(ReportingPeriod))
    discount_rate_ppm: so.Mapped[int] = so.mapped_column(sa.Integer)
    reference_sales_fen: so.Mapped[int] = so.mapped_column(Fen)
    offer_deadline: so.Mapped[datetime] = so.mapped_column(UTCDateTime, index=True)
    opened_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime)
    closed_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime)
    held_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime)  # on hold by a registry change
    award_reason: so.Mapped[str] = so.mapped_column(sa.Text, default="")
    pledgee_consent_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime)
    pledgee_consent_by_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("user_account.id"))
    pledgee_consent_ref: so.Mapped[str] = so.mapped_column(sa.String(120), default="")
    ended_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime)
    outcome_reason: so.Mapped[str] = so.mapped_column(sa.Text, default="")

    case: so.Mapped[DisposalCase] = so.relationship()
    offers: so.Mapped[list[LicenceOffer]] = so.relationship(back_populates="round", order_by="LicenceOffer.id")
    licences: so.Mapped[list[Licence]] = so.relationship(back_populates="round", order_by="Licence.id")

    __table_args__ = (
        sa.CheckConstraint("term_months > 0", name="term_positive"),
        sa.CheckConstraint("min_upfront_fen >= 0 AND reference_sales_fen >= 0", name="amounts_not_negative"),
        sa.CheckConstraint("min_royalty_rate_ppm BETWEEN 0 AND 1000000 AND discount_rate_ppm BETWEEN 0 AND 1000000",
                           name="rates_in_range"),
    )


class LicenceOffer(Base):
    """A sealed offer in a licence round: from a platform institution, or recorded by the centre for a firm."""

    __tablename__ = "licence_offer"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    round_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("licence_round.id"), index=True)
    institution_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("institution.id"), index=True)
    applicant_name: so.Mapped[str] = so.mapped_column(sa.String(200))
    applicant_credit_code: so.Mapped[str] = so.mapped_column(sa.String(18))
    upfront_fen: so.Mapped[int] = so.mapped_column(Fen)
    royalty_rate_ppm: so.Mapped[int] = so.mapped_column(sa.Integer)
    min_annual_royalty_fen: so.Mapped[int] = so.mapped_column(Fen, default=0)
    note: so.Mapped[str] = so.mapped_column(sa.Text, default="")
    submitted_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime)
    submitted_by_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("user_account.id"))
    withdrawn_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime)
    selected: so.Mapped[bool] = so.mapped_column(default=False)

    round: so.Mapped[LicenceRound] = so.relationship(back_populates="offers")
    institution: so.Mapped[Institution | None] = so.relationship()

    __table_args__ = (
        sa.UniqueConstraint("round_id", "applicant_credit_code", name="uq_licence_offer_applicant"),
        sa.CheckConstraint("upfront_fen >= 0 AND min_annual_royalty_fen >= 0", name="amounts_not_negative"),
        sa.CheckConstraint("royalty_rate_ppm BETWEEN 0 AND 1000000", name="rate_in_range"),
    )


class Licence(Base):
    """A signed licence: its terms, its royalty basis and the recordal with the IP office."""

    __tablename__ = "licence"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    case_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("disposal_case.id"), index=True)
    round_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("licence_round.id"), index=True)
    offer_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("licence_offer.id"), unique=True)
    licensee_institution_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("institution.id"),
                                                                      index=True)
    licensee_name: so.Mapped[str] = so.mapped_column(sa.String(200))
    contract_ref: so.Mapped[str] = so.mapped_column(sa.String(80))
    signed_on: so.Mapped[date] = so.mapped_column(sa.Date)
    starts_on: so.Mapped[date] = so.mapped_column(sa.Date)
    upfront_fen: so.Mapped[int] = so.mapped_column(Fen)
    royalty_rate_ppm: so.Mapped[int] = so.mapped_column(sa.Integer)
    min_annual_royalty_fen: so.Mapped[int] = so.mapped_column(Fen, default=0)
    recordal_due_on: so.Mapped[date] = so.mapped_column(sa.Date, index=True)
    recorded_on: so.Mapped[date | None] = so.mapped_column(sa.Date)
    recordal_number: so.Mapped[str] = so.mapped_column(sa.String(80), default="")
    recordal_missed_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime)

    case: so.Mapped[DisposalCase] = so.relationship()
    round: so.Mapped[LicenceRound] = so.relationship(back_populates="licences")
    licensee: so.Mapped[Institution | None] = so.relationship()
    payments: so.Mapped[list[LicencePayment]] = so.relationship(
        back_populates="licence", order_by=lambda: (LicencePayment.received_on, LicencePayment.id)
    )


class LicencePayment(Base):
    """Money a licensee paid through the centre: the upfront fee or a royalty."""

    __tablename__ = "licence_payment"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    licence_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("licence.id"), index=True)
    case_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("disposal_case.id"), index=True)
    kind: so.Mapped[PaymentKind] = so.mapped_column(enum_column(PaymentKind, name="licence_payment_kind"))
    received_on: so.Mapped[date] = so.mapped_column(sa.Date)
    amount_fen: so.Mapped[int] = so.mapped_column(Fen)
    reference: so.Mapped[str] = so.mapped_column(sa.String(60))  # the bank transfer's reference
    reported_sales_fen: so.Mapped[int | None] = so.mapped_column(Fen)
    source: so.Mapped[str] = so.mapped_column(sa.String(20), default="entered")  # entered | csv | signing
    recorded_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime)
    recorded_by_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("user_account.id"))

    licence: so.Mapped[Licence] = so.relationship(back_populates="payments")

    __table_args__ = (
        sa.UniqueConstraint("licence_id", "reference", name="uq_licence_payment_reference"),
        sa.CheckConstraint("amount_fen > 0", name="amount_positive"),
    )


# ---------------------------------------------------------------- debt-to-equity conversion


class ConversionProposal(Base):
    """An AIC's proposal to buy the claim at a market price and convert it into the borrower's equity."""

    __tablename__ = "conversion_proposal"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    case_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("disposal_case.id"), index=True)
    aic_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("institution.id"), index=True)
    status: so.Mapped[ProposalStatus] = so.mapped_column(enum_column(ProposalStatus, name="proposal_status"),
                                                         index=True)
    claim_price_fen: so.Mapped[int] = so.mapped_column(Fen)
    claim_valuation_fen: so.Mapped[int] = so.mapped_column(Fen)
    valuation_report_ref: so.Mapped[str] = so.mapped_column(sa.String(80))
    pre_money_valuation_fen: so.Mapped[int] = so.mapped_column(Fen)
    lockup_months: so.Mapped[int] = so.mapped_column(sa.Integer)
    exit_route: so.Mapped[ExitRoute] = so.mapped_column(enum_column(ExitRoute))
    exit_terms: so.Mapped[str] = so.mapped_column(sa.Text)
    fund_compensation: so.Mapped[bool] = so.mapped_column(default=False)
    proposed_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime)
    proposed_by_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("user_account.id"))
    ended_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime)
    outcome_reason: so.Mapped[str] = so.mapped_column(sa.Text, default="")

    case: so.Mapped[DisposalCase] = so.relationship()
    aic: so.Mapped[Institution] = so.relationship()
    consents: so.Mapped[list[ConversionConsent]] = so.relationship(back_populates="proposal",
                                                                    order_by="ConversionConsent.id")

    __table_args__ = (
        sa.CheckConstraint("claim_price_fen > 0 AND claim_valuation_fen > 0 AND pre_money_valuation_fen > 0",
                           name="amounts_positive"),
        sa.CheckConstraint("lockup_months >= 0", name="lockup_not_negative"),
    )


class ConversionConsent(Base):
    """One party's decision on a conversion proposal (also in the audit trail)."""

    __tablename__ = "conversion_consent"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    proposal_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("conversion_proposal.id"), index=True)
    party: so.Mapped[ConsentParty] = so.mapped_column(enum_column(ConsentParty))
    consented: so.Mapped[bool]
    reference: so.Mapped[str] = so.mapped_column(sa.String(120), default="")  # e.g. board resolution number
    note: so.Mapped[str] = so.mapped_column(sa.Text, default="")
    decided_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime)
    decided_by_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("user_account.id"))

    proposal: so.Mapped[ConversionProposal] = so.relationship(back_populates="consents")
    decided_by: so.Mapped[User | None] = so.relationship()

    __table_args__ = (sa.UniqueConstraint("proposal_id", "party", name="uq_conversion_consent_party"),)


class EquityPosition(Base):
    """The equity an AIC holds in a borrower after an executed conversion."""

    __tablename__ = "equity_position"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    proposal_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("conversion_proposal.id"), unique=True)
    aic_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("institution.id"), index=True)
    enterprise_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("enterprise.id"), index=True)
    share_ppm: so.Mapped[int] = so.mapped_column(sa.Integer)
    cost_fen: so.Mapped[int] = so.mapped_column(Fen)
    acquired_on: so.Mapped[date] = so.mapped_column(sa.Date)
    lockup_until: so.Mapped[date] = so.mapped_column(sa.Date)
    exit_route: so.Mapped[ExitRoute] = so.mapped_column(enum_column(ExitRoute))
    exit_terms: so.Mapped[str] = so.mapped_column(sa.Text)

    aic: so.Mapped[Institution] = so.relationship()
    enterprise: so.Mapped[Enterprise] = so.relationship()
    proposal: so.Mapped[ConversionProposal] = so.relationship()

    __table_args__ = (sa.CheckConstraint("share_ppm BETWEEN 1 AND 1000000", name="share_in_range"),)


# ---------------------------------------------------------------- claim transfer


class ClaimListing(Base):
    """A bank's loan and pledge offered to other licensed financial institutions."""

    __tablename__ = "claim_listing"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    loan_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("loan.id"), index=True)
    case_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("disposal_case.id"), index=True)
    seller_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("institution.id"), index=True)
    status: so.Mapped[ListingStatus] = so.mapped_column(enum_column(ListingStatus, name="listing_status"),
                                                        index=True)
    mode: so.Mapped[SaleMode] = so.mapped_column(enum_column(SaleMode))
    title: so.Mapped[str] = so.mapped_column(sa.String(300))
    asking_price_fen: so.Mapped[int] = so.mapped_column(Fen)
    offer_deadline: so.Mapped[datetime] = so.mapped_column(UTCDateTime, index=True)
    data_room_notes: so.Mapped[str] = so.mapped_column(sa.Text, default="")
    loan_status_at_listing: so.Mapped[str] = so.mapped_column(sa.String(32))
    submitted_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime)
    submitted_by_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("user_account.id"))
    opened_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime)
    auction_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("auction.id"), index=True)
    buyer_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("institution.id"), index=True)
    price_fen: so.Mapped[int | None] = so.mapped_column(Fen)
    agreed_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime)
    completed_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime)
    ended_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime)
    outcome_reason: so.Mapped[str] = so.mapped_column(sa.Text, default="")
    recordal_due_on: so.Mapped[date | None] = so.mapped_column(sa.Date, index=True)
    recorded_on: so.Mapped[date | None] = so.mapped_column(sa.Date)
    recordal_number: so.Mapped[str] = so.mapped_column(sa.String(80), default="")
    recordal_missed_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime)

    loan: so.Mapped[Loan] = so.relationship()
    case: so.Mapped[DisposalCase | None] = so.relationship()
    seller: so.Mapped[Institution] = so.relationship(foreign_keys=[seller_id])
    buyer: so.Mapped[Institution | None] = so.relationship(foreign_keys=[buyer_id])
    offers: so.Mapped[list[ClaimOffer]] = so.relationship(
        back_populates="listing", order_by="ClaimOffer.id"
    )

    __table_args__ = (
        sa.CheckConstraint("asking_price_fen > 0", name="asking_positive"),
        sa.CheckConstraint("price_fen IS NULL OR price_fen > 0", name="price_positive"),
    )


class ClaimOffer(Base):
    """A licensed financial institution's offer for a listed claim (negotiated path)."""

    __tablename__ = "claim_offer"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    listing_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("claim_listing.id"), index=True)
    institution_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("institution.id"), index=True)
    price_fen: so.Mapped[int] = so.mapped_column(Fen)
    terms: so.Mapped[str] = so.mapped_column(sa.Text, default="")
    submitted_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime)
    submitted_by_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("user_account.id"))
    withdrawn_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime)
    accepted: so.Mapped[bool] = so.mapped_column(default=False)

    listing: so.Mapped[ClaimListing] = so.relationship(back_populates="offers")
    institution: so.Mapped[Institution] = so.relationship()

    __table_args__ = (
        sa.UniqueConstraint("listing_id", "institution_id", name="uq_claim_offer_institution"),
        sa.CheckConstraint("price_fen > 0", name="price_positive"),
    )
