"""Strikes for winners who left a lot unpaid, the ban they lead to, and the operator lifting it (rules in
market.domain.qualification: StrikeRules, ban_due). The platform-wide counterpart of the per-case AuctionBar.

Writes lock the institution's row first (FOR UPDATE on PostgreSQL; BEGIN IMMEDIATE on SQLite), so two
defaults of the same institution at once count each other's strike, and one ban is imposed, not two (a
partial unique index backs it: one ban in force per institution).
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
import sqlalchemy.orm as so

from market.db import is_postgresql
from market.domain.errors import NotFound
from market.domain.qualification import (
    DEFAULT_STRIKE_RULES,
    BanAlreadyLifted,
    StrikeRules,
    ban_due,
    check_reviewer,
    counting_strikes,
    decision_reason,
)
from market.models import BiddingBan, BiddingStrike, Institution
from market.services.audit import Actor, record_event


class BanNotFound(NotFound):
    """No such ban."""


def ban_in_force(session: so.Session, institution_id: int) -> BiddingBan | None:
    """The institution's ban, while the operator has not lifted it."""
    return session.scalar(sa.select(BiddingBan).where(BiddingBan.institution_id == institution_id,
                                                      BiddingBan.lifted_at.is_(None)))


def strikes_of(session: so.Session, institution_id: int) -> list[BiddingStrike]:
    """An institution's strikes, newest first."""
    return list(session.scalars(sa.select(BiddingStrike).where(BiddingStrike.institution_id == institution_id)
                                .order_by(BiddingStrike.struck_at.desc(), BiddingStrike.id.desc())))


def bans(session: so.Session, *, in_force: bool | None = None, limit: int = 200) -> list[BiddingBan]:
    """Bans for the operator's desk, newest first (only those in force, or only lifted ones, if asked)."""
    query = sa.select(BiddingBan)
    if in_force is not None:
        query = query.where(BiddingBan.lifted_at.is_(None) if in_force else BiddingBan.lifted_at.is_not(None))
    return list(session.scalars(query.order_by(BiddingBan.imposed_at.desc(), BiddingBan.id.desc()).limit(limit)))


def counting_strike_count(session: so.Session, institution_id: int, *, now: datetime,
                          rules: StrikeRules = DEFAULT_STRIKE_RULES) -> int:
    """How many of the institution's strikes count toward a ban at `now`."""
    return counting_strikes(_strike_times(session, institution_id), now=now,
                            last_lifted_at=_last_lifted_at(session, institution_id), rules=rules)


def record_strike(session: so.Session, *, institution_id: int, case_id: int, auction_id: int, now: datetime,
                  actor: Actor, rules: StrikeRules = DEFAULT_STRIKE_RULES) -> BiddingBan | None:
    """A winner left the round unpaid: strike it once for the round, and ban it when the strikes that count
    reach the limit. Returns the ban imposed now, if any."""
    _lock_institution(session, institution_id)
    if session.scalar(sa.select(BiddingStrike.id).where(BiddingStrike.auction_id == auction_id)):
        return None
    strike = BiddingStrike(institution_id=institution_id, case_id=case_id, auction_id=auction_id, struck_at=now)
    session.add(strike)
    session.flush()
    times, lifted = _strike_times(session, institution_id), _last_lifted_at(session, institution_id)
    count = counting_strikes(times, now=now, last_lifted_at=lifted, rules=rules)
    record_event(session, actor=actor, entity="institution", entity_id=institution_id, action="strike_recorded",
                 now=now, detail={"case_id": case_id, "auction_id": auction_id, "strikes": count,
                                  "limit": rules.limit, "window_months": rules.window_months})
    if not ban_due(times, now=now, last_lifted_at=lifted, rules=rules) or ban_in_force(session, institution_id):
        return None
    ban = BiddingBan(institution_id=institution_id, imposed_at=now, strike_count=count, lift_reason="")
    session.add(ban)
    session.flush()
    record_event(session, actor=actor, entity="institution", entity_id=institution_id, action="bidding_banned",
                 now=now, detail={"ban_id": ban.id, "strikes": count, "limit": rules.limit,
                                  "window_months": rules.window_months})
    return ban


def lift_ban(session: so.Session, ban_id: int, *, reason: str, actor: Actor, now: datetime) -> BiddingBan:
    """The operator lifts a ban with a reason; the strikes before it no longer count toward a new one."""
    check_reviewer(actor.role)
    ban = session.get(BiddingBan, ban_id) if 0 < ban_id <= 2**31 - 1 else None
    if ban is None:
        raise BanNotFound()
    _lock_institution(session, ban.institution_id)
    session.refresh(ban)
    if ban.lifted_at is not None:
        raise BanAlreadyLifted()
    ban.lift_reason = decision_reason(reason, required=True)
    ban.lifted_at, ban.lifted_by_user_id = now, actor.user.id if actor.user else None
    record_event(session, actor=actor, entity="institution", entity_id=ban.institution_id, action="ban_lifted",
                 now=now, reason=ban.lift_reason, detail={"ban_id": ban.id, "strikes": ban.strike_count})
    return ban


def _lock_institution(session: so.Session, institution_id: int) -> None:
    query = sa.select(Institution.id).where(Institution.id == institution_id)
    session.execute(query.with_for_update() if is_postgresql(session) else query)


def _strike_times(session: so.Session, institution_id: int) -> list[datetime]:
    return list(session.scalars(sa.select(BiddingStrike.struck_at).where(BiddingStrike.institution_id == institution_id)))


def _last_lifted_at(session: so.Session, institution_id: int) -> datetime | None:
    return session.scalar(sa.select(sa.func.max(BiddingBan.lifted_at)).where(BiddingBan.institution_id == institution_id))
