"""A lot's data room (documents, NDA acceptances, approvals, downloads), its questions and its inspections."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
import sqlalchemy.orm as so

from market.domain.data_room import Attendance, DocumentCategory, InspectionKind
from market.models.base import Base, UTCDateTime, enum_column
from market.models.core import Institution, User
from market.models.documents import StoredDocument

__all__ = ["DataRoom", "DocumentDownload", "InspectionBooking", "InspectionSlot", "LotQuestion", "NdaAcceptance",
           "RoomApproval", "RoomDocument"]


class DataRoom(Base):
    """A lot's room settings: whether the seller approves each institution, and when questions close."""

    __tablename__ = "data_room"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    case_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("disposal_case.id"), unique=True)
    approval_required: so.Mapped[bool] = so.mapped_column(default=False, server_default=sa.false())
    questions_closed_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime)  # the centre's earlier close
    updated_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime)


class RoomDocument(Base):
    """A document put in a lot's room: its category, title, whether confidential; withdrawn but never deleted."""

    __tablename__ = "room_document"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    case_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("disposal_case.id"), index=True)
    document_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("stored_document.id"))
    category: so.Mapped[DocumentCategory] = so.mapped_column(enum_column(DocumentCategory))
    title: so.Mapped[str] = so.mapped_column(sa.String(200))
    confidential: so.Mapped[bool] = so.mapped_column()
    added_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime)
    added_by_user_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("user_account.id"))
    withdrawn_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime)

    document: so.Mapped[StoredDocument] = so.relationship()


class NdaAcceptance(Base):
    """An institution accepted a lot's NDA in one version: who, when (append-only)."""

    __tablename__ = "nda_acceptance"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    case_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("disposal_case.id"))
    institution_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("institution.id"))
    nda_version: so.Mapped[str] = so.mapped_column(sa.String(20))
    accepted_by_user_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("user_account.id"))
    accepted_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime)

    institution: so.Mapped[Institution] = so.relationship()
    accepted_by: so.Mapped[User] = so.relationship()

    __table_args__ = (sa.UniqueConstraint("case_id", "institution_id", "nda_version"),)


class RoomApproval(Base):
    """The seller (or the centre) approved an institution for a room's confidential documents; revocable."""

    __tablename__ = "room_approval"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    case_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("disposal_case.id"))
    institution_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("institution.id"))
    approved_by_user_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("user_account.id"))
    approved_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime)
    revoked_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime)

    __table_args__ = (sa.UniqueConstraint("case_id", "institution_id"),)


class DocumentDownload(Base):
    """One download of a room document: who, for which institution, when, through which door (append-only)."""

    __tablename__ = "document_download"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    room_document_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("room_document.id"), index=True)
    user_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("user_account.id"))  # None: the public
    institution_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("institution.id"))
    via: so.Mapped[str] = so.mapped_column(sa.String(10))  # "page" or "api"
    downloaded_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime)


class LotQuestion(Base):
    """A question about a lot and the centre's answer, published with the asker anonymous."""

    __tablename__ = "lot_question"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    case_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("disposal_case.id"), index=True)
    text: so.Mapped[str] = so.mapped_column(sa.Text)
    asked_by_user_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("user_account.id"))
    asker_institution_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("institution.id"))
    asked_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime)
    answer: so.Mapped[str | None] = so.mapped_column(sa.Text)
    answered_by_user_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("user_account.id"))
    answered_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime)


class InspectionSlot(Base):
    """A time the centre offers bidders to inspect a lot, with room for `capacity` institutions."""

    __tablename__ = "inspection_slot"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    case_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("disposal_case.id"), index=True)
    kind: so.Mapped[InspectionKind] = so.mapped_column(enum_column(InspectionKind))
    starts_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime)
    ends_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime)
    place: so.Mapped[str] = so.mapped_column(sa.String(200))
    capacity: so.Mapped[int] = so.mapped_column()
    booked: so.Mapped[int] = so.mapped_column(default=0)  # live bookings, kept by the guarded UPDATE that books
    published_by_user_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("user_account.id"))
    published_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime)
    cancelled_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime)

    bookings: so.Mapped[list[InspectionBooking]] = so.relationship(back_populates="slot",
                                                                    order_by="InspectionBooking.id")

    __table_args__ = (
        sa.CheckConstraint("capacity > 0", name="capacity_positive"),
        sa.CheckConstraint("booked >= 0 AND booked <= capacity", name="booked_within_capacity"),
        sa.CheckConstraint("ends_at > starts_at", name="ends_after_start"),
    )


class InspectionBooking(Base):
    """An institution's place in a slot (one per institution; cancelled and rebooked in the same row)."""

    __tablename__ = "inspection_booking"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    slot_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("inspection_slot.id"))
    institution_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("institution.id"))
    booked_by_user_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("user_account.id"))
    booked_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime)
    cancelled_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime)
    attendance: so.Mapped[Attendance | None] = so.mapped_column(enum_column(Attendance))
    attendance_recorded_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime)

    slot: so.Mapped[InspectionSlot] = so.relationship(back_populates="bookings")
    institution: so.Mapped[Institution] = so.relationship()

    __table_args__ = (sa.UniqueConstraint("slot_id", "institution_id"),)
