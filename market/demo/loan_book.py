"""Each demo bank's performing IP-pledge book, so the bureau's statistics read like a real market's.

The other demo areas add mostly defaulted loans (they feed the disposal stories), and the statistics divide
the non-performing balance by the whole balance (`services/statistics.py`). This area gives each demo bank
three years of lending: every quarter a little more than the one before, bullet loans of one to three
years, the matured ones repaid. The book is sized so that each bank's IP-pledge NPL ratio stays at or below
its profile in PROFILES over the quarters the bureau's trend shows: two banks inside the tolerance (their
overall NPL ratio plus three points), one drifting out of it. `top_up` runs again after bulk listings,
which add defaulted loans, and lends what keeps the ratios on their profiles.

Only what the statistics read is written, in bulk: firms and loans (no pledge rows, no cases).
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import sqlalchemy as sa
import sqlalchemy.orm as so

from market.demo import vocabulary
from market.models import PPM, Enterprise, Institution, Loan, LoanStatus
from market.services import statistics
from market.services.fund import LOCAL
from market.services.statistics import Quarter

MARKER = "DEMO-BOOK-"  # contract-number prefix of the loans this module adds
YUAN = 100
WAN = 10_000 * YUAN  # 万元
HISTORY_QUARTERS = 12  # three years of lending
GROWTH_PPM = 50_000  # each quarter lends 5% more than the one before (Beijing asks for 20% a year)
TERMS_DAYS = (365, 730, 1095)
# Target IP-pledge NPL ratio (ppm) over the bureau's four-quarter trend, oldest first, by bank credit code.
# Tolerances (overall NPL + 3 points): 工商银行 4.35%, 北京银行 4.12%, 江苏银行 3.98%: the last drifts out.
PROFILES = {
    "91110000MA01BK0001": (19_000, 20_000, 21_000, 22_000),
    "91110000MA01BK0002": (26_000, 27_000, 29_000, 31_000),
    "91320500MA01BK0003": (36_000, 41_000, 47_000, 52_000),
}
FIRM_CODES = "91______MB%"  # credit codes of the borrowers this module adds
FIRM_WORDS = ("智", "华", "科", "恒", "博", "星", "瑞", "天", "蓝", "鼎", "新", "凯", "远", "睿", "微", "国", "康", "绿",
              "源", "达", "安", "信", "云", "泰")
FIRM_TRADE = {"集成电路": "微电子", "生物医药": "生物科技", "新材料": "新材料", "软件和信息服务": "信息技术",
              "高端装备": "智能装备", "人工智能": "智能科技", "文化创意": "文化传媒", "食品": "食品", "新能源": "新能源科技",
              "节能环保": "环保科技"}


@dataclass
class _Bank:
    """A demo bank, its profile and its non-performing and whole balance in each quarter of the trend."""

    id: int
    code: str
    region: str
    profile: tuple[int, ...]
    npl: list[int]
    balance: list[int]

    def needed(self, k: int) -> int:
        """The balance the k-th trend quarter needs for its ratio to meet the profile."""
        return math.ceil(self.npl[k] * PPM / self.profile[k])

    def add(self, k: int, outstanding_fen: int, *, defaulted: bool) -> None:
        """Loans started (or defaulted) in the k-th quarter and outstanding today count from then on."""
        for later in range(k, len(self.balance)):
            self.balance[later] += outstanding_fen
            if defaulted:
                self.npl[later] += outstanding_fen


def seed(session: so.Session, now: datetime) -> bool:
    """Lend each demo bank its book if missing (after the areas that add defaulted loans)."""
    if session.scalar(sa.select(Loan.id).where(Loan.contract_number.like(f"{MARKER}%")).limit(1)):
        return False
    banks = _banks(session, now)
    if not banks:
        return False
    lender = _Lender(session, random.Random(20261125), now.astimezone(LOCAL).date())
    lender.history(banks)
    lender.flush()
    top_up(session, now)
    return True


def top_up(session: so.Session, now: datetime) -> int:
    """Quarter by quarter over the trend, bring each demo bank's NPL ratio to its profile: lend performing
    loans where it is above, add loans that went bad (and are not yet filed for disposal) where it is below."""
    banks = _banks(session, now)
    today = now.astimezone(LOCAL).date()
    seq = session.scalar(sa.select(sa.func.count(Loan.id)).where(Loan.contract_number.like(f"{MARKER}%")))
    lender = _Lender(session, random.Random(20261126 + seq), today)
    quarters = _trend_quarters(today)
    for bank in banks:
        for k, quarter in enumerate(quarters):
            last = min(quarter.end, today)
            target = bank.profile[k]
            missing = bank.needed(k) - bank.balance[k]
            if missing > 0:
                bank.add(k, lender.lend(bank, quarter.start, last, missing), defaulted=False)
            elif bank.balance[k] and (bad := (target * bank.balance[k] - bank.npl[k] * PPM) // (PPM - target)) > 0:
                bank.add(k, lender.default(bank, quarter.start, last, bad), defaulted=True)
    return lender.flush()


def _trend_quarters(today: date) -> list[Quarter]:
    return statistics.last_quarters(Quarter.of(today), len(next(iter(PROFILES.values()))))


def _banks(session: so.Session, now: datetime) -> list[_Bank]:
    rows = session.execute(sa.select(Institution.id, Institution.credit_code, Institution.region)
                           .where(Institution.credit_code.in_(PROFILES)).order_by(Institution.id)).all()
    if not rows:
        return []
    lines = statistics.bank_quarters_over(session, _trend_quarters(now.astimezone(LOCAL).date()))
    banks = []
    for bank_id, code, region in rows:
        mine = [next(line for line in quarter if line.bank_id == bank_id) for quarter in lines]
        banks.append(_Bank(bank_id, code, region or "北京", PROFILES[code], [line.npl_fen for line in mine],
                           [line.balance_fen for line in mine]))
    return banks


class _Lender:
    """Draws loans and their borrowers, then inserts them in bulk."""

    def __init__(self, session: so.Session, rng: random.Random, today: date):
        self.session, self.rng, self.today = session, rng, today
        self.seq = session.scalar(sa.select(sa.func.count(Loan.id)).where(Loan.contract_number.like(f"{MARKER}%")))
        self.firm_seq = session.scalar(sa.select(sa.func.count(Enterprise.id)).where(
            Enterprise.credit_code.like(FIRM_CODES)))
        self.firms: list[dict] = []
        self.firms_in: dict[str, list[str]] = {}  # region → credit codes of this batch's borrowers
        self.loans: list[dict] = []

    def history(self, banks: list[_Bank]) -> None:
        """Three years of growing lending per bank, sized to what the trend's first quarter needs."""
        quarters = [Quarter.of(self.today)]
        while len(quarters) < HISTORY_QUARTERS:
            quarters.insert(0, quarters[0].previous())
        weights = [(PPM + GROWTH_PPM) ** k / PPM ** k for k in range(len(quarters))]
        alive = [self._alive_share(quarter) for quarter in quarters]
        first = quarters.index(_trend_quarters(self.today)[0])
        # what one unit of lending per (weighted) quarter leaves outstanding today, counted at the trend's start
        unit = sum(w * a for w, a in zip(weights[:first + 1], alive[:first + 1], strict=True))
        for bank in banks:
            wanted = max(bank.needed(0) - bank.balance[0], 0) or 200_000 * WAN
            for quarter, weight in zip(quarters, weights, strict=True):
                self.lend(bank, quarter.start, min(quarter.end, self.today), int(wanted / unit * weight),
                          alive_only=False)

    def _alive_share(self, quarter: Quarter) -> float:
        middle = quarter.start + (min(quarter.end, self.today) - quarter.start) / 2
        age = (self.today - middle).days
        return sum(term > age for term in TERMS_DAYS) / len(TERMS_DAYS)

    def lend(self, bank: _Bank, first: date, last: date, amount_fen: int, *, alive_only: bool = True) -> int:
        """Loans started between first and last worth amount_fen; with alive_only, all still outstanding today.

        Returns what they add to today's balance."""
        outstanding = lent = 0
        while lent < amount_fen:
            start = self._day(first, last)
            terms = [term for term in TERMS_DAYS if start + timedelta(days=term) > self.today] if alive_only else []
            term = self.rng.choice(terms or (TERMS_DAYS if not alive_only else (1825,)))
            principal = self._principal(amount_fen - lent)
            repaid = start + timedelta(days=term) <= self.today
            lent += principal
            outstanding += 0 if repaid else principal
            self.loans.append(self._loan(bank, start, term, principal,
                                         LoanStatus.REPAID if repaid else LoanStatus.PERFORMING))
        return outstanding

    def default(self, bank: _Bank, first: date, last: date, amount_fen: int) -> int:
        """Loans that went bad between first and last, worth amount_fen; returns their outstanding principal."""
        bad = 0
        while bad < amount_fen:
            defaulted = self._day(first, last)
            start = defaulted - timedelta(days=self.rng.randint(200, 700))
            principal = self._principal(amount_fen - bad)
            bad += principal
            loan = self._loan(bank, start, self.rng.choice(TERMS_DAYS[1:]), principal, LoanStatus.DEFAULTED)
            loan.update(defaulted_on=defaulted, unpaid_interest_fen=principal * self.rng.randint(10, 40) // 1000)
            self.loans.append(loan)
        return bad

    def _day(self, first: date, last: date) -> date:
        return first + timedelta(days=self.rng.randint(0, (last - first).days))

    def _principal(self, at_most_fen: int) -> int:
        """A loan of 50万 to 5000万 (median 600万), no more than what is left to lend (rounded up to 10万)."""
        wan = int(min(max(self.rng.lognormvariate(math.log(600), 0.7), 50), 5000)) // 10 * 10
        return max(min(wan * WAN, -(-at_most_fen // (10 * WAN)) * 10 * WAN), 50 * WAN)

    def _loan(self, bank: _Bank, start: date, term: int, principal: int, status: LoanStatus) -> dict:
        self.seq += 1
        return dict(
            contract_number=f"{MARKER}{bank.code[-4:]}-{start.year}-{self.seq:06d}", bank_id=bank.id,
            enterprise_id=self._firm(bank), principal_fen=principal,
            outstanding_principal_fen=0 if status == LoanStatus.REPAID else principal, unpaid_interest_fen=0,
            annual_rate_ppm=self.rng.choice([34_500, 36_500, 38_500, 42_000, 45_500]),
            appraised_value_fen=principal * 100 // self.rng.randint(30, 60), start_date=start,
            maturity_date=start + timedelta(days=term), defaulted_on=None, status=status, bank_share_ppm=PPM,
        )

    def _firm(self, bank: _Bank) -> str:
        """A new borrower for most loans, a repeat borrower for some: its credit code (the id comes on flush)."""
        mine = self.firms_in.setdefault(bank.region, [])
        if mine and self.rng.random() < 0.3:
            return self.rng.choice(mine)
        self.firm_seq += 1
        industry = self.rng.choice(vocabulary.NAMES)
        name = f"{bank.region}{''.join(self.rng.sample(FIRM_WORDS, 2))}{FIRM_TRADE[industry]}有限公司"
        firm = dict(name=name, credit_code=f"91{320500 if bank.region == '苏州' else 110108}MB{self.firm_seq:07d}X",
                    industry=industry, region=bank.region, whitelisted=self.rng.random() < 0.3)
        self.firms.append(firm)
        mine.append(firm["credit_code"])
        return firm["credit_code"]

    def flush(self) -> int:
        """Insert the borrowers, then the loans; returns how many loans."""
        if self.firms:
            self.session.execute(Enterprise.__table__.insert(), self.firms)
        ids = dict(self.session.execute(sa.select(Enterprise.credit_code, Enterprise.id)
                                        .where(Enterprise.credit_code.like(FIRM_CODES))).all())
        for row in self.loans:
            row["enterprise_id"] = ids[row["enterprise_id"]]
        for start in range(0, len(self.loans), 5000):
            self.session.execute(Loan.__table__.insert(), self.loans[start:start + 5000])
        count = len(self.loans)
        self.firms, self.firms_in, self.loans = [], {}, []
        self.session.flush()
        return count
