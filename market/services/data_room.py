"""A lot's data room: who may see the lot and manage its room, documents in and out, the NDA, the seller's
approvals, and every download logged (questions: lot_questions.py; inspections: inspections.py).

The rules are market.domain.data_room; "registered for the lot" is lot_registration.is_registered_for_lot.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
import sqlalchemy.orm as so

from market.db import is_postgresql
from market.domain.data_room import (
    NDA_VERSION,
    DocumentCategory,
    NotRegisteredForLot,
    Reader,
    RoomAccess,
    RoomManagerRequired,
    check_may_read,
    check_nda_version,
    room_access,
)
from market.domain.errors import NotFound
from market.domain.roles import Role
from market.models import (
    DataRoom,
    DisposalCase,
    DocumentDownload,
    Institution,
    NdaAcceptance,
    RoomApproval,
    RoomDocument,
    User,
)
from market.services.access import can_see_case
from market.services.audit import Actor, record_event
from market.services.documents import store_document
from market.services.lot_registration import is_registered_for_lot

# ---- the lot and its managers --------------------------------------------------------------------


def lot_for(session: so.Session, case_id: int, viewer: User | None) -> DisposalCase:
    """The lot if it is listed (the public catalogue's rule) or the viewer may see the case; NotFound otherwise."""
    case = session.get(DisposalCase, case_id)
    if case is None or not (case.listed or (viewer is not None and can_see_case(viewer, case))):
        raise NotFound()
    return case


def manages(user: User | None, case: DisposalCase) -> bool:
    """The trading centre and the filing bank (the seller) manage a lot's room."""
    if user is None:
        return False
    return user.role == Role.OPERATOR or (user.role == Role.BANK and user.institution_id == case.bank_id)


def require_manager(user: User, case: DisposalCase) -> None:
    """Raise RoomManagerRequired unless the user manages the lot's room."""
    if not manages(user, case):
        raise RoomManagerRequired()


def room_of(session: so.Session, case_id: int) -> DataRoom | None:
    """The lot's room settings, if anyone has set them."""
    return session.scalar(sa.select(DataRoom).where(DataRoom.case_id == case_id))


def ensure_room(session: so.Session, case_id: int, now: datetime) -> DataRoom:
    """The lot's room settings row, made on first use (it is what room events are recorded against)."""
    room = room_of(session, case_id)
    if room is None:
        room = DataRoom(case_id=case_id, approval_required=False, updated_at=now)
        session.add(room)
        session.flush()
    return room


# ---- who reads what ------------------------------------------------------------------------------


def reader_of(session: so.Session, case: DisposalCase, viewer: User | None) -> Reader:
    """What the room rules need to know about the viewer for this lot."""
    if viewer is None:
        return Reader()
    if can_see_case(viewer, case):
        return Reader(party=True)
    institution_id = viewer.institution_id
    if institution_id is None:
        return Reader()
    accepted = session.scalar(sa.select(NdaAcceptance.nda_version).where(
        NdaAcceptance.case_id == case.id, NdaAcceptance.institution_id == institution_id,
        NdaAcceptance.nda_version == NDA_VERSION))
    approved = session.scalar(sa.select(RoomApproval.id).where(
        RoomApproval.case_id == case.id, RoomApproval.institution_id == institution_id,
        RoomApproval.revoked_at.is_(None))) is not None
    return Reader(registered=is_registered_for_lot(session, case_id=case.id, institution_id=institution_id),
                  nda_version=accepted, approved=approved)


def access_of(session: so.Session, case: DisposalCase, viewer: User | None) -> RoomAccess:
    """How far the viewer may go in the lot's room."""
    room = room_of(session, case.id)
    return room_access(reader_of(session, case, viewer), approval_required=bool(room and room.approval_required))


def documents(session: so.Session, case_id: int) -> list[RoomDocument]:
    """The room's documents in force (not withdrawn), by category then title; each says whether confidential."""
    return list(session.scalars(
        sa.select(RoomDocument).where(RoomDocument.case_id == case_id, RoomDocument.withdrawn_at.is_(None))
        .options(so.joinedload(RoomDocument.document))  # its bytes stay deferred
        .order_by(RoomDocument.category, RoomDocument.title, RoomDocument.id)))


def open_document(session: so.Session, case_id: int, room_document_id: int, *, viewer: User | None, via: str,
                  now: datetime) -> RoomDocument:
    """A document for download once the room's rules let the viewer read it; the download is logged."""
    case = lot_for(session, case_id, viewer)
    entry = session.scalar(sa.select(RoomDocument).where(
        RoomDocument.id == room_document_id, RoomDocument.case_id == case.id, RoomDocument.withdrawn_at.is_(None)))
    if entry is None:
        raise NotFound()
    check_may_read(entry.confidential, access_of(session, case, viewer))
    session.add(DocumentDownload(room_document_id=entry.id, user_id=viewer.id if viewer else None,
                                 institution_id=viewer.institution_id if viewer else None, via=via,
                                 downloaded_at=now))
    session.flush()
    return entry


def downloads(session: so.Session, case_id: int) -> list[sa.Row]:
    """The room's download log, newest first: when, which document, who and for which institution."""
    return list(session.execute(
        sa.select(DocumentDownload.downloaded_at, RoomDocument.title, RoomDocument.confidential, User.email,
                  Institution.name.label("institution"), DocumentDownload.via)
        .join(RoomDocument, RoomDocument.id == DocumentDownload.room_document_id)
        .outerjoin(User, User.id == DocumentDownload.user_id)
        .outerjoin(Institution, Institution.id == DocumentDownload.institution_id)
        .where(RoomDocument.case_id == case_id)
        .order_by(DocumentDownload.id.desc()).limit(500)))


# ---- the managers' verbs -------------------------------------------------------------------------


def add_document(session: so.Session, case_id: int, *, category: DocumentCategory, title: str, confidential: bool,
                 filename: str, data: bytes, actor: Actor, now: datetime) -> RoomDocument:
    """Keep the file (with its SHA-256) and put it in the lot's room; the seller or the centre only."""
    case = lot_for(session, case_id, actor.user)
    require_manager(actor.user, case)
    stored = store_document(session, filename=filename, data=data, now=now, by=actor.user)
    entry = RoomDocument(case_id=case.id, document_id=stored.id, category=category,
                         title=(title or "").strip()[:200] or stored.filename, confidential=confidential,
                         added_at=now, added_by_user_id=actor.user.id)
    session.add(entry)
    session.flush()
    record_event(session, actor=actor, entity="room_document", entity_id=entry.id, action="document_added", now=now,
                 detail={"case_id": case.id, "category": category.value, "confidential": confidential,
                         "sha256": stored.sha256, "filename": stored.filename})
    return entry


def withdraw_document(session: so.Session, case_id: int, room_document_id: int, *, actor: Actor,
                      now: datetime) -> RoomDocument:
    """Take a document out of the room (it stays stored, with its downloads)."""
    case = lot_for(session, case_id, actor.user)
    require_manager(actor.user, case)
    entry = session.scalar(sa.select(RoomDocument).where(
        RoomDocument.id == room_document_id, RoomDocument.case_id == case.id, RoomDocument.withdrawn_at.is_(None)))
    if entry is None:
        raise NotFound()
    entry.withdrawn_at = now
    record_event(session, actor=actor, entity="room_document", entity_id=entry.id, action="document_withdrawn",
                 now=now, detail={"case_id": case.id})
    return entry


def require_approval(session: so.Session, case_id: int, required: bool, *, actor: Actor, now: datetime) -> DataRoom:
    """The seller (or the centre) decides whether each institution needs its approval for confidential files."""
    case = lot_for(session, case_id, actor.user)
    require_manager(actor.user, case)
    room = _locked_room(session, case.id, now)
    if room.approval_required != required:
        room.approval_required, room.updated_at = required, now
        record_event(session, actor=actor, entity="data_room", entity_id=room.id,
                     action="approval_required" if required else "approval_not_required", now=now,
                     detail={"case_id": case.id})
    return room


def approve_institution(session: so.Session, case_id: int, institution_id: int, *, approve: bool, actor: Actor,
                        now: datetime) -> RoomApproval | None:
    """Approve an institution that accepted the NDA for the room's confidential documents, or revoke it."""
    case = lot_for(session, case_id, actor.user)
    require_manager(actor.user, case)
    room = _locked_room(session, case.id, now)
    if session.get(Institution, institution_id) is None:
        raise NotFound()
    approval = session.scalar(sa.select(RoomApproval).where(
        RoomApproval.case_id == case.id, RoomApproval.institution_id == institution_id))
    if approve:
        if approval is None:
            approval = RoomApproval(case_id=case.id, institution_id=institution_id,
                                    approved_by_user_id=actor.user.id, approved_at=now)
            session.add(approval)
        elif approval.revoked_at is None:
            return approval
        else:
            approval.revoked_at, approval.approved_at, approval.approved_by_user_id = None, now, actor.user.id
    elif approval is None or approval.revoked_at is not None:
        return approval
    else:
        approval.revoked_at = now
    session.flush()
    record_event(session, actor=actor, entity="data_room", entity_id=room.id,
                 action="institution_approved" if approve else "approval_revoked", now=now,
                 detail={"case_id": case.id, "institution_id": institution_id})
    return approval


def accept_nda(session: so.Session, case_id: int, *, version: str, actor: Actor, now: datetime) -> NdaAcceptance:
    """The user accepts the lot's NDA for its institution (registered for the lot); idempotent per version."""
    user = actor.user
    case = lot_for(session, case_id, user)
    check_nda_version(version)
    if user.institution_id is None or not is_registered_for_lot(session, case_id=case.id,
                                                                institution_id=user.institution_id):
        raise NotRegisteredForLot()
    room = ensure_room(session, case.id, now)
    existing = session.scalar(sa.select(NdaAcceptance).where(
        NdaAcceptance.case_id == case.id, NdaAcceptance.institution_id == user.institution_id,
        NdaAcceptance.nda_version == version))
    if existing is not None:
        return existing
    acceptance = NdaAcceptance(case_id=case.id, institution_id=user.institution_id, nda_version=version,
                               accepted_by_user_id=user.id, accepted_at=now)
    session.add(acceptance)
    session.flush()
    record_event(session, actor=actor, entity="data_room", entity_id=room.id, action="nda_accepted", now=now,
                 detail={"case_id": case.id, "institution_id": user.institution_id, "version": version})
    return acceptance


def acceptances(session: so.Session, case_id: int) -> list[tuple[NdaAcceptance, bool]]:
    """Every NDA acceptance of the lot (newest first), each with whether its institution is approved now."""
    approved = set(session.scalars(sa.select(RoomApproval.institution_id).where(
        RoomApproval.case_id == case_id, RoomApproval.revoked_at.is_(None))))
    rows = session.scalars(sa.select(NdaAcceptance).where(NdaAcceptance.case_id == case_id)
                           .options(so.joinedload(NdaAcceptance.institution), so.joinedload(NdaAcceptance.accepted_by))
                           .order_by(NdaAcceptance.id.desc()))
    return [(row, row.institution_id in approved) for row in rows]


def _locked_room(session: so.Session, case_id: int, now: datetime) -> DataRoom:
    room = ensure_room(session, case_id, now)
    if is_postgresql(session):
        session.execute(sa.select(DataRoom.id).where(DataRoom.id == room.id).with_for_update())
    return room
