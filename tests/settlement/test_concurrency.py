"""Money moves once under concurrency, on SQLite and on PostgreSQL: eight bureau users pressing "pay" and
"approve" at the same moment never pay a claim twice or above what the fund holds."""

from __future__ import annotations

import threading

from market.db import unit_of_work
from market.domain.ledger import BudgetLine
from market.domain.loss import Layer
from market.domain.rules import RuleBroken
from market.domain.settlement import ClaimState, DisposalCosts, ReviewDecision
from market.models import CompensationClaim
from market.services import compensation, fund
from market.services.audit import Actor, verify_chain
from market.services.ledger import check_ledger
from tests.factories_settlement import (
    YUAN,
    bureau_users,
    claims_of,
    make_disposed_case,
    make_policy,
    settle,
    user_of,
)

THREADS = 8


def _race(app, work):
    sessions = app.extensions["market.sessions"]
    start = threading.Barrier(THREADS)
    errors: list[BaseException] = []

    def worker(index: int) -> None:
        with sessions() as session:
            start.wait()
            try:
                with unit_of_work(session):
                    work(session, index)
            except RuleBroken:
                pass  # refused, and rolled back
            except BaseException as error:  # noqa: BLE001 - reported below
                errors.append(error)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads), "a worker hung"
    assert errors == []


def test_concurrent_payment_runs_pay_each_claim_once_and_within_the_balance(app, session, clock):
    make_policy(session, four_eyes_above_fen=None)
    case = make_disposed_case(session)
    first, _ = bureau_users(session)
    session.commit()
    settle(session, case, now=clock(), costs=DisposalCosts())
    with unit_of_work(session):
        for claim in claims_of(session, case).values():
            compensation.file_claim(session, claim.id, actor=Actor.of(user_of(session, claim.institution)),
                                    now=clock())
            compensation.review(session, claim.id, actor=Actor.of(first), decision=ReviewDecision.APPROVE,
                                now=clock())
        fund.contribute(session, 200_000 * YUAN, actor=Actor.of(first), now=clock())
        fund.grant_budget(session, 2026, BudgetLine.COMPENSATION, 1_000_000 * YUAN, actor=Actor.of(first),
                          now=clock())
    first_id = first.id

    def pay(s, _index):
        from market.models import User

        fund.run_payments(s, actor=Actor.of(s.get(User, first_id)), now=clock())

    _race(app, pay)
    session.expire_all()
    claims = claims_of(session, case)
    assert sum(c.paid_fen for c in claims.values()) == 200_000 * YUAN
    assert all(sum(p.amount_fen for p in c.payments) == c.paid_fen for c in claims.values())
    assert fund.fund_balance_fen(session) == 0
    assert check_ledger(session).ok and verify_chain(session).ok


def test_concurrent_approvals_by_two_bureau_users_still_need_two_different_people(app, session, clock):
    make_policy(session, four_eyes_above_fen=10_000 * YUAN)
    case = make_disposed_case(session)
    first, second = bureau_users(session)
    session.commit()
    settle(session, case, now=clock(), costs=DisposalCosts())
    claim = claims_of(session, case)[Layer.BANK]
    with unit_of_work(session):
        compensation.file_claim(session, claim.id, actor=Actor.of(user_of(session, case.loan.bank)), now=clock())
    reviewers, claim_id = [first.id, second.id], claim.id

    def approve(s, index):
        from market.models import User

        compensation.review(s, claim_id, actor=Actor.of(s.get(User, reviewers[index % 2])),
                            decision=ReviewDecision.APPROVE, now=clock())

    _race(app, approve)
    session.expire_all()
    claim = session.get(CompensationClaim, claim_id)
    assert claim.state == ClaimState.APPROVED
    assert [r.step for r in claim.reviews] == [1, 2]
    assert claim.reviews[0].reviewer_id != claim.reviews[1].reviewer_id
    assert check_ledger(session).ok
