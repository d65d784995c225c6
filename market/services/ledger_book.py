"""Reading the double-entry ledger: postings by account, case and date with running balances, and one
transaction's postings; what a user sees is decided by access.posting_visibility before paging."""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

import sqlalchemy as sa
import sqlalchemy.orm as so

from market.domain.ledger import AccountKind, account_kind
from market.models import Institution, LedgerPosting, LedgerTransaction, User
from market.services.access import NotFound, posting_visibility
from market.services.fund import LOCAL  # the dates a reader gives are Beijing dates

MAX_PER_PAGE = 200


@dataclass(frozen=True)
class LedgerQuery:
    """Which postings to show: an account, a case, Beijing dates from and to (both included), a page."""

    account: str | None = None
    case_id: int | None = None
    since: date | None = None
    until: date | None = None
    page: int = 1
    per_page: int = 50


@dataclass(frozen=True)
class PostingLine:
    """One posting with its transaction and the account's balance after it (debit-positive)."""

    id: int
    transaction_id: int
    occurred_at: datetime
    movement: str
    case_id: int | None
    account: str
    amount_fen: int
    balance_fen: int
    memo: str

    @property
    def kind(self) -> AccountKind:
        """The account's kind in the chart."""
        return account_kind(self.account)[0]

    @property
    def belongs_to(self) -> str:
        """What the account belongs to: an institution, case, claim or budget id ("" for single accounts)."""
        return account_kind(self.account)[1]


@dataclass(frozen=True)
class LedgerPage:
    """A page of postings and where it sits in the whole result."""

    lines: list[PostingLine]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        """How many pages the whole result has (at least one)."""
        return max(1, math.ceil(self.total / self.per_page))


def _lines(user: User, query: LedgerQuery) -> sa.Select:
    # The running balance is taken over the whole account before any filter narrows the rows, so a page of
    # one case or one week still shows the account's true balance after each posting.
    running = (
        sa.select(
            LedgerPosting.id, LedgerPosting.transaction_id, LedgerPosting.account, LedgerPosting.amount_fen,
            sa.func.sum(LedgerPosting.amount_fen).over(partition_by=LedgerPosting.account,
                                                       order_by=LedgerPosting.id).label("balance_fen"),
        ).subquery()
    )
    select = (
        sa.select(running.c.id, running.c.transaction_id, LedgerTransaction.occurred_at, LedgerTransaction.movement,
                  LedgerTransaction.case_id, running.c.account, running.c.amount_fen, running.c.balance_fen,
                  LedgerTransaction.memo)
        .join(LedgerTransaction, LedgerTransaction.id == running.c.transaction_id)
        .join(LedgerPosting, LedgerPosting.id == running.c.id)  # the visibility predicate names LedgerPosting
        .where(posting_visibility(user))
    )
    if query.account:
        select = select.where(running.c.account == query.account)
    if query.case_id is not None:
        select = select.where(LedgerTransaction.case_id == query.case_id)
    return select.where(*within_local_days(LedgerTransaction.occurred_at, query.since, query.until))


def within_local_days(column: sa.ColumnElement[datetime], since: date | None, until: date | None) -> list:
    """WHERE clauses for a time column between two Beijing dates, both included (either may be None)."""
    clauses = []
    if since is not None:
        clauses.append(column >= datetime.combine(since, time(), LOCAL))
    if until is not None:
        clauses.append(column < datetime.combine(until + timedelta(days=1), time(), LOCAL))
    return clauses


def _line(row) -> PostingLine:
    return PostingLine(row.id, row.transaction_id, row.occurred_at, row.movement, row.case_id, row.account,
                       int(row.amount_fen), int(row.balance_fen), row.memo or "")


def ledger_page(session: so.Session, user: User, query: LedgerQuery) -> LedgerPage:
    """One page of the postings the user may see, newest first, with running balances."""
    select = _lines(user, query)
    total = session.scalar(sa.select(sa.func.count()).select_from(select.subquery())) or 0
    per_page = min(max(query.per_page, 1), MAX_PER_PAGE)
    page = max(query.page, 1)
    rows = session.execute(select.order_by(sa.desc("id")).limit(per_page).offset((page - 1) * per_page))
    return LedgerPage([_line(row) for row in rows], total, page, per_page)


def ledger_lines(session: so.Session, user: User, query: LedgerQuery) -> Iterator[PostingLine]:
    """Every posting the user may see under the filters (no paging), oldest first: for the CSV export."""
    for row in session.execute(_lines(user, query).order_by("id")).yield_per(1000):
        yield _line(row)


def transaction_postings(session: so.Session, user: User, transaction_id: int) -> tuple[LedgerTransaction,
                                                                                         list[PostingLine]]:
    """A transaction and those of its postings the user may see; NotFound if they see none."""
    lines = list(session.execute(_lines(user, LedgerQuery()).where(LedgerTransaction.id == transaction_id)
                                 .order_by("id")))
    if not lines:
        raise NotFound()
    return session.get(LedgerTransaction, transaction_id), [_line(row) for row in lines]


def visible_accounts(session: so.Session, user: User) -> list[str]:
    """The accounts the user may see, in the chart's order."""
    accounts = session.scalars(
        sa.select(LedgerPosting.account).distinct()
        .join(LedgerTransaction, LedgerTransaction.id == LedgerPosting.transaction_id)
        .where(posting_visibility(user))
    ).all()
    return sorted(accounts, key=lambda account: (list(AccountKind).index(account_kind(account)[0]), account))


def institution_names(session: so.Session, lines: list[PostingLine] | list[str]) -> dict[str, str]:
    """The names of the institutions whose deposit accounts appear among these lines or accounts."""
    accounts = [line if isinstance(line, str) else line.account for line in lines]
    ids = {int(account_kind(a)[1]) for a in accounts if account_kind(a)[0] == AccountKind.DEPOSITS_HELD}
    if not ids:
        return {}
    rows = session.execute(sa.select(Institution.id, Institution.name).where(Institution.id.in_(ids)))
    return {str(id_): name for id_, name in rows}
