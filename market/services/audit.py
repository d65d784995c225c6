"""The audit trail: append one hash-chained event per change; verify the chain end to end."""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import UTC, datetime

import sqlalchemy as sa
import sqlalchemy.orm as so

from market.db import is_postgresql
from market.domain.roles import Role
from market.models import AuditEvent, User

GENESIS = "0" * 64
_CHAIN_LOCK = 727_001  # PostgreSQL advisory lock id that serialises appends to the chain


@dataclass(frozen=True)
class Actor:
    """Who acts: a user, or the system (the tick command) when user is None."""

    user: User | None
    role: Role

    @classmethod
    def of(cls, user: User) -> Actor:
        """The actor for a logged-in user."""
        return cls(user=user, role=Role(user.role))

    @classmethod
    def system(cls) -> Actor:
        """The clock or another automatic process."""
        return cls(user=None, role=Role.SYSTEM)


def record_event(
    session: so.Session,
    *,
    actor: Actor,
    entity: str,
    entity_id: int,
    action: str,
    now: datetime,
    from_state: str | None = None,
    to_state: str | None = None,
    reason: str = "",
    detail: dict | None = None,
) -> AuditEvent:
    """Append one event to the chain inside the caller's unit of work."""
    if is_postgresql(session):
        session.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": _CHAIN_LOCK})
    prev = session.scalar(sa.select(AuditEvent.hash).order_by(AuditEvent.id.desc()).limit(1))
    event = AuditEvent(
        occurred_at=now,
        actor_user_id=actor.user.id if actor.user else None,
        actor_role=actor.role.value,
        entity_type=entity,
        entity_id=entity_id,
        action=action,
        from_state=from_state,
        to_state=to_state,
        reason=reason,
        detail=detail or {},
        prev_hash=prev or GENESIS,
    )
    event.hash = event_hash(event)
    session.add(event)
    session.flush()
    return event


def event_hash(event: AuditEvent) -> str:
    """The SHA-256 over the previous hash and this event's content."""
    body = {
        "occurred_at": event.occurred_at.replace(tzinfo=None).isoformat(timespec="microseconds"),
        "actor_user_id": event.actor_user_id,
        "actor_role": event.actor_role,
        "entity_type": event.entity_type,
        "entity_id": event.entity_id,
        "action": event.action,
        "from_state": event.from_state,
        "to_state": event.to_state,
        "reason": event.reason,
        "detail": event.detail,
    }
    canonical = json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)
    return hashlib.sha256((event.prev_hash + canonical).encode()).hexdigest()


@dataclass(frozen=True)
class ChainReport:
    """The result of verifying the audit chain."""

    checked: int
    broken_at: int | None
    problem: str = ""

    @property
    def ok(self) -> bool:
        """Whether every event matched its hash and its predecessor, and every anchor the chain."""
        return self.broken_at is None and not self.problem


@dataclass(frozen=True)
class Anchor:
    """What the chain was at a moment: its event count and head hash, kept by the operator outside the
    database (a rewritten or shortened chain no longer reaches it). With a key, a MAC makes it unforgeable."""

    count: int
    head: str
    at: datetime
    mac: str = ""

    def text(self) -> str:
        """The one line the operator keeps, e.g. ipd1/42/<head>/2026-12-05T08:00:00Z/<mac or ->."""
        return "/".join(("ipd1", str(self.count), self.head, f"{self.at:%Y-%m-%dT%H:%M:%SZ}", self.mac or "-"))

    def signed(self, key: str) -> Anchor:
        """The anchor with its MAC under `key` (empty key: unsigned)."""
        return Anchor(self.count, self.head, self.at, _mac(key, self) if key else "")

    def authentic(self, key: str) -> bool:
        """Whether the MAC is the one `key` gives (an unsigned anchor is authentic when there is no key)."""
        return hmac.compare_digest(self.mac, _mac(key, self) if key else "")

    @classmethod
    def parse(cls, text: str) -> Anchor:
        """An anchor from its line; ValueError if it is not one."""
        parts = text.strip().split("/")
        if len(parts) != 5 or parts[0] != "ipd1" or len(parts[2]) != 64:
            raise ValueError(f"not an audit anchor: {text!r}")
        at = datetime.strptime(parts[3], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
        return cls(int(parts[1]), parts[2], at, "" if parts[4] == "-" else parts[4])


def _mac(key: str, anchor: Anchor) -> str:
    message = f"{anchor.count}/{anchor.head}/{anchor.at:%Y-%m-%dT%H:%M:%SZ}"
    return hmac.new(key.encode(), message.encode(), hashlib.sha256).hexdigest()


def anchor(session: so.Session, now: datetime, key: str = "") -> Anchor:
    """The chain's anchor now: event count and head hash (signed when a key is given)."""
    count = session.scalar(sa.select(sa.func.count(AuditEvent.id))) or 0
    head = session.scalar(sa.select(AuditEvent.hash).order_by(AuditEvent.id.desc()).limit(1)) or GENESIS
    return Anchor(count, head, now.astimezone(UTC).replace(microsecond=0)).signed(key)


def verify_chain(session: so.Session, anchors: tuple[Anchor, ...] = ()) -> ChainReport:
    """Recompute every hash in order; report the first event that was edited or removed, then the first
    anchor the chain no longer reaches (events deleted from the end, or a chain rewritten and rehashed)."""
    prev = GENESIS
    checked = 0
    heads = {}  # what the chain's head was after each anchored count
    counts = {kept.count for kept in anchors}
    for event in session.scalars(sa.select(AuditEvent).order_by(AuditEvent.id)).yield_per(1000):
        if event.prev_hash != prev:
            return ChainReport(checked, event.id, "its predecessor is missing or was changed")
        if event_hash(event) != event.hash:
            return ChainReport(checked, event.id, "its content was changed after it was written")
        prev = event.hash
        checked += 1
        if checked in counts:
            heads[checked] = prev
    heads.setdefault(0, GENESIS)
    for kept in sorted(anchors, key=lambda kept: kept.count):
        if kept.count > checked:
            return ChainReport(checked, None, f"the anchor of {kept.at:%Y-%m-%d %H:%M} UTC counted {kept.count} "
                                              f"events, the trail has {checked}: events were deleted")
        if heads[kept.count] != kept.head:
            return ChainReport(checked, None, f"the anchor of {kept.at:%Y-%m-%d %H:%M} UTC does not match event "
                                              f"{kept.count}: the trail was rewritten")
    return ChainReport(checked, None)


def timeline(session: so.Session, entity: str, entity_id: int) -> list[AuditEvent]:
    """The events of one object, oldest first."""
    return list(
        session.scalars(
            sa.select(AuditEvent)
            .where(AuditEvent.entity_type == entity, AuditEvent.entity_id == entity_id)
            .order_by(AuditEvent.id)
        )
    )
