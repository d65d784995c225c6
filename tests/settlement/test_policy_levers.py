"""The bureau's levers in the marketplace (market/domain/levers.py, the simulator's own rules): a ratio
by loan size or by bank, an annual cap on compensation and a stop-loss line per bank."""

from datetime import datetime
from fractions import Fraction

import pytest
import sqlalchemy as sa

from market.db import unit_of_work
from market.domain.levers import SizeBandRatiosMismatch, StopLossResume
from market.domain.loss import LAYERS, Layer
from market.domain.settlement import DisposalCosts
from market.models import AuditEvent
from market.services import fund
from market.services.audit import Actor
from tests.factories_settlement import (
    YUAN,
    bureau_users,
    claims_of,
    make_disposed_case,
    make_policy,
    settle,
    worked_example_loan,
)

BANDS = dict(size_band_edges_fen=[5_000_000 * YUAN, 10_000_000 * YUAN],
             size_band_ratios_ppm=[400_000, 300_000, 200_000])  # fmt: skip
WORKED_EXAMPLE_SHARE = Fraction(24, 100)  # DOMAIN.md section 4: the claims are 24% of the loss at 30%


def settled(session, clock, loan=None, recovery_fen: int = 0, **policy):
    make_policy(session, **policy)
    case = make_disposed_case(session, recovery_fen=recovery_fen, loan=loan)
    session.commit()
    settle(session, case, now=clock(), costs=DisposalCosts())
    return case, claims_of(session, case)


def test_a_loan_up_to_five_million_is_compensated_at_its_bands_forty_percent(session, clock):
    _, claims = settled(session, clock, **BANDS)
    assert {claims[layer].ratio_ppm for layer in LAYERS} == {400_000}
    assert claims[Layer.BANK].claimed_fen == 400_000 * YUAN * 4 // 10  # the bank's ¥400,000 loss x 40%


def test_a_large_loan_gets_the_top_bands_ratio_and_a_named_bank_its_own(session, clock):
    big = worked_example_loan(session, principal_fen=20_000_000 * YUAN,
                              outstanding_principal_fen=20_000_000 * YUAN)  # fmt: skip
    _, claims = settled(session, clock, loan=big, **BANDS)
    assert claims[Layer.GUARANTOR].ratio_ppm == 200_000
    loan = worked_example_loan(session)
    _, claims = settled(session, clock, loan=loan, **BANDS,
                        bank_ratios_ppm={str(loan.bank_id): 250_000})  # fmt: skip
    assert claims[Layer.INSURER].ratio_ppm == 250_000


def test_the_annual_cap_cuts_the_claims_drafted_past_it_in_layer_order(session, clock):
    _, claims = settled(session, clock, annual_cap_fen=150_000 * YUAN)
    claimed = [claims[layer].claimed_fen for layer in LAYERS]  # 120,000 + 45,000 + 45,000 + 30,000
    assert claimed == [120_000 * YUAN, 30_000 * YUAN, 0, 0]


@pytest.mark.parametrize("resume", list(StopLossResume))
def test_a_bank_past_its_stop_loss_line_is_paused_until_its_lending_brings_it_below(
    session, clock, resume
):
    case, claims = settled(session, clock, stop_loss_ppm=30_000, stop_loss_resume=resume)
    assert claims == {}  # a ¥1m loss on the bank's ¥1m of loans: far past 3%
    lender = case.loan.bank
    for _ in range(40):
        worked_example_loan(session, bank=lender)
    almost = 1_000_000 * YUAN - 10_000 * YUAN  # a ¥10,000 loss: ¥1.01m on ¥42m lent, 2.4%
    _, later = settled(session, clock, loan=worked_example_loan(session, bank=lender),
                       recovery_fen=almost, stop_loss_ppm=30_000, stop_loss_resume=resume)  # fmt: skip
    assert sum(claim.claimed_fen for claim in later.values()) > 0


@pytest.mark.parametrize("resume", list(StopLossResume))
def test_a_bank_paused_in_december_is_compensated_again_in_january_only_when_the_pause_lasts_the_year(
    session, clock, resume
):
    clock.at = datetime(2026, 12, 31, 23, 0, tzinfo=fund.LOCAL)
    case, december = settled(session, clock, stop_loss_ppm=30_000, stop_loss_resume=resume)
    lender = case.loan.bank
    assert december == {}  # a ¥1m loss on ¥1m lent: paused
    assert _paused_events(session, case) == 1

    clock.at = datetime(2027, 1, 1, 0, 30, tzinfo=fund.LOCAL)  # the fund's new year, nothing else changed
    small_loss = 1_000_000 * YUAN - 50_000 * YUAN  # ¥50,000 on the bank's ¥2m lent: 2.5%, below the line
    january_case, january = settled(session, clock, loan=worked_example_loan(session, bank=lender),
                                    recovery_fen=small_loss, stop_loss_ppm=30_000, stop_loss_resume=resume)

    if resume is StopLossResume.YEAR_END:  # losses counted within the year: December's no longer do
        assert {claim.year for claim in january.values()} == {2027}
        assert sum(claim.claimed_fen for claim in january.values()) == WORKED_EXAMPLE_SHARE * 50_000 * YUAN
        assert _paused_events(session, january_case) == 0
    else:  # counted over the programme: ¥1.05m on ¥2m is still past 3% until new lending brings it below
        assert january == {} and _paused_events(session, january_case) == 1
        for _ in range(40):
            worked_example_loan(session, bank=lender)
        _, later = settled(session, clock, loan=worked_example_loan(session, bank=lender),
                           recovery_fen=small_loss, stop_loss_ppm=30_000, stop_loss_resume=resume)  # fmt: skip
        assert sum(claim.claimed_fen for claim in later.values()) == WORKED_EXAMPLE_SHARE * 50_000 * YUAN


def _paused_events(session, case) -> int:
    return session.scalar(sa.select(sa.func.count(AuditEvent.id)).where(
        AuditEvent.entity_type == "case", AuditEvent.entity_id == case.id, AuditEvent.action == "claims_paused"))


def test_the_bureau_saves_the_levers_as_a_new_policy_version_and_bad_ones_are_refused(session, clock):
    first, _ = bureau_users(session)
    make_policy(session)
    session.commit()
    with unit_of_work(session):
        policy = fund.add_policy_version(session, actor=Actor.of(first), now=clock(), **BANDS,
                                         annual_cap_fen=1_500_000_000 * YUAN, stop_loss_ppm=30_000,
                                         stop_loss_resume="below")  # fmt: skip
    levers = fund.policy_levers(policy)
    assert levers.size_band_ratios == (Fraction(2, 5), Fraction(3, 10), Fraction(1, 5))
    assert levers.stop_loss_resume is StopLossResume.BELOW and levers.annual_cap_fen == 150_000_000_000
    with pytest.raises(SizeBandRatiosMismatch), unit_of_work(session):
        fund.add_policy_version(session, actor=Actor.of(first), now=clock(),
                                size_band_ratios_ppm=[400_000, 300_000])  # fmt: skip
