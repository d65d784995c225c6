"""Who may bid for a lot: the operator's conditions, institutions' registrations with their proofs, and the
strikes and bans of winners who did not pay (rules in market.domain.qualification)."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
import sqlalchemy.orm as so

from market.domain.qualification import QualificationStatus
from market.models.base import Base, UTCDateTime, enum_column
from market.models.core import Institution, User
from market.models.documents import StoredDocument

__all__ = ["BiddingBan", "BiddingStrike", "LotCondition", "LotRegistration", "RegistrationProof"]


class LotCondition(Base):
    """A condition the operator wrote for bidding on a lot (e.g. an industry licence); each needs a proof."""

    __tablename__ = "lot_condition"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    case_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("disposal_case.id"), index=True)
    text: so.Mapped[str] = so.mapped_column(sa.String(500))
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime)
    created_by_user_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("user_account.id"))


class LotRegistration(Base):
    """An institution's registration to bid for a lot: its credit code, proofs, and the operator's decision."""

    __tablename__ = "lot_registration"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    case_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("disposal_case.id"), index=True)
    institution_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("institution.id"), index=True)
    credit_code: so.Mapped[str] = so.mapped_column(sa.String(18))  # 统一社会信用代码 as submitted
    status: so.Mapped[QualificationStatus] = so.mapped_column(enum_column(QualificationStatus), index=True)
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime)
    submitted_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime)
    submitted_by_user_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("user_account.id"))
    decided_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime)
    decided_by_user_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("user_account.id"))
    decision_reason: so.Mapped[str] = so.mapped_column(sa.Text, default="")

    institution: so.Mapped[Institution] = so.relationship()
    decided_by: so.Mapped[User | None] = so.relationship(foreign_keys=[decided_by_user_id])
    proofs: so.Mapped[list[RegistrationProof]] = so.relationship(back_populates="registration",
                                                                 order_by="RegistrationProof.condition_id")

    __table_args__ = (sa.UniqueConstraint("case_id", "institution_id", name="uq_lot_registration_institution"),)


class RegistrationProof(Base):
    """The document an institution filed as proof of one condition (a newer upload replaces the link)."""

    __tablename__ = "registration_proof"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    registration_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("lot_registration.id"))
    condition_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("lot_condition.id"))
    document_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("stored_document.id"))
    attached_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime)

    registration: so.Mapped[LotRegistration] = so.relationship(back_populates="proofs")
    condition: so.Mapped[LotCondition] = so.relationship()
    document: so.Mapped[StoredDocument] = so.relationship()

    __table_args__ = (sa.UniqueConstraint("registration_id", "condition_id", name="uq_registration_proof_condition"),)


class BiddingStrike(Base):
    """A won round the institution left unpaid: one per round."""

    __tablename__ = "bidding_strike"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    institution_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("institution.id"), index=True)
    case_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("disposal_case.id"))
    auction_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("auction.id"), unique=True)
    struck_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime)


class BiddingBan(Base):
    """An institution banned from registering for new lots, until the operator lifts it with a reason."""

    __tablename__ = "bidding_ban"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    institution_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("institution.id"), index=True)
    imposed_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime)
    strike_count: so.Mapped[int] = so.mapped_column(sa.Integer)
    lifted_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime)
    lifted_by_user_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("user_account.id"))
    lift_reason: so.Mapped[str] = so.mapped_column(sa.Text, default="")

    institution: so.Mapped[Institution] = so.relationship()

    __table_args__ = (
        sa.CheckConstraint("strike_count > 0", name="strike_count_positive"),
        # at most one ban in force per institution
        sa.Index("uq_bidding_ban_in_force", "institution_id", unique=True,
                 sqlite_where=sa.text("lifted_at IS NULL"), postgresql_where=sa.text("lifted_at IS NULL")),
    )
