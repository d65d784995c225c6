"""Post money movements to the double-entry ledger; balances of what the centre owes never go negative."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
import sqlalchemy.orm as so

from market.domain.ledger import LIABILITY_PREFIXES, CASH, Movement, entries_for
from market.domain.rules import RuleBroken
from market.models import LedgerPosting, LedgerTransaction


class LedgerWouldGoNegative(RuleBroken):
    """A movement would take more out of an account than it holds."""

    code = "ledger_would_go_negative"


def balance(session: so.Session, account: str) -> int:
    """An account's balance, debit-positive (liabilities show as negative numbers)."""
    return session.scalar(
        sa.select(sa.func.coalesce(sa.func.sum(LedgerPosting.amount_fen), 0)).where(LedgerPosting.account == account)
    ) or 0


def record_movement(
    session: so.Session,
    movement: Movement,
    *,
    amount_fen: int,
    now: datetime,
    case_id: int | None = None,
    institution_id: int | None = None,
    reference: str | None = None,
    memo: str = "",
) -> LedgerTransaction | None:
    """Post one movement inside the caller's transaction; a repeated reference posts nothing."""
    if reference is not None:
        existing = session.scalar(sa.select(LedgerTransaction).where(LedgerTransaction.reference == reference))
        if existing is not None:
            return None
    transaction = LedgerTransaction(movement=movement.value, case_id=case_id, institution_id=institution_id,
                                    reference=reference, memo=memo, occurred_at=now)
    session.add(transaction)
    for entry in entries_for(movement, amount_fen, case_id=case_id, institution_id=institution_id):
        _check_can_pay(session, entry.debit, entry.credit, entry.amount_fen)
        session.add(LedgerPosting(transaction=transaction, account=entry.debit, amount_fen=entry.amount_fen))
        session.add(LedgerPosting(transaction=transaction, account=entry.credit, amount_fen=-entry.amount_fen))
    session.flush()
    return transaction


def _check_can_pay(session: so.Session, debit: str, credit: str, amount_fen: int) -> None:
    # Cash (an asset, debit-normal) cannot be paid out beyond what it holds; a liability
    # (credit-normal) cannot be debited beyond what is owed.
    if credit == CASH and balance(session, CASH) - amount_fen < 0:
        raise LedgerWouldGoNegative("The trading centre's account does not hold enough for this payment.")
    if debit.startswith(LIABILITY_PREFIXES) and -balance(session, debit) - amount_fen < 0:
        raise LedgerWouldGoNegative(f"{debit} holds less than {amount_fen} fen.")
