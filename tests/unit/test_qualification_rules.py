"""Who may bid for a lot, how a registration moves, and when strikes ban an institution."""

from datetime import UTC, datetime

import pytest

from market.domain.qualification import (
    Audience,
    BannedFromBidding,
    ConditionsFixed,
    ConditionTextInvalid,
    DecisionReasonMissing,
    ProofMissing,
    QualificationStatus,
    QualificationStep,
    QualificationStepNotAllowed,
    ReviewerRequired,
    StrikeRules,
    audience_of,
    ban_due,
    check_conditions_editable,
    check_may_register,
    check_proofs_complete,
    check_reviewer,
    condition_text,
    counting_strikes,
    decision_reason,
    months_before,
    requires_approval,
    status_after,
)
from market.domain.roles import Role

S, Q = QualificationStatus, QualificationStep


def at(year, month, day):
    return datetime(year, month, day, 2, tzinfo=UTC)


def test_a_claim_lot_is_for_licensed_financial_institutions_and_any_other_for_every_registered_one():
    assert audience_of(claim_lot=True) == Audience.LICENSED_FINANCIAL
    assert audience_of(claim_lot=False) == Audience.REGISTERED_INSTITUTIONS


def test_only_a_lot_with_conditions_needs_an_approved_registration():
    assert requires_approval(1) and not requires_approval(0)


def test_a_registration_is_drafted_submitted_and_then_approved_or_refused():
    assert status_after(None, Q.ATTACH) == S.DRAFT
    assert status_after(S.DRAFT, Q.SUBMIT) == S.PENDING
    assert status_after(S.PENDING, Q.APPROVE) == S.APPROVED
    assert status_after(S.PENDING, Q.REFUSE) == S.REFUSED


def test_a_refused_registration_takes_new_proofs_and_is_submitted_again():
    assert status_after(S.REFUSED, Q.ATTACH) == S.DRAFT
    assert status_after(S.REFUSED, Q.SUBMIT) == S.PENDING


@pytest.mark.parametrize("status, step", [(S.PENDING, Q.ATTACH), (S.APPROVED, Q.ATTACH), (S.APPROVED, Q.SUBMIT),
                                          (S.DRAFT, Q.APPROVE), (S.REFUSED, Q.APPROVE), (None, Q.SUBMIT)])
def test_a_step_out_of_turn_is_refused_naming_where_the_registration_stands(status, step):
    with pytest.raises(QualificationStepNotAllowed) as refused:
        status_after(status, step)
    assert refused.value.params == {"status": status or S.DRAFT}


def test_submitting_needs_a_proof_for_every_condition_and_names_the_first_missing():
    check_proofs_complete([(1, "licence"), (2, "audit")], {1, 2})
    with pytest.raises(ProofMissing) as refused:
        check_proofs_complete([(1, "licence"), (2, "audit")], {1})
    assert refused.value.params == {"condition": "audit"}


def test_a_condition_is_one_trimmed_line_of_bounded_length():
    assert condition_text("  持有\n行业许可证 ") == "持有 行业许可证"
    for bad in ("", "   ", "x" * 501):
        with pytest.raises(ConditionTextInvalid):
            condition_text(bad)


def test_conditions_are_fixed_once_someone_registered():
    check_conditions_editable(0)
    with pytest.raises(ConditionsFixed):
        check_conditions_editable(1)


def test_refusing_or_lifting_needs_a_reason_approving_does_not():
    assert decision_reason("  ok ", required=False) == "ok"
    assert decision_reason("", required=False) == ""
    with pytest.raises(DecisionReasonMissing):
        decision_reason("  ", required=True)


def test_only_the_trading_centre_reviews():
    check_reviewer(Role.OPERATOR)
    for role in (Role.BANK, Role.BUREAU, Role.AIC, Role.SYSTEM):
        with pytest.raises(ReviewerRequired):
            check_reviewer(role)


def test_a_banned_institution_keeps_its_lots_and_registers_for_no_new_one():
    check_may_register(banned=True, already_registered=True)
    check_may_register(banned=False, already_registered=False)
    with pytest.raises(BannedFromBidding):
        check_may_register(banned=True, already_registered=False)


def test_months_are_counted_on_the_calendar():
    assert months_before(at(2026, 11, 22), 24) == at(2024, 11, 22)
    assert months_before(at(2026, 3, 31), 1) == at(2026, 2, 28)
    assert months_before(at(2026, 1, 15), 13) == at(2024, 12, 15)


def test_two_unpaid_wins_within_twenty_four_months_ban_by_default():
    now = at(2026, 11, 22)
    assert ban_due([at(2025, 1, 1), now], now=now, last_lifted_at=None)
    assert not ban_due([now], now=now, last_lifted_at=None)


def test_a_strike_older_than_the_window_no_longer_counts():
    now = at(2026, 11, 22)
    assert counting_strikes([at(2024, 11, 21), now], now=now, last_lifted_at=None) == 1
    assert not ban_due([at(2024, 11, 21), now], now=now, last_lifted_at=None)


def test_strikes_before_a_lifted_ban_no_longer_count():
    now = at(2026, 11, 22)
    strikes = [at(2026, 1, 1), at(2026, 2, 1), now]
    assert counting_strikes(strikes, now=now, last_lifted_at=at(2026, 3, 1)) == 1


def test_the_centre_sets_its_own_limit_and_window():
    rules = StrikeRules.from_setting({"limit": 3, "window_months": 12})
    now = at(2026, 11, 22)
    assert not ban_due([at(2026, 1, 1), now], now=now, last_lifted_at=None, rules=rules)
    assert ban_due([at(2026, 1, 1), at(2026, 6, 1), now], now=now, last_lifted_at=None, rules=rules)
    assert StrikeRules.from_setting(None) == StrikeRules(limit=2, window_months=24)
