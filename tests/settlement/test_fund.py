"""The fund: budget, balance, payments in order of approval, wait or lapse, year-ends and top-ups in the ledger."""

from datetime import UTC, datetime

import pytest

from market.domain.ledger import BudgetLine, Movement
from market.domain.loss import Layer, Shortfall
from market.domain.settlement import ClaimState, DisposalCosts
from market.services import fund
from market.services.audit import Actor
from market.services.ledger import check_ledger, movement_total
from tests.factories_settlement import (
    YUAN,
    bureau_users,
    claims_of,
    file_and_approve,
    fund_money,
    make_disposed_case,
    make_policy,
    settle,
)


def _approved_worked_example(session, clock, **policy):
    make_policy(session, **policy)
    case = make_disposed_case(session, recovery_fen=0)
    first, second = bureau_users(session)
    session.commit()
    settle(session, case, now=clock(), costs=DisposalCosts())
    claims = claims_of(session, case)
    for layer in (Layer.BANK, Layer.GUARANTOR, Layer.INSURER, Layer.AGENCY):  # the order of approval
        file_and_approve(session, claims[layer], now=clock(), first=first, second=second)
    return claims, first


def test_claims_are_paid_in_order_of_approval_and_the_rest_waits(session, clock):
    claims, bureau = _approved_worked_example(session, clock)
    fund_money(session, now=clock(), balance_fen=1_000_000 * YUAN, budget_fen=180_000 * YUAN)
    run = fund.run_payments(session, actor=Actor.of(bureau), now=clock())
    assert run.paid_fen == 180_000 * YUAN
    states = {layer: (c.state, c.paid_fen, c.pending_fen) for layer, c in claims.items()}
    assert states == {
        Layer.BANK: (ClaimState.PAID, 120_000 * YUAN, 0),
        Layer.GUARANTOR: (ClaimState.PAID, 45_000 * YUAN, 0),
        Layer.INSURER: (ClaimState.PENDING, 15_000 * YUAN, 30_000 * YUAN),
        Layer.AGENCY: (ClaimState.PENDING, 0, 30_000 * YUAN),
    }
    position = fund.fund_position(session, clock())
    assert (position.paid_fen, position.pending_fen, position.budget_left_fen) == (180_000 * YUAN, 60_000 * YUAN, 0)
    fund.grant_budget(session, 2026, BudgetLine.COMPENSATION, 100_000 * YUAN, actor=Actor.of(bureau), now=clock())
    fund.run_payments(session, actor=Actor.of(bureau), now=clock())
    assert claims[Layer.INSURER].state == claims[Layer.AGENCY].state == ClaimState.PAID
    assert check_ledger(session).ok


def test_the_fund_never_pays_above_its_balance(session, clock):
    claims, bureau = _approved_worked_example(session, clock)
    fund_money(session, now=clock(), balance_fen=100_000 * YUAN, budget_fen=1_000_000 * YUAN)
    fund.run_payments(session, actor=Actor.of(bureau), now=clock())
    assert fund.fund_balance_fen(session) == 0
    assert sum(c.paid_fen for c in claims.values()) == 100_000 * YUAN
    assert claims[Layer.BANK].pending_fen == 20_000 * YUAN


def test_under_the_lapse_policy_what_cannot_be_paid_lapses(session, clock):
    claims, bureau = _approved_worked_example(session, clock, shortfall=Shortfall.LAPSE)
    fund_money(session, now=clock(), balance_fen=1_000_000 * YUAN, budget_fen=200_000 * YUAN)
    fund.run_payments(session, actor=Actor.of(bureau), now=clock())
    assert (claims[Layer.INSURER].state, claims[Layer.INSURER].lapsed_fen) == (ClaimState.LAPSED, 10_000 * YUAN)
    assert (claims[Layer.AGENCY].state, claims[Layer.AGENCY].lapsed_fen) == (ClaimState.LAPSED, 30_000 * YUAN)
    assert fund.payment_queue(session) == []
    assert check_ledger(session).ok


def test_payments_need_the_year_s_budget(session, clock):
    _, bureau = _approved_worked_example(session, clock)
    with pytest.raises(fund.YearNotOpen):
        fund.run_payments(session, actor=Actor.of(bureau), now=clock())


def test_top_ups_budgets_and_year_ends_are_ledger_events(session, clock):
    first, _ = bureau_users(session)
    session.commit()
    bureau = Actor.of(first)
    last_year = datetime(2025, 6, 1, 2, 0, tzinfo=UTC)
    fund.contribute(session, 500_000 * YUAN, actor=bureau, now=last_year)
    fund.grant_budget(session, 2025, BudgetLine.COMPENSATION, 300_000 * YUAN, actor=bureau, now=last_year)
    fund.grant_budget(session, 2025, BudgetLine.COMPENSATION, 50_000 * YUAN, actor=bureau, now=last_year)
    with pytest.raises(fund.YearNotOver):
        fund.close_year(session, 2026, actor=bureau, now=clock())
    lapsed = fund.close_year(session, 2025, actor=bureau, now=clock())
    assert lapsed[BudgetLine.COMPENSATION] == 350_000 * YUAN
    assert fund.budget_left_fen(session, 2025, BudgetLine.COMPENSATION) == 0
    assert movement_total(session, Movement.BUDGET_GRANTED) == 350_000 * YUAN
    assert movement_total(session, Movement.BUDGET_LAPSED) == 350_000 * YUAN
    assert movement_total(session, Movement.FUND_CONTRIBUTION) == 500_000 * YUAN
    with pytest.raises(fund.YearNotOpen):
        fund.grant_budget(session, 2025, BudgetLine.COMPENSATION, 1, actor=bureau, now=clock())


def test_waiting_claims_carry_over_and_are_paid_first_next_year(session, clock):
    claims, bureau = _approved_worked_example(session, clock)
    fund_money(session, now=clock(), balance_fen=1_000_000 * YUAN, budget_fen=100_000 * YUAN)
    fund.run_payments(session, actor=Actor.of(bureau), now=clock())
    next_year = clock.advance(days=60)
    fund.close_year(session, 2026, actor=Actor.of(bureau), now=next_year)
    fund.grant_budget(session, 2027, BudgetLine.COMPENSATION, 130_000 * YUAN, actor=Actor.of(bureau), now=next_year)
    fund.run_payments(session, actor=Actor.of(bureau), now=next_year)
    assert claims[Layer.BANK].state == ClaimState.PAID and claims[Layer.BANK].payments[-1].year == 2027
    assert claims[Layer.AGENCY].state == ClaimState.PENDING
    assert fund.fund_position(session, next_year).paid_fen == 130_000 * YUAN


def test_leverage_is_loans_backed_over_the_fund(session, clock):
    from tests.factories import make_loan

    make_loan(session, principal_fen=3_000_000 * YUAN, outstanding_principal_fen=3_000_000 * YUAN,
              status="performing")
    first, _ = bureau_users(session)
    session.commit()
    fund.contribute(session, 300_000 * YUAN, actor=Actor.of(first), now=clock())
    assert fund.fund_position(session, clock()).leverage == 10
