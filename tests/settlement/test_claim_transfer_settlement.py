"""A bank that sold its claim settles its own loss: the price is its recovery, its layer and claim stay with it."""

import pytest

from market.db import unit_of_work
from market.domain.claim_transfer import BuyersOwnRecovery, bank_layer_bearer, check_later_recovery
from market.domain.loss import Layer
from market.domain.roles import Role
from market.services import claim_transfer, recoveries
from market.services.audit import Actor
from tests.factories import make_user
from tests.factories_channels import list_and_open, make_channel_case
from tests.factories_settlement import (
    YUAN,
    claims_of,
    make_policy,
    operator,
    settle,
    worked_example_loan,
)


def test_the_bank_layer_stays_with_the_lender_after_the_claim_is_sold():
    assert bank_layer_bearer(lender_id=1, holder_id=3) == 1


def test_what_the_buyer_recovers_later_is_not_the_sellers_business():
    check_later_recovery(claim_sold=False)
    with pytest.raises(BuyersOwnRecovery):
        check_later_recovery(claim_sold=True)


def _sold_case(session, clock, *, price_yuan: int):
    """A case on the worked-example loan (¥1m principal, ¥50,000 interest) whose claim bank3 bought."""
    make_policy(session)
    loan = worked_example_loan(session, unpaid_interest_fen=50_000 * YUAN)
    case = make_channel_case(session, loan=loan, costs_so_far_fen=0)
    seller_id = case.bank_id
    buyer = Actor.of(make_user(session, Role.BANK))
    listing, seller, op = list_and_open(session, clock, case)
    with unit_of_work(session):
        offer = claim_transfer.submit_claim_offer(session, listing.id, price_fen=price_yuan * YUAN, actor=buyer,
                                                  now=clock())
    with unit_of_work(session):
        claim_transfer.accept_claim_offer(session, listing.id, offer.id, actor=seller, now=clock.advance(days=1))
    with unit_of_work(session):
        claim_transfer.complete_claim_transfer(session, listing.id, actor=op, now=clock.advance(days=1))
    return case, seller_id, buyer.user.institution_id


def test_the_selling_bank_settles_its_loss_at_the_price_and_keeps_its_claim(session, clock):
    case, seller_id, buyer_id = _sold_case(session, clock, price_yuan=650_000)
    statement = settle(session, case, now=clock.advance(days=1), costs=None)
    assert case.loan.bank_id == buyer_id
    bank_line = next(line for line in statement.layers if line.layer == Layer.BANK)
    assert bank_line.institution_id == seller_id
    costs = statement.commission_fen + statement.appraisal_fen + statement.taxes_fen + statement.other_costs_fen
    assert statement.to_costs_fen == costs
    assert statement.to_interest_fen == 50_000 * YUAN
    assert statement.principal_loss_fen == 1_000_000 * YUAN - (650_000 * YUAN - costs - 50_000 * YUAN)
    assert claims_of(session, case)[Layer.BANK].institution_id == seller_id
    assert buyer_id not in {claim.institution_id for claim in claims_of(session, case).values()}


def test_the_operator_cannot_put_the_buyers_later_recovery_in_the_sellers_statement(session, clock):
    case, _, _ = _sold_case(session, clock, price_yuan=650_000)
    settle(session, case, now=clock.advance(days=1))
    op = Actor.of(operator(session))
    with pytest.raises(BuyersOwnRecovery), unit_of_work(session):
        recoveries.record_later_recovery(session, case.id, 100_000 * YUAN, actor=op, now=clock.advance(days=30))


def test_the_settlement_page_names_the_seller_on_the_bank_layer(session, clock, client):
    case, seller_id, buyer_id = _sold_case(session, clock, price_yuan=650_000)
    settle(session, case, now=clock.advance(days=1))
    seller_name, buyer_name = case.bank.name, case.loan.bank.name
    op = operator(session)
    session.commit()
    client.post("/login", data={"email": op.email, "password": "password-123"})
    page = client.get(f"/cases/{case.id}/settlement").get_data(as_text=True)
    assert seller_name in page and buyer_name not in page
