"""Licensing as a disposal channel: licence terms, the published scoring formula, the royalty schedule
and what each licence payment does to the loan (DOMAIN.md sections 3 and 4).

Pure rules: no Flask, no SQLAlchemy. Money is integer fen; rates are parts per million (ppm).
"""

from __future__ import annotations

import calendar
import enum
from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from fractions import Fraction

from market.domain.loss import RecoveryApplied, apply_recovery
from market.domain.money import MAX_FEN
from market.domain.rules import DEFAULT_RULES, DisposalRules, RuleBroken

PPM = 1_000_000
MAX_TERM_MONTHS = 360
# A licensee reports and pays a period's royalty within this many days of the period's end.
REPORT_DAYS = 30


class LicenceKind(enum.StrEnum):
    """Exclusive (only the licensee uses it), sole (licensee and licensor) or non-exclusive."""

    EXCLUSIVE = "exclusive"
    SOLE = "sole"
    NON_EXCLUSIVE = "non_exclusive"

    @property
    def single_licensee(self) -> bool:
        """Exclusive and sole licences go to one licensee; non-exclusive ones may go to several."""
        return self is not LicenceKind.NON_EXCLUSIVE


class ReportingPeriod(enum.StrEnum):
    """How often the licensee reports sales and pays royalties."""

    MONTHLY = "monthly"
    QUARTERLY = "quarterly"
    SEMI_ANNUAL = "semi_annual"
    ANNUAL = "annual"

    @property
    def months(self) -> int:
        """Length of one period in months."""
        return {"monthly": 1, "quarterly": 3, "semi_annual": 6, "annual": 12}[self.value]

    @property
    def per_year(self) -> int:
        """Periods in a year."""
        return 12 // self.months


class InvalidLicenceTerms(RuleBroken):
    """The licence round's terms are incomplete or out of range."""

    code = "invalid_licence_terms"


class FieldOfUseMissing(InvalidLicenceTerms):
    """A licence names the field of use it covers."""

    code = "field_of_use_missing"


class TerritoryMissing(InvalidLicenceTerms):
    """A licence names the territory it covers."""

    code = "territory_missing"


class TermOutOfRange(InvalidLicenceTerms):
    """The term lies between one month and the longest allowed."""

    code, fields = "term_out_of_range", ("max_months",)


class TermNotWholePeriods(InvalidLicenceTerms):
    """The term is a whole number of reporting periods."""

    code, fields = "term_not_whole_periods", ("period_months",)


class LicenceAmountOutOfRange(InvalidLicenceTerms):
    """A published amount lies between zero and the ceiling."""

    code, fields = "licence_amount_out_of_range", ("amount",)


class RateOutOfRange(InvalidLicenceTerms):
    """A rate lies between 0 % and 100 %."""

    code, fields = "rate_out_of_range", ("rate",)


class OfferAmountOutOfRange(InvalidLicenceTerms):
    """An offer's amounts lie between zero and the ceiling."""

    code = "offer_amount_out_of_range"


class OfferBelowMinimum(RuleBroken):
    """An offer must meet the round's minimum upfront fee and minimum royalty rate."""

    code, fields = "offer_below_minimum", ("term",)


class AwardBreaksLicenceKind(RuleBroken):
    """Exclusive and sole licences have one licensee."""

    code = "award_breaks_licence_kind"


class NoOfferChosen(AwardBreaksLicenceKind):
    """An award names at least one offer."""

    code = "no_offer_chosen"


class OfferNotInRanking(AwardBreaksLicenceKind):
    """An award chooses offers from the round's ranking, each once."""

    code = "offer_not_in_ranking"


class AwardOutOfRankOrder(RuleBroken):
    """Passing over a better-ranked offer needs a reason on the record."""

    code = "award_out_of_rank_order"


class PaymentNotPositive(RuleBroken):
    """A payment is a positive amount."""

    code = "payment_not_positive"


class LicenceAmount(enum.StrEnum):
    """The amounts a licence round publishes."""

    MIN_UPFRONT = "min_upfront"
    REFERENCE_SALES = "reference_sales"


class LicenceRate(enum.StrEnum):
    """The rates a licence round or offer states."""

    MIN_ROYALTY = "min_royalty"
    DISCOUNT = "discount"
    ROYALTY = "royalty"


class OfferTerm(enum.StrEnum):
    """The published minimums an offer must meet."""

    UPFRONT = "upfront"
    ROYALTY_RATE = "royalty_rate"


@dataclass(frozen=True)
class OfferTerms:
    """What an applicant offers: an upfront fee, a royalty rate on net sales and a guaranteed yearly minimum."""

    upfront_fen: int
    royalty_rate_ppm: int
    min_annual_royalty_fen: int = 0


@dataclass(frozen=True)
class ScoringFormula:
    """The published ranking rule: present value of the upfront fee plus the expected royalties.

    score = U + sum over t = 1..N of R / (1 + r/m)^t, rounded down to the fen, where U is the upfront fee,
    r the stated yearly discount rate, m the reporting periods per year, N the periods in the term, and
    R = max(royalty rate x reference yearly net sales / m, guaranteed yearly minimum / m) the royalty
    expected each period. Equal scores rank by the time the offer was (last) submitted, earlier first.
    """

    discount_rate_ppm: int
    reference_sales_fen: int  # the yearly net sales every applicant is scored on (published with the round)
    reporting_period: ReportingPeriod
    term_months: int

    @property
    def periods(self) -> int:
        """N: the reporting periods in the licence term."""
        return self.term_months // self.reporting_period.months

    def royalty_per_period(self, offer: OfferTerms) -> Fraction:
        """R: the royalty the formula expects each period from an offer (exact)."""
        per_year = self.reporting_period.per_year
        by_rate = Fraction(self.reference_sales_fen * offer.royalty_rate_ppm, PPM * per_year)
        by_minimum = Fraction(offer.min_annual_royalty_fen, per_year)
        return max(by_rate, by_minimum)

    def annuity_factor(self) -> Fraction:
        """sum over t = 1..N of 1 / (1 + r/m)^t, exactly."""
        rate = Fraction(self.discount_rate_ppm, PPM * self.reporting_period.per_year)
        if rate == 0:
            return Fraction(self.periods)
        discount = 1 / (1 + rate)
        return (1 - discount**self.periods) / rate

    def royalty_value_fen(self, offer: OfferTerms) -> int:
        """The present value of the expected royalties, rounded down to the fen."""
        value = self.royalty_per_period(offer) * self.annuity_factor()
        return value.numerator // value.denominator

    def score_fen(self, offer: OfferTerms) -> int:
        """An offer's score in fen: upfront fee plus the present value of its royalties, rounded down."""
        value = offer.upfront_fen + self.royalty_per_period(offer) * self.annuity_factor()
        return value.numerator // value.denominator


@dataclass(frozen=True)
class LicenceTerms:
    """A licence offer on a case as published: what is licensed, for how long, the minimums and the formula."""

    kind: LicenceKind
    field_of_use: str
    territory: str
    term_months: int
    min_upfront_fen: int
    min_royalty_rate_ppm: int
    reporting_period: ReportingPeriod
    discount_rate_ppm: int
    reference_sales_fen: int

    def check(self) -> None:
        """Raise InvalidLicenceTerms naming the first problem, if any."""
        if not self.field_of_use.strip():
            raise FieldOfUseMissing()
        if not self.territory.strip():
            raise TerritoryMissing()
        if not 1 <= self.term_months <= MAX_TERM_MONTHS:
            raise TermOutOfRange(max_months=MAX_TERM_MONTHS)
        if self.term_months % self.reporting_period.months:
            raise TermNotWholePeriods(period_months=self.reporting_period.months)
        for amount, fen in ((LicenceAmount.MIN_UPFRONT, self.min_upfront_fen),
                            (LicenceAmount.REFERENCE_SALES, self.reference_sales_fen)):
            if not 0 <= fen <= MAX_FEN:
                raise LicenceAmountOutOfRange(amount=amount)
        if not 0 <= self.min_royalty_rate_ppm <= PPM:
            raise RateOutOfRange(rate=LicenceRate.MIN_ROYALTY)
        if not 0 <= self.discount_rate_ppm <= PPM:
            raise RateOutOfRange(rate=LicenceRate.DISCOUNT)

    @property
    def formula(self) -> ScoringFormula:
        """The scoring formula published with these terms."""
        return ScoringFormula(self.discount_rate_ppm, self.reference_sales_fen, self.reporting_period,
                              self.term_months)

    def check_offer(self, offer: OfferTerms) -> None:
        """Raise OfferBelowMinimum (or InvalidLicenceTerms) unless the offer meets the published minimums."""
        if not 0 <= offer.royalty_rate_ppm <= PPM:
            raise RateOutOfRange(rate=LicenceRate.ROYALTY)
        if not (0 <= offer.upfront_fen <= MAX_FEN and 0 <= offer.min_annual_royalty_fen <= MAX_FEN):
            raise OfferAmountOutOfRange()
        if offer.upfront_fen < self.min_upfront_fen:
            raise OfferBelowMinimum(term=OfferTerm.UPFRONT)
        if offer.royalty_rate_ppm < self.min_royalty_rate_ppm:
            raise OfferBelowMinimum(term=OfferTerm.ROYALTY_RATE)


@dataclass(frozen=True)
class SealedOffer:
    """An offer as the ranking sees it: who, what and when it was submitted."""

    key: Hashable
    terms: OfferTerms
    submitted_at: datetime


@dataclass(frozen=True)
class RankedOffer:
    """One line of the ranking shown to the operator at close."""

    rank: int
    key: Hashable
    score_fen: int
    royalty_value_fen: int
    terms: OfferTerms
    submitted_at: datetime


def rank_offers(formula: ScoringFormula, offers: Sequence[SealedOffer]) -> list[RankedOffer]:
    """Rank offers by score, highest first; equal scores by submission time, earlier first."""
    scored = [(formula.score_fen(o.terms), o) for o in offers]
    scored.sort(key=lambda pair: (-pair[0], pair[1].submitted_at, str(pair[1].key)))
    return [
        RankedOffer(rank, o.key, score, formula.royalty_value_fen(o.terms), o.terms, o.submitted_at)
        for rank, (score, o) in enumerate(scored, start=1)
    ]


def check_award(kind: LicenceKind, chosen: Sequence[Hashable], ranking: Sequence[RankedOffer],
                reason: str = "") -> None:
    """Raise unless the chosen offers fit the licence kind; passing over a better offer needs a reason."""
    ranked_keys = [r.key for r in ranking]
    if not chosen:
        raise NoOfferChosen()
    if len(set(chosen)) != len(chosen) or any(key not in ranked_keys for key in chosen):
        raise OfferNotInRanking()
    if kind.single_licensee and len(chosen) != 1:
        raise AwardBreaksLicenceKind()
    if set(chosen) != set(ranked_keys[: len(chosen)]) and not reason.strip():
        raise AwardOutOfRankOrder()


def add_months(day: date, months: int) -> date:
    """The same day some months later, clamped to the month's end (31 Jan + 1 month = 28/29 Feb)."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


@dataclass(frozen=True)
class Instalment:
    """One expected royalty payment of a licence."""

    period: int
    starts_on: date
    ends_on: date
    due_on: date
    expected_fen: int


def royalty_schedule(formula: ScoringFormula, offer: OfferTerms, starts_on: date,
                     report_days: int = REPORT_DAYS) -> list[Instalment]:
    """The expected royalty payments over the term; each period's amount is R rounded so the total is exact."""
    per_period = formula.royalty_per_period(offer)
    months = formula.reporting_period.months
    schedule, paid_before = [], 0
    for t in range(1, formula.periods + 1):
        cumulative = (per_period * t).numerator // (per_period * t).denominator
        period_start = add_months(starts_on, (t - 1) * months)
        period_end = add_months(starts_on, t * months) - timedelta(days=1)
        schedule.append(Instalment(t, period_start, period_end, period_end + timedelta(days=report_days),
                                   cumulative - paid_before))
        paid_before = cumulative
    return schedule


class InstalmentStatus(enum.StrEnum):
    """Where an expected royalty payment stands, given what has been received."""

    PAID = "paid"
    PART_PAID = "part_paid"
    OVERDUE = "overdue"
    DUE = "due"  # the period has ended; the report and payment are due
    UPCOMING = "upcoming"


@dataclass(frozen=True)
class InstalmentPosition:
    """An instalment with what of it has been covered by royalties received (oldest instalment first)."""

    instalment: Instalment
    covered_fen: int
    status: InstalmentStatus


def instalment_positions(schedule: Sequence[Instalment], royalties_received_fen: int,
                         today: date) -> list[InstalmentPosition]:
    """Cover the instalments oldest first with the royalties received and say where each stands."""
    left, positions = royalties_received_fen, []
    for item in schedule:
        covered = min(left, item.expected_fen)
        left -= covered
        if covered >= item.expected_fen:
            status = InstalmentStatus.PAID
        elif today > item.due_on:
            status = InstalmentStatus.OVERDUE
        elif covered:
            status = InstalmentStatus.PART_PAID
        elif today > item.ends_on:
            status = InstalmentStatus.DUE
        else:
            status = InstalmentStatus.UPCOMING
        positions.append(InstalmentPosition(item, covered, status))
    return positions


@dataclass(frozen=True)
class PaymentEffect:
    """What one payment did to the loan: its share of costs, interest, principal and any surplus."""

    amount_fen: int
    to_costs: int
    to_interest: int
    to_principal: int
    surplus: int
    principal_left_fen: int  # principal still unrecovered after this payment


def apply_payments(amounts_fen: Sequence[int], *, costs_fen: int, unpaid_interest_fen: int,
                   principal_fen: int) -> list[PaymentEffect]:
    """Apply payments in the order received: costs, then unpaid interest, then principal (Civil Code art. 561).

    Each payment's effect is the difference between applying the running total with and without it,
    so the effects add up to the application of the whole total, to the fen.
    """
    effects: list[PaymentEffect] = []
    before = apply_recovery(0, costs_fen, unpaid_interest_fen, principal_fen)
    total = 0
    for amount in amounts_fen:
        if amount <= 0:
            raise PaymentNotPositive()
        total += amount
        after: RecoveryApplied = apply_recovery(total, costs_fen, unpaid_interest_fen, principal_fen)
        effects.append(PaymentEffect(
            amount_fen=amount,
            to_costs=after.to_costs - before.to_costs,
            to_interest=after.to_interest - before.to_interest,
            to_principal=after.to_principal - before.to_principal,
            surplus=after.surplus - before.surplus,
            principal_left_fen=after.principal_loss,
        ))
        before = after
    return effects


def recordal_due_on(signed_on: date, rules: DisposalRules = DEFAULT_RULES) -> date:
    """The last day to record the licence (or a pledge change) with the IP office."""
    return signed_on + timedelta(days=rules.licence_recordal_days)


def recordal_overdue(due_on: date, recorded_on: date | None, today: date) -> bool:
    """Whether the recordal deadline has passed without a recordal."""
    return recorded_on is None and today > due_on
