"""The centre's decisions on a case (review, valuation, notice, negotiated sale, suspension) and withdrawal.

Each function locks the case, lets the domain check the rules and writes what goes with the move; a broken
rule raises, and the entry point rolls everything back.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

import sqlalchemy as sa
import sqlalchemy.orm as so

from market.domain.auction import check_buyer_of_pledged_ip, may_buy_pledged_ip
from market.domain.case_errors import PaidOnChannelDesk
from market.domain.ledger import Movement
from market.domain.registry import HeldByRegistry
from market.domain.roles import InstitutionKind, Role
from market.domain.rules import DEFAULT_RULES, DisposalRules
from market.domain.workflow import (
    ActionNotAllowed,
    CaseAction,
    CaseState,
    Channel,
    NotYourAction,
    SuspensionGrounds,
)
from market.models import DisposalCase, FirstRefusalHolder, Institution, LegalStatus, LoanStatus
from market.services import settlement
from market.services.access import NotFound
from market.services.audit import Actor, record_event
from market.services.cases import lock_case, move_case
from market.services.ledger import record_movement
from market.services.registry_holds import open_hold

# The settlement area's services for the last moves (they book the money and release the pledge).
SETTLEMENT_STEPS = {CaseAction.SETTLE: settlement.settle_case, CaseAction.RECORD_TRANSFER: settlement.record_transfer,
                    CaseAction.CLOSE: settlement.close_case}
# What happens to the loan when its case ends without a sale.
LOAN_STATUS_AFTER = {CaseAction.REJECT: LoanStatus.DEFAULTED, CaseAction.WITHDRAW: LoanStatus.REPAID}


@dataclass(frozen=True)
class FirstRefusal:
    """A holder named in the notice: co-owner, existing licensee, ..."""

    name: str
    basis: str
    institution_id: int | None = None


@dataclass(frozen=True)
class NoticeTerms:
    """What the published notice discloses beyond the valuation."""

    start_price_fen: int | None
    deposit_share_ppm: int | None
    encumbrances: str
    first_refusal_holders: tuple[FirstRefusal, ...] = ()
    notice_days: int | None = None
    summary: str = ""


def acting_on(session: so.Session, case_id: int, actor: Actor) -> DisposalCase:
    """Lock a case the actor may act on (NotFound otherwise)."""
    case = lock_case(session, case_id)
    if case is None or (actor.role == Role.BANK and case.bank_id != actor.user.institution_id):
        raise NotFound()
    return case


def take_action(session: so.Session, case_id: int, action: CaseAction, *, actor: Actor, now: datetime,
                reason: str = "", rules: DisposalRules = DEFAULT_RULES, detail: dict | None = None,
                **params) -> DisposalCase:
    """A workflow move whose only side effect is on the loan (review, return, reject, withdraw, hand-offs)."""
    case = acting_on(session, case_id, actor)
    if action == CaseAction.RESUME and open_hold(session, case.id) is not None:
        raise HeldByRegistry()
    move_case(session, case, action, actor=actor, now=now, reason=reason.strip(), rules=rules,
              detail=detail, **params)
    if action in LOAN_STATUS_AFTER:
        case.loan.status = LOAN_STATUS_AFTER[action]
    return case


def verify_case(session: so.Session, case_id: int, *, checks: tuple[str, ...], actor: Actor,
                now: datetime) -> DisposalCase:
    """Record the review checklist; the domain refuses lapsed rights and missing consents."""
    case = acting_on(session, case_id, actor)
    co_owners = sorted({name for asset in case.assets for name in (asset.co_owners or ())})
    lapsed = [a.registry_number for a in case.assets
              if a.legal_status != LegalStatus.VALID or (a.expires_on and a.expires_on <= now.date())]
    move_case(session, case, CaseAction.VERIFY, actor=actor, now=now, checks=tuple(checks),
              co_owners=co_owners, lapsed_assets=lapsed, detail={"checks": sorted(checks)})
    return case


VALUATION_STATES = (CaseState.VERIFIED, CaseState.VALUED, CaseState.NOTICE_PUBLISHED, CaseState.AWAITING_CHANNEL)


def request_valuation(session: so.Session, case_id: int, *, appraiser_id: int, actor: Actor,
                      now: datetime) -> DisposalCase:
    """Ask an appraisal agency to value the case: it is named on the case (and may then see it); audited."""
    case = acting_on(session, case_id, actor)
    if actor.role != Role.OPERATOR:
        raise NotYourAction(role=actor.role, action=CaseAction.REQUEST_VALUATION)
    if case.state not in VALUATION_STATES:
        raise ActionNotAllowed(action=CaseAction.REQUEST_VALUATION, state=case.state)
    agency = session.get(Institution, appraiser_id)
    if agency is None or agency.kind != InstitutionKind.AGENCY:
        raise NotFound()
    case.appraiser_id = agency.id
    record_event(session, actor=actor, entity="case", entity_id=case.id, action="request_valuation", now=now,
                 from_state=case.state.value, to_state=case.state.value, detail={"appraiser": agency.name})
    return case


def record_valuation(session: so.Session, case_id: int, *, appraised_value_fen: int | None, report_ref: str,
                     valued_on: date | None, appraiser_id: int | None, actor: Actor, now: datetime,
                     rules: DisposalRules = DEFAULT_RULES) -> DisposalCase:
    """Record (or redo) the appraisal: value, report reference, date and agency."""
    case = acting_on(session, case_id, actor)
    if appraiser_id is not None and session.get(Institution, appraiser_id) is None:
        raise NotFound()
    move_case(session, case, CaseAction.RECORD_VALUATION, actor=actor, now=now, rules=rules,
              appraised_value_fen=appraised_value_fen, report_ref=report_ref, valued_on=valued_on,
              appraiser_id=appraiser_id,
              detail={"appraised_value_fen": appraised_value_fen, "report_ref": report_ref,
                      "valued_on": valued_on.isoformat() if valued_on else None})
    return case


def publish_notice(session: so.Session, case_id: int, terms: NoticeTerms, *, actor: Actor, now: datetime,
                   rules: DisposalRules = DEFAULT_RULES) -> DisposalCase:
    """Publish the notice with its disclosure; the first-refusal holders named replace any earlier list."""
    case = acting_on(session, case_id, actor)
    co_owners = sorted({name for asset in case.assets for name in (asset.co_owners or ())})
    move_case(session, case, CaseAction.PUBLISH_NOTICE, actor=actor, now=now, rules=rules,
              start_price_fen=terms.start_price_fen, deposit_share_ppm=terms.deposit_share_ppm,
              encumbrances=terms.encumbrances, notice_days=terms.notice_days, co_owners=co_owners,
              first_refusal_holders=[holder.name for holder in terms.first_refusal_holders],
              detail={"start_price_fen": terms.start_price_fen, "deposit_share_ppm": terms.deposit_share_ppm,
                      "first_refusal_holders": [h.name for h in terms.first_refusal_holders]})
    case.first_refusal_holders = [
        FirstRefusalHolder(name=h.name.strip(), basis=h.basis.strip(), institution_id=h.institution_id,
                           rank=rank)
        for rank, h in enumerate(terms.first_refusal_holders, start=1)
    ]
    if terms.summary.strip():
        case.summary = terms.summary.strip()
    return case


def possible_buyers(session: so.Session) -> list[Institution]:
    """The institutions on the platform that may buy pledged IP by negotiated sale, by name."""
    kinds = [kind for kind in InstitutionKind if may_buy_pledged_ip(kind)]
    return list(session.scalars(sa.select(Institution).where(Institution.kind.in_(kinds)).order_by(Institution.name)))


def agree_negotiated_sale(session: so.Session, case_id: int, *, buyer_name: str, buyer_institution_id: int | None,
                          price_fen: int | None, actor: Actor, now: datetime,
                          rules: DisposalRules = DEFAULT_RULES) -> DisposalCase:
    """Record the buyer and price of a negotiated sale; the buyer then has the payment period to pay."""
    case = acting_on(session, case_id, actor)
    if buyer_institution_id is not None:
        buyer = session.get(Institution, buyer_institution_id)
        if buyer is None:
            raise NotFound()
        check_buyer_of_pledged_ip(buyer.kind)
        buyer_name = buyer_name.strip() or buyer.name
    move_case(session, case, CaseAction.NEGOTIATED_SALE_AGREED, actor=actor, now=now, rules=rules,
              price_fen=price_fen, buyer_name=buyer_name, buyer_institution_id=buyer_institution_id,
              detail={"price_fen": price_fen, "buyer": buyer_name.strip()})
    return case


def record_buyer_payment(session: so.Session, case_id: int, *, actor: Actor, now: datetime) -> DisposalCase:
    """The negotiated-sale buyer paid the price into the centre's account: book it, the case is disposed of."""
    case = acting_on(session, case_id, actor)
    if case.channel != Channel.NEGOTIATED_SALE:
        raise PaidOnChannelDesk()
    price = case.sale_price_fen
    move_case(session, case, CaseAction.BUYER_PAID, actor=actor, now=now, detail={"amount_fen": price})
    record_movement(session, Movement.BUYER_PAYMENT, amount_fen=price, now=now, case_id=case.id,
                    institution_id=case.buyer_institution_id,
                    reference=f"negotiated-sale:{case.id}:payment")
    return case


def suspend_case(session: so.Session, case_id: int, *, grounds: SuspensionGrounds, reason: str, actor: Actor,
                 now: datetime) -> DisposalCase:
    """Pause a case (legal status lapsed, dispute, court order); deadlines stop until it resumes."""
    return take_action(session, case_id, CaseAction.SUSPEND, actor=actor, now=now, reason=reason,
                       detail={"grounds": SuspensionGrounds(grounds).value})


def withdraw_case(session: so.Session, case_id: int, *, paid_by_debtor_fen: int | None, reason: str,
                  actor: Actor, now: datetime) -> DisposalCase:
    """End a case because the debtor paid (the bank for its own case, or the centre)."""
    return take_action(session, case_id, CaseAction.WITHDRAW, actor=actor, now=now, reason=reason,
                       paid_by_debtor_fen=paid_by_debtor_fen, detail={"paid_by_debtor_fen": paid_by_debtor_fen})


def settlement_step(session: so.Session, case_id: int, action: CaseAction, *, actor: Actor, now: datetime):
    """Settle, record the transfer or close, through the settlement area's service."""
    return SETTLEMENT_STEPS[action](session, case_id, actor=actor, now=now)


def appraisal_agencies(session: so.Session) -> list[Institution]:
    """The agencies an operator can name as appraiser."""
    return list(session.scalars(
        sa.select(Institution).where(Institution.kind == InstitutionKind.AGENCY).order_by(Institution.name)
    ))
