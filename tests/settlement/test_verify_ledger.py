"""`flask verify-ledger` checks the books; on PostgreSQL an unbalanced transaction cannot even commit."""

import pytest
import sqlalchemy as sa

from market.domain.ledger import CASH, Movement, deposits_held
from market.models import LedgerPosting, LedgerTransaction
from market.services.ledger import record_movement
from tests.factories import make_institution


def _verify_ledger(app):
    with app.app_context():
        return app.test_cli_runner().invoke(args=["verify-ledger"])


def _post_by_hand(session, clock, *postings: tuple[str, int]) -> int:
    """A transaction written straight to the tables, past record_movement's rules."""
    transaction = LedgerTransaction(movement="by_hand", occurred_at=clock())
    session.add(transaction)
    session.add_all(LedgerPosting(transaction=transaction, account=account, amount_fen=amount)
                    for account, amount in postings)
    session.flush()
    return transaction.id


def _is_postgresql(session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def test_a_ledger_written_by_the_rules_is_consistent(app, session, clock):
    bidder = make_institution(session)
    record_movement(session, Movement.DEPOSIT_PAID, amount_fen=50_000_00, now=clock(), institution_id=bidder.id)
    record_movement(session, Movement.DEPOSIT_REFUNDED, amount_fen=50_000_00, now=clock(), institution_id=bidder.id)
    session.commit()
    result = _verify_ledger(app)
    assert result.exit_code == 0 and "2 transactions balance" in result.output


def test_an_unbalanced_transaction_cannot_commit_on_postgresql_and_is_named_on_sqlite(app, session, clock):
    record_movement(session, Movement.DEPOSIT_PAID, amount_fen=100, now=clock(), institution_id=make_institution(session).id)
    session.commit()
    bad = _post_by_hand(session, clock, (CASH, 100), ("commission_income", -99))
    if _is_postgresql(session):
        with pytest.raises(sa.exc.DatabaseError, match=f"ledger transaction {bad} does not balance"):
            session.commit()
        session.rollback()
        assert _verify_ledger(app).exit_code == 0
        return
    session.commit()
    result = _verify_ledger(app)
    assert result.exit_code == 1
    assert f"Ledger BROKEN at transaction {bad}: its postings do not sum to zero" in result.output


def test_verify_ledger_names_the_transaction_that_overdrew_an_account(app, session, clock):
    bidder = make_institution(session)
    record_movement(session, Movement.DEPOSIT_PAID, amount_fen=100, now=clock(), institution_id=bidder.id)
    overdrawing = _post_by_hand(session, clock, (deposits_held(bidder.id), 300), (CASH, -300))
    _post_by_hand(session, clock, (deposits_held(bidder.id), -300), (CASH, 300))
    _post_by_hand(session, clock, (deposits_held(bidder.id), 200), (CASH, -200))
    session.commit()
    result = _verify_ledger(app)
    assert result.exit_code == 1
    assert f"Ledger BROKEN at transaction {overdrawing}: it takes cash below zero" in result.output
