"""Case moves, registry holds, licence recordals and compensation claims: each told to whom it concerns, and
to nobody who may not see what it is about."""

from datetime import timedelta

import pytest

from market.db import unit_of_work
from market.domain.loss import Layer
from market.domain.notices import NoticeType
from market.domain.reasons import SystemReason
from market.domain.registry import RegistryStatus
from market.domain.roles import Role
from market.domain.rules import RuleBroken
from market.domain.settlement import DisposalCosts, ReasonRequiredForClaim, ReviewDecision
from market.domain.workflow import CaseAction
from market.services import compensation, fund, licensing, recoveries, registry
from market.services.audit import Actor
from market.services.cases import apply_case_action
from market.services.tick import run_due
from tests.factories import make_case, make_user
from tests.factories_auctions import make_bidder, make_operator, open_round
from tests.factories_channels import make_channel_case, offer
from tests.factories_channels import open_round as open_licence_round
from tests.factories_notices import received, types_received
from tests.factories_settlement import (
    YUAN,
    bureau_users,
    claims_of,
    fund_money,
    make_disposed_case,
    make_policy,
    operator,
    settle,
    user_of,
    worked_example_loan,
)


def test_a_case_move_is_told_to_the_filing_bank_and_the_loans_layers_and_no_other_bank(session, clock):
    case = make_case(session, loan=worked_example_loan(session))
    banker, guarantor = user_of(session, case.bank), user_of(session, case.loan.guarantor)
    insurer, agency = user_of(session, case.loan.insurer), user_of(session, case.loan.agency)
    other_bank = make_user(session, Role.BANK)
    with unit_of_work(session):
        apply_case_action(session, case.id, CaseAction.START_REVIEW, actor=Actor.of(make_operator(session)),
                          now=clock())
    for user in (banker, guarantor, insurer, agency):
        [notice] = received(session, user, NoticeType.CASE_STATE_CHANGED)
        assert notice.payload | {"title": None} == {
            "case_no": case.reference, "title": None, "action": "start_review", "from_state": "filed",
            "to_state": "under_review"}
    assert received(session, other_bank) == []


def test_a_refused_case_move_tells_nobody(session, clock):
    case = make_case(session)
    banker = user_of(session, case.bank)
    with pytest.raises(RuleBroken), unit_of_work(session):  # a filed case cannot publish its notice yet
        apply_case_action(session, case.id, CaseAction.PUBLISH_NOTICE, actor=Actor.of(make_operator(session)),
                          now=clock())
    assert received(session, banker) == []


def test_a_registry_hold_is_told_to_the_bank_the_centre_and_the_bidders_on_what_each_may_see(session, clock):
    auction = open_round(session, clock)
    case = auction.case
    banker, centre = user_of(session, case.bank), make_operator(session)
    bidder, _ = make_bidder(session, clock, auction)
    with unit_of_work(session):
        registry.record_status_change(session, case.assets[0].id, status=RegistryStatus.LAPSED,
                                      effective_on=clock().date(), source_ref="专利公报 2026-47",
                                      actor=Actor.of(centre), now=clock())
    [for_bank] = received(session, banker, NoticeType.CASE_ON_HOLD)
    assert (for_bank.subject, for_bank.payload["status"]) == ("case", "lapsed")
    assert [n.subject for n in received(session, centre, NoticeType.CASE_ON_HOLD)] == ["case"]
    [for_bidder] = received(session, bidder, NoticeType.CASE_ON_HOLD)
    assert (for_bidder.subject, for_bidder.subject_id) == ("auction", auction.id)  # it may not open the case
    assert NoticeType.CASE_STATE_CHANGED in types_received(session, banker)  # suspended
    assert NoticeType.CASE_STATE_CHANGED not in types_received(session, bidder)


def test_signing_a_licence_tells_the_centre_the_bank_and_the_licensee_when_to_record_it(session, clock):
    case = make_channel_case(session)
    banker, licensee = user_of(session, case.bank), make_user(session, Role.AIC)
    centre = make_operator(session)
    licence_round = open_licence_round(session, case, clock(), min_upfront_fen=0)
    with unit_of_work(session):
        licensing.submit_licence_offer(session, licence_round.id, offer(), actor=Actor.of(licensee), now=clock())
    later = clock.advance(days=8)
    run_due(session, later)
    with unit_of_work(session):
        best = licensing.ranking(session.get(type(licence_round), licence_round.id))[0].key
        licensing.award_licence(session, licence_round.id, [best], actor=Actor.of(centre), now=later)
        licensing.decide_pledgee_consent(session, licence_round.id, consent=True, reference="BOC-1",
                                         actor=Actor.of(banker), now=later)
        [licence] = licensing.sign_licences(session, licence_round.id, contract_refs=["L-1"], signed_on=later.date(),
                                            actor=Actor.of(centre), now=later)
    for user in (banker, licensee, centre):
        [notice] = received(session, user, NoticeType.RECORDAL_DUE)
        assert notice.subject == "licence" and notice.payload["due_at"] == licence.recordal_due_on.isoformat()


def _settled(session, clock):
    make_policy(session, four_eyes_above_fen=100_000 * YUAN)
    case = make_disposed_case(session, recovery_fen=0)
    users = {layer: user_of(session, institution) for layer, institution in (
        (Layer.BANK, case.bank), (Layer.GUARANTOR, case.loan.guarantor), (Layer.INSURER, case.loan.insurer))}
    first, second = bureau_users(session)
    settle(session, case, now=clock(), costs=DisposalCosts())
    return case, claims_of(session, case), users, first, second


def _review(session, clock, claim, reviewer, decision, **kwargs):
    with unit_of_work(session):
        if claim.state.value == "drafted":
            compensation.file_claim(session, claim.id, actor=Actor.of(user_of(session, claim.institution)),
                                    now=clock())
        compensation.review(session, claim.id, actor=Actor.of(reviewer), decision=decision, now=clock(), **kwargs)


def test_each_claim_step_is_told_to_its_claimant_and_a_second_approval_to_the_bureau(session, clock):
    case, claims, users, first, second = _settled(session, clock)
    bank, guarantor, insurer = users[Layer.BANK], users[Layer.GUARANTOR], users[Layer.INSURER]
    [drafted] = received(session, bank, NoticeType.CLAIM_DRAFTED)
    assert drafted.payload["amount_fen"] == 120_000 * YUAN and drafted.payload["case_no"] == case.reference
    assert {n.subject_id for n in received(session, guarantor) if n.subject == "compensation_claim"} == {
        claims[Layer.GUARANTOR].id}  # its own claim only

    _review(session, clock, claims[Layer.BANK], first, ReviewDecision.APPROVE)  # ¥120,000: four eyes
    for user in (bank, first, second):
        assert len(received(session, user, NoticeType.CLAIM_FIRST_APPROVED)) == 1
    assert received(session, guarantor, NoticeType.CLAIM_FIRST_APPROVED) == []
    _review(session, clock, claims[Layer.BANK], second, ReviewDecision.APPROVE)
    assert len(received(session, bank, NoticeType.CLAIM_SECOND_APPROVED)) == 1
    assert received(session, first, NoticeType.CLAIM_SECOND_APPROVED) == []

    _review(session, clock, claims[Layer.GUARANTOR], first, ReviewDecision.REDUCE, amount_fen=40_000 * YUAN,
            reason="发票不全")
    [reduced] = received(session, guarantor, NoticeType.CLAIM_REDUCED)
    assert (reduced.payload["amount_fen"], reduced.payload["reason"]) == (40_000 * YUAN, "发票不全")
    _review(session, clock, claims[Layer.INSURER], first, ReviewDecision.REJECT, reason="超出保险责任")
    assert [n.payload["reason"] for n in received(session, insurer, NoticeType.CLAIM_REJECTED)] == ["超出保险责任"]

    fund_money(session, now=clock(), balance_fen=1_000_000 * YUAN, budget_fen=240_000 * YUAN)
    with unit_of_work(session):
        fund.run_payments(session, actor=Actor.of(first), now=clock())
    [paid] = received(session, bank, NoticeType.CLAIM_PAID)
    assert paid.payload["amount_fen"] == 120_000 * YUAN

    with unit_of_work(session):
        recoveries.record_later_recovery(session, case.id, 200_000 * YUAN, actor=Actor.of(operator(session)),
                                         now=clock() + timedelta(days=1))
    [clawed] = received(session, bank, NoticeType.CLAIM_CLAWED_BACK)
    assert clawed.payload["reason"] == SystemReason.LATER_RECOVERY and clawed.payload["amount_fen"] > 0


def test_a_refused_review_tells_nobody(session, clock):
    _case, claims, users, first, _second = _settled(session, clock)
    before = len(received(session, users[Layer.BANK]))
    with pytest.raises(ReasonRequiredForClaim):
        _review(session, clock, claims[Layer.BANK], first, ReviewDecision.REJECT)  # a rejection needs a reason
    assert len(received(session, users[Layer.BANK])) == before
    assert received(session, first) == []
