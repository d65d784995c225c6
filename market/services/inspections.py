"""Inspections of a lot: the centre publishes slots (technology demonstration, inventor session, viewing of
physical carriers), institutions registered for the lot book them up to the slot's capacity, and the centre
records who came. A booking takes a place by one guarded UPDATE of the slot's count, so two bookings for the
last place cannot both succeed."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
import sqlalchemy.orm as so

from market.domain.data_room import (
    Attendance,
    InspectionKind,
    NotRegisteredForLot,
    SlotFull,
    check_attendance_time,
    check_booking_open,
    check_slot,
)
from market.domain.errors import NotFound
from market.domain.roles import Role
from market.models import InspectionBooking, InspectionSlot
from market.services.access import require_role
from market.services.audit import Actor, record_event
from market.services.data_room import lot_for
from market.services.lot_registration import is_registered_for_lot


def slots(session: so.Session, case_id: int) -> list[InspectionSlot]:
    """The lot's slots, soonest first, with their bookings."""
    return list(session.scalars(
        sa.select(InspectionSlot).where(InspectionSlot.case_id == case_id)
        .options(so.selectinload(InspectionSlot.bookings).joinedload(InspectionBooking.institution))
        .order_by(InspectionSlot.starts_at, InspectionSlot.id)))


def booked_slot_ids(session: so.Session, case_id: int, institution_id: int | None) -> set[int]:
    """The lot's slots the institution holds a live booking in."""
    if institution_id is None:
        return set()
    return set(session.scalars(
        sa.select(InspectionBooking.slot_id).join(InspectionSlot, InspectionSlot.id == InspectionBooking.slot_id)
        .where(InspectionSlot.case_id == case_id, InspectionBooking.institution_id == institution_id,
               InspectionBooking.cancelled_at.is_(None))))


def publish_slot(session: so.Session, case_id: int, *, kind: InspectionKind, starts_at: datetime, ends_at: datetime,
                 place: str, capacity: int, actor: Actor, now: datetime) -> InspectionSlot:
    """The centre offers a time to inspect the lot."""
    require_role(actor.user, Role.OPERATOR)
    case = lot_for(session, case_id, actor.user)
    check_slot(starts_at, ends_at, capacity, now)
    slot = InspectionSlot(case_id=case.id, kind=kind, starts_at=starts_at, ends_at=ends_at, place=place.strip()[:200],
                          capacity=capacity, booked=0, published_by_user_id=actor.user.id, published_at=now)
    session.add(slot)
    session.flush()
    record_event(session, actor=actor, entity="inspection_slot", entity_id=slot.id, action="slot_published", now=now,
                 detail={"case_id": case.id, "kind": kind.value, "starts_at": starts_at.isoformat(),
                         "capacity": capacity})
    return slot


def cancel_slot(session: so.Session, case_id: int, slot_id: int, *, actor: Actor, now: datetime) -> InspectionSlot:
    """The centre withdraws a slot that has not begun; its bookings stay on record."""
    require_role(actor.user, Role.OPERATOR)
    slot = _slot(session, case_id, slot_id)
    check_booking_open(slot.starts_at, slot.cancelled_at is not None, now)
    slot.cancelled_at = now
    record_event(session, actor=actor, entity="inspection_slot", entity_id=slot.id, action="slot_cancelled", now=now,
                 detail={"case_id": slot.case_id})
    return slot


def book(session: so.Session, case_id: int, slot_id: int, *, actor: Actor, now: datetime) -> InspectionBooking:
    """Book a place for the user's institution (registered for the lot); booking again is a no-op."""
    user = actor.user
    slot = _slot(session, case_id, slot_id)
    lot_for(session, slot.case_id, user)
    if user.institution_id is None or not is_registered_for_lot(session, case_id=slot.case_id,
                                                                institution_id=user.institution_id):
        raise NotRegisteredForLot()
    check_booking_open(slot.starts_at, slot.cancelled_at is not None, now)
    booking = _booking(session, slot.id, user.institution_id)
    if booking is not None and booking.cancelled_at is None:
        return booking
    taken = session.execute(
        sa.update(InspectionSlot).where(InspectionSlot.id == slot.id, InspectionSlot.booked < InspectionSlot.capacity,
                                        InspectionSlot.cancelled_at.is_(None))
        .values(booked=InspectionSlot.booked + 1).returning(InspectionSlot.id)).first()
    if taken is None:
        raise SlotFull(capacity=slot.capacity)
    if booking is None:
        booking = InspectionBooking(slot_id=slot.id, institution_id=user.institution_id)
        session.add(booking)
    booking.booked_by_user_id, booking.booked_at, booking.cancelled_at = user.id, now, None
    session.flush()
    session.expire(slot, ["booked"])
    record_event(session, actor=actor, entity="inspection_slot", entity_id=slot.id, action="slot_booked", now=now,
                 detail={"case_id": slot.case_id, "institution_id": user.institution_id})
    return booking


def cancel_booking(session: so.Session, case_id: int, slot_id: int, *, actor: Actor, now: datetime) -> InspectionBooking:
    """The institution gives its place back before the slot begins."""
    user = actor.user
    slot = _slot(session, case_id, slot_id)
    check_booking_open(slot.starts_at, slot.cancelled_at is not None, now)
    booking = _booking(session, slot.id, user.institution_id) if user.institution_id else None
    if booking is None or booking.cancelled_at is not None:
        raise NotFound()
    booking.cancelled_at = now
    session.execute(sa.update(InspectionSlot).where(InspectionSlot.id == slot.id)
                    .values(booked=InspectionSlot.booked - 1))
    session.flush()
    session.expire(slot, ["booked"])
    record_event(session, actor=actor, entity="inspection_slot", entity_id=slot.id, action="booking_cancelled",
                 now=now, detail={"case_id": slot.case_id, "institution_id": user.institution_id})
    return booking


def record_attendance(session: so.Session, case_id: int, booking_id: int, attendance: Attendance, *, actor: Actor,
                      now: datetime) -> InspectionBooking:
    """The centre records whether a booked institution came (it may correct it)."""
    require_role(actor.user, Role.OPERATOR)
    booking = session.get(InspectionBooking, booking_id)
    if booking is None or booking.cancelled_at is not None or booking.slot.case_id != case_id:
        raise NotFound()
    check_attendance_time(booking.slot.starts_at, now)
    booking.attendance, booking.attendance_recorded_at = attendance, now
    record_event(session, actor=actor, entity="inspection_slot", entity_id=booking.slot_id,
                 action="attendance_recorded", now=now,
                 detail={"case_id": booking.slot.case_id, "institution_id": booking.institution_id,
                         "attendance": attendance.value})
    return booking


def _slot(session: so.Session, case_id: int, slot_id: int) -> InspectionSlot:
    slot = session.get(InspectionSlot, slot_id)
    if slot is None or slot.case_id != case_id:
        raise NotFound()
    return slot


def _booking(session: so.Session, slot_id: int, institution_id: int) -> InspectionBooking | None:
    return session.scalar(sa.select(InspectionBooking).where(
        InspectionBooking.slot_id == slot_id, InspectionBooking.institution_id == institution_id))
