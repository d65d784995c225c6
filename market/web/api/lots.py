"""Registering to bid for a lot, for banks' systems: who may bid, a proof per condition (multipart), submitting;
and the trading centre's review (the list, approve or refuse with a reason)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BeforeValidator, Field
from spectree.model_adapter.pydantic_adapter import BaseFile

from market.domain.qualification import Audience, QualificationStatus
from market.domain.roles import Role
from market.models import LotRegistration
from market.services import qualification, strikes
from market.services.audit import Actor
from market.web.api import api_caller, api_user, bp
from market.web.api.contract import IdempotencyKey, Model, Moment, operation
from market.web.api.idempotency import idempotent
from market.web.api.problems import InvalidStatus
from market.web.context import db, now
from market.web.documents import accepts_documents, uploaded_file
from market.web.request_limits import MAX_ID


class ConditionView(Model):
    """A condition the trading centre asks every bidder of the lot to prove."""

    id: int
    text: str


class ProofView(Model):
    """A document filed as the proof of one condition, with its SHA-256."""

    id: int
    condition_id: int
    filename: str
    sha256: str = Field(description="SHA-256 of the file's bytes, 64 hex digits")
    size_bytes: int
    attached_at: Moment


class RegistrationView(Model):
    """An institution's registration for a lot and the trading centre's decision."""

    id: int
    case_id: int
    institution_id: int
    credit_code: str = Field(description="Unified social credit code (统一社会信用代码) as registered")
    status: QualificationStatus
    submitted_at: Moment | None
    decided_at: Moment | None
    reason: str = Field(description="The trading centre's reason (always given for a refusal)")
    proofs: list[ProofView]


class LotQualification(Model):
    """Who may bid for the lot, its conditions, and your registration."""

    case_id: int
    audience: Audience
    requires_approval: bool = Field(description="Bids only from institutions whose registration was approved")
    conditions: list[ConditionView]
    registration: RegistrationView | None
    banned: bool = Field(description="Your institution may not register for new lots (unpaid wins)")
    server_time: Moment


class ProofIn(Model):
    """One proof: the condition it proves and the file (PDF, PNG or JPEG, at most 10 MB)."""

    condition_id: int = Field(ge=1, le=MAX_ID)
    proof: BaseFile


class DecisionIn(Model):
    """Approve, or refuse with a reason the institution reads."""

    approve: bool
    reason: str = Field("", max_length=2000)


def _status(value: object) -> object:
    if value is not None and value not in {s.value for s in QualificationStatus}:
        raise InvalidStatus(allowed=[s.value for s in QualificationStatus])
    return value


class RegistrationQuery(Model):
    """?status=pending (the default) lists those waiting for a decision."""

    status: Annotated[QualificationStatus | None, BeforeValidator(_status)] = QualificationStatus.PENDING


class RegistrationList(Model):
    """Registrations, oldest submission first."""

    registrations: list[RegistrationView]
    server_time: Moment


def registration_view(registration: LotRegistration) -> RegistrationView:
    """A registration as the API shows it."""
    return RegistrationView(
        id=registration.id, case_id=registration.case_id, institution_id=registration.institution_id,
        credit_code=registration.credit_code, status=registration.status, submitted_at=registration.submitted_at,
        decided_at=registration.decided_at, reason=registration.decision_reason,
        proofs=[ProofView(id=p.id, condition_id=p.condition_id, filename=p.document.filename,
                          sha256=p.document.sha256, size_bytes=p.document.size_bytes, attached_at=p.attached_at)
                for p in registration.proofs])


def _qualification(case_id: int, at: datetime) -> LotQualification:
    caller = api_caller()
    session = db()
    case = qualification.visible_lot(session, case_id, caller)
    conditions = qualification.conditions_of(session, case.id)
    found = qualification.registration_for(session, case.id, caller.institution_id)
    return LotQualification(
        case_id=case.id, audience=qualification.audience(session, case), requires_approval=bool(conditions),
        conditions=[ConditionView(id=c.id, text=c.text) for c in conditions],
        registration=registration_view(found) if found else None,
        banned=strikes.ban_in_force(session, caller.institution_id) is not None, server_time=at)


_ERRORS = {401: "No or bad token", 404: "No such lot"}
_WRITE = {400: "Missing Idempotency-Key", 401: "No or bad token"}


@bp.get("/lots/<int:case_id>/registration")
@operation("lots", {200: (LotQualification, "Who may bid, the conditions and your registration"), **_ERRORS})
def get_lot_registration(case_id: int):
    """Who may bid for a lot, and your registration

    The audience (any registered institution; licensed financial institutions for a claim lot), the
    trading centre's conditions and your registration with its proofs and decision."""
    return _qualification(case_id, now())


@bp.post("/lots/<int:case_id>/registration/proofs")
@accepts_documents(check_csrf=False)
@idempotent
@operation("lots", {201: (LotQualification, "The proof is kept; your registration is a draft"), **_WRITE,
                    403: "Not eligible, or banned from new lots", 404: "No such lot or condition",
                    409: "The registration is under review or approved, or the lot has no conditions",
                    413: "The body is larger than one document",
                    422: "No file, a type the platform does not keep, or content that is not what the name says"})
def post_lot_proof(case_id: int, form: ProofIn, headers: IdempotencyKey):
    """Upload the proof of one condition

    multipart/form-data with `condition_id` and the file as `proof` (PDF, PNG or JPEG up to 10 MB); a newer
    upload for the same condition replaces the earlier one. Starts your registration if you have none."""
    user = api_user(write=True)
    qualification.visible_lot(db(), case_id, api_caller())
    filename, data = uploaded_file("proof")
    qualification.attach_proof(db(), case_id, form.condition_id, filename=filename, data=data, user=user,
                               now=now())
    return _qualification(case_id, now()), 201


@bp.post("/lots/<int:case_id>/registration")
@idempotent
@operation("lots", {200: (LotQualification, "Submitted: the trading centre reviews it"), **_WRITE,
                    403: "Not eligible, or banned from new lots", 404: "No such lot",
                    409: "Under review or approved already, or the lot has no conditions",
                    422: "A condition has no proof yet"})
def post_lot_registration(case_id: int, headers: IdempotencyKey):
    """Submit your registration for approval

    Every condition needs its proof; your unified social credit code is recorded with it."""
    user = api_user(write=True)
    qualification.visible_lot(db(), case_id, api_caller())
    qualification.submit_registration(db(), case_id, user=user, now=now())
    return _qualification(case_id, now())


@bp.get("/lots/registrations")
@operation("lots", {200: (RegistrationList, "Registrations"), 400: "Unknown status", 401: "No or bad token",
                    403: "Only the trading centre"}, roles=[Role.OPERATOR])
def list_lot_registrations(query: RegistrationQuery):
    """Registrations to review (trading centre)

    ?status=pending (the default), approved or refused; oldest submission first."""
    found = qualification.registrations(db(), status=query.status)
    return RegistrationList(registrations=[registration_view(r) for r in found], server_time=now())


@bp.post("/lots/registrations/<int:registration_id>/decision")
@idempotent
@operation("lots", {200: (RegistrationView, "Decided"), **_WRITE, 403: "Only the trading centre",
                    404: "No such registration", 409: "Not waiting for a decision",
                    422: "A refusal without a reason"}, roles=[Role.OPERATOR])
def post_lot_registration_decision(registration_id: int, json: DecisionIn, headers: IdempotencyKey):
    """Approve or refuse a registration (trading centre)

    A refusal needs a reason; the institution reads it."""
    decided = qualification.decide_registration(db(), registration_id, approve=json.approve, reason=json.reason,
                                                actor=Actor.of(api_user(write=True)), now=now())
    return registration_view(decided)
