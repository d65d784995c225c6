"""The data room's rules without a database: who reads what, when questions are taken, what a slot may be."""

from datetime import UTC, datetime, timedelta

import pytest

from market.domain.case_states import CaseState
from market.domain.data_room import (
    NDA_VERSION,
    NdaRequired,
    NdaVersionOutdated,
    NotRegisteredForLot,
    QuestionCloseOutOfRange,
    QuestionsClosed,
    QuestionsNotOpen,
    Reader,
    RoomAccess,
    RoomApprovalRequired,
    SlotCapacityOutOfRange,
    SlotClosed,
    SlotTimesInvalid,
    TextRequired,
    check_booking_open,
    check_close_time,
    check_may_read,
    check_nda_version,
    check_question_window,
    check_slot,
    clean_text,
    questions_close_at,
    room_access,
)

NOW = datetime(2026, 11, 22, 2, 0, tzinfo=UTC)
ENDS = NOW + timedelta(days=29)


def test_the_case_parties_read_everything_without_an_nda():
    assert room_access(Reader(party=True), approval_required=True) is RoomAccess.FULL


def test_a_registered_institution_reads_confidential_documents_after_the_nda_in_force():
    assert room_access(Reader(registered=True), approval_required=False) is RoomAccess.NEEDS_NDA
    assert room_access(Reader(registered=True, nda_version="2020-0"), approval_required=False) is RoomAccess.NEEDS_NDA
    assert room_access(Reader(registered=True, nda_version=NDA_VERSION), approval_required=False) is RoomAccess.FULL


def test_when_the_seller_asks_for_approval_the_nda_alone_is_not_enough():
    signed = Reader(registered=True, nda_version=NDA_VERSION)
    assert room_access(signed, approval_required=True) is RoomAccess.AWAITING_APPROVAL
    assert room_access(Reader(registered=True, nda_version=NDA_VERSION, approved=True),
                       approval_required=True) is RoomAccess.FULL


def test_an_unregistered_reader_sees_public_documents_only():
    access = room_access(Reader(), approval_required=False)
    check_may_read(False, access)
    with pytest.raises(NotRegisteredForLot):
        check_may_read(True, access)


@pytest.mark.parametrize(("access", "refusal"), [(RoomAccess.NEEDS_NDA, NdaRequired),
                                                 (RoomAccess.AWAITING_APPROVAL, RoomApprovalRequired)])
def test_a_confidential_document_says_what_is_missing(access, refusal):
    with pytest.raises(refusal):
        check_may_read(True, access)


def test_only_the_nda_in_force_is_accepted():
    check_nda_version(NDA_VERSION)
    with pytest.raises(NdaVersionOutdated):
        check_nda_version("1999-1")


def test_questions_close_when_bidding_may_open_unless_the_centre_closes_them_earlier():
    assert questions_close_at(ENDS, None) == ENDS
    assert questions_close_at(ENDS, ENDS - timedelta(days=3)) == ENDS - timedelta(days=3)
    check_question_window(CaseState.NOTICE_PUBLISHED, ENDS, None, NOW)
    with pytest.raises(QuestionsClosed):
        check_question_window(CaseState.NOTICE_PUBLISHED, ENDS, NOW - timedelta(minutes=1), NOW)


def test_questions_are_taken_only_during_the_notice_period():
    with pytest.raises(QuestionsNotOpen):
        check_question_window(CaseState.AUCTION, ENDS, None, NOW)


def test_the_centre_closes_questions_between_now_and_the_end_of_the_notice():
    check_close_time(ENDS - timedelta(days=2), ENDS, NOW)
    for wrong in (NOW - timedelta(hours=1), ENDS + timedelta(minutes=1)):
        with pytest.raises(QuestionCloseOutOfRange):
            check_close_time(wrong, ENDS, NOW)


def test_a_question_is_stripped_and_bounded():
    assert clean_text("  多少件专利？ ", 2000) == "多少件专利？"
    for wrong in ("   ", "x" * 2001):
        with pytest.raises(TextRequired):
            clean_text(wrong, 2000)


def test_a_slot_is_in_the_future_short_and_has_room():
    check_slot(NOW + timedelta(days=1), NOW + timedelta(days=1, hours=2), 5, NOW)
    with pytest.raises(SlotTimesInvalid):
        check_slot(NOW - timedelta(hours=1), NOW + timedelta(hours=1), 5, NOW)
    with pytest.raises(SlotTimesInvalid):
        check_slot(NOW + timedelta(days=1), NOW + timedelta(days=2), 5, NOW)
    with pytest.raises(SlotCapacityOutOfRange):
        check_slot(NOW + timedelta(days=1), NOW + timedelta(days=1, hours=1), 0, NOW)


def test_bookings_change_only_before_a_live_slot_begins():
    check_booking_open(NOW + timedelta(hours=1), False, NOW)
    for starts, cancelled in ((NOW, False), (NOW + timedelta(hours=1), True)):
        with pytest.raises(SlotClosed):
            check_booking_open(starts, cancelled, NOW)
