"""A marketplace history from known parameters: several years of disposed cases, walked through the real services.

Each case is filed by a bank, reviewed, valued and noticed; its auction rounds draw their bidders from the
simulator's own bidder model (sim/auction.py: a Poisson number of bidders, values appraisal × lognormal(0,
sigma)) and bid, close, fail, re-run and are paid through the auction services; some winners do not pay
(their deposit is forfeited, they are barred and the round is re-run). After the last failed round a
negotiated sale (a fresh draw of buyers at the last start price) is agreed or lapses, and then the case is
licensed or converted for a share of its appraisal through the desk services (history_channels.py); some
cases go to a licence or conversion straight after the notice. Finally each case is settled (the proceeds
paid out). Every step runs on a past clock, so `export-calibration` can be checked against the parameters
that made the history (`flask seed-demo --history N --truth PARAMS.toml`, tests/calibration/).

Seeding is idempotent like the other demo areas: `seed_history(..., cases=N)` makes the history N cases
long, adding only those missing.
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
from market.demo.history_channels import Desk, convert_claim, license_asset
from market.domain.filing import Filing
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
    Notice,
    Pledge,
    User,
    UserNotice,
)
from market.services import disposal, filing, settlement
from market.services.auctions import open_auction, pay_deposit
from market.services.audit import Actor
from market.services.bidding import place_bid
from market.services.closing import close_auction, record_default, record_payment
from market.services.strikes import ban_in_force
from sim.auction import Bidding, bidder_counts, value_at

MARKER = "HIST-"  # contract-number prefix of the loans this module adds
BIDDER_POOL = 16  # institutions that bid in the history (a round's bidders are a sample of them)
KINDS = (IPKind.PATENT, IPKind.TRADEMARK, IPKind.COPYRIGHT)
SHARES = ("winner_defaults", "direct_share", "licence_share", "fallback_share", "patent_share", "trademark_share")


@dataclass(frozen=True)
class Truth:
    """The parameters a history is made from (days are means; each draw is the minimum plus an exponential)."""

    seed: int = 2026
    years: float = 5.0  # cases are filed over this many years, ending about two years ago
    bidders_mean: float = 2.0
    value_sigma: float = 0.5
    winner_defaults: float = 0.08  # the chance a round's winner does not pay (the round is re-run without it)
    direct_share: float = 0.1  # cases licensed or converted straight after the notice, without an auction
    licence_share: float = 0.5  # of the licences and conversions, the share that are licences
    fallback_share: float = 0.15  # mean recovery ÷ appraisal of a conversion or licence
    fallback_share_sd: float = 0.05
    costs_rate: float = 0.03  # the centre's commission on the proceeds; no other costs
    default_to_filing_days: float = 60.0
    filing_to_notice_days: float = 10.0
    notice_days: float = 35.0  # at least the rules' 30
    renotice_days: float = 15.0
    bidding_days: float = 2.0  # at least one day
    fallback_days: float = 120.0  # at least two (a licence round takes offers for a day)
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
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise ValueError(f"{key} must be a number")
            if key in SHARES and not 0 <= value <= 1:
                raise ValueError(f"{key} must be between 0 and 1")
        truth = cls(**data)
        if truth.notice_days < DEFAULT_RULES.notice_days or truth.bidding_days < 1 or truth.fallback_days < 2:
            raise ValueError(f"notice_days must be at least {DEFAULT_RULES.notice_days}, bidding_days at least 1, "
                             "fallback_days at least 2")
        return truth

    @property
    def bidding(self) -> Bidding:
        """The simulator's bidder model with these parameters."""
        return Bidding(self.bidders_mean, value_sigma=self.value_sigma)


def history_size(session: so.Session) -> int:
    """How many cases the calibration history has."""
    return session.scalar(sa.select(sa.func.count(Loan.id)).where(Loan.contract_number.like(f"{MARKER}%")))


def seed_history(session: so.Session, now: datetime, cases: int, truth: Truth = Truth()) -> int:
    """Make the history `cases` cases long from `truth`, adding only the cases missing (the core demo is
    loaded first if missing); the number added (0 when it was already that long)."""
    core.seed(session, now)
    taken = history_size(session)
    if taken >= cases:
        return 0
    world = _World(session, truth, taken)
    rng = np.random.default_rng((truth.seed, taken))  # a longer history continues, not repeats, the first
    start = now - timedelta(days=truth.years * 365 + 730)
    for number in range(cases - taken):
        filed_at = start + timedelta(days=float(rng.uniform(0, truth.years * 365)))
        _Case(session, world, truth, rng, number, filed_at).walk()
    session.flush()
    _mark_notices_read(session)
    return cases - taken


def _mark_notices_read(session: so.Session) -> None:
    """The notices the history raised are years old: its people read them then (a demo user's list is not
    buried under a thousand stale ones)."""
    history_cases = sa.select(DisposalCase.id).join(Loan, Loan.id == DisposalCase.loan_id).where(
        Loan.contract_number.like(f"{MARKER}%"))
    old_notices = sa.select(Notice.id).where(Notice.case_id.in_(history_cases))
    session.execute(sa.update(UserNotice).where(UserNotice.read_at.is_(None), UserNotice.notice_id.in_(old_notices))
                    .values(read_at=sa.select(Notice.occurred_at).where(Notice.id == UserNotice.notice_id)
                            .scalar_subquery()))


class _World:
    """The operator, filing banks, borrowers and bidders the history draws on."""

    def __init__(self, session: so.Session, truth: Truth, taken: int):
        self.session = session
        self.operator = Actor.of(session.scalar(sa.select(User).where(User.email == "operator@demo.test")))
        self.aic = Actor.of(session.scalar(sa.select(User).where(User.email == "aic@demo.test")))
        banks = session.scalars(sa.select(User).join(Institution, User.institution_id == Institution.id).where(Institution.kind == InstitutionKind.BANK)
                                .order_by(User.id)).all()
        self.banks = [Actor.of(user) for user in banks]
        self.enterprises = list(session.scalars(sa.select(Enterprise).order_by(Enterprise.id).limit(20)))
        self.bidders = self._bidder_pool()
        self.taken = taken
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
        self.bank = world.banks[self.number % len(world.banks)]
        self.barred: set[int] = set()  # winners who did not pay may not bid again on this case

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
        if self.rng.random() < self.truth.direct_share:  # the centre licenses or converts without auctioning
            self._fallback(case_id, appraisal, after=timedelta(0))
            return self._settle(case_id)
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
        truth, rng, world, bank = self.truth, self.rng, self.world, self.bank
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
        # a winner who left a lot unpaid is barred from the case's re-runs, and banned after enough strikes
        pool = [b for b in self.world.bidders if b not in self.barred and ban_in_force(self.session, b) is None]
        count = min(int(bidder_counts(self.rng, self.truth.bidding, 1)[0]), len(pool))
        values = value_at(self.rng.random(count), self.truth.bidding) * appraisal
        who = self.rng.choice(pool, size=count, replace=False)
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
        if self.rng.random() < self.truth.winner_defaults:  # the tick finds the payment overdue a minute later
            self.clock = auction.payment_due_at + timedelta(minutes=1)
            self.barred.add(auction.result.winner_institution_id)
            record_default(self.session, auction.id, now=self.clock)
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

    def _fallback(self, case_id: int, appraisal: int, after: timedelta = timedelta(days=1)) -> None:
        """A licence or a conversion (one the claim's face cannot cover is licensed) for a beta share of the
        appraisal, opened `after` the step before it and taking the fallback's days."""
        mean, sd = self.truth.fallback_share, self.truth.fallback_share_sd
        concentration = mean * (1 - mean) / sd**2 - 1
        recovery = max(100, int(self.rng.beta(mean * concentration, (1 - mean) * concentration) * appraisal))
        licensed = self.rng.random() < self.truth.licence_share
        opened = self.clock + after
        self.clock = opened + self.days(self.truth.fallback_days, 2)
        case = self.session.get(DisposalCase, case_id)
        desk = Desk(self.operator, self.bank, self.world.aic)
        if licensed or recovery > case.principal_outstanding_fen + case.unpaid_interest_fen:
            license_asset(self.session, desk, case_id, number=self.number, upfront_fen=recovery, opened=opened,
                          done=self.clock)
        else:
            convert_claim(self.session, desk, case_id, number=self.number, price_fen=recovery, opened=opened,
                          done=self.clock)

    def _settle(self, case_id: int) -> None:
        self.clock += self.days(self.truth.settle_days, 1)
        settlement.settle_case(self.session, case_id, actor=self.operator, now=self.clock, settings=self.world.costs)


def expected(truth: Truth) -> dict[str, float]:
    """What export-calibration should find for a history made from `truth` (the quantities with one true value).

    A round at start share s with Poisson(λ) bidders of lognormal(0, σ) values has no valid bid with
    probability q = exp(-λ (1 - Φ(ln s / σ))), and fails with q + (1 - q) d when a winner defaults with
    probability d; the negotiated sale is one more draw at the last start price (its buyer always pays).
    """
    first = float(DEFAULT_RULES.min_start_share)
    second = first * float(1 - DEFAULT_RULES.max_price_cut)

    def no_bid(share: float) -> float:
        above = 1 - NormalDist().cdf(math.log(share) / truth.value_sigma)
        return math.exp(-truth.bidders_mean * above)

    def fails(share: float) -> float:
        return no_bid(share) + (1 - no_bid(share)) * truth.winner_defaults

    return {
        "first_round_fails": fails(first),
        "rerun_fails": fails(second),
        "winner_defaults": truth.winner_defaults,
        "negotiated_sale_sells": 1 - no_bid(second),
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

