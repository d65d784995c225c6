"""Registering to bid for a lot with conditions: proofs, the operator's decision, and what it opens."""

import pytest
import sqlalchemy as sa

from market.db import unit_of_work
from market.domain.auction import AuctionKind, NotEligible
from market.domain.documents import DocumentContentMismatch, sha256_hex
from market.domain.qualification import (
    ConditionsFixed,
    DecisionReasonMissing,
    NoConditionsToProve,
    ProofMissing,
    QualificationRequired,
    QualificationStatus,
    QualificationStepNotAllowed,
    ReviewerRequired,
)
from market.domain.roles import InstitutionKind, Role
from market.models import AuditEvent
from market.services import qualification
from market.services.auctions import pay_deposit
from market.services.audit import Actor
from market.services.lot_registration import is_registered_for_lot
from tests.factories import make_institution, make_user
from tests.factories_auctions import make_operator, make_ready_case, open_round
from tests.factories_qualification import PDF, add_condition, approve, register_with_proofs


@pytest.fixture
def lot(session, clock):
    """A case with one round open and one condition of the operator's."""
    case = make_ready_case(session, clock)
    auction = open_round(session, clock, case)
    add_condition(session, clock, case)
    return case, auction


def _actions(session, entity):
    return [e.action for e in session.scalars(sa.select(AuditEvent).where(AuditEvent.entity_type == entity)
                                              .order_by(AuditEvent.id))]


def test_a_registration_records_the_credit_code_the_proof_with_its_fingerprint_and_waits_for_review(
        session, clock, lot):
    case, _auction = lot
    bank = make_user(session)
    registration = register_with_proofs(session, clock, case, bank)
    assert registration.status == QualificationStatus.PENDING
    assert registration.credit_code == bank.institution.credit_code
    [proof] = registration.proofs
    assert proof.document.sha256 == sha256_hex(PDF)
    assert _actions(session, "lot_registration") == ["proof_attached", "registration_submitted"]


def test_a_lot_with_conditions_takes_no_deposit_before_the_operator_approves(session, clock, lot):
    case, auction = lot
    bank = make_user(session)
    register_with_proofs(session, clock, case, bank)
    with pytest.raises(QualificationRequired), unit_of_work(session):
        pay_deposit(session, auction.id, bank.institution_id, now=clock(), user=bank)
    assert not is_registered_for_lot(session, case_id=case.id, institution_id=bank.institution_id)


def test_an_approved_institution_is_registered_for_the_lot_and_pays_its_deposit(session, clock, lot):
    case, auction = lot
    bank = make_user(session)
    approve(session, clock, register_with_proofs(session, clock, case, bank))
    assert is_registered_for_lot(session, case_id=case.id, institution_id=bank.institution_id)
    with unit_of_work(session):
        _bidder, created = pay_deposit(session, auction.id, bank.institution_id, now=clock(), user=bank)
    assert created


def test_submitting_without_a_proof_for_each_condition_names_the_missing_one(session, clock, lot):
    case, _auction = lot
    bank = make_user(session)
    with pytest.raises(ProofMissing) as refused, unit_of_work(session):
        qualification.submit_registration(session, case.id, user=bank, now=clock())
    assert refused.value.params == {"condition": "持有集成电路设计行业许可证"}


def test_a_file_that_is_not_what_its_name_says_is_not_kept(session, clock, lot):
    case, _auction = lot
    bank = make_user(session)
    [condition] = qualification.conditions_of(session, case.id)
    with pytest.raises(DocumentContentMismatch), unit_of_work(session):
        qualification.attach_proof(session, case.id, condition.id, filename="licence.pdf", data=b"MZ\x90",
                                   user=bank, now=clock())
    assert qualification.registration_for(session, case.id, bank.institution_id) is None


def test_refusing_needs_a_reason_and_the_institution_may_try_again_with_new_proof(session, clock, lot):
    case, _auction = lot
    bank, operator = make_user(session), make_operator(session)
    registration = register_with_proofs(session, clock, case, bank)
    with pytest.raises(DecisionReasonMissing), unit_of_work(session):
        qualification.decide_registration(session, registration.id, approve=False, reason=" ",
                                          actor=Actor.of(operator), now=clock())
    with unit_of_work(session):
        refused = qualification.decide_registration(session, registration.id, approve=False,
                                                    reason="许可证已过期", actor=Actor.of(operator), now=clock())
    assert (refused.status, refused.decision_reason) == (QualificationStatus.REFUSED, "许可证已过期")
    again = register_with_proofs(session, clock, case, bank)
    assert again.status == QualificationStatus.PENDING and again.decision_reason == ""
    assert _actions(session, "lot_registration")[-3:] == ["registration_refused", "proof_attached",
                                                          "registration_submitted"]


def test_a_registration_under_review_takes_no_new_proof(session, clock, lot):
    case, _auction = lot
    bank = make_user(session)
    register_with_proofs(session, clock, case, bank)
    with pytest.raises(QualificationStepNotAllowed), unit_of_work(session):
        register_with_proofs(session, clock, case, bank, submit=False)


def test_only_the_operator_decides(session, clock, lot):
    case, _auction = lot
    bank = make_user(session)
    registration = register_with_proofs(session, clock, case, bank)
    with pytest.raises(ReviewerRequired), unit_of_work(session):
        qualification.decide_registration(session, registration.id, approve=True, reason="",
                                          actor=Actor.of(make_user(session, Role.BUREAU)), now=clock())


def test_conditions_are_fixed_once_an_institution_registered(session, clock, lot):
    case, _auction = lot
    register_with_proofs(session, clock, case, make_user(session), submit=False)
    with pytest.raises(ConditionsFixed):
        add_condition(session, clock, case, "另一个条件")


def test_a_lot_without_conditions_registers_by_the_deposit_as_before(session, clock):
    auction = open_round(session, clock)
    bank = make_user(session)
    with unit_of_work(session):
        pay_deposit(session, auction.id, bank.institution_id, now=clock(), user=bank)
    assert is_registered_for_lot(session, case_id=auction.case_id, institution_id=bank.institution_id)
    with pytest.raises(NoConditionsToProve), unit_of_work(session):
        qualification.submit_registration(session, auction.case_id, user=bank, now=clock())


def test_a_claim_lot_takes_registrations_only_from_licensed_financial_institutions(session, clock):
    case = make_ready_case(session, clock)
    open_round(session, clock, case, kind=AuctionKind.CLAIM)
    add_condition(session, clock, case)
    unlicensed = make_user(session, Role.BANK, make_institution(session, InstitutionKind.BANK,
                                                                licensed_financial=False))
    with pytest.raises(NotEligible), unit_of_work(session):
        register_with_proofs(session, clock, case, unlicensed, submit=False)
    register_with_proofs(session, clock, case, make_user(session, Role.AIC))
