"""A bank files a case from its defaulted loan; the filing is checked, audited and unique per loan."""

import pytest
import sqlalchemy as sa

from market.domain.filing import (
    AssetNotPledged,
    CaseAlreadyOpen,
    ClaimExceedsLoan,
    LoanNotDefaulted,
)
from market.domain.roles import Role
from market.domain.workflow import CaseState as S
from market.domain.workflow import CoOwnerConsentMissing, PledgeeConsentMissing
from market.models import AuditEvent, DisposalCase, LoanStatus
from market.services import filing
from market.services.access import Forbidden, NotFound
from market.services.audit import Actor
from tests.factories import make_user
from tests.factories_workflow import case_in, file_for, make_bank_with_loan, walk


def test_a_filed_case_copies_the_claim_and_catalogue_facts_and_marks_the_loan_in_disposal(session, clock):
    user, loan = make_bank_with_loan(session, assets=2)
    case = file_for(session, clock, user, loan, costs_so_far_fen=350_000)
    assert case.state == S.FILED and case.reference == f"DC-2026-{case.id:06d}"
    assert case.principal_outstanding_fen == loan.outstanding_principal_fen
    assert case.costs_so_far_fen == 350_000
    assert len(case.assets) == 2 and case.title.endswith("等2项知识产权")
    assert all(a.registry_number.lower() in case.search_text for a in case.assets)
    assert case.owner_name == loan.enterprise.name and case.listed is False
    assert session.get(type(loan), loan.id).status == LoanStatus.IN_DISPOSAL
    event = session.scalar(sa.select(AuditEvent).where(AuditEvent.entity_id == case.id))
    assert (event.action, event.to_state, event.actor_role) == ("file", "filed", "bank")


def test_a_loan_cannot_have_two_open_cases_but_can_be_filed_again_after_a_rejection(session, clock):
    user, operator, case = case_in(session, clock, S.REJECTED)
    loan = case.loan
    assert loan.status == LoanStatus.DEFAULTED
    again = file_for(session, clock, user, loan)
    with pytest.raises(CaseAlreadyOpen):
        file_for(session, clock, user, loan)
    assert again.state == S.FILED


def test_the_database_refuses_a_second_open_case_for_a_loan_even_without_the_check(session, clock):
    user, loan = make_bank_with_loan(session)
    case = file_for(session, clock, user, loan)
    session.add(DisposalCase(reference="DC-DUPLICATE", loan_id=loan.id, bank_id=loan.bank_id, state=S.FILED,
                             title="x", primary_kind=case.primary_kind, industry="", region="",
                             principal_outstanding_fen=1))
    with pytest.raises(sa.exc.IntegrityError):
        session.commit()
    session.rollback()


def test_a_filing_that_breaks_a_rule_writes_nothing(session, clock):
    user, loan = make_bank_with_loan(session, co_owners=("清华大学",))
    with pytest.raises(CoOwnerConsentMissing):
        file_for(session, clock, user, loan, co_owner_consents=())
    with pytest.raises(PledgeeConsentMissing):
        file_for(session, clock, user, loan, pledgee_consent=False)
    with pytest.raises(ClaimExceedsLoan):
        file_for(session, clock, user, loan, principal_outstanding_fen=loan.principal_fen + 1)
    with pytest.raises(AssetNotPledged):
        file_for(session, clock, user, loan, asset_ids=(999_999,))
    assert session.scalar(sa.select(sa.func.count(DisposalCase.id))) == 0
    assert session.scalar(sa.select(sa.func.count(AuditEvent.id))) == 0


def test_a_performing_loan_cannot_be_filed(session, clock):
    user, loan = make_bank_with_loan(session, status=LoanStatus.PERFORMING, defaulted_on=None)
    with pytest.raises(LoanNotDefaulted):
        file_for(session, clock, user, loan)


def test_a_bank_cannot_file_another_banks_loan_and_other_roles_cannot_file(session, clock):
    _owner, loan = make_bank_with_loan(session)
    stranger, _ = make_bank_with_loan(session)
    with pytest.raises(NotFound):
        file_for(session, clock, stranger, loan)
    guarantor = make_user(session, Role.GUARANTOR)
    session.commit()
    with pytest.raises(Forbidden):
        file_for(session, clock, guarantor, loan)


def test_fileable_loans_are_the_banks_defaulted_pledged_loans_without_an_open_case(session, clock):
    user, loan = make_bank_with_loan(session)
    _, other = make_bank_with_loan(session)
    assert [found.id for found in filing.fileable_loans(session, user)] == [loan.id]
    file_for(session, clock, user, loan)
    assert filing.fileable_loans(session, user) == []
    assert other.id not in [found.id for found in filing.fileable_loans(session, user)]


def test_a_returned_case_is_corrected_and_resubmitted_by_its_bank(session, clock):
    user, operator, case = case_in(session, clock, S.RETURNED, assets=2)
    from market.domain.filing import Filing

    keep = case.assets[0].id
    resubmitted = filing.resubmit_case(
        session, case.id, filing=Filing((keep,), case.principal_outstanding_fen - 100, 0, 12_300, True),
        summary="补充了质押登记通知书。", actor=Actor.of(user), now=clock())
    assert resubmitted.state == S.FILED and [a.id for a in resubmitted.assets] == [keep]
    assert resubmitted.review_checks == [] and resubmitted.costs_so_far_fen == 12_300
    walked = walk(session, clock, operator, resubmitted, S.VERIFIED)
    assert walked.state == S.VERIFIED


def test_another_bank_cannot_resubmit_a_case(session, clock):
    _user, _operator, case = case_in(session, clock, S.RETURNED)
    stranger, _ = make_bank_with_loan(session)
    from market.domain.filing import Filing

    with pytest.raises(NotFound):
        filing.resubmit_case(session, case.id, filing=Filing((case.assets[0].id,), 1, 0, 0, True), summary="",
                             actor=Actor.of(stranger), now=clock())
