"""Claims drafted from a statement, filed by the institutions and reviewed by the bureau with four eyes."""

import pytest

from market.domain.ledger import claims_payable
from market.domain.loss import Layer
from market.domain.settlement import (
    AboveYearCap,
    ClaimKind,
    ClaimNotReviewable,
    ClaimState,
    DisposalCosts,
    FourEyesRequired,
    ReasonRequiredForClaim,
    ReductionInvalid,
    ReviewDecision,
)
from market.services import compensation
from market.services.access import Forbidden, NotFound
from market.services.audit import Actor
from market.services.ledger import balance
from tests.factories import make_loan
from tests.factories_settlement import (
    YUAN,
    bureau_users,
    claims_of,
    make_disposed_case,
    make_policy,
    settle,
    user_of,
    worked_example_loan,
)


def _settled_worked_example(session, clock, **policy):
    make_policy(session, **policy)
    case = make_disposed_case(session, recovery_fen=0)
    session.commit()
    settle(session, case, now=clock(), costs=DisposalCosts())
    return case, claims_of(session, case)


def test_a_drafted_claim_shows_base_ratio_caps_and_amount(session, clock):
    _, claims = _settled_worked_example(session, clock, cap_guarantor_fen=40_000 * YUAN)
    guarantor = claims[Layer.GUARANTOR]
    assert (guarantor.loss_fen, guarantor.dispersed_fen, guarantor.base_fen) == (
        300_000 * YUAN, 150_000 * YUAN, 150_000 * YUAN)
    assert guarantor.ratio_ppm == 300_000 and guarantor.uncapped_fen == 45_000 * YUAN
    assert guarantor.cap_fen == 40_000 * YUAN and guarantor.claimed_fen == 40_000 * YUAN


def test_the_institution_files_its_own_claim_and_nobody_else_can(session, clock):
    case, claims = _settled_worked_example(session, clock)
    insurer_claim = claims[Layer.INSURER]
    stranger = user_of(session, case.loan.guarantor)
    session.commit()
    with pytest.raises(NotFound):
        compensation.file_claim(session, insurer_claim.id, actor=Actor.of(stranger), now=clock())
    compensation.file_claim(session, insurer_claim.id, actor=Actor.of(user_of(session, case.loan.insurer)),
                            now=clock())
    assert insurer_claim.state == ClaimState.FILED


def test_an_institution_files_from_the_statement_when_the_policy_came_after_settlement(session, clock):
    case = make_disposed_case(session, recovery_fen=0)
    session.commit()
    settle(session, case, now=clock(), costs=DisposalCosts())
    assert claims_of(session, case) == {}
    make_policy(session)
    agency_user = user_of(session, case.loan.agency)
    session.commit()
    filed = compensation.file_case_claims(session, case.id, actor=Actor.of(agency_user), now=clock())
    assert [(c.layer, c.state, c.claimed_fen) for c in filed] == [(Layer.AGENCY, ClaimState.FILED, 30_000 * YUAN)]


def test_a_claim_above_the_threshold_needs_a_second_different_bureau_user(session, clock):
    case, claims = _settled_worked_example(session, clock, four_eyes_above_fen=100_000 * YUAN)
    bank_claim = claims[Layer.BANK]  # ¥120,000
    first, second = bureau_users(session)
    session.commit()
    compensation.file_claim(session, bank_claim.id, actor=Actor.of(user_of(session, case.loan.bank)), now=clock())
    compensation.review(session, bank_claim.id, actor=Actor.of(first), decision=ReviewDecision.APPROVE, now=clock())
    assert bank_claim.state == ClaimState.AWAITING_SECOND_APPROVAL and bank_claim.approved_fen is None
    with pytest.raises(FourEyesRequired):
        compensation.review(session, bank_claim.id, actor=Actor.of(first), decision=ReviewDecision.APPROVE,
                            now=clock())
    compensation.review(session, bank_claim.id, actor=Actor.of(second), decision=ReviewDecision.APPROVE, now=clock())
    assert bank_claim.state == ClaimState.APPROVED and bank_claim.approved_fen == 120_000 * YUAN
    assert -balance(session, claims_payable(bank_claim.id)) == 120_000 * YUAN


def test_a_claim_at_or_below_the_threshold_needs_one_approval(session, clock):
    case, claims = _settled_worked_example(session, clock, four_eyes_above_fen=45_000 * YUAN)
    claim = claims[Layer.GUARANTOR]  # ¥45,000: not above
    first, _ = bureau_users(session)
    session.commit()
    compensation.file_claim(session, claim.id, actor=Actor.of(user_of(session, case.loan.guarantor)), now=clock())
    compensation.review(session, claim.id, actor=Actor.of(first), decision=ReviewDecision.APPROVE, now=clock())
    assert claim.state == ClaimState.APPROVED and claim.queue_position == 1


def test_reducing_or_rejecting_needs_a_reason_and_a_reduction_must_be_lower(session, clock):
    case, claims = _settled_worked_example(session, clock)
    claim = claims[Layer.AGENCY]  # ¥30,000
    first, _ = bureau_users(session)
    session.commit()
    compensation.file_claim(session, claim.id, actor=Actor.of(user_of(session, case.loan.agency)), now=clock())
    bureau = Actor.of(first)
    with pytest.raises(ReasonRequiredForClaim):
        compensation.review(session, claim.id, actor=bureau, decision=ReviewDecision.REDUCE,
                            amount_fen=10_000 * YUAN, now=clock())
    with pytest.raises(ReductionInvalid):
        compensation.review(session, claim.id, actor=bureau, decision=ReviewDecision.REDUCE,
                            amount_fen=30_000 * YUAN, reason="too much", now=clock())
    compensation.review(session, claim.id, actor=bureau, decision=ReviewDecision.REDUCE, amount_fen=20_000 * YUAN,
                        reason="Appraisal fee counted twice", now=clock())
    assert claim.state == ClaimState.APPROVED and claim.approved_fen == 20_000 * YUAN
    assert claim.decision_reason == "Appraisal fee counted twice"
    with pytest.raises(ClaimNotReviewable):
        compensation.review(session, claim.id, actor=bureau, decision=ReviewDecision.REJECT, reason="x", now=clock())


def test_a_rejected_claim_keeps_its_reason_and_owes_nothing(session, clock):
    case, claims = _settled_worked_example(session, clock)
    claim = claims[Layer.AGENCY]
    first, _ = bureau_users(session)
    session.commit()
    compensation.file_claim(session, claim.id, actor=Actor.of(user_of(session, case.loan.agency)), now=clock())
    compensation.review(session, claim.id, actor=Actor.of(first), decision=ReviewDecision.REJECT,
                        reason="The agency's share was not registered", now=clock())
    assert claim.state == ClaimState.REJECTED and claim.due_fen == 0
    assert balance(session, claims_payable(claim.id)) == 0


def test_only_bureau_users_review(session, clock):
    case, claims = _settled_worked_example(session, clock)
    bank_user = user_of(session, case.loan.bank)
    session.commit()
    with pytest.raises(Forbidden):
        compensation.review(session, claims[Layer.BANK].id, actor=Actor.of(bank_user),
                            decision=ReviewDecision.APPROVE, now=clock())


def test_the_yearly_cap_per_institution_limits_approvals(session, clock):
    guarantor_loan = worked_example_loan(session)
    make_policy(session, cap_per_institution_year_fen=60_000 * YUAN, four_eyes_above_fen=None)
    first_case = make_disposed_case(session, loan=guarantor_loan)
    second_case = make_disposed_case(session, loan=worked_example_loan(session, guarantor=guarantor_loan.guarantor))
    first, _ = bureau_users(session)
    filer = user_of(session, guarantor_loan.guarantor)
    session.commit()
    for case in (first_case, second_case):
        settle(session, case, now=clock(), costs=DisposalCosts())
    one, two = claims_of(session, first_case)[Layer.GUARANTOR], claims_of(session, second_case)[Layer.GUARANTOR]
    assert one.claimed_fen == two.claimed_fen == 45_000 * YUAN  # drafted before either was approved
    for claim in (one, two):
        compensation.file_claim(session, claim.id, actor=Actor.of(filer), now=clock())
    compensation.review(session, one.id, actor=Actor.of(first), decision=ReviewDecision.APPROVE, now=clock())
    with pytest.raises(AboveYearCap):
        compensation.review(session, two.id, actor=Actor.of(first), decision=ReviewDecision.APPROVE, now=clock())
    compensation.review(session, two.id, actor=Actor.of(first), decision=ReviewDecision.REDUCE,
                        amount_fen=15_000 * YUAN, reason="Yearly cap of ¥60,000", now=clock())
    assert one.due_fen + two.due_fen == 60_000 * YUAN


def test_subsidies_are_claims_of_their_own_within_the_firm_s_yearly_cap(session, clock):
    make_policy(session, interest_subsidy_ppm=400_000, interest_subsidy_cap_fen=50_000 * YUAN,
                four_eyes_above_fen=None)
    loan = make_loan(session, principal_fen=1_000_000 * YUAN)
    bank_user = user_of(session, loan.bank)
    first, _ = bureau_users(session)
    session.commit()
    claim = compensation.file_subsidy_claim(session, actor=Actor.of(bank_user), loan_id=loan.id,
                                            kind=ClaimKind.INTEREST_SUBSIDY, base_fen=100_000 * YUAN,
                                            evidence="Interest statement 2026-Q3", now=clock())
    assert claim.state == ClaimState.FILED and claim.claimed_fen == 40_000 * YUAN
    compensation.review(session, claim.id, actor=Actor.of(first), decision=ReviewDecision.APPROVE, now=clock())
    second = compensation.file_subsidy_claim(session, actor=Actor.of(bank_user), loan_id=loan.id,
                                             kind=ClaimKind.INTEREST_SUBSIDY, base_fen=100_000 * YUAN,
                                             evidence="Interest statement 2026-Q4", now=clock())
    assert second.claimed_fen == 10_000 * YUAN and second.year_used_fen == 40_000 * YUAN
    with pytest.raises(compensation.SubsidyNotOffered):
        compensation.file_subsidy_claim(session, actor=Actor.of(bank_user), loan_id=loan.id,
                                        kind=ClaimKind.PREMIUM_SUBSIDY, base_fen=100 * YUAN, evidence="", now=clock())
