"""Workflow factories: a bank with a defaulted pledged loan, a filed case, and a case walked to any state
through the real services on the test clock."""

from __future__ import annotations

from datetime import date, timedelta

import sqlalchemy as sa
import sqlalchemy.orm as so

from market.db import unit_of_work
from market.domain.filing import Filing
from market.domain.roles import Role
from market.domain.rules import min_first_start_fen, min_next_start_fen
from market.domain.workflow import REVIEW_CHECKS, CaseAction, CaseState, SuspensionGrounds
from market.models import DisposalCase, Pledge
from market.services import disposal, filing
from market.services.audit import Actor
from market.services.disposal import FirstRefusal, NoticeTerms
from tests.factories import make_asset, make_enterprise, make_institution, make_loan, make_user

APPRAISAL = 150_000_000  # ¥1,500,000


def make_bank_with_loan(session, *, assets: int = 1, co_owners: tuple[str, ...] = (), **loan_overrides):
    """A bank user and a defaulted loan of its bank pledged with `assets` patents (the first co-owned)."""
    bank = make_institution(session)
    user = make_user(session, Role.BANK, institution=bank)
    enterprise = make_enterprise(session)
    pledged = [make_asset(session, owner=enterprise, co_owners=list(co_owners) if i == 0 else [])
               for i in range(assets)]
    pledge = Pledge(registration_number=f"Y2024P{bank.id:06d}{len(pledged)}", pledgee=bank,
                    secured_amount_fen=100_000_000, registered_on=date(2024, 1, 10), assets=pledged)
    loan = make_loan(session, bank=bank, enterprise=enterprise, pledge=pledge, **loan_overrides)
    session.commit()
    return user, loan


def make_operator(session):
    """A trading-centre operator."""
    user = make_user(session, Role.OPERATOR)
    session.commit()
    return user


def file_for(session, clock, user, loan, **overrides) -> DisposalCase:
    """File the loan's whole pledge as a case, with every consent."""
    fields = dict(asset_ids=tuple(a.id for a in loan.pledge.assets),
                  principal_outstanding_fen=loan.outstanding_principal_fen,
                  unpaid_interest_fen=loan.unpaid_interest_fen, costs_so_far_fen=0, pledgee_consent=True,
                  co_owner_consents=tuple(sorted({n for a in loan.pledge.assets for n in a.co_owners})))
    fields.update(overrides)
    with unit_of_work(session):
        return filing.file_case(session, loan_id=loan.id, filing=Filing(**fields), summary="", actor=Actor.of(user),
                            now=clock())


PATH = ("review", "verify", "value", "publish", "round1", "fail1", "round2", "fail2", "agree", "paid", "settle",
        "transfer", "close")
STOP_AFTER = {
    CaseState.FILED: None, CaseState.UNDER_REVIEW: "review", CaseState.VERIFIED: "verify", CaseState.VALUED: "value",
    CaseState.NOTICE_PUBLISHED: "publish", CaseState.AUCTION: "round1", CaseState.AWAITING_CHANNEL: "fail1",
    CaseState.NEGOTIATED_SALE: "fail2", CaseState.AWAITING_PAYMENT: "agree", CaseState.DISPOSED: "paid",
    CaseState.SETTLED: "settle", CaseState.TRANSFER_RECORDED: "transfer", CaseState.CLOSED: "close",
}
DETOURS = {
    CaseState.RETURNED: ("review", "return"), CaseState.REJECTED: ("review", "reject"),
    CaseState.WITHDRAWN: ("publish", "withdraw"), CaseState.SUSPENDED: ("publish", "suspend"),
    CaseState.LICENSING: ("publish", "licensing"), CaseState.CONVERSION: ("publish", "conversion"),
    CaseState.CLAIM_TRANSFER: ("publish", "claim_transfer"),
}


def walk(session, clock, operator, case: DisposalCase, target: CaseState) -> DisposalCase:
    """Move a filed case to the target state through the services, advancing the clock as the rules need."""
    stop, detour = DETOURS[target] if target in DETOURS else (STOP_AFTER[target], None)
    steps = [] if stop is None else list(PATH[: PATH.index(stop) + 1])
    if detour:
        steps.append(detour)
    me = Actor.of(operator)
    for step in steps:
        with unit_of_work(session):
            _STEPS[step](session, clock, me, case.id)
    return reload(session, case.id)


def reload(session, case_id: int) -> DisposalCase:
    """The case fresh from the database with its assets and loan, and the transaction ended (on SQLite an
    open transaction holds the write lock the app's requests need)."""
    case = session.scalar(sa.select(DisposalCase).where(DisposalCase.id == case_id).options(
        so.selectinload(DisposalCase.assets), so.joinedload(DisposalCase.loan)
    ).execution_options(populate_existing=True))
    session.commit()
    return case


def _act(action, reason=""):
    return lambda s, clock, me, case_id, **params: disposal.take_action(
        s, case_id, action, actor=me, now=clock(), reason=reason, **params)


def _value(s, clock, me, case_id):
    disposal.record_valuation(s, case_id, appraised_value_fen=APPRAISAL, report_ref="京评报字[2026]第1号",
                              valued_on=clock().date() - timedelta(days=1), appraiser_id=None, actor=me, now=clock())


def _publish(s, clock, me, case_id):
    case = s.get(DisposalCase, case_id)
    holders = tuple(FirstRefusal(n, "co-owner") for a in case.assets for n in a.co_owners)
    disposal.publish_notice(s, case_id, NoticeTerms(min_first_start_fen(APPRAISAL), 100_000, "none known", holders),
                            actor=me, now=clock())


def _round(s, clock, me, case_id):
    case = s.get(DisposalCase, case_id)
    if case.notice_ends_at and clock() < case.notice_ends_at:
        clock.advance(days=31)
    start = min_next_start_fen(case.last_start_price_fen) if case.last_start_price_fen else case.list_price_fen
    disposal.take_action(s, case_id, CaseAction.OPEN_AUCTION, actor=me, now=clock(), start_price_fen=start)


def _agree(s, clock, me, case_id):
    case = s.get(DisposalCase, case_id)
    disposal.agree_negotiated_sale(s, case_id, buyer_name="深圳市华科创新投资有限公司", buyer_institution_id=None,
                                   price_fen=case.last_start_price_fen, actor=me, now=clock())


def _after_notice(action):
    def step(s, clock, me, case_id):
        case = s.get(DisposalCase, case_id)
        if case.notice_ends_at and clock() < case.notice_ends_at:
            clock.advance(days=31)
        disposal.take_action(s, case_id, action, actor=me, now=clock())

    return step


_STEPS = {
    "review": _act(CaseAction.START_REVIEW),
    "verify": lambda s, clock, me, case_id: disposal.verify_case(s, case_id, checks=REVIEW_CHECKS, actor=me,
                                                                 now=clock()),
    "value": _value,
    "publish": _publish,
    "round1": _round,
    "round2": _round,
    "fail1": _act(CaseAction.AUCTION_FAILED),
    "fail2": _act(CaseAction.AUCTION_FAILED),
    "agree": _agree,
    "paid": lambda s, clock, me, case_id: disposal.record_buyer_payment(s, case_id, actor=me, now=clock()),
    "settle": _act(CaseAction.SETTLE),
    "transfer": _act(CaseAction.RECORD_TRANSFER),
    "close": _act(CaseAction.CLOSE),
    "return": _act(CaseAction.RETURN_TO_BANK, "The pledge certificate scan is unreadable."),
    "reject": _act(CaseAction.REJECT, "The patent lapsed for unpaid annual fees."),
    "withdraw": lambda s, clock, me, case_id: disposal.withdraw_case(
        s, case_id, paid_by_debtor_fen=100_000_000, reason="The debtor paid in full.", actor=me, now=clock()),
    "suspend": lambda s, clock, me, case_id: disposal.suspend_case(
        s, case_id, grounds=SuspensionGrounds.DISPUTE, reason="Ownership dispute filed in court.", actor=me,
        now=clock()),
    "licensing": _after_notice(CaseAction.START_LICENSING),
    "conversion": _after_notice(CaseAction.START_CONVERSION),
    "claim_transfer": _after_notice(CaseAction.START_CLAIM_TRANSFER),
}


def case_in(session, clock, target: CaseState, **bank_kwargs):
    """(bank user, operator, case) with a fresh case walked to the target state."""
    user, loan = make_bank_with_loan(session, **bank_kwargs)
    operator = make_operator(session)
    case = file_for(session, clock, user, loan)
    walked = walk(session, clock, operator, case, target)
    session.commit()
    return user, operator, walked


def sign_in(client, user, password: str = "password-123") -> None:
    """Log the test client in as the user, with the interface in English."""
    client.get("/language/en")
    response = client.post("/login", data={"email": user.email, "password": password})
    assert response.status_code == 302, response.get_data(as_text=True)
