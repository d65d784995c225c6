"""The licensing rules: the published scoring formula, awards, the royalty schedule and the recovery order."""

from datetime import UTC, date, datetime, timedelta
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from market.domain.licensing import (
    MAX_TERM_MONTHS,
    AwardBreaksLicenceKind,
    AwardOutOfRankOrder,
    InstalmentStatus,
    InvalidLicenceTerms,
    LicenceKind,
    LicenceRate,
    OfferBelowMinimum,
    OfferTerms,
    ReportingPeriod,
    ScoringFormula,
    SealedOffer,
    add_months,
    apply_payments,
    check_award,
    instalment_positions,
    rank_offers,
    recordal_due_on,
    recordal_overdue,
    royalty_schedule,
)
from market.domain.loss import apply_recovery
from tests.factories_channels import licence_terms

YUAN = 100
T0 = datetime(2026, 11, 22, 2, 0, tzinfo=UTC)
# 3 years, quarterly, reference yearly net sales ¥5,000,000: one quarter's sales are ¥1,250,000.
UNDISCOUNTED = ScoringFormula(0, 5_000_000 * YUAN, ReportingPeriod.QUARTERLY, 36)
DISCOUNTED = ScoringFormula(80_000, 5_000_000 * YUAN, ReportingPeriod.QUARTERLY, 36)


def published_score(formula: ScoringFormula, offer: OfferTerms) -> int:
    """The formula exactly as the round page publishes it, summed period by period."""
    m = 12 // {"monthly": 1, "quarterly": 3, "semi_annual": 6, "annual": 12}[formula.reporting_period.value]
    n = formula.term_months * m // 12
    r = Fraction(formula.discount_rate_ppm, 1_000_000)
    royalty = max(Fraction(offer.royalty_rate_ppm, 1_000_000) * formula.reference_sales_fen / m,
                  Fraction(offer.min_annual_royalty_fen, m))
    total = offer.upfront_fen + sum(royalty / (1 + r / m) ** t for t in range(1, n + 1))
    return total.numerator // total.denominator


@pytest.mark.parametrize(
    ("upfront_yuan", "rate_ppm", "min_annual_yuan", "score_yuan"),
    [
        (200_000, 50_000, 0, 200_000 + 12 * 62_500),  # 5% of ¥1.25m a quarter, 12 quarters
        (800_000, 30_000, 0, 800_000 + 12 * 37_500),
        (0, 100_000, 0, 12 * 125_000),
        (100_000, 30_000, 400_000, 100_000 + 12 * 100_000),  # the guaranteed minimum beats 3% of sales
        (100_000, 30_000, 100_000, 100_000 + 12 * 37_500),  # here 3% of sales beats the minimum
    ],
)
def test_an_undiscounted_score_is_the_upfront_fee_plus_every_expected_royalty(upfront_yuan, rate_ppm,
                                                                               min_annual_yuan, score_yuan):
    offer = OfferTerms(upfront_yuan * YUAN, rate_ppm, min_annual_yuan * YUAN)
    assert UNDISCOUNTED.score_fen(offer) == score_yuan * YUAN


@pytest.mark.parametrize("formula", [UNDISCOUNTED, DISCOUNTED,
                                     ScoringFormula(123_456, 987_654_321, ReportingPeriod.MONTHLY, 60),
                                     ScoringFormula(50_000, 3_000_000_00, ReportingPeriod.ANNUAL, 120)])
@pytest.mark.parametrize("offer", [OfferTerms(200_000_00, 50_000), OfferTerms(1, 1), OfferTerms(0, 0, 777_777),
                                   OfferTerms(999_999_99, 123_457, 10_000_00)])
def test_the_score_matches_the_published_formula_summed_period_by_period(formula, offer):
    assert formula.score_fen(offer) == published_score(formula, offer)


def test_discounting_makes_later_royalties_worth_less_than_upfront_money():
    upfront_heavy, royalty_heavy = OfferTerms(1_400_000 * YUAN, 0), OfferTerms(0, 100_000)
    assert UNDISCOUNTED.score_fen(upfront_heavy) < UNDISCOUNTED.score_fen(royalty_heavy)
    assert DISCOUNTED.score_fen(upfront_heavy) > DISCOUNTED.score_fen(royalty_heavy)


RANKING_TABLE = [
    # (key, upfront ¥, royalty ppm, minutes after T0 the offer was submitted)
    ("A", 200_000, 50_000, 10),  # 950,000
    ("B", 800_000, 30_000, 5),  # 1,250,000
    ("C", 500_000, 40_000, 30),  # 1,100,000
    ("D", 350_000, 50_000, 20),  # 1,100,000 like C, but submitted earlier
    ("E", 650_000, 40_000, 1),  # 1,250,000 like B, and earlier still
]


def test_offers_rank_by_score_and_equal_scores_by_time_of_submission():
    offers = [SealedOffer(key, OfferTerms(up * YUAN, rate), T0 + timedelta(minutes=minutes))
              for key, up, rate, minutes in RANKING_TABLE]
    ranking = rank_offers(UNDISCOUNTED, offers)
    assert [r.key for r in ranking] == ["E", "B", "D", "C", "A"]
    assert [r.rank for r in ranking] == [1, 2, 3, 4, 5]
    assert [r.score_fen // YUAN for r in ranking] == [1_250_000, 1_250_000, 1_100_000, 1_100_000, 950_000]


def test_the_ranking_does_not_depend_on_the_order_offers_arrive_in():
    offers = [SealedOffer(key, OfferTerms(up * YUAN, rate), T0 + timedelta(minutes=minutes))
              for key, up, rate, minutes in RANKING_TABLE]
    assert [r.key for r in rank_offers(DISCOUNTED, offers)] == [r.key for r in rank_offers(DISCOUNTED, offers[::-1])]


def test_an_offer_below_the_published_minimums_is_refused():
    terms = licence_terms()
    with pytest.raises(OfferBelowMinimum, match="upfront"):
        terms.check_offer(OfferTerms(99_999 * YUAN, 50_000))
    with pytest.raises(OfferBelowMinimum, match="royalty rate"):
        terms.check_offer(OfferTerms(100_000 * YUAN, 29_999))
    terms.check_offer(OfferTerms(100_000 * YUAN, 30_000))


@pytest.mark.parametrize(("overrides", "code", "params"), [
    ({"field_of_use": " "}, "field_of_use_missing", {}),
    ({"territory": ""}, "territory_missing", {}),
    ({"term_months": 0}, "term_out_of_range", {"max_months": MAX_TERM_MONTHS}),
    ({"term_months": 13, "reporting_period": ReportingPeriod.QUARTERLY}, "term_not_whole_periods", {"period_months": 3}),
    ({"min_royalty_rate_ppm": 1_000_001}, "rate_out_of_range", {"rate": LicenceRate.MIN_ROYALTY}),
    ({"discount_rate_ppm": -1}, "rate_out_of_range", {"rate": LicenceRate.DISCOUNT}),
])
def test_incomplete_or_impossible_licence_terms_are_refused(overrides, code, params):
    with pytest.raises(InvalidLicenceTerms) as refused:
        licence_terms(**overrides).check()
    assert (refused.value.code, refused.value.params) == (code, params)


def _ranking(*keys):
    offers = [SealedOffer(k, OfferTerms((10 - i) * 100_000 * YUAN, 0), T0) for i, k in enumerate(keys)]
    return rank_offers(UNDISCOUNTED, offers)


def test_an_exclusive_or_sole_licence_goes_to_exactly_one_licensee():
    ranking = _ranking(1, 2, 3)
    for kind in (LicenceKind.EXCLUSIVE, LicenceKind.SOLE):
        with pytest.raises(AwardBreaksLicenceKind):
            check_award(kind, [1, 2], ranking)
        check_award(kind, [1], ranking)


def test_a_non_exclusive_licence_may_go_to_several_licensees():
    check_award(LicenceKind.NON_EXCLUSIVE, [1, 2, 3], _ranking(1, 2, 3))


def test_passing_over_a_better_offer_needs_a_reason():
    ranking = _ranking(1, 2, 3)
    with pytest.raises(AwardOutOfRankOrder):
        check_award(LicenceKind.EXCLUSIVE, [2], ranking)
    check_award(LicenceKind.EXCLUSIVE, [2], ranking, reason="The best offer's applicant failed the credit check.")
    with pytest.raises(AwardBreaksLicenceKind):
        check_award(LicenceKind.NON_EXCLUSIVE, [], ranking)
    with pytest.raises(AwardBreaksLicenceKind):
        check_award(LicenceKind.NON_EXCLUSIVE, [9], ranking)


def test_the_royalty_schedule_covers_the_term_and_its_amounts_add_up_exactly():
    formula = ScoringFormula(0, 1_000_000_01, ReportingPeriod.QUARTERLY, 36)  # sales not divisible by 4
    schedule = royalty_schedule(formula, OfferTerms(0, 33_333), date(2026, 1, 31))
    assert len(schedule) == 12
    assert schedule[0].starts_on == date(2026, 1, 31) and schedule[0].ends_on == date(2026, 4, 29)
    assert schedule[-1].ends_on == date(2029, 1, 30)
    assert schedule[0].due_on == schedule[0].ends_on + timedelta(days=30)
    exact_total = formula.royalty_per_period(OfferTerms(0, 33_333)) * 12
    assert sum(i.expected_fen for i in schedule) == exact_total.numerator // exact_total.denominator


def test_instalments_are_covered_oldest_first_and_late_ones_show_overdue():
    formula = ScoringFormula(0, 4_000_000 * YUAN, ReportingPeriod.QUARTERLY, 12)  # ¥50,000 a quarter at 5%
    schedule = royalty_schedule(formula, OfferTerms(0, 50_000), date(2026, 1, 1))
    positions = instalment_positions(schedule, 70_000 * YUAN, today=date(2026, 10, 15))
    assert [p.status for p in positions] == [InstalmentStatus.PAID, InstalmentStatus.OVERDUE,
                                             InstalmentStatus.DUE, InstalmentStatus.UPCOMING]
    assert [p.covered_fen // YUAN for p in positions] == [50_000, 20_000, 0, 0]


def test_royalty_payments_pay_costs_then_interest_then_principal():
    effects = apply_payments([5_000 * YUAN, 20_000 * YUAN, 100_000 * YUAN, 900_000 * YUAN, 50_000 * YUAN],
                             costs_fen=10_000 * YUAN, unpaid_interest_fen=22_500 * YUAN,
                             principal_fen=1_000_000 * YUAN)
    table = [(e.to_costs // YUAN, e.to_interest // YUAN, e.to_principal // YUAN, e.surplus // YUAN)
             for e in effects]
    assert table == [
        (5_000, 0, 0, 0),
        (5_000, 15_000, 0, 0),
        (0, 7_500, 92_500, 0),
        (0, 0, 900_000, 0),
        (0, 0, 7_500, 42_500),
    ]
    assert [e.principal_left_fen // YUAN for e in effects] == [1_000_000, 1_000_000, 907_500, 7_500, 0]


@given(
    payments=st.lists(st.integers(min_value=1, max_value=10**9), min_size=1, max_size=30),
    costs=st.integers(min_value=0, max_value=10**8),
    interest=st.integers(min_value=0, max_value=10**8),
    principal=st.integers(min_value=0, max_value=10**10),
)
def test_the_effects_of_payments_conserve_every_fen(payments, costs, interest, principal):
    effects = apply_payments(payments, costs_fen=costs, unpaid_interest_fen=interest, principal_fen=principal)
    for payment, effect in zip(payments, effects, strict=True):
        assert effect.to_costs + effect.to_interest + effect.to_principal + effect.surplus == payment
        assert min(effect.to_costs, effect.to_interest, effect.to_principal, effect.surplus) >= 0
    whole = apply_recovery(sum(payments), costs, interest, principal)
    assert sum(e.to_costs for e in effects) == whole.to_costs
    assert sum(e.to_interest for e in effects) == whole.to_interest
    assert sum(e.to_principal for e in effects) == whole.to_principal
    assert sum(e.surplus for e in effects) == whole.surplus
    assert effects[-1].principal_left_fen == whole.principal_loss


def test_the_recordal_deadline_is_three_months_from_signing_and_shows_when_missed():
    due = recordal_due_on(date(2026, 11, 22))
    assert due == date(2027, 2, 20)  # 90 days: the centre's setting for "three months"
    assert not recordal_overdue(due, None, date(2027, 2, 20))
    assert recordal_overdue(due, None, date(2027, 2, 21))
    assert not recordal_overdue(due, date(2027, 3, 1), date(2027, 3, 2))


def test_months_are_added_by_the_calendar():
    assert add_months(date(2026, 1, 31), 1) == date(2026, 2, 28)
    assert add_months(date(2027, 11, 30), 3) == date(2028, 2, 29)
    assert add_months(date(2026, 5, 15), 24) == date(2028, 5, 15)
