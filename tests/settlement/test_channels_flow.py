"""A case disposed through a real channel flows into settlement; royalties after settlement re-run it."""

from market.domain.ledger import Movement, proceeds_payable
from market.domain.loss import Layer
from market.domain.settlement import ClaimState
from market.domain.workflow import CaseState
from market.models import DisposalCase
from market.services import settlement
from market.services.audit import Actor
from market.services.bidding import place_bid
from market.services.channels import add_later_recovery
from market.services.closing import close_auction, record_payment
from market.services.ledger import balance, check_ledger, record_movement
from tests.factories_auctions import (
    INCREMENT,
    START,
    make_bidder,
    make_operator,
    make_ready_case,
    open_round,
)
from tests.factories_settlement import claims_of, make_policy, worked_example_loan


def test_an_auctioned_case_settles_pays_out_the_price_and_drafts_the_claims(session, clock):
    make_policy(session)
    case = make_ready_case(session, clock, loan=worked_example_loan(
        session, principal_fen=300_000_000, outstanding_principal_fen=300_000_000, unpaid_interest_fen=0))
    auction = open_round(session, clock, case)
    loser, _ = make_bidder(session, clock, auction)
    winner, _ = make_bidder(session, clock, auction)
    place_bid(session, auction.id, institution_id=loser.institution_id, amount_fen=START, now=clock())
    place_bid(session, auction.id, institution_id=winner.institution_id, amount_fen=START + INCREMENT, now=clock())
    clock.advance(hours=24)
    close_auction(session, auction.id, now=clock())
    clock.advance(days=2)
    operator = make_operator(session)
    session.commit()
    record_payment(session, auction.id, actor=Actor.of(operator), now=clock())
    case = session.get(DisposalCase, case.id)
    session.refresh(case)
    assert case.state == CaseState.DISPOSED

    row = settlement.settle_case(session, case.id, actor=Actor.of(operator), now=clock())
    price = START + INCREMENT
    assert row.gross_proceeds_fen == price
    assert row.principal_loss_fen == case.principal_outstanding_fen - row.to_principal_fen > 0
    assert balance(session, proceeds_payable(case.id)) == 0
    assert settlement.payouts_made(session, case.id).total_fen == price
    assert {c.state for c in claims_of(session, case).values()} == {ClaimState.DRAFTED}
    assert check_ledger(session).ok


def test_royalties_after_settlement_reach_the_statement_through_the_channels_hook(session, clock):
    from tests.factories_settlement import make_disposed_case, operator, settle

    make_policy(session)
    case = make_disposed_case(session, recovery_fen=0)
    session.commit()
    settle(session, case, now=clock())
    clock.advance(days=30)
    record_movement(session, Movement.LICENCE_INCOME, amount_fen=50_000_00, now=clock(), case_id=case.id)
    op = operator(session)
    assert add_later_recovery(session, case, 50_000_00, clock(), actor=Actor.of(op), memo="royalty") is True
    session.commit()
    latest = settlement.latest_statement(session, case.id)
    assert latest.revision == 2 and latest.later_recoveries_fen == 50_000_00
    assert claims_of(session, case)[Layer.BANK].claimed_fen < 120_000_00
    assert settlement.held_for_case(session, case.id) == 0
    assert check_ledger(session).ok
    assert latest.created_at == clock() and latest.created_by_id == op.id
