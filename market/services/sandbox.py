"""The sandbox's clock, kept in the database so every worker and the tick process read the same time."""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa
import sqlalchemy.orm as so
from sqlalchemy.dialects import postgresql, sqlite

from market.db import is_postgresql
from market.domain.sandbox import ClockAnchor, JumpNeedsOneTarget
from market.models import SandboxClock
from market.models.sandbox import SANDBOX_CLOCK_ID
from market.services.audit import Actor, record_event

ENTITY = "sandbox_clock"


def clock_anchor(session: so.Session, real_now: datetime, factor: int) -> ClockAnchor:
    """The clock's anchor; the first read starts the clock (at real time), a new configured factor re-anchors it."""
    row = session.get(SandboxClock, SANDBOX_CLOCK_ID, populate_existing=True)  # a jump by another worker counts
    if row is None:
        return _start(session, real_now, factor)
    if row.factor != factor:
        return _set_factor(session, real_now, factor)
    return row.anchor()


def jump(session: so.Session, *, actor: Actor, real_now: datetime, factor: int, to: datetime | None = None,
         forward: timedelta | None = None) -> ClockAnchor:
    """Move the sandbox's clock forward to `to`, or by `forward` (exactly one); never back. Audited."""
    if (to is None) == (forward is None):
        raise JumpNeedsOneTarget()
    row = _locked(session, real_now, factor)
    before = row.anchor()
    current = before.time_at(real_now)
    after = before.jumped_to(to if to is not None else current + forward, real_now)
    row.real_at, row.sandbox_at = after.real_at, after.sandbox_at
    record_event(session, actor=actor, entity=ENTITY, entity_id=SANDBOX_CLOCK_ID, action="clock_jumped",
                 now=current, detail={"sandbox_before_at": current.isoformat(),
                                      "sandbox_after_at": after.sandbox_at.isoformat(), "factor": after.factor})
    return after


def _locked(session: so.Session, real_now: datetime, factor: int) -> SandboxClock:
    """The row, locked for a change (started or re-anchored first when it must be)."""
    clock_anchor(session, real_now, factor)
    return session.scalars(sa.select(SandboxClock).where(SandboxClock.id == SANDBOX_CLOCK_ID)
                           .with_for_update().execution_options(populate_existing=True)).one()


def _start(session: so.Session, real_now: datetime, factor: int) -> ClockAnchor:
    """Insert the row unless another worker just did; audit the start once."""
    anchor = ClockAnchor.started(real_now, factor)
    dialect = postgresql if is_postgresql(session) else sqlite
    inserted = session.execute(
        dialect.insert(SandboxClock).values(id=SANDBOX_CLOCK_ID, real_at=anchor.real_at,
                                            sandbox_at=anchor.sandbox_at, factor=factor)
        .on_conflict_do_nothing(index_elements=["id"]).returning(SandboxClock.id)
    ).first()
    if inserted is None:  # another worker started it first
        return clock_anchor(session, real_now, factor)
    record_event(session, actor=Actor.system(), entity=ENTITY, entity_id=SANDBOX_CLOCK_ID, action="clock_started",
                 now=anchor.sandbox_at, detail={"factor": factor})
    return anchor


def _set_factor(session: so.Session, real_now: datetime, factor: int) -> ClockAnchor:
    """Re-anchor at the configured factor (the sandbox time carries on); audited."""
    row = session.scalars(sa.select(SandboxClock).where(SandboxClock.id == SANDBOX_CLOCK_ID)
                          .with_for_update().execution_options(populate_existing=True)).one()
    if row.factor == factor:  # another worker changed it first
        return row.anchor()
    before = row.anchor()
    after = before.running_at(factor, real_now)
    row.real_at, row.sandbox_at, row.factor = after.real_at, after.sandbox_at, after.factor
    record_event(session, actor=Actor.system(), entity=ENTITY, entity_id=SANDBOX_CLOCK_ID, action="factor_changed",
                 now=after.sandbox_at, from_state=str(before.factor), to_state=str(factor), detail={"factor": factor})
    session.flush()
    return after
