"""A lot's data room, questions and inspections through the services, on the database."""

from datetime import timedelta

import pytest
import sqlalchemy as sa

from market.db import unit_of_work
from market.domain.data_room import (
    NDA_VERSION,
    Attendance,
    DocumentCategory,
    InspectionKind,
    NdaRequired,
    NotRegisteredForLot,
    QuestionAlreadyAnswered,
    QuestionsClosed,
    RoomAccess,
    RoomApprovalRequired,
    RoomManagerRequired,
    SlotFull,
)
from market.domain.documents import DocumentContentMismatch, sha256_hex
from market.domain.errors import NotFound
from market.domain.roles import Role
from market.models import AuditEvent, DocumentDownload, NdaAcceptance
from market.services import data_room, inspections, lot_questions
from market.services.audit import Actor
from tests.factories import make_user
from tests.factories_auctions import make_operator
from tests.factories_data_room import PDF, add_document, another_bidder, lot_with_bidder, make_lot


def _actions(session) -> list[tuple[str, str]]:
    return [(e.entity_type, e.action) for e in session.scalars(sa.select(AuditEvent).order_by(AuditEvent.id))]


def test_a_document_is_kept_with_its_sha256_and_its_addition_audited(session, clock):
    case, seller, _bidder = lot_with_bidder(session, clock)
    entry = add_document(session, clock, case, seller)
    assert entry.document.sha256 == sha256_hex(PDF)
    assert ("room_document", "document_added") in _actions(session)


def test_only_the_seller_and_the_centre_add_documents(session, clock):
    case, _seller, bidder = lot_with_bidder(session, clock)
    with pytest.raises(RoomManagerRequired), unit_of_work(session):
        data_room.add_document(session, case.id, category=DocumentCategory.OTHER, title="", confidential=False,
                               filename="x.pdf", data=PDF, actor=Actor.of(bidder), now=clock())
    add_document(session, clock, case, make_operator(session))


def test_a_renamed_file_is_refused_and_nothing_is_kept(session, clock):
    case, seller, _bidder = lot_with_bidder(session, clock)
    with pytest.raises(DocumentContentMismatch), unit_of_work(session):
        add_document(session, clock, case, seller, data=b"MZ not a pdf")
    assert data_room.documents(session, case.id) == []


def test_public_documents_open_to_anyone_and_each_download_is_logged(session, clock):
    case, seller, _bidder = lot_with_bidder(session, clock)
    entry = add_document(session, clock, case, seller, confidential=False)
    with unit_of_work(session):
        opened = data_room.open_document(session, case.id, entry.id, viewer=None, via="page", now=clock())
    assert opened.document.content == PDF
    logged = session.scalars(sa.select(DocumentDownload)).all()
    assert [(d.room_document_id, d.user_id, d.via) for d in logged] == [(entry.id, None, "page")]


def test_the_nda_gate_opens_confidential_documents_to_a_registered_institution(session, clock):
    case, seller, bidder = lot_with_bidder(session, clock)
    entry = add_document(session, clock, case, seller)
    with pytest.raises(NdaRequired), unit_of_work(session):
        data_room.open_document(session, case.id, entry.id, viewer=bidder, via="page", now=clock())
    with unit_of_work(session):
        data_room.accept_nda(session, case.id, version=NDA_VERSION, actor=Actor.of(bidder), now=clock())
    acceptance = session.scalar(sa.select(NdaAcceptance))
    assert (acceptance.institution_id, acceptance.accepted_by_user_id, acceptance.accepted_at) == \
        (bidder.institution_id, bidder.id, clock())
    with unit_of_work(session):
        data_room.open_document(session, case.id, entry.id, viewer=bidder, via="api", now=clock())
    assert session.scalar(sa.select(DocumentDownload.institution_id)) == bidder.institution_id


def test_an_institution_not_registered_for_the_lot_cannot_accept_the_nda(session, clock):
    case, _seller, _bidder = lot_with_bidder(session, clock)
    outsider = make_user(session, Role.BANK)
    with pytest.raises(NotRegisteredForLot), unit_of_work(session):
        data_room.accept_nda(session, case.id, version=NDA_VERSION, actor=Actor.of(outsider), now=clock())


def test_the_seller_may_require_its_approval_per_institution(session, clock):
    case, seller, bidder = lot_with_bidder(session, clock)
    entry = add_document(session, clock, case, seller)
    with unit_of_work(session):
        data_room.require_approval(session, case.id, True, actor=Actor.of(seller), now=clock())
        data_room.accept_nda(session, case.id, version=NDA_VERSION, actor=Actor.of(bidder), now=clock())
    assert data_room.access_of(session, case, bidder) is RoomAccess.AWAITING_APPROVAL
    with pytest.raises(RoomApprovalRequired), unit_of_work(session):
        data_room.open_document(session, case.id, entry.id, viewer=bidder, via="page", now=clock())
    with unit_of_work(session):
        data_room.approve_institution(session, case.id, bidder.institution_id, approve=True, actor=Actor.of(seller),
                                      now=clock())
    assert data_room.access_of(session, case, bidder) is RoomAccess.FULL
    with unit_of_work(session):
        data_room.approve_institution(session, case.id, bidder.institution_id, approve=False,
                                      actor=Actor.of(seller), now=clock())
    assert data_room.access_of(session, case, bidder) is RoomAccess.AWAITING_APPROVAL
    assert {("data_room", "approval_required"), ("data_room", "nda_accepted"), ("data_room", "institution_approved"),
            ("data_room", "approval_revoked")} <= set(_actions(session))


def test_a_withdrawn_document_is_no_longer_listed_or_opened(session, clock):
    case, seller, _bidder = lot_with_bidder(session, clock)
    entry = add_document(session, clock, case, seller, confidential=False)
    with unit_of_work(session):
        data_room.withdraw_document(session, case.id, entry.id, actor=Actor.of(seller), now=clock())
    assert data_room.documents(session, case.id) == []
    with pytest.raises(NotFound), unit_of_work(session):
        data_room.open_document(session, case.id, entry.id, viewer=None, via="page", now=clock())


def test_an_unlisted_case_is_not_found_by_the_public(session, clock):
    case = make_lot(session, clock, listed=False)
    with pytest.raises(NotFound):
        data_room.lot_for(session, case.id, None)


def test_a_question_is_published_with_its_answer_and_without_its_asker(session, clock):
    case = make_lot(session, clock)
    asker, operator = make_user(session, Role.GUARANTOR), make_operator(session)
    with unit_of_work(session):
        question = lot_questions.ask(session, case.id, "专利年费是否已缴纳？", actor=Actor.of(asker), now=clock())
    assert lot_questions.published(session, case.id) == []
    with unit_of_work(session):
        lot_questions.answer(session, case.id, question.id, "已缴至2027年。", actor=Actor.of(operator), now=clock())
    [published] = lot_questions.published(session, case.id)
    assert (published.text, published.answer) == ("专利年费是否已缴纳？", "已缴至2027年。")
    assert not hasattr(published, "asked_by_user_id")
    with pytest.raises(QuestionAlreadyAnswered), unit_of_work(session):
        lot_questions.answer(session, case.id, question.id, "改写", actor=Actor.of(operator), now=clock())


def test_the_centre_closes_questions_before_bidding_opens(session, clock):
    case, operator = make_lot(session, clock), make_operator(session)
    with unit_of_work(session):
        lot_questions.close_questions(session, case.id, clock() + timedelta(days=2), actor=Actor.of(operator),
                                      now=clock())
    clock.advance(days=2)
    with pytest.raises(QuestionsClosed), unit_of_work(session):
        lot_questions.ask(session, case.id, "还能提问吗？", actor=Actor.of(make_user(session)), now=clock())


def _slot(session, clock, case, capacity=1):
    with unit_of_work(session):
        return inspections.publish_slot(session, case.id, kind=InspectionKind.TECHNOLOGY_DEMONSTRATION,
                                        starts_at=clock() + timedelta(days=1), ends_at=clock() + timedelta(days=1, hours=2),
                                        place="北京市海淀区", capacity=capacity, actor=Actor.of(make_operator(session)),
                                        now=clock())


def test_registered_bidders_book_slots_up_to_their_capacity(session, clock):
    case, _seller, bidder = lot_with_bidder(session, clock)
    slot = _slot(session, clock, case)
    with unit_of_work(session):
        inspections.book(session, case.id, slot.id, actor=Actor.of(bidder), now=clock())
        inspections.book(session, case.id, slot.id, actor=Actor.of(bidder), now=clock())  # again: nothing changes
    other = another_bidder(session, clock, case)
    with pytest.raises(SlotFull), unit_of_work(session):
        inspections.book(session, case.id, slot.id, actor=Actor.of(other), now=clock())
    with unit_of_work(session):
        inspections.cancel_booking(session, case.id, slot.id, actor=Actor.of(bidder), now=clock())
        inspections.book(session, case.id, slot.id, actor=Actor.of(other), now=clock())
    session.refresh(slot)
    assert slot.booked == 1


def test_an_unregistered_institution_cannot_book(session, clock):
    case = make_lot(session, clock)
    slot = _slot(session, clock, case)
    with pytest.raises(NotRegisteredForLot), unit_of_work(session):
        inspections.book(session, case.id, slot.id, actor=Actor.of(make_user(session)), now=clock())


def test_the_centre_records_attendance_once_the_slot_has_begun(session, clock):
    case, _seller, bidder = lot_with_bidder(session, clock)
    slot = _slot(session, clock, case, capacity=3)
    with unit_of_work(session):
        booking = inspections.book(session, case.id, slot.id, actor=Actor.of(bidder), now=clock())
    clock.advance(days=1, minutes=5)
    with unit_of_work(session):
        inspections.record_attendance(session, case.id, booking.id, Attendance.ATTENDED,
                                      actor=Actor.of(make_operator(session)), now=clock())
    session.refresh(booking)
    assert booking.attendance is Attendance.ATTENDED
    assert ("inspection_slot", "attendance_recorded") in _actions(session)
