"""A marketplace history from known parameters: several years of disposed cases, walked through the real services.

Each case is filed by a bank, reviewed, valued and noticed; its auction rounds draw their bidders from the
simulator's own bidder model (sim/auction.py: a Poisson number of bidders, values appraisal × lognormal(0,
sigma)) and bid, close, fail, re-run and are paid through the auction services; after the last failed round
a negotiated sale (a fresh draw of buyers at the last start price) is agreed or lapses, and then the case is
converted or licensed for a share of its appraisal; finally it is settled (the proceeds paid out). Every step
runs on a past clock, so `export-calibration` can be checked against the parameters that made the history
(`flask seed-demo --history N --truth PARAMS.toml`, tests/calibration/).
"""

from __future__ import annotations

import difflib
import math
import tomllib
from dataclasses import dataclass, fields
from datetime import date, datetime, timedelta
from pathlib import Path
from statistics import NormalDist

import numpy as np
import sqlalchemy as sa
import sqlalchemy.orm as so

from market.demo import core
from market.domain.filing import Filing
from market.domain.ledger import Movement
from market.domain.roles import InstitutionKind
from market.domain.rules import DEFAULT_RULES, min_first_start_fen, min_next_start_fen
from market.domain.settlement import CostSettings
from market.domain.workflow import REVIEW_CHECKS, CaseAction
from market.models import (
    PPM,
    DisposalCase,
    Enterprise,
    Institution,
    IPAsset,
    IPKind,
    LegalStatus,
    Loan,
    LoanStatus,
    Pledge,
    User,
)
from market.services import disposal, filing, settlement
from market.services.auctions import open_auction, pay_deposit
from market.services.audit import Actor
from market.services.bidding import place_bid
from market.services.closing import close_auction, record_payment
from market.services.ledger import record_movement
from sim.auction import Bidding, bidder_counts, value_at

MARKER = "HIST-"  # contract-number prefix of the loans this module adds
BIDDER_POOL = 16  # institutions that bid in the history (a round's bidders are a sample of them)
KINDS = (IPKind.PATENT, IPKind.TRADEMARK, IPKind.COPYRIGHT)
FALLBACK_ACTIONS = {
    "conversion": (CaseAction.START_CONVERSION, CaseAction.CONVERSION_EXECUTED, Movement.CONVERSION_PRICE),
    "licence": (CaseAction.START_LICENSING, CaseAction.LICENCE_GRANTED, Movement.LICENCE_INCOME),
}


@dataclass(frozen=True)
class Truth:
    """The parameters a history is made from (days are means; each draw is the minimum plus an exponential)."""

    seed: int = 2026
    years: float = 5.0  # cases are filed over this many years, ending about two years ago
    bidders_mean: float = 2.0
    value_sigma: float = 0.5
    fallback: str = "conversion"  # or "licence"
    fallback_share: float = 0.15  # mean recovery ÷ appraisal of a conversion or licence
    fallback_share_sd: float = 0.05
    costs_rate: float = 0.03  # the centre's commission on the proceeds; no other costs
    default_to_filing_days: float = 60.0
    filing_to_notice_days: float = 10.0
    notice_days: float = 35.0  # at least the rules' 30
    renotice_days: float = 15.0
    bidding_days: float = 2.0  # at least one day
    fallback_days: float = 120.0
    settle_days: float = 20.0
    patent_share: float = 0.6
    trademark_share: float = 0.25  # the rest are copyrights

    @classmethod
    def read(cls, path: str | Path | None) -> Truth:
        """The parameters of a TOML file (unknown keys refused, naming the nearest), or the defaults."""
        if path is None:
            return cls()
        data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
        names = [f.name for f in fields(cls)]
        for key, value in data.items():
            if key not in names:
                near = difflib.get_close_matches(key, names, n=1)
                raise ValueError(f"unknown key {key}" + (f" (did you mean {near[0]}?)" if near else ""))
            if key != "fallback" and (isinstance(value, bool) or not isinstance(value, int | float)):
                raise ValueError(f"{key} must be a number")
        truth = cls(**data)
        if truth.fallback not in FALLBACK_ACTIONS:
            raise ValueError(f"fallback must be one of {sorted(FALLBACK_ACTIONS)}")
        if truth.notice_days < DEFAULT_RULES.notice_days or truth.bidding_days < 1:
            raise ValueError(f"notice_days must be at least {DEFAULT_RULES.notice_days}, bidding_days at least 1")
        return truth

    @property
    def bidding(self) -> Bidding:
        """The simulator's bidder model with these parameters."""
        return Bidding(self.bidders_mean, value_sigma=self.value_sigma)


def seed_history(session: so.Session, now: datetime, cases: int, truth: Truth = Truth()) -> int:
    """Add `cases` disposed and settled cases made from `truth` (the core demo is loaded first if missing)."""
    core.seed(session, now)
    world = _World(session, truth)
    rng = np.random.default_rng((truth.seed, world.taken))  # a second history continues, not repeats, the first
    start = now - timedelta(days=truth.years * 365 + 730)
    for number in range(cases):
        filed_at = start + timedelta(days=float(rng.uniform(0, truth.years * 365)))
        _Case(session, world, truth, rng, number, filed_at).walk()
    session.flush()
    return cases


class _World:
    """The operator, filing banks, borrowers and bidders the history draws on."""

    def __init__(self, session: so.Session, truth: Truth):
        self.session = session
        self.operator = Actor.of(session.scalar(sa.select(User).where(User.email == "operator@demo.test")))
        banks = session.scalars(sa.select(User).join(Institution, User.institution_id == Institution.id).where(Institution.kind == InstitutionKind.BANK)
                                .order_by(User.id)).all()
        self.banks = [Actor.of(user) for user in banks]
        self.enterprises = list(session.scalars(sa.select(Enterprise).order_by(Enterprise.id).limit(20)))
        self.bidders = self._bidder_pool()
        self.taken = session.scalar(sa.select(sa.func.count(Loan.id)).where(Loan.contract_number.like(f"{MARKER}%")))
        self.costs = CostSettings(commission_ppm=round(truth.costs_rate * PPM), appraisal_ppm=0,
                                  appraisal_min_fen=0, tax_ppm=0)

    def _bidder_pool(self) -> list[int]:
        found = list(self.session.scalars(sa.select(Institution.id).where(Institution.name.like("历史竞买人%"))
                                          .order_by(Institution.id)))
        for index in range(len(found), BIDDER_POOL):
            institution = Institution(name=f"历史竞买人{index + 1:02d}（资产管理有限公司）", kind=InstitutionKind.AIC,
                                      credit_code=f"91110000HIST{index:06d}", region="北京", licensed_financial=True)
            self.session.add(institution)
            self.session.flush()
            found.append(institution.id)
        return found


class _Case:
    """One case from filing to settlement on its own past clock."""

    def __init__(self, session, world: _World, truth: Truth, rng: np.random.Generator, number: int,
                 filed_at: datetime):
        self.session, self.world, self.truth, self.rng = session, world, truth, rng
        self.number, self.clock = world.taken + number, filed_at
        self.operator = world.operator

    def days(self, mean: float, least: float = 0.0) -> timedelta:
        """A duration: the least plus an exponential, so the mean is `mean` (cut at ten times the mean)."""
        extra = min(float(self.rng.exponential(mean - least)), 10 * mean) if mean > least else 0.0
        return timedelta(days=least + extra)

    def walk(self) -> None:
        """File, value, notice, auction rounds, negotiated sale, fallback and settlement."""
        case_id, appraisal = self._file_to_notice()
        case = self.session.get(DisposalCase, case_id)
        self.clock = case.notice_ends_at + self.days(self.truth.notice_days, DEFAULT_RULES.notice_days) \
            - timedelta(days=DEFAULT_RULES.notice_days)
        start = min_first_start_fen(appraisal)
        for round_no in range(1, DEFAULT_RULES.failed_rounds_before_negotiated_sale + 1):
            if round_no > 1:
                self.clock += self.days(self.truth.renotice_days, 1)
                start = min_next_start_fen(start)
            if self._round(case_id, start, appraisal):
                return self._settle(case_id)
        if not self._negotiated_sale(case_id, self.session.get(DisposalCase, case_id).last_start_price_fen,
                                     appraisal):
            self._fallback(case_id, appraisal)
        self._settle(case_id)

    def _file_to_notice(self) -> tuple[int, int]:
        truth, rng, world = self.truth, self.rng, self.world
        bank = world.banks[self.number % len(world.banks)]
        principal = int(5_000_000_00 * math.exp(0.6 * rng.standard_normal())) // 100_000 * 100_000 + 100_000
        appraisal = int(principal * 2 * math.exp(0.3 * rng.standard_normal())) // 100_000 * 100_000 + 100_000
        kind = KINDS[int(np.searchsorted(np.cumsum([truth.patent_share, truth.trademark_share]), rng.random()))]
        enterprise = world.enterprises[self.number % len(world.enterprises)]
        asset = IPAsset(kind=kind, registry_number=f"{MARKER}{self.number:07d}", owner=enterprise,
                        title=f"{enterprise.name}{kind.value}（历史处置案例{self.number}）",
                        legal_status=LegalStatus.VALID, expires_on=date(2045, 1, 1))
        defaulted = (self.clock - self.days(truth.default_to_filing_days)).date()
        loan = Loan(
            contract_number=f"{MARKER}{self.number:07d}", bank_id=bank.user.institution_id, enterprise=enterprise,
            pledge=Pledge(registration_number=f"{MARKER}Y{self.number:07d}", pledgee_id=bank.user.institution_id,
                          secured_amount_fen=principal, registered_on=defaulted - timedelta(days=400), assets=[asset]),
            principal_fen=principal, outstanding_principal_fen=principal, unpaid_interest_fen=principal * 2 // 100,
            annual_rate_ppm=42_000, appraised_value_fen=appraisal, start_date=defaulted - timedelta(days=400),
            maturity_date=defaulted - timedelta(days=35), defaulted_on=defaulted, status=LoanStatus.DEFAULTED,
            bank_share_ppm=PPM,
        )
        self.session.add(loan)
        self.session.flush()
        case = filing.file_case(self.session, loan_id=loan.id, actor=bank, now=self.clock,
                                summary="贷款逾期，申请处置质押知识产权。",
                                filing=Filing((asset.id,), principal, loan.unpaid_interest_fen, 0, True))
        notice_at = self.clock + self.days(truth.filing_to_notice_days, 1)
        step = (notice_at - self.clock) / 4
        disposal.take_action(self.session, case.id, CaseAction.START_REVIEW, actor=self.operator, now=self.clock + step)
        disposal.verify_case(self.session, case.id, checks=REVIEW_CHECKS, actor=self.operator,
                             now=self.clock + 2 * step)
        disposal.record_valuation(self.session, case.id, appraised_value_fen=appraisal, appraiser_id=None,
                                  report_ref=f"历史评报字第{self.number}号", valued_on=(self.clock + 2 * step).date(),
                                  actor=self.operator, now=self.clock + 3 * step)
        disposal.publish_notice(self.session, case.id, disposal.NoticeTerms(
            start_price_fen=min_first_start_fen(appraisal), deposit_share_ppm=100_000, encumbrances="无"),
            actor=self.operator, now=notice_at)
        self.clock = notice_at
        return case.id, appraisal

    def _buyers(self, appraisal: int) -> list[tuple[float, int]]:
        """The simulator's bidders for one round or sale: (value in fen, institution), highest first."""
        count = min(int(bidder_counts(self.rng, self.truth.bidding, 1)[0]), BIDDER_POOL)
        values = value_at(self.rng.random(count), self.truth.bidding) * appraisal
        who = self.rng.choice(self.world.bidders, size=count, replace=False)
        return sorted(zip(values.tolist(), who.tolist(), strict=True), reverse=True)

    def _round(self, case_id: int, start: int, appraisal: int) -> bool:
        """One ascending round: every bidder registers; the price ends within an increment of the second value."""
        opens = self.clock
        ends = opens + self.days(self.truth.bidding_days, 1)
        increment = max(100, start // 1000)
        auction = open_auction(self.session, case_id, starting_price_fen=start, increment_fen=increment,
                               deposit_fen=start // 10, starts_at=opens, ends_at=ends, actor=self.operator, now=opens)
        buyers = self._buyers(appraisal)
        for k, (_, institution) in enumerate(buyers):
            pay_deposit(self.session, auction.id, institution, now=opens + timedelta(minutes=1 + k))
        for k, (amount, institution) in enumerate(self._bids(buyers, start, increment)):
            place_bid(self.session, auction.id, institution_id=institution, amount_fen=amount,
                      now=opens + timedelta(hours=1 + k))
        close_auction(self.session, auction.id, now=ends)
        self.clock = ends
        if not auction.bid_count:
            return False
        self.clock = ends + timedelta(days=float(self.rng.uniform(0.5, DEFAULT_RULES.winner_payment_days - 1)))
        record_payment(self.session, auction.id, actor=self.operator, now=self.clock)
        return True

    @staticmethod
    def _bids(buyers: list[tuple[float, int]], start: int, increment: int) -> list[tuple[int, int]]:
        """At most two bids: the runner-up at its last step, the top bidder one step above when it can."""
        if not buyers or buyers[0][0] < start:
            return []
        top_value, top = buyers[0]
        if len(buyers) == 1 or buyers[1][0] < start:
            return [(start, top)]
        second_value, second = buyers[1]
        level = start + int((second_value - start) // increment) * increment
        if level + increment <= top_value:
            return [(level, second), (level + increment, top)]
        return [(level, top)]

    def _negotiated_sale(self, case_id: int, price: int, appraisal: int) -> bool:
        """A fresh draw of buyers: the best one buys at the last start price if it values the asset that high."""
        buyers = self._buyers(appraisal)
        ends = self.session.get(DisposalCase, case_id).negotiated_sale_ends_at
        if buyers and buyers[0][0] >= price:
            self.clock += timedelta(days=float(self.rng.uniform(1, DEFAULT_RULES.negotiated_sale_days - 5)))
            disposal.agree_negotiated_sale(self.session, case_id, buyer_name="", buyer_institution_id=buyers[0][1],
                                           price_fen=price, actor=self.operator, now=self.clock)
            self.clock += timedelta(days=float(self.rng.uniform(0.5, 3)))
            disposal.record_buyer_payment(self.session, case_id, actor=self.operator, now=self.clock)
            return True
        self.clock = ends + timedelta(hours=1)
        disposal.take_action(self.session, case_id, CaseAction.NEGOTIATED_SALE_LAPSED, actor=Actor.system(),
                             now=self.clock)
        return False

    def _fallback(self, case_id: int, appraisal: int) -> None:
        start, done, movement = FALLBACK_ACTIONS[self.truth.fallback]
        mean, sd = self.truth.fallback_share, self.truth.fallback_share_sd
        concentration = mean * (1 - mean) / sd**2 - 1
        recovery = int(self.rng.beta(mean * concentration, (1 - mean) * concentration) * appraisal)
        self.clock += timedelta(days=1)
        disposal.take_action(self.session, case_id, start, actor=self.operator, now=self.clock)
        self.clock += self.days(self.truth.fallback_days, 1)
        record_movement(self.session, movement, amount_fen=recovery, now=self.clock, case_id=case_id,
                        memo="历史处置案例的转股 / 许可价款")
        disposal.take_action(self.session, case_id, done, actor=self.operator, now=self.clock, recovery_fen=recovery)

    def _settle(self, case_id: int) -> None:
        self.clock += self.days(self.truth.settle_days, 1)
        settlement.settle_case(self.session, case_id, actor=self.operator, now=self.clock, settings=self.world.costs)


def expected(truth: Truth) -> dict[str, float]:
    """What export-calibration should find for a history made from `truth` (the quantities with one true value).

    A round at start share s with Poisson(λ) bidders of lognormal(0, σ) values fails with probability
    exp(-λ (1 - Φ(ln s / σ))); the negotiated sale is one more draw at the last start price.
    """
    first = float(DEFAULT_RULES.min_start_share)
    second = first * float(1 - DEFAULT_RULES.max_price_cut)

    def fails(share: float) -> float:
        above = 1 - NormalDist().cdf(math.log(share) / truth.value_sigma)
        return math.exp(-truth.bidders_mean * above)

    return {
        "first_round_fails": fails(first),
        "rerun_fails": fails(second),
        "negotiated_sale_sells": 1 - fails(second),
        "bidders_per_round": truth.bidders_mean,
        "value_sigma": truth.value_sigma,
        "fallback_share": truth.fallback_share,
        "costs_rate": truth.costs_rate,
        "days_filing_to_notice": truth.filing_to_notice_days,
        "days_notice": truth.notice_days,
        "days_between_rounds": truth.renotice_days,
        "days_fallback": truth.fallback_days,
        "days_disposal_to_payment": truth.settle_days,
    }

