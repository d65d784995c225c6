"""Money: the trading centre's double-entry ledger (settlement, claims and the fund extend this module)."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
import sqlalchemy.orm as so

from market.models.base import Base, Fen, UTCDateTime

__all__ = ["LedgerTransaction", "LedgerPosting"]


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
