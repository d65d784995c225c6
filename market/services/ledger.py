"""Post money movements to the double-entry ledger; balances of what is held or owed never go negative."""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from datetime import datetime
from itertools import accumulate

import sqlalchemy as sa
import sqlalchemy.orm as so

from market.db import is_postgresql
from market.domain.ledger import BudgetLine, Movement, entries_for, must_stay_positive
from market.domain.rules import RuleBroken
from market.models import LedgerPosting, LedgerTransaction

_ACCOUNT_LOCK = 727_010  # advisory-lock class: one lock per constrained account (PostgreSQL)


class LedgerWouldGoNegative(RuleBroken):
    """A movement would take more out of an account than it holds."""

    code, fields = "ledger_would_go_negative", ("account", "amount_fen")


class CentreCashShort(LedgerWouldGoNegative):
    """The trading centre's account does not hold enough."""

    code, fields = "centre_cash_short", ()


class FundCashShort(LedgerWouldGoNegative):
    """The compensation fund does not hold enough."""

    code, fields = "fund_cash_short", ()


class BudgetLineShort(LedgerWouldGoNegative):
    """What is left of the budget line is less than the payment."""

    code, fields = "budget_line_short", ("amount_fen",)


def balance(session: so.Session, account: str) -> int:
    """An account's balance, debit-positive (liabilities show as negative numbers)."""
    total = session.scalar(
        sa.select(sa.func.coalesce(sa.func.sum(LedgerPosting.amount_fen), 0)).where(LedgerPosting.account == account)
    )
    return int(total or 0)  # PostgreSQL sums BIGINT as NUMERIC


def balances(session: so.Session, prefix: str) -> dict[str, int]:
    """The balances of every account whose name starts with a prefix (e.g. "fund:claims_payable:")."""
    rows = session.execute(
        sa.select(LedgerPosting.account, sa.func.sum(LedgerPosting.amount_fen))
        .where(LedgerPosting.account.startswith(prefix, autoescape=True))
        .group_by(LedgerPosting.account)
    )
    return {account: int(total) for account, total in rows}


def movement_total(
    session: so.Session,
    movement: Movement,
    *,
    case_id: int | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> int:
    """How much money moved in movements of one kind (optionally for a case, within [since, until))."""
    # every entry of a movement carries the movement's amount, so its largest posting is the amount
    query = (
        sa.select(sa.func.max(LedgerPosting.amount_fen).label("amount"))
        .join(LedgerTransaction, LedgerTransaction.id == LedgerPosting.transaction_id)
        .where(LedgerTransaction.movement == movement.value)
        .group_by(LedgerPosting.transaction_id)
    )
    if case_id is not None:
        query = query.where(LedgerTransaction.case_id == case_id)
    if since is not None:
        query = query.where(LedgerTransaction.occurred_at >= since)
    if until is not None:
        query = query.where(LedgerTransaction.occurred_at < until)
    amounts = query.subquery()
    return int(session.scalar(sa.select(sa.func.coalesce(sa.func.sum(amounts.c.amount), 0))) or 0)


def record_movement(
    session: so.Session,
    movement: Movement,
    *,
    amount_fen: int,
    now: datetime,
    case_id: int | None = None,
    institution_id: int | None = None,
    claim_id: int | None = None,
    year: int | None = None,
    line: BudgetLine | str | None = None,
    reference: str | None = None,
    memo: str = "",
) -> LedgerTransaction | None:
    """Post one movement inside the caller's transaction; a repeated reference posts nothing."""
    if reference is not None:
        existing = session.scalar(sa.select(LedgerTransaction).where(LedgerTransaction.reference == reference))
        if existing is not None:
            return None
    entries = entries_for(movement, amount_fen, case_id=case_id, institution_id=institution_id,
                          claim_id=claim_id, year=year, line=line)
    _lock_constrained_accounts(session, {entry.debit for entry in entries} | {entry.credit for entry in entries})
    transaction = LedgerTransaction(movement=movement.value, case_id=case_id, institution_id=institution_id,
                                    reference=reference, memo=memo, occurred_at=now)
    session.add(transaction)
    for entry in entries:
        _check_can_pay(session, entry.debit, entry.credit, entry.amount_fen)
        session.add(LedgerPosting(transaction=transaction, account=entry.debit, amount_fen=entry.amount_fen))
        session.add(LedgerPosting(transaction=transaction, account=entry.credit, amount_fen=-entry.amount_fen))
        session.flush()
    return transaction


def _lock_constrained_accounts(session: so.Session, accounts: set[str]) -> None:
    # The check below reads a balance and then writes: on PostgreSQL two transactions could both
    # pass it, so serialise writers per constrained account (in a fixed order, against deadlocks).
    # SQLite already serialises writers with BEGIN IMMEDIATE.
    if not is_postgresql(session):
        return
    for account in sorted(a for a in accounts if must_stay_positive(a)):
        key = zlib.crc32(account.encode()) - 2**31
        session.execute(sa.text("SELECT pg_advisory_xact_lock(:cls, :key)"), {"cls": _ACCOUNT_LOCK, "key": key})


def _check_can_pay(session: so.Session, debit: str, credit: str, amount_fen: int) -> None:
    # An asset (debit-normal) cannot be credited beyond what it holds; a liability or budget
    # (credit-normal) cannot be debited beyond what is owed or left.
    if must_stay_positive(credit) == "debit" and balance(session, credit) - amount_fen < 0:
        raise _holds_too_little(credit, amount_fen)
    if must_stay_positive(debit) == "credit" and -balance(session, debit) - amount_fen < 0:
        raise _holds_too_little(debit, amount_fen)


def _holds_too_little(account: str, amount_fen: int) -> LedgerWouldGoNegative:
    if account == "cash":
        return CentreCashShort()
    if account == "fund:cash":
        return FundCashShort()
    if account.startswith("fund:budget:"):
        return BudgetLineShort(amount_fen=amount_fen)
    return LedgerWouldGoNegative(account=account, amount_fen=amount_fen)


@dataclass(frozen=True)
class LedgerCheck:
    """The result of checking the whole ledger: the first bad transaction and what is wrong with it."""

    transactions: int
    unbalanced: tuple[int, ...]
    negative: tuple[str, ...]
    first_bad: int | None = None
    problem: str = ""

    @property
    def ok(self) -> bool:
        """Every transaction balances and no constrained account is below zero."""
        return not self.unbalanced and not self.negative


def check_ledger(session: so.Session) -> LedgerCheck:
    """Check that every transaction's postings sum to zero and no held, owed or cash balance is negative.
    (Balances are only ever sums of postings: no stored balance can disagree with them.)"""
    unbalanced = session.scalars(
        sa.select(LedgerPosting.transaction_id)
        .group_by(LedgerPosting.transaction_id)
        .having(sa.func.sum(LedgerPosting.amount_fen) != 0)
        .order_by(LedgerPosting.transaction_id)
    ).all()
    totals = session.execute(
        sa.select(LedgerPosting.account, sa.func.sum(LedgerPosting.amount_fen)).group_by(LedgerPosting.account)
    )
    negative = sorted(account for account, total in totals if _wrong_side(account, total))
    count = session.scalar(sa.select(sa.func.count(LedgerTransaction.id))) or 0
    problems = [(id_, "its postings do not sum to zero") for id_ in unbalanced[:1]]
    problems += [(_first_overdrawing(session, account), f"it takes {account} below zero") for account in negative]
    first_bad, problem = min(problems) if problems else (None, "")
    return LedgerCheck(count, tuple(unbalanced), tuple(negative), first_bad, problem)


def _wrong_side(account: str, total: int) -> bool:
    side = must_stay_positive(account)
    return (side == "debit" and total < 0) or (side == "credit" and total > 0)


def _first_overdrawing(session: so.Session, account: str) -> int:
    # the transaction after which the account's running balance first stood on the wrong side
    moves = session.execute(sa.select(LedgerPosting.transaction_id, sa.func.sum(LedgerPosting.amount_fen))
                            .where(LedgerPosting.account == account)
                            .group_by(LedgerPosting.transaction_id).order_by(LedgerPosting.transaction_id)).all()
    running = accumulate(int(amount) for _, amount in moves)
    return next(move.transaction_id for move, total in zip(moves, running, strict=True)
                if _wrong_side(account, total))
