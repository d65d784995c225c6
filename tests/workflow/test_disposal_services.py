"""The centre's decisions through the services: each one locks, checks, writes what goes with it, audits."""

from datetime import timedelta

import pytest
import sqlalchemy as sa

from market.db import unit_of_work
from market.domain.ledger import proceeds_payable
from market.domain.roles import Role
from market.domain.rules import min_first_start_fen
from market.domain.workflow import (
    REVIEW_CHECKS,
    ActionNotAllowed,
    DisclosureIncomplete,
    LegalStatusNotValid,
    NotYourAction,
    SuspensionGrounds,
)
from market.domain.workflow import CaseAction as A
from market.domain.workflow import CaseState as S
from market.models import AuditEvent, DisposalCase, FirstRefusalHolder, LoanStatus
from market.services import audit, disposal
from market.services.access import NotFound
from market.services.audit import Actor
from market.services.disposal import FirstRefusal, NoticeTerms
from market.services.ledger import balance
from tests.factories import make_user
from tests.factories_workflow import (
    APPRAISAL,
    case_in,
    file_for,
    make_bank_with_loan,
    make_operator,
    walk,
)


@pytest.mark.parametrize("target", [S.CLOSED, S.WITHDRAWN, S.SUSPENDED, S.CONVERSION])
def test_every_move_on_the_way_is_audited_once_and_the_chain_holds(session, clock, target):
    _user, _operator, case = case_in(session, clock, target)
    events = list(session.scalars(sa.select(AuditEvent).where(AuditEvent.entity_id == case.id).order_by(AuditEvent.id)))
    assert events[0].action == "file" and events[-1].to_state == target.value
    assert all(a.to_state == b.from_state for a, b in zip(events, events[1:], strict=False))
    assert audit.verify_chain(session).ok


def test_publishing_the_notice_lists_the_case_with_its_disclosure(session, clock):
    _user, operator, case = case_in(session, clock, S.VALUED, co_owners=("清华大学",))
    with unit_of_work(session):
        disposal.publish_notice(session, case.id, NoticeTerms(
            start_price_fen=min_first_start_fen(APPRAISAL), deposit_share_ppm=150_000,
            encumbrances="一项普通许可至2027年",
            first_refusal_holders=(FirstRefusal("清华大学", "共有人"), FirstRefusal("苏州某公司", "独占被许可人")),
            notice_days=35, summary="公开处置"), actor=Actor.of(operator), now=clock())
    session.expire_all()
    case = session.get(DisposalCase, case.id)
    assert case.state == S.NOTICE_PUBLISHED and case.listed
    assert case.notice_ends_at == clock() + timedelta(days=35) == case.due_at
    assert case.list_price_fen == 105_000_000 and case.deposit_share_ppm == 150_000
    assert [(h.name, h.rank) for h in case.first_refusal_holders] == [("清华大学", 1), ("苏州某公司", 2)]
    assert case.encumbrances == "一项普通许可至2027年" and case.summary == "公开处置"


def test_a_refused_notice_writes_nothing(session, clock):
    _user, operator, case = case_in(session, clock, S.VALUED)
    with pytest.raises(DisclosureIncomplete):
        disposal.publish_notice(session, case.id, NoticeTerms(105_000_000, 100_000, "",
                                                              (FirstRefusal("某人", "共有人"),)),
                                actor=Actor.of(operator), now=clock())
    assert session.scalar(sa.select(sa.func.count(FirstRefusalHolder.id))) == 0
    assert session.get(DisposalCase, case.id).state == S.VALUED


def test_the_review_refuses_a_right_that_has_expired(session, clock):
    user, loan = make_bank_with_loan(session)
    loan.pledge.assets[0].expires_on = clock().date()
    session.commit()
    operator = make_operator(session)
    case = walk(session, clock, operator, file_for(session, clock, user, loan), S.UNDER_REVIEW)
    with pytest.raises(LegalStatusNotValid, match=loan.pledge.assets[0].registry_number):
        disposal.verify_case(session, case.id, checks=REVIEW_CHECKS, actor=Actor.of(operator), now=clock())


def test_a_valuation_naming_an_unknown_agency_is_not_found(session, clock):
    _user, operator, case = case_in(session, clock, S.VERIFIED)
    with pytest.raises(NotFound):
        disposal.record_valuation(session, case.id, appraised_value_fen=1_000, report_ref="R", valued_on=clock().date(),
                                  appraiser_id=999_999, actor=Actor.of(operator), now=clock())


def test_a_negotiated_sale_payment_is_booked_for_the_case_and_disposes_of_it(session, clock):
    _user, operator, case = case_in(session, clock, S.AWAITING_PAYMENT)
    price = case.sale_price_fen
    disposal.record_buyer_payment(session, case.id, actor=Actor.of(operator), now=clock())
    session.expire_all()
    case = session.get(DisposalCase, case.id)
    assert case.state == S.DISPOSED and case.recovery_fen == price and case.disposed_at == clock()
    assert balance(session, proceeds_payable(case.id)) == -price


def test_an_auction_payment_is_not_recorded_on_the_workflow_desk(session, clock):
    _user, operator, case = case_in(session, clock, S.AUCTION)
    disposal.take_action(session, case.id, A.AUCTION_WON, actor=Actor.of(operator), now=clock(),
                         price_fen=case.list_price_fen, buyer_name="北京银行")
    with pytest.raises(ActionNotAllowed, match="auction"):
        disposal.record_buyer_payment(session, case.id, actor=Actor.of(operator), now=clock())


def test_the_bank_withdraws_its_own_case_when_the_debtor_pays(session, clock):
    user, _operator, case = case_in(session, clock, S.NOTICE_PUBLISHED)
    with unit_of_work(session):
        disposal.withdraw_case(session, case.id, paid_by_debtor_fen=101_000_000, reason="债务人已全额清偿。",
                               actor=Actor.of(user), now=clock())
    session.expire_all()
    case = session.get(DisposalCase, case.id)
    assert case.state == S.WITHDRAWN and not case.listed and case.withdrawn_amount_fen == 101_000_000
    assert case.loan.status == LoanStatus.REPAID


def test_another_bank_cannot_withdraw_a_case_and_a_guarantor_cannot_either(session, clock):
    _user, _operator, case = case_in(session, clock, S.FILED)
    stranger, _ = make_bank_with_loan(session)
    with pytest.raises(NotFound):
        disposal.withdraw_case(session, case.id, paid_by_debtor_fen=1, reason="r", actor=Actor.of(stranger),
                               now=clock())
    guarantor = make_user(session, Role.GUARANTOR)
    session.commit()
    with pytest.raises(NotYourAction):
        disposal.withdraw_case(session, case.id, paid_by_debtor_fen=1, reason="r", actor=Actor.of(guarantor),
                               now=clock())
    assert session.get(DisposalCase, case.id).state == S.FILED


def test_a_suspended_case_resumes_where_it_stopped_with_its_deadline_pushed_back(session, clock):
    _user, operator, case = case_in(session, clock, S.NOTICE_PUBLISHED)
    ends = case.notice_ends_at
    disposal.suspend_case(session, case.id, grounds=SuspensionGrounds.COURT_ORDER, reason="法院裁定中止。",
                          actor=Actor.of(operator), now=clock())
    clock.advance(days=12)
    disposal.take_action(session, case.id, A.RESUME, actor=Actor.of(operator), now=clock(), reason="裁定撤销。")
    session.expire_all()
    case = session.get(DisposalCase, case.id)
    assert case.state == S.NOTICE_PUBLISHED and case.notice_ends_at == ends + timedelta(days=12)
    suspend = session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "suspend"))
    assert suspend.detail == {"grounds": "court_order"} and suspend.reason == "法院裁定中止。"
