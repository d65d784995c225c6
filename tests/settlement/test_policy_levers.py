"""The bureau's levers in the marketplace (market/domain/levers.py, the simulator's own rules): a ratio
by loan size or by bank, an annual cap on compensation and a stop-loss line per bank."""

from fractions import Fraction

import pytest

from market.db import unit_of_work
from market.domain.levers import SizeBandRatiosMismatch, StopLossResume
from market.domain.loss import LAYERS, Layer
from market.domain.settlement import DisposalCosts
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
