"""Settling a disposed case: the statement, the payouts through the ledger, transfer and closing."""

import pytest

from market.domain.ledger import Movement
from market.domain.loss import Layer
from market.domain.settlement import ClaimState, DisposalCosts
from market.domain.workflow import ActionNotAllowed, CaseState
from market.models import LoanStatus
from market.services import settlement
from market.services.audit import Actor
from market.services.ledger import balance, check_ledger, movement_total
from tests.factories import make_loan
from tests.factories_settlement import (
    YUAN,
    claims_of,
    make_disposed_case,
    make_policy,
    operator,
    receive_price,
    settle,
    worked_example_loan,
)


def test_the_worked_example_settles_into_the_domain_bases_and_claims(session, clock):
    make_policy(session)
    case = make_disposed_case(session, recovery_fen=0)
    session.commit()
    row = settle(session, case, now=clock(), costs=DisposalCosts())
    assert row.principal_loss_fen == 1_000_000 * YUAN
    bases = {line.layer: line.base_fen for line in row.layers}
    assert bases == {Layer.BANK: 400_000 * YUAN, Layer.GUARANTOR: 150_000 * YUAN,
                     Layer.INSURER: 150_000 * YUAN, Layer.AGENCY: 100_000 * YUAN}
    claims = claims_of(session, case)
    assert {layer: c.claimed_fen for layer, c in claims.items()} == {
        Layer.BANK: 120_000 * YUAN, Layer.GUARANTOR: 45_000 * YUAN,
        Layer.INSURER: 45_000 * YUAN, Layer.AGENCY: 30_000 * YUAN,
    }
    assert sum(c.claimed_fen for c in claims.values()) == 240_000 * YUAN
    assert all(c.state == ClaimState.DRAFTED and c.policy_version.version == 1 for c in claims.values())
    assert case.state == CaseState.SETTLED and case.loan.status == LoanStatus.SETTLED


def test_proceeds_pay_costs_then_interest_then_principal_and_the_centre_pays_them_out(session, clock):
    loan = make_loan(session, principal_fen=1_000_000 * YUAN, outstanding_principal_fen=1_000_000 * YUAN,
                     unpaid_interest_fen=50_000 * YUAN)
    case = make_disposed_case(session, recovery_fen=600_000 * YUAN, loan=loan)
    session.commit()
    receive_price(session, case, 600_000 * YUAN, now=clock())
    costs = DisposalCosts(commission_fen=12_000 * YUAN, appraisal_fen=5_000 * YUAN, taxes_fen=300 * YUAN)
    row = settle(session, case, now=clock(), costs=costs)
    assert (row.to_costs_fen, row.to_interest_fen, row.to_principal_fen) == (
        17_300 * YUAN, 50_000 * YUAN, 532_700 * YUAN)
    assert row.principal_loss_fen == 467_300 * YUAN
    assert movement_total(session, Movement.COMMISSION, case_id=case.id) == 12_000 * YUAN
    assert movement_total(session, Movement.COSTS_PAID, case_id=case.id) == 5_300 * YUAN
    assert movement_total(session, Movement.PROCEEDS_PAID, case_id=case.id) == 582_700 * YUAN
    assert settlement.held_for_case(session, case.id) == 0
    assert balance(session, "cash") == 12_000 * YUAN  # the commission stays: it is the centre's income
    assert check_ledger(session).ok


def test_default_costs_come_from_the_settings(session, clock):
    case = make_disposed_case(session, recovery_fen=1_000_000 * YUAN, appraised_value_fen=2_000_000 * YUAN)
    session.commit()
    preview = settlement.preview_statement(session, case)
    assert preview.costs.commission_fen == 20_000 * YUAN  # 2%
    assert preview.costs.appraisal_fen == 6_000 * YUAN  # 0.3% of the appraised value
    assert preview.costs.taxes_fen == 500 * YUAN  # 0.05%


def test_a_case_not_yet_disposed_cannot_be_settled(session, clock):
    case = make_disposed_case(session, recovery_fen=0, state=CaseState.AUCTION)
    session.commit()
    with pytest.raises(settlement.NotDisposed):
        settle(session, case, now=clock())


def test_only_the_operator_settles(session, clock):
    from tests.factories_settlement import bureau_users

    case = make_disposed_case(session)
    first, _ = bureau_users(session)
    session.commit()
    with pytest.raises(Exception) as error:
        settlement.settle_case(session, case.id, actor=Actor.of(first), now=clock())
    assert getattr(error.value, "code", "") == "not_your_action"
    assert settlement.latest_statement(session, case.id) is None


def test_recording_the_transfer_releases_the_pledge_and_then_the_case_closes(session, clock):
    case = make_disposed_case(session, recovery_fen=100 * YUAN, loan=worked_example_loan(session))
    op = operator(session)
    session.commit()
    settle(session, case, now=clock(), op=op)
    settlement.record_transfer(session, case.id, actor=Actor.of(op), now=clock())
    assert case.loan.pledge.released_on is not None and case.state == CaseState.TRANSFER_RECORDED
    settlement.close_case(session, case.id, actor=Actor.of(op), now=clock())
    assert case.state == CaseState.CLOSED
    with pytest.raises(ActionNotAllowed):
        settlement.close_case(session, case.id, actor=Actor.of(op), now=clock())
