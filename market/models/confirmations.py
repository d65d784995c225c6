"""Confirmations of sale (成交确认书): the generated document of a paid sale and each party's signature."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
import sqlalchemy.orm as so

from market.domain.confirmation import Party, SignatureMethod
from market.models.base import Base, Fen, UTCDateTime, enum_column
from market.models.cases import DisposalCase
from market.models.core import Institution, User
from market.models.documents import StoredDocument

__all__ = ["ConfirmationSignature", "SaleConfirmation"]


class SaleConfirmation(Base):
    """The confirmation of one paid sale: the PDF both parties sign (by its SHA-256), then the signed PDF."""

    __tablename__ = "sale_confirmation"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    case_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("disposal_case.id"), unique=True)
    auction_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("auction.id"), unique=True)
    document_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("stored_document.id"))
    document_sha256: so.Mapped[str] = so.mapped_column(sa.String(64))  # what each party signs
    seller_institution_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("institution.id"))
    buyer_institution_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("institution.id"))
    price_fen: so.Mapped[int] = so.mapped_column(Fen)
    generated_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime)
    signed_document_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("stored_document.id"))
    signed_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime)  # when the last party signed

    case: so.Mapped[DisposalCase] = so.relationship()
    document: so.Mapped[StoredDocument] = so.relationship(foreign_keys=[document_id])
    signed_document: so.Mapped[StoredDocument | None] = so.relationship(foreign_keys=[signed_document_id])
    seller: so.Mapped[Institution] = so.relationship(foreign_keys=[seller_institution_id])
    buyer: so.Mapped[Institution] = so.relationship(foreign_keys=[buyer_institution_id])
    signatures: so.Mapped[list[ConfirmationSignature]] = so.relationship(
        back_populates="confirmation", order_by="ConfirmationSignature.signed_at")

    __table_args__ = (
        sa.CheckConstraint("price_fen > 0", name="price_positive"),
        sa.CheckConstraint("(signed_document_id IS NULL) = (signed_at IS NULL)", name="signed_together"),
    )


class ConfirmationSignature(Base):
    """One party's signature on a confirmation: who, when, how, the hash it signed and its evidence
    (append-only)."""

    __tablename__ = "confirmation_signature"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    confirmation_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("sale_confirmation.id"))
    party: so.Mapped[Party] = so.mapped_column(enum_column(Party, name="sale_party"))
    institution_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("institution.id"))
    user_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("user_account.id"))
    method: so.Mapped[SignatureMethod] = so.mapped_column(enum_column(SignatureMethod))
    document_sha256: so.Mapped[str] = so.mapped_column(sa.String(64))
    evidence: so.Mapped[str] = so.mapped_column(sa.Text)
    evidence_sha256: so.Mapped[str] = so.mapped_column(sa.String(64))
    signed_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime)

    confirmation: so.Mapped[SaleConfirmation] = so.relationship(back_populates="signatures")
    institution: so.Mapped[Institution] = so.relationship()
    user: so.Mapped[User] = so.relationship()

    __table_args__ = (sa.UniqueConstraint("confirmation_id", "party", name="uq_confirmation_signature_party"),)
