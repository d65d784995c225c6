"""A lot's data room, its questions and its inspections: the rules, without the database.

A lot is a disposal case put up for sale. Its documents are public (anyone who may see the lot reads them)
or confidential: those open to an institution registered for the lot once it has accepted the lot's NDA in
the version in force, and, when the seller asks for it, once the seller (or the trading centre) has
approved that institution. The case's parties (the filing bank, the centre, the bureau, the layers) read
everything, as they read the case. During the notice period anyone signed in may ask a question until the
question window closes (by default when bidding may open; the centre may close it earlier); answers are
published with the asker anonymous. The centre publishes inspection slots that registered bidders book up
to the slot's capacity.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime, timedelta

from market.domain.case_states import CaseState
from market.domain.errors import Forbidden, Kind
from market.domain.rules import RuleBroken

# The NDA in force: its version is recorded with every acceptance; a new version needs a new acceptance.
NDA_VERSION = "2026-1"
MAX_QUESTION_CHARS = 2000
MAX_ANSWER_CHARS = 4000
MAX_TITLE_CHARS = 200
MAX_SLOT_CAPACITY = 200
MAX_SLOT_HOURS = 12
# How long before bidding may open the centre may close questions at the most (the whole notice period is 30 days)
MAX_CLOSE_BEFORE = timedelta(days=30)


class DocumentCategory(enum.StrEnum):
    """What a document in a lot's data room is."""

    TITLE_CERTIFICATE = "title_certificate"
    REGISTRY_EXTRACT = "registry_extract"
    VALUATION_REPORT = "valuation_report"
    LICENCE = "licence"
    ENCUMBRANCE = "encumbrance"
    PLEDGE_REGISTRATION = "pledge_registration"
    OTHER = "other"



class InspectionKind(enum.StrEnum):
    """What a bidder may come to see before bidding."""

    TECHNOLOGY_DEMONSTRATION = "technology_demonstration"
    INVENTOR_SESSION = "inventor_session"
    PHYSICAL_CARRIERS = "physical_carriers"


class Attendance(enum.StrEnum):
    """Whether a booked institution came to its inspection."""

    ATTENDED = "attended"
    ABSENT = "absent"


class RoomAccess(enum.StrEnum):
    """How far a reader may go in a lot's data room."""

    NEEDS_REGISTRATION = "needs_registration"  # public documents only: register for the lot first
    NEEDS_NDA = "needs_nda"  # accept the NDA in force
    AWAITING_APPROVAL = "awaiting_approval"  # the seller approves each institution
    FULL = "full"  # every document


# ---- refusals ------------------------------------------------------------------------------------


class NotRegisteredForLot(Forbidden):
    """Only an institution registered for the lot may do this."""

    code = "not_registered_for_lot"


class NdaRequired(Forbidden):
    """Confidential documents open once the institution has accepted the lot's NDA."""

    code = "nda_required"


class RoomApprovalRequired(Forbidden):
    """The seller approves each institution before it reads confidential documents."""

    code = "room_approval_required"


class RoomManagerRequired(Forbidden):
    """Only the filing bank and the trading centre manage a lot's data room."""

    code = "room_manager_required"


class NdaVersionOutdated(RuleBroken):
    """The NDA accepted is not the one in force."""

    code, kind, fields = "nda_version_outdated", Kind.CONFLICT, ("version",)


class QuestionsClosed(RuleBroken):
    """Questions are taken only during the notice period, until the window closes."""

    code, kind, fields = "questions_closed", Kind.CONFLICT, ("closes_at",)


class QuestionsNotOpen(RuleBroken):
    """The lot's notice is not published (or no longer running): no questions are taken."""

    code, kind = "questions_not_open", Kind.CONFLICT


class QuestionCloseOutOfRange(RuleBroken):
    """Questions close between now and the moment bidding may open."""

    code, fields = "question_close_out_of_range", ("earliest", "latest")


class QuestionAlreadyAnswered(RuleBroken):
    """A published answer stands; it is not rewritten."""

    code, kind = "question_already_answered", Kind.CONFLICT


class TextRequired(RuleBroken):
    """The question or answer is empty or too long."""

    code, fields = "text_required", ("limit",)


class SlotTimesInvalid(RuleBroken):
    """A slot starts in the future and lasts at most MAX_SLOT_HOURS."""

    code, fields = "slot_times_invalid", ("max_hours",)


class SlotCapacityOutOfRange(RuleBroken):
    """A slot takes between 1 and MAX_SLOT_CAPACITY institutions."""

    code, fields = "slot_capacity_out_of_range", ("maximum",)


class SlotFull(RuleBroken):
    """Every place of the slot is booked."""

    code, kind, fields = "slot_full", Kind.CONFLICT, ("capacity",)


class SlotClosed(RuleBroken):
    """The slot was cancelled or has begun: no booking changes."""

    code, kind = "slot_closed", Kind.CONFLICT


class AttendanceTooEarly(RuleBroken):
    """Attendance is recorded once the slot has begun."""

    code, kind = "attendance_too_early", Kind.CONFLICT


# ---- access --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Reader:
    """What the room needs to know about one reader of one lot."""

    party: bool = False  # sees the case (filing bank, centre, bureau, layers): everything
    registered: bool = False  # its institution is registered for the lot
    nda_version: str | None = None  # the version its institution accepted, if any
    approved: bool = False  # the seller approved its institution


def room_access(reader: Reader, *, approval_required: bool) -> RoomAccess:
    """How far the reader may go: parties everything; others after registration, NDA and (if asked) approval."""
    if reader.party:
        return RoomAccess.FULL
    if not reader.registered:
        return RoomAccess.NEEDS_REGISTRATION
    if reader.nda_version != NDA_VERSION:
        return RoomAccess.NEEDS_NDA
    if approval_required and not reader.approved:
        return RoomAccess.AWAITING_APPROVAL
    return RoomAccess.FULL


def check_may_read(confidential: bool, access: RoomAccess) -> None:
    """Raise the refusal that says what is missing before this document opens."""
    if not confidential or access is RoomAccess.FULL:
        return
    if access is RoomAccess.NEEDS_REGISTRATION:
        raise NotRegisteredForLot()
    if access is RoomAccess.NEEDS_NDA:
        raise NdaRequired()
    raise RoomApprovalRequired()


def check_nda_version(version: str) -> None:
    """An acceptance is of the NDA in force."""
    if version != NDA_VERSION:
        raise NdaVersionOutdated(version=NDA_VERSION)


# ---- questions -----------------------------------------------------------------------------------


def questions_close_at(notice_ends_at: datetime | None, closed_at: datetime | None) -> datetime | None:
    """When the question window closes: the centre's earlier time, else when bidding may open."""
    if notice_ends_at is None:
        return closed_at
    return min(notice_ends_at, closed_at) if closed_at is not None else notice_ends_at


def check_question_window(state: CaseState, notice_ends_at: datetime | None, closed_at: datetime | None,
                          now: datetime) -> None:
    """Questions are taken while the notice runs and before the window closes."""
    if state != CaseState.NOTICE_PUBLISHED:
        raise QuestionsNotOpen()
    closes = questions_close_at(notice_ends_at, closed_at)
    if closes is not None and now >= closes:
        raise QuestionsClosed(closes_at=closes)


def check_close_time(closes_at: datetime, notice_ends_at: datetime | None, now: datetime) -> None:
    """The centre closes questions at a time from now until bidding may open (not more than 30 days before)."""
    latest = notice_ends_at or now + MAX_CLOSE_BEFORE
    earliest = max(now, latest - MAX_CLOSE_BEFORE)
    if not earliest <= closes_at <= latest:
        raise QuestionCloseOutOfRange(earliest=earliest, latest=latest)


def clean_text(text: str | None, limit: int) -> str:
    """A question or answer as kept: stripped, not empty, within its limit."""
    cleaned = (text or "").strip()
    if not cleaned or len(cleaned) > limit:
        raise TextRequired(limit=limit)
    return cleaned


# ---- inspections ---------------------------------------------------------------------------------


def check_slot(starts_at: datetime, ends_at: datetime, capacity: int, now: datetime) -> None:
    """A slot starts in the future, ends after it starts within MAX_SLOT_HOURS, and has room for 1..MAX."""
    if not (now < starts_at < ends_at <= starts_at + timedelta(hours=MAX_SLOT_HOURS)):
        raise SlotTimesInvalid(max_hours=MAX_SLOT_HOURS)
    if not 1 <= capacity <= MAX_SLOT_CAPACITY:
        raise SlotCapacityOutOfRange(maximum=MAX_SLOT_CAPACITY)


def check_booking_open(starts_at: datetime, cancelled: bool, now: datetime) -> None:
    """Bookings are made and cancelled before the slot begins, and never on a cancelled slot."""
    if cancelled or now >= starts_at:
        raise SlotClosed()


def check_attendance_time(starts_at: datetime, now: datetime) -> None:
    """Attendance is known once the slot has begun."""
    if now < starts_at:
        raise AttendanceTooEarly()
