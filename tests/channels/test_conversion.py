"""Debt-to-equity conversion: the share math, every consent before execution, and the case's result."""

from fractions import Fraction

import pytest
import sqlalchemy as sa

from market.db import unit_of_work
from market.domain.channels import ProposalStatus
from market.domain.conversion import (
    ConsentMissing,
    ConsentNotNeeded,
    ConsentParty,
    ConsentRefused,
    InvalidConversionTerms,
    check_consents,
    equity_share,
    required_parties,
    share_ppm,
)
from market.domain.ledger import proceeds_payable
from market.domain.roles import InstitutionKind, Role
from market.domain.workflow import CaseState
from market.models import AuditEvent, EquityPosition
from market.services import conversion
from market.services.access import Forbidden, NotFound
from market.services.audit import Actor
from market.services.ledger import balance
from tests.factories import make_institution, make_loan, make_user
from tests.factories_channels import YUAN, conversion_terms, make_channel_case, operator


@pytest.mark.parametrize(("price", "pre_money", "share"), [
    (600_000, 5_400_000, Fraction(1, 10)),
    (1_000_000, 1_000_000, Fraction(1, 2)),
    (1, 2, Fraction(1, 3)),
    (250_000_00, 750_000_00, Fraction(1, 4)),
])
def test_the_aic_gets_the_price_over_the_post_money_valuation(price, pre_money, share):
    assert equity_share(price, pre_money) == share


def test_a_share_is_stored_in_ppm_rounded_half_up():
    assert share_ppm(Fraction(1, 3)) == 333_333
    assert share_ppm(Fraction(2, 3)) == 666_667
    assert share_ppm(Fraction(1, 2_000_000)) == 1  # half a ppm rounds up


def test_the_guarantor_insurer_and_bureau_consent_only_when_concerned():
    assert required_parties(guarantor_carries=False, insurer_carries=False, fund_compensation=False) == (
        ConsentParty.BANK, ConsentParty.AIC, ConsentParty.BORROWER)
    assert required_parties(guarantor_carries=True, insurer_carries=True, fund_compensation=True)[3:] == (
        ConsentParty.GUARANTOR, ConsentParty.INSURER, ConsentParty.BUREAU)


ALL = tuple(ConsentParty)


@pytest.mark.parametrize("missing", ALL)
def test_every_missing_consent_blocks_execution_and_is_named(missing):
    decisions = {party: True for party in ALL if party != missing}
    with pytest.raises(ConsentMissing) as refused:
        check_consents(ALL, decisions)
    assert refused.value.params == {"parties": [missing]}


def test_a_refusal_blocks_execution_and_is_named():
    with pytest.raises(ConsentRefused, match="insurer"):
        check_consents(ALL, {**{p: True for p in ALL}, ConsentParty.INSURER: False})
    check_consents(ALL, {p: True for p in ALL})


def test_the_price_cannot_exceed_the_claim_on_its_face():
    with pytest.raises(InvalidConversionTerms, match="face"):
        conversion_terms(claim_price_fen=1_000_001).check(claim_face_fen=1_000_000)
    with pytest.raises(InvalidConversionTerms, match="valuation report"):
        conversion_terms(valuation_report_ref=" ").check(claim_face_fen=10**12)


@pytest.fixture
def stacked(session):
    """A case whose loan is shared by bank, guarantor and insurer; every party's user; an AIC."""
    bank = make_institution(session)
    guarantor = make_institution(session, InstitutionKind.GUARANTOR)
    insurer = make_institution(session, InstitutionKind.INSURER)
    loan = make_loan(session, bank=bank, guarantor=guarantor, insurer=insurer, bank_share_ppm=500_000,
                     guarantor_share_ppm=300_000, insurer_share_ppm=200_000)
    case = make_channel_case(session, loan=loan)
    aic = make_institution(session, InstitutionKind.AIC)
    _, op = operator(session)
    actors = {
        ConsentParty.BANK: Actor.of(make_user(session, Role.BANK, institution=bank)),
        ConsentParty.AIC: Actor.of(make_user(session, Role.AIC, institution=aic)),
        ConsentParty.BORROWER: op,
        ConsentParty.GUARANTOR: Actor.of(make_user(session, Role.GUARANTOR, institution=guarantor)),
        ConsentParty.INSURER: Actor.of(make_user(session, Role.INSURER, institution=insurer)),
        ConsentParty.BUREAU: Actor.of(make_user(session, Role.BUREAU)),
    }
    session.commit()
    return case, aic, op, actors


def _propose(session, clock, stacked, fund=True):
    case, aic, op, _ = stacked
    return conversion.propose_conversion(session, case.id, aic_id=aic.id, terms=conversion_terms(),
                                         fund_compensation=fund, actor=op, now=clock())


def _consent_all_but(session, clock, proposal, actors, missing=None):
    for party, actor in actors.items():
        if party != missing:
            conversion.decide_consent(session, proposal.id, consent=True, reference="董事会决议2026-12",
                                      actor=actor, now=clock())


@pytest.mark.parametrize("missing", ALL)
def test_each_missing_consent_blocks_the_conversion_service(session, clock, stacked, missing):
    with unit_of_work(session):
        proposal = _propose(session, clock, stacked)
        _consent_all_but(session, clock, proposal, stacked[3], missing)
    with pytest.raises(ConsentMissing) as refused, unit_of_work(session):
        conversion.execute_conversion(session, proposal.id, actor=stacked[2], now=clock())
    assert refused.value.params == {"parties": [missing]}
    session.refresh(proposal)
    assert proposal.status == ProposalStatus.PROPOSED


def test_an_executed_conversion_disposes_of_the_case_at_the_price(session, clock, stacked):
    case, aic, op, actors = stacked
    proposal = _propose(session, clock, stacked)
    _consent_all_but(session, clock, proposal, actors)
    position = conversion.execute_conversion(session, proposal.id, actor=op, now=clock())
    session.refresh(case)
    assert case.state == CaseState.DISPOSED
    assert case.recovery_fen == 600_000 * YUAN
    assert case.buyer_institution_id == aic.id
    assert position.share_ppm == 100_000 and position.cost_fen == 600_000 * YUAN
    assert session.scalar(sa.select(sa.func.count(EquityPosition.id))) == 1
    assert -balance(session, proceeds_payable(case.id)) == 600_000 * YUAN
    consents = session.scalars(sa.select(AuditEvent.detail).where(
        AuditEvent.entity_type == "conversion", AuditEvent.action == "consented")).all()
    assert sorted(d["party"] for d in consents) == sorted(p.value for p in ALL)


def test_without_fund_compensation_the_bureau_is_not_asked(session, clock, stacked):
    proposal = _propose(session, clock, stacked, fund=False)
    with pytest.raises(ConsentNotNeeded):
        conversion.decide_consent(session, proposal.id, consent=True, actor=stacked[3][ConsentParty.BUREAU],
                                  now=clock())


def test_the_borrowers_consent_needs_its_board_resolution(session, clock, stacked):
    proposal = _propose(session, clock, stacked)
    with pytest.raises(Exception, match="board resolution"):
        conversion.decide_consent(session, proposal.id, consent=True, actor=stacked[2], now=clock())


def test_only_the_parties_decide(session, clock, stacked):
    proposal = _propose(session, clock, stacked)
    with pytest.raises(NotFound):
        conversion.decide_consent(session, proposal.id, consent=True, actor=Actor.of(make_user(session, Role.BANK)),
                                  now=clock())
    with pytest.raises(NotFound):
        conversion.decide_consent(session, proposal.id, consent=True,
                                  actor=Actor.of(make_user(session, Role.GUARANTOR)), now=clock())
    with pytest.raises(Forbidden):
        conversion.execute_conversion(session, proposal.id, actor=stacked[3][ConsentParty.BANK], now=clock())


def test_a_party_decides_once(session, clock, stacked):
    proposal = _propose(session, clock, stacked)
    bank = stacked[3][ConsentParty.BANK]
    conversion.decide_consent(session, proposal.id, consent=True, actor=bank, now=clock())
    with pytest.raises(Exception, match="already decided"):
        conversion.decide_consent(session, proposal.id, consent=False, note="changed mind", actor=bank, now=clock())


def test_an_abandoned_conversion_sends_the_case_back_to_await_a_channel(session, clock, stacked):
    case = stacked[0]
    proposal = _propose(session, clock, stacked)
    conversion.abandon_conversion(session, proposal.id, reason="The AIC withdrew.", actor=stacked[2], now=clock())
    session.refresh(case)
    assert case.state == CaseState.AWAITING_CHANNEL
    assert proposal.status == ProposalStatus.ABANDONED


def test_only_an_aic_can_buy_the_claim(session, clock, stacked):
    case, _, op, _ = stacked
    with pytest.raises(Exception, match="AIC"):
        conversion.propose_conversion(session, case.id, aic_id=case.bank_id, terms=conversion_terms(),
                                      fund_compensation=False, actor=op, now=clock())
