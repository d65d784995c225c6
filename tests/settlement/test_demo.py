"""The settlement demo leaves settled cases with claims in every state, and a balanced ledger."""

import sqlalchemy as sa

from market.demo import core
from market.demo import settlement as demo
from market.domain.settlement import ClaimKind, ClaimState
from market.models import CompensationClaim, FundYear, PolicyVersion
from market.services import fund, statistics
from market.services.ledger import check_ledger


def test_the_demo_has_claims_in_every_state_and_runs_once(session, clock):
    core.seed(session, clock())
    assert demo.seed(session, clock()) is True
    states = set(session.scalars(sa.select(CompensationClaim.state).where(
        CompensationClaim.kind == ClaimKind.COMPENSATION)))
    assert {ClaimState.DRAFTED, ClaimState.FILED, ClaimState.AWAITING_SECOND_APPROVAL, ClaimState.APPROVED,
            ClaimState.PAID, ClaimState.PENDING, ClaimState.CLAWED_BACK, ClaimState.REJECTED} <= states
    kinds = set(session.scalars(sa.select(CompensationClaim.kind)))
    assert kinds == set(ClaimKind)
    assert session.scalar(sa.select(sa.func.count(PolicyVersion.id))) == 2
    closed = session.scalars(sa.select(FundYear.year).where(FundYear.closed_at.isnot(None))).all()
    assert closed == [clock().year - 1]
    position = fund.fund_position(session, clock())
    assert position.pending_fen > 0 and position.paid_fen > 0 and position.clawed_back_fen > 0
    assert check_ledger(session).ok
    quarter = statistics.bank_quarters(session, statistics.Quarter.of(clock().date()))
    assert quarter[-1].new_loans > 0 and quarter[-1].settled_cases > 0
    assert demo.seed(session, clock()) is False
