"""Money recovered after settlement re-runs the statement and claws back what was paid too much."""

from market.domain.ledger import clawback_receivable
from market.domain.loss import Layer
from market.domain.settlement import ClaimState, DisposalCosts
from market.domain.workflow import CaseState
from market.services import fund, recoveries, settlement
from market.services.audit import Actor
from market.services.ledger import balance, check_ledger
from tests.factories_settlement import (
    YUAN,
    bureau_users,
    claims_of,
    file_and_approve,
    fund_money,
    make_disposed_case,
    make_policy,
    operator,
    settle,
)


def _paid_worked_example(session, clock, budget_fen=240_000 * YUAN):
    make_policy(session)
    case = make_disposed_case(session, recovery_fen=0)
    first, second = bureau_users(session)
    op = operator(session)
    session.commit()
    settle(session, case, now=clock(), costs=DisposalCosts(), op=op)
    claims = claims_of(session, case)
    for layer in (Layer.BANK, Layer.GUARANTOR, Layer.INSURER, Layer.AGENCY):
        file_and_approve(session, claims[layer], now=clock(), first=first, second=second)
    fund_money(session, now=clock(), balance_fen=1_000_000 * YUAN, budget_fen=budget_fen)
    fund.run_payments(session, actor=Actor.of(first), now=clock())
    return case, claims, first, op


def test_a_later_recovery_re_runs_the_statement_and_claws_back_pro_rata(session, clock):
    case, claims, bureau, op = _paid_worked_example(session, clock)
    # ¥200,000 less the 2% commission and 0.05% taxes leaves ¥195,900 for the principal
    row = recoveries.record_later_recovery(session, case.id, 200_000 * YUAN, actor=Actor.of(op), now=clock(),
                                           memo="Royalties Q4")
    assert row.revision == 2 and row.later_recoveries_fen == 200_000 * YUAN
    assert (row.commission_fen, row.taxes_fen, row.to_principal_fen) == (4_000 * YUAN, 100 * YUAN, 195_900 * YUAN)
    assert row.principal_loss_fen == 804_100 * YUAN
    due = {layer: c.due_fen for layer, c in claims.items()}
    assert due == {Layer.BANK: 96_492 * YUAN, Layer.GUARANTOR: 36_184_50, Layer.INSURER: 36_184_50,
                   Layer.AGENCY: 24_123 * YUAN}
    assert all(c.state == ClaimState.CLAWED_BACK and c.paid_fen - c.clawed_back_fen == c.due_fen
               for c in claims.values())
    total_back = sum(c.clawed_back_fen for c in claims.values())
    assert total_back == 240_000 * YUAN - 192_984 * YUAN  # 0.24 of the new loss is due
    assert sum(-balance(session, clawback_receivable(c.id)) for c in claims.values()) == -total_back
    assert check_ledger(session).ok


def test_a_clawback_repaid_returns_money_to_the_fund(session, clock):
    case, claims, bureau, op = _paid_worked_example(session, clock)
    recoveries.record_later_recovery(session, case.id, 100_000 * YUAN, actor=Actor.of(op), now=clock())
    clawback = claims[Layer.BANK].clawbacks[0]
    before = fund.fund_balance_fen(session)
    fund.repay_clawback(session, clawback.id, actor=Actor.of(bureau), now=clock())
    assert fund.fund_balance_fen(session) == before + clawback.amount_fen
    assert balance(session, clawback_receivable(claims[Layer.BANK].id)) == 0


def test_a_later_recovery_shrinks_what_still_waits_before_clawing_back(session, clock):
    case, claims, bureau, op = _paid_worked_example(session, clock, budget_fen=120_000 * YUAN)
    assert claims[Layer.GUARANTOR].state == ClaimState.PENDING  # nothing paid: the bank's claim took the budget
    recoveries.record_later_recovery(session, case.id, 500_000 * YUAN, actor=Actor.of(op), now=clock())
    guarantor = claims[Layer.GUARANTOR]
    assert guarantor.state == ClaimState.PENDING and guarantor.clawed_back_fen == 0
    assert guarantor.pending_fen == guarantor.due_fen < 45_000 * YUAN
    assert claims[Layer.BANK].state == ClaimState.CLAWED_BACK
    assert check_ledger(session).ok


def test_a_royalty_before_settlement_is_left_to_the_channel(session, clock):
    case = make_disposed_case(session, recovery_fen=100 * YUAN)
    session.commit()
    assert recoveries.on_later_recovery(session, case, 50 * YUAN, clock()) is None
    assert settlement.latest_statement(session, case.id) is None
    assert case.state == CaseState.DISPOSED
