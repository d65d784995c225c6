"""Each channel leaves its case ready for settlement: the recovery in fen, held by the centre, settled as is."""


import pytest

from market.domain.conversion import ConsentParty
from market.domain.ledger import proceeds_payable
from market.domain.roles import InstitutionKind, Role
from market.domain.workflow import CaseState
from market.services import claim_transfer, conversion, licensing, settlement
from market.services.audit import Actor
from market.services.ledger import balance, check_ledger
from tests.factories import make_institution, make_user
from tests.factories_channels import (
    YUAN,
    conversion_terms,
    list_and_open,
    make_channel_case,
    offer,
    open_round,
)
from tests.factories_settlement import make_policy


def _by_licence(session, clock, case, op):
    licence_round = open_round(session, case, clock())
    licensing.submit_licence_offer(session, licence_round.id, offer(250_000), actor=Actor.of(make_user(session, Role.AIC)),
                                   now=clock())
    later = clock.advance(days=7)
    licensing.close_licence_round(session, licence_round.id, actor=op, now=later)
    licensing.award_licence(session, licence_round.id, [licence_round.offers[0].id], actor=op, now=later)
    bank = Actor.of(make_user(session, Role.BANK, institution=case.bank))
    licensing.decide_pledgee_consent(session, licence_round.id, consent=True, actor=bank, now=later)
    [licence] = licensing.sign_licences(session, licence_round.id, contract_refs=["L-9"], signed_on=later.date(),
                                        actor=op, now=later)
    return 250_000 * YUAN, licence


def _by_conversion(session, clock, case, op):
    aic = make_institution(session, InstitutionKind.AIC)
    parties = {ConsentParty.BANK: Actor.of(make_user(session, Role.BANK, institution=case.bank)),
               ConsentParty.AIC: Actor.of(make_user(session, Role.AIC, institution=aic)), ConsentParty.BORROWER: op}
    session.commit()
    proposal = conversion.propose_conversion(session, case.id, aic_id=aic.id, terms=conversion_terms(),
                                             fund_compensation=False, actor=op, now=clock())
    for actor in parties.values():
        conversion.decide_consent(session, proposal.id, consent=True, reference="R-1", actor=actor, now=clock())
    conversion.execute_conversion(session, proposal.id, actor=op, now=clock())
    return 600_000 * YUAN, None


def _by_claim_transfer(session, clock, case, op):
    listing, seller, centre = list_and_open(session, clock, case)
    buyer = Actor.of(make_user(session, Role.BANK))
    bid = claim_transfer.submit_claim_offer(session, listing.id, price_fen=700_000 * YUAN, actor=buyer, now=clock())
    claim_transfer.accept_claim_offer(session, listing.id, bid.id, actor=seller, now=clock())
    claim_transfer.complete_claim_transfer(session, listing.id, actor=centre, now=clock.advance(days=1))
    return 700_000 * YUAN, None


@pytest.mark.parametrize("channel", [_by_licence, _by_conversion, _by_claim_transfer])
def test_a_case_disposed_through_each_channel_settles_with_its_recovery(session, clock, channel):
    make_policy(session)
    case = make_channel_case(session)
    op = Actor.of(make_user(session, Role.OPERATOR))
    session.commit()
    recovery, _ = channel(session, clock, case, op)
    session.refresh(case)
    assert case.state == CaseState.DISPOSED and case.recovery_fen == recovery
    assert -balance(session, proceeds_payable(case.id)) == recovery  # the centre holds it for the pledgee
    row = settlement.settle_case(session, case.id, actor=op, now=clock.advance(days=1))
    assert row.gross_proceeds_fen == recovery
    assert settlement.held_for_case(session, case.id) == 0
    assert check_ledger(session).ok


def test_royalties_after_settlement_re_run_the_statement(session, clock):
    make_policy(session)
    case = make_channel_case(session)
    op = Actor.of(make_user(session, Role.OPERATOR))
    session.commit()
    _, licence = _by_licence(session, clock, case, op)
    settlement.settle_case(session, case.id, actor=op, now=clock.advance(days=1))
    when = clock.advance(days=90)
    licensing.record_royalty_payment(session, licence.id, received_on=when.date(), amount_fen=40_000 * YUAN,
                                     reference="ROY-1", actor=op, now=when)
    latest = settlement.latest_statement(session, case.id)
    assert latest.revision == 2 and latest.later_recoveries_fen == 40_000 * YUAN
    assert licensing.licence_income_to_date(session, case.id) == 290_000 * YUAN
    assert settlement.held_for_case(session, case.id) == 0
    assert check_ledger(session).ok
