"""The statistics the policies ask the bureau to watch, per bank and per quarter (seed 004), and the fund's flows.

Loans carry no repayment history, so a quarter's balance is today's outstanding principal of the loans
started by the quarter's end that were neither repaid nor settled by then; a loan is non-performing in
a quarter when it had defaulted by the quarter's end.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from fractions import Fraction

import sqlalchemy as sa
import sqlalchemy.orm as so

from market.domain.roles import InstitutionKind
from market.domain.workflow import Channel
from market.models import (
    ClaimPayment,
    DisposalCase,
    Institution,
    Loan,
    LoanStatus,
    SettlementStatement,
)
from market.services.fund import LOCAL

NPL_TOLERANCE_PPM = 30_000  # an IP-pledge NPL ratio up to 3 points above the bank's overall ratio is tolerated


@dataclass(frozen=True, order=True)
class Quarter:
    """A calendar quarter (China Standard Time)."""

    year: int
    number: int

    @classmethod
    def of(cls, day: date) -> Quarter:
        """The quarter a day falls in."""
        return cls(day.year, (day.month - 1) // 3 + 1)

    @classmethod
    def parse(cls, text: str | None) -> Quarter | None:
        """Read "2026Q4" (or "2026-Q4"); None when it is not a quarter."""
        if not text:
            return None
        cleaned = text.strip().upper().replace("-", "")
        try:
            year, number = cleaned.split("Q")
            quarter = cls(int(year), int(number))
        except ValueError:
            return None
        return quarter if 1 <= quarter.number <= 4 and 2000 <= quarter.year <= 2100 else None

    @property
    def start(self) -> date:
        """The quarter's first day."""
        return date(self.year, 3 * self.number - 2, 1)

    @property
    def end(self) -> date:
        """The quarter's last day."""
        return self.next().start - timedelta(days=1)

    def next(self) -> Quarter:
        """The following quarter."""
        return Quarter(self.year + 1, 1) if self.number == 4 else Quarter(self.year, self.number + 1)

    def previous(self) -> Quarter:
        """The quarter before."""
        return Quarter(self.year - 1, 4) if self.number == 1 else Quarter(self.year, self.number - 1)

    def __str__(self) -> str:
        return f"{self.year}Q{self.number}"


def last_quarters(current: Quarter, count: int) -> list[Quarter]:
    """The `count` quarters ending with `current`, oldest first."""
    quarters = [current]
    while len(quarters) < count:
        quarters.append(quarters[-1].previous())
    return list(reversed(quarters))


def ratio_ppm(part: int, whole: int) -> int | None:
    """part / whole in parts per million (None when the whole is zero)."""
    return None if whole <= 0 else int(Fraction(part, whole) * 1_000_000)


@dataclass(frozen=True)
class BankQuarter:
    """One bank's IP-pledge figures for one quarter."""

    bank_id: int | None  # None: all banks together
    bank_name: str
    quarter: Quarter
    new_loans: int = 0
    new_loans_fen: int = 0
    balance_fen: int = 0
    client_firms: int = 0
    pledged_principal_fen: int = 0
    appraised_fen: int = 0
    npl_fen: int = 0
    bank_npl_ppm: int | None = None
    disposals: dict[Channel, int] = field(default_factory=dict)
    settled_cases: int = 0
    exposure_fen: int = 0  # principal and interest of the cases settled this quarter
    recovered_fen: int = 0  # what their proceeds paid of interest and principal
    days_to_settlement: tuple[int, ...] = ()

    @property
    def pledge_rate_ppm(self) -> int | None:
        """Loan / appraised value of the loans in the balance (质押率)."""
        return ratio_ppm(self.pledged_principal_fen, self.appraised_fen)

    @property
    def npl_ratio_ppm(self) -> int | None:
        """Non-performing IP-pledge balance / IP-pledge balance."""
        return ratio_ppm(self.npl_fen, self.balance_fen)

    @property
    def tolerance_ppm(self) -> int | None:
        """The bank's overall NPL ratio plus three points."""
        return None if self.bank_npl_ppm is None else self.bank_npl_ppm + NPL_TOLERANCE_PPM

    @property
    def within_tolerance(self) -> bool | None:
        """Whether the IP-pledge NPL ratio stays within the tolerance (None when unknown)."""
        if self.tolerance_ppm is None or self.npl_ratio_ppm is None:
            return None
        return self.npl_ratio_ppm <= self.tolerance_ppm

    @property
    def disposals_total(self) -> int:
        """Cases disposed of this quarter, all channels."""
        return sum(self.disposals.values())

    @property
    def recovery_rate_ppm(self) -> int | None:
        """What settled cases recovered of their principal and interest."""
        return ratio_ppm(self.recovered_fen, self.exposure_fen)

    @property
    def mean_days_to_settlement(self) -> int | None:
        """Average days from default to settlement of the cases settled this quarter."""
        days = self.days_to_settlement
        return round(sum(days) / len(days)) if days else None


def _local_date(moment: datetime | None) -> date | None:
    return moment.astimezone(LOCAL).date() if moment else None


@dataclass(frozen=True)
class _Portfolio:
    """What the statistics read, loaded once for any number of quarters."""

    banks: list
    loans: list
    cases: list
    first_statements: dict
    settled_on: dict
    default_of: dict


def _load(session: so.Session) -> _Portfolio:
    banks = session.execute(sa.select(Institution.id, Institution.name, Institution.npl_ratio_ppm)
                            .where(Institution.kind == InstitutionKind.BANK).order_by(Institution.id)).all()
    loans = session.execute(sa.select(
        Loan.id, Loan.bank_id, Loan.enterprise_id, Loan.principal_fen, Loan.outstanding_principal_fen,
        Loan.appraised_value_fen, Loan.start_date, Loan.defaulted_on, Loan.status,
    )).all()
    cases = session.execute(sa.select(
        DisposalCase.id, DisposalCase.bank_id, DisposalCase.loan_id, DisposalCase.channel,
        DisposalCase.disposed_at, DisposalCase.settled_at,
    )).all()
    first_statements = {
        row.case_id: row for row in session.execute(sa.select(
            SettlementStatement.case_id, SettlementStatement.principal_fen, SettlementStatement.unpaid_interest_fen,
            SettlementStatement.to_interest_fen, SettlementStatement.to_principal_fen,
        ).where(SettlementStatement.revision == 1))
    }
    return _Portfolio(
        banks=banks, loans=loans, cases=cases, first_statements=first_statements,
        settled_on={case.loan_id: _local_date(case.settled_at) for case in cases if case.settled_at},
        default_of={loan.id: loan.defaulted_on for loan in loans},
    )


def bank_quarters(session: so.Session, quarter: Quarter) -> list[BankQuarter]:
    """Every bank's figures for a quarter, then a last line for all banks together."""
    return _quarter(_load(session), quarter)


def bank_quarters_over(session: so.Session, quarters: list[Quarter]) -> list[list[BankQuarter]]:
    """bank_quarters for each of several quarters, reading the portfolio once."""
    portfolio = _load(session)
    return [_quarter(portfolio, quarter) for quarter in quarters]


def trend(session: so.Session, quarters: list[Quarter]) -> list[BankQuarter]:
    """All banks together, one line per quarter."""
    portfolio = _load(session)
    return [_quarter(portfolio, quarter)[-1] for quarter in quarters]


def _quarter(data: _Portfolio, quarter: Quarter) -> list[BankQuarter]:
    figures: dict[int, dict] = defaultdict(lambda: defaultdict(int))
    firms: dict[int, set[int]] = defaultdict(set)
    disposals: dict[int, dict[Channel, int]] = defaultdict(lambda: defaultdict(int))
    days: dict[int, list[int]] = defaultdict(list)
    start, end = quarter.start, quarter.end  # computed once: the loops below read them for every loan
    for loan in data.loans:
        f = figures[loan.bank_id]
        if start <= loan.start_date <= end:
            f["new_loans"] += 1
            f["new_loans_fen"] += loan.principal_fen
        finished = loan.status == LoanStatus.REPAID or (
            loan.id in data.settled_on and data.settled_on[loan.id] <= end)
        if loan.start_date <= end and not finished:
            f["balance_fen"] += loan.outstanding_principal_fen
            firms[loan.bank_id].add(loan.enterprise_id)
            if loan.appraised_value_fen:
                f["pledged_principal_fen"] += loan.principal_fen
                f["appraised_fen"] += loan.appraised_value_fen
            if loan.defaulted_on is not None and loan.defaulted_on <= end:
                f["npl_fen"] += loan.outstanding_principal_fen
    for case in data.cases:
        disposed = _local_date(case.disposed_at or case.settled_at)
        if disposed and start <= disposed <= end and case.channel is not None:
            disposals[case.bank_id][Channel(case.channel)] += 1
        settled = _local_date(case.settled_at)
        statement = data.first_statements.get(case.id)
        if settled and start <= settled <= end and statement is not None:
            f = figures[case.bank_id]
            f["settled_cases"] += 1
            f["exposure_fen"] += statement.principal_fen + statement.unpaid_interest_fen
            f["recovered_fen"] += statement.to_interest_fen + statement.to_principal_fen
            defaulted = data.default_of.get(case.loan_id)
            if defaulted is not None:
                days[case.bank_id].append((settled - defaulted).days)

    lines = [
        BankQuarter(bank.id, bank.name, quarter, client_firms=len(firms[bank.id]),
                    bank_npl_ppm=bank.npl_ratio_ppm, disposals=dict(disposals[bank.id]),
                    days_to_settlement=tuple(days[bank.id]), **figures[bank.id])
        for bank in data.banks
    ]
    ids = [bank.id for bank in data.banks]
    total: dict[str, int] = defaultdict(int)
    all_disposals: dict[Channel, int] = defaultdict(int)
    for bank_id in ids:
        for name, value in figures[bank_id].items():
            total[name] += value
        for channel, count in disposals[bank_id].items():
            all_disposals[channel] += count
    lines.append(BankQuarter(
        None, "", quarter, client_firms=len(set().union(*(firms[i] for i in ids))) if ids else 0,
        disposals=dict(all_disposals), days_to_settlement=tuple(d for i in ids for d in days[i]), **total,
    ))
    return lines


@dataclass(frozen=True)
class FundFlow:
    """The fund's payments in one quarter."""

    quarter: Quarter
    paid_fen: int
    payments: int


def fund_flows(session: so.Session, quarters: list[Quarter]) -> list[FundFlow]:
    """Claim payments per quarter."""
    rows = session.execute(sa.select(ClaimPayment.paid_at, ClaimPayment.amount_fen)).all()
    flows = []
    for quarter in quarters:
        amounts = [amount for paid_at, amount in rows
                   if quarter.start <= _local_date(paid_at) <= quarter.end]
        flows.append(FundFlow(quarter, sum(amounts), len(amounts)))
    return flows
