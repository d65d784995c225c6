"""Registering to bid for a lot: the operator's conditions, proofs, the operator's decision (rules in
market.domain.qualification). Strikes and bans are in market.services.strikes.

Every write locks the lot's case row first (after the auction row, where a round is involved), so conditions,
registrations and decisions on one lot take turns.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
import sqlalchemy.orm as so

from market.domain.auction import AuctionKind, NotEligible, may_buy_pledged_ip
from market.domain.claim_transfer import may_buy_claims, may_see_claim_lots
from market.domain.errors import NotFound, Refusal
from market.domain.qualification import (
    Audience,
    NoConditionsToProve,
    QualificationRequired,
    QualificationStatus,
    QualificationStep,
    audience_of,
    check_conditions_editable,
    check_may_register,
    check_proofs_complete,
    check_reviewer,
    condition_text,
    decision_reason,
    may_review,
    requires_approval,
    status_after,
)
from market.domain.workflow import CaseState
from market.models import (
    Auction,
    DisposalCase,
    Institution,
    LotCondition,
    LotRegistration,
    RegistrationProof,
    User,
)
from market.services.accounts import Caller
from market.services.audit import Actor, record_event
from market.services.cases import lock_case
from market.services.documents import store_document
from market.services.lot_registration import is_registered_for_lot
from market.services.strikes import ban_in_force


class RegistrationNotFound(NotFound):
    """No such registration, or not one the caller may see."""


class ConditionNotFound(NotFound):
    """No such condition on this lot."""


# ---- reading -------------------------------------------------------------------------------------


def conditions_of(session: so.Session, case_id: int) -> list[LotCondition]:
    """The operator's conditions for a lot, in the order they were written."""
    return list(session.scalars(sa.select(LotCondition).where(LotCondition.case_id == case_id)
                                .order_by(LotCondition.id)))


def condition(session: so.Session, condition_id: int) -> LotCondition:
    """A condition by id, or ConditionNotFound."""
    found = session.get(LotCondition, condition_id) if 0 < condition_id <= 2**31 - 1 else None
    if found is None:
        raise ConditionNotFound()
    return found


def lot_requires_approval(session: so.Session, case_id: int) -> bool:
    """Whether the lot takes bids only from approved registrations (it has conditions of the operator's)."""
    count = session.scalar(sa.select(sa.func.count(LotCondition.id)).where(LotCondition.case_id == case_id)) or 0
    return requires_approval(count)


def is_claim_lot(session: so.Session, case: DisposalCase) -> bool:
    """A lot is a claim lot while its case is in the claim-transfer channel or it has a claim-rights round."""
    if case.state == CaseState.CLAIM_TRANSFER:
        return True
    return session.scalar(sa.select(sa.exists().where(Auction.case_id == case.id,
                                                      Auction.kind == AuctionKind.CLAIM))) or False


def audience(session: so.Session, case: DisposalCase) -> Audience:
    """Who may register for the lot before the operator's conditions."""
    return audience_of(claim_lot=is_claim_lot(session, case))


def registration_for(session: so.Session, case_id: int, institution_id: int) -> LotRegistration | None:
    """An institution's registration for a lot, if it started one."""
    return session.scalar(sa.select(LotRegistration).where(LotRegistration.case_id == case_id,
                                                           LotRegistration.institution_id == institution_id))


def approved_registration(session: so.Session, case_id: int, institution_id: int) -> LotRegistration | None:
    """The institution's registration for the lot if the operator approved it (shown on an award)."""
    found = registration_for(session, case_id, institution_id)
    return found if found is not None and found.status == QualificationStatus.APPROVED else None


def registrations(session: so.Session, *, status: QualificationStatus | None = None,
                  case_id: int | None = None, limit: int = 200) -> list[LotRegistration]:
    """Registrations for the operator's desk: oldest submission first (drafts are the institution's own)."""
    query = sa.select(LotRegistration).where(LotRegistration.status != QualificationStatus.DRAFT)
    if status is not None:
        query = query.where(LotRegistration.status == status)
    if case_id is not None:
        query = query.where(LotRegistration.case_id == case_id)
    return list(session.scalars(query.order_by(LotRegistration.submitted_at, LotRegistration.id).limit(limit)))


def visible_lot(session: so.Session, case_id: int, viewer: Caller) -> DisposalCase:
    """The lot if the viewer may see it: the operator always; others once its notice is published, and a claim
    lot only if they may buy claims. NotFound otherwise."""
    case = session.get(DisposalCase, case_id) if 0 < case_id <= 2**31 - 1 else None
    if case is None:
        raise NotFound()
    if may_review(viewer.role):
        return case
    if case.notice_published_at is None or (
            is_claim_lot(session, case)
            and not may_see_claim_lots(viewer.role, viewer.institution_kind, viewer.licensed_financial)):
        raise NotFound()
    return case


def visible_registration(session: so.Session, registration_id: int, viewer: User) -> LotRegistration:
    """The registration for its institution or the operator; RegistrationNotFound for anyone else."""
    found = session.get(LotRegistration, registration_id) if 0 < registration_id <= 2**31 - 1 else None
    if found is None or not (viewer.institution_id == found.institution_id or _reviews(viewer)):
        raise RegistrationNotFound()
    return found


def visible_proof(session: so.Session, proof_id: int, viewer: User) -> RegistrationProof:
    """A proof for the registering institution or the operator; RegistrationNotFound for anyone else."""
    proof = session.get(RegistrationProof, proof_id) if 0 < proof_id <= 2**31 - 1 else None
    if proof is None:
        raise RegistrationNotFound()
    visible_registration(session, proof.registration_id, viewer)
    return proof


def qualification_problem(session: so.Session, case: DisposalCase, institution: Institution) -> Refusal | None:
    """Why the institution may not take a bidder registration in one of the lot's rounds now, or None:
    a ban (for a lot it was not registered for), or a lot that needs an approved registration."""
    registered = is_registered_for_lot(session, case_id=case.id, institution_id=institution.id)
    try:
        check_may_register(banned=ban_in_force(session, institution.id) is not None, already_registered=registered)
    except Refusal as refused:
        return refused
    if lot_requires_approval(session, case.id) and approved_registration(session, case.id, institution.id) is None:
        return QualificationRequired()
    return None


# ---- the operator's conditions ---------------------------------------------------------------------


def add_condition(session: so.Session, case_id: int, text: str, *, actor: Actor, now: datetime) -> LotCondition:
    """The operator adds a condition every bidder must prove (possible until the first registration)."""
    check_reviewer(actor.role)
    case = _lot(session, case_id)
    check_conditions_editable(_registration_count(session, case.id))
    added = LotCondition(case_id=case.id, text=condition_text(text), created_at=now,
                         created_by_user_id=actor.user.id if actor.user else None)
    session.add(added)
    session.flush()
    record_event(session, actor=actor, entity="lot_condition", entity_id=added.id, action="condition_added",
                 now=now, detail={"case_id": case.id, "condition": added.text})
    return added


def remove_condition(session: so.Session, condition_id: int, *, actor: Actor, now: datetime) -> None:
    """The operator removes a condition (possible until the first registration)."""
    check_reviewer(actor.role)
    removed = condition(session, condition_id)
    _lot(session, removed.case_id)
    check_conditions_editable(_registration_count(session, removed.case_id))
    record_event(session, actor=actor, entity="lot_condition", entity_id=removed.id, action="condition_removed",
                 now=now, detail={"case_id": removed.case_id, "condition": removed.text})
    session.delete(removed)
    session.flush()


# ---- the institution registers -----------------------------------------------------------------------


def attach_proof(session: so.Session, case_id: int, condition_id: int, *, filename: str, data: bytes, user: User,
                 now: datetime) -> LotRegistration:
    """Keep a document as the institution's proof of one condition (replacing an earlier one), starting its
    registration for the lot if it has none; a refused registration goes back to draft."""
    case = _lot(session, case_id)
    institution = user.institution
    _check_may_register(session, case, institution)
    proven = condition(session, condition_id)
    if proven.case_id != case.id:
        raise ConditionNotFound()
    registration = registration_for(session, case.id, institution.id)
    before = QualificationStatus(registration.status) if registration else None
    after = status_after(before, QualificationStep.ATTACH)
    document = store_document(session, filename=filename, data=data, now=now, by=user)
    if registration is None:
        registration = LotRegistration(case_id=case.id, institution_id=institution.id,
                                       credit_code=institution.credit_code, status=after, created_at=now,
                                       decision_reason="")
        session.add(registration)
        session.flush()
    registration.status = after
    proof = next((p for p in registration.proofs if p.condition_id == proven.id), None)
    if proof is None:
        registration.proofs.append(RegistrationProof(condition_id=proven.id, document_id=document.id,
                                                     attached_at=now))
    else:
        proof.document_id, proof.attached_at = document.id, now
    session.flush()
    session.expire(registration, ["proofs"])
    record_event(session, actor=Actor.of(user), entity="lot_registration", entity_id=registration.id,
                 action="proof_attached", now=now, from_state=before.value if before else None, to_state=after.value,
                 detail={"case_id": case.id, "condition": proven.text, "filename": document.filename,
                         "sha256": document.sha256})
    return registration


def submit_registration(session: so.Session, case_id: int, *, user: User, now: datetime) -> LotRegistration:
    """Submit the registration for the operator's review: every condition proven; the credit code recorded."""
    case = _lot(session, case_id)
    institution = user.institution
    _check_may_register(session, case, institution)
    registration = registration_for(session, case.id, institution.id)
    conditions = [(c.id, c.text) for c in conditions_of(session, case.id)]
    if registration is None:
        check_proofs_complete(conditions, set())
    before = QualificationStatus(registration.status)
    after = status_after(before, QualificationStep.SUBMIT)
    check_proofs_complete(conditions, {p.condition_id for p in registration.proofs})
    registration.status, registration.credit_code = after, institution.credit_code
    registration.submitted_at, registration.submitted_by_user_id = now, user.id
    registration.decided_at, registration.decided_by_user_id, registration.decision_reason = None, None, ""
    record_event(session, actor=Actor.of(user), entity="lot_registration", entity_id=registration.id,
                 action="registration_submitted", now=now, from_state=before.value,
                 to_state=after.value, detail={"case_id": case.id, "credit_code": registration.credit_code,
                                               "proofs": [p.document.sha256 for p in registration.proofs]})
    return registration


def decide_registration(session: so.Session, registration_id: int, *, approve: bool, reason: str, actor: Actor,
                        now: datetime) -> LotRegistration:
    """The operator approves a submitted registration, or refuses it with a reason the institution reads."""
    check_reviewer(actor.role)
    found = session.get(LotRegistration, registration_id) if 0 < registration_id <= 2**31 - 1 else None
    if found is None:
        raise RegistrationNotFound()
    _lot(session, found.case_id)
    session.refresh(found)
    before = QualificationStatus(found.status)
    after = status_after(before, QualificationStep.APPROVE if approve else QualificationStep.REFUSE)
    found.decision_reason = decision_reason(reason, required=not approve)
    found.status, found.decided_at = after, now
    found.decided_by_user_id = actor.user.id if actor.user else None
    record_event(session, actor=actor, entity="lot_registration", entity_id=found.id,
                 action="registration_approved" if approve else "registration_refused", now=now,
                 from_state=before.value, to_state=after.value, reason=found.decision_reason,
                 detail={"case_id": found.case_id, "institution_id": found.institution_id,
                         "credit_code": found.credit_code})
    return found


# ---- inside the caller's transaction -------------------------------------------------------------------


def _reviews(user: User) -> bool:
    return may_review(user.role)


def _lot(session: so.Session, case_id: int) -> DisposalCase:
    case = lock_case(session, case_id) if 0 < case_id <= 2**31 - 1 else None
    if case is None:
        raise NotFound()
    return case


def _registration_count(session: so.Session, case_id: int) -> int:
    return session.scalar(sa.select(sa.func.count(LotRegistration.id))
                          .where(LotRegistration.case_id == case_id)) or 0


def _check_may_register(session: so.Session, case: DisposalCase, institution: Institution) -> None:
    """Who may register for the lot at all: a buyer of pledged IP (a licensed financial institution for a claim
    lot), not banned, on a lot with conditions to prove."""
    if not may_buy_pledged_ip(institution.kind) or (
            audience(session, case) == Audience.LICENSED_FINANCIAL
            and not may_buy_claims(institution.kind, institution.licensed_financial)):
        raise NotEligible()
    if not lot_requires_approval(session, case.id):
        raise NoConditionsToProve()
    check_may_register(banned=ban_in_force(session, institution.id) is not None,
                       already_registered=is_registered_for_lot(session, case_id=case.id,
                                                                institution_id=institution.id))

