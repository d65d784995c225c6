"""The operator's registry desk: record an asset's legal-status change (by hand or from the IP office's CSV),
and resume or withdraw the sales a change put on hold.

Every change is appended (the table refuses UPDATE and DELETE) and audited; a change whose status holds
(domain.registry.HOLDING) stops every open case on the asset at once (services.registry_holds).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

import sqlalchemy as sa
import sqlalchemy.orm as so

from market.domain.auction import AuctionStatus
from market.domain.case_errors import ReasonRequired
from market.domain.channels import RoundStatus
from market.domain.registry import (
    AUCTION_CLOCK,
    EffectiveDateInFuture,
    HoldAlreadyResolved,
    HoldResolution,
    RegistryCsvUnknownAsset,
    RegistryStatus,
    RightStillNotInForce,
    SourceReferenceRequired,
    holds,
    parse_office_csv,
    resumed_deadline,
)
from market.domain.royalty_csv import CsvRejected
from market.domain.rules import DEFAULT_RULES, DisposalRules
from market.domain.workflow import CHANNEL_OF_STATE, CaseAction, CaseState
from market.models import (
    Auction,
    IPAsset,
    LegalStatus,
    LicenceRound,
    RegistryChange,
    RegistryHold,
)
from market.services.access import NotFound
from market.services.auctions import lock_auction
from market.services.audit import Actor, record_event
from market.services.cases import lock_case, move_case
from market.services.channels import lock, require_operator
from market.services.closing import cancel_round
from market.services.registry_holds import current_changes, hold_cases_on_asset

# What the asset's own legal-status field says after a change (the rest of the platform reads that field);
# pledge and bibliographic events leave it as it was.
LEGAL_STATUS_AFTER = {
    RegistryStatus.IN_FORCE: LegalStatus.VALID,
    RegistryStatus.LAPSED: LegalStatus.LAPSED,
    RegistryStatus.INVALIDATED: LegalStatus.INVALIDATED,
}


@dataclass(frozen=True)
class Recorded:
    """A change as recorded, and the holds it placed."""

    change: RegistryChange
    holds: list[RegistryHold]


def record_status_change(session: so.Session, asset_id: int, *, status: RegistryStatus, effective_on: date,
                         source_ref: str, actor: Actor, now: datetime, event_code: str = "") -> Recorded:
    """Append one change to the asset's history; a status that holds stops its open cases at once."""
    require_operator(actor)
    if effective_on > now.date():
        raise EffectiveDateInFuture()
    if not source_ref.strip():
        raise SourceReferenceRequired()
    asset = lock(session, IPAsset, asset_id, "asset")
    change = RegistryChange(asset_id=asset.id, status=status, effective_on=effective_on,
                            event_code=event_code.strip()[:60], source_ref=source_ref.strip()[:200],
                            recorded_at=now, recorded_by_user_id=actor.user.id if actor.user else None)
    session.add(change)
    session.flush()
    before = asset.legal_status
    in_force = current_changes(session, [asset.id])[asset.id]
    if in_force.status in LEGAL_STATUS_AFTER:
        asset.legal_status = LEGAL_STATUS_AFTER[in_force.status]
    record_event(session, actor=actor, entity="ip_asset", entity_id=asset.id, action="registry_status_recorded",
                 now=now, from_state=LegalStatus(before).value, to_state=LegalStatus(asset.legal_status).value,
                 reason=change.source_ref,
                 detail={"registry_change_id": change.id, "status": status.value, "event_code": change.event_code,
                         "effective_on": effective_on.isoformat(), "registry_number": asset.registry_number})
    # a change that is not the newest by effective date is history: what is in force decides
    placed = hold_cases_on_asset(session, change, actor=actor, now=now) \
        if in_force.id == change.id and holds(status) else []
    return Recorded(change, placed)


def import_office_csv(session: so.Session, text: str, *, actor: Actor, now: datetime,
                      source: str = "") -> list[Recorded]:
    """Record every event of an IP-office legal-status file, oldest first; one bad row imports nothing."""
    require_operator(actor)
    events, problems = parse_office_csv(text, today=now.date())
    numbers = {event.registry_number for event in events}
    assets = dict(session.execute(sa.select(IPAsset.registry_number, IPAsset.id)
                                  .where(IPAsset.registry_number.in_(numbers))).all()) if numbers else {}
    problems += [RegistryCsvUnknownAsset(line=e.line, registry_number=e.registry_number)
                 for e in events if e.registry_number not in assets]
    if problems:
        raise CsvRejected(problems=sorted(problems, key=lambda p: p.params.get("line", 0)))
    return [record_status_change(session, assets[e.registry_number], status=e.status, effective_on=e.effective_on,
                                 source_ref=e.source or source or e.event_code, actor=actor, now=now,
                                 event_code=e.event_code)
            for e in sorted(events, key=lambda e: (e.effective_on, e.line))]


def resume_hold(session: so.Session, hold_id: int, *, reason: str, actor: Actor, now: datetime,
                rules: DisposalRules = DEFAULT_RULES) -> RegistryHold:
    """The register shows the case's rights in force again: the round gets back the time it had left and the
    case resumes where it stopped."""
    hold = _open_hold_for_decision(session, hold_id, reason, actor)
    case = lock_case(session, hold.case_id)
    in_force = current_changes(session, [a.id for a in case.assets])
    for asset in case.assets:
        change = in_force.get(asset.id)
        if change is not None and holds(change.status):
            raise RightStillNotInForce(registry_number=asset.registry_number, status=change.status)
    if hold.auction_id is not None:
        auction = lock_auction(session, hold.auction_id)
        status = AuctionStatus(auction.status)
        # bidders stopped a moment before the end get at least the anti-sniping window to answer
        at_least = rules.extension if status == AuctionStatus.OPEN else timedelta(0)
        setattr(auction, AUCTION_CLOCK[status], resumed_deadline(hold.remaining_seconds or 0, now, at_least=at_least))
        auction.held_at = None
        _audit_round(session, "auction", auction.id, "hold_resumed", actor, now, reason,
                     deadline=getattr(auction, AUCTION_CLOCK[status]).isoformat())
    if hold.licence_round_id is not None:
        licence_round = lock(session, LicenceRound, hold.licence_round_id, "licence round")
        licence_round.offer_deadline = resumed_deadline(hold.remaining_seconds or 0, now)
        licence_round.held_at = None
        _audit_round(session, "licence_round", licence_round.id, "hold_resumed", actor, now, reason,
                     deadline=licence_round.offer_deadline.isoformat())
    if hold.case_suspended and case.state == CaseState.SUSPENDED:
        move_case(session, case, CaseAction.RESUME, actor=actor, now=now, reason=reason, rules=rules,
                  detail={"registry_hold_id": hold.id})
    return _resolve(session, hold, HoldResolution.RESUMED, reason, actor, now)


def withdraw_hold(session: so.Session, hold_id: int, *, reason: str, actor: Actor, now: datetime) -> RegistryHold:
    """The sale cannot go on: the held round is withdrawn (an auction's deposits are refunded, a licence round
    ends without a licence) and the case stays suspended, to choose a channel again if it ever resumes."""
    hold = _open_hold_for_decision(session, hold_id, reason, actor)
    case = lock_case(session, hold.case_id)
    if hold.auction_id is not None:
        auction = lock_auction(session, hold.auction_id)
        auction.held_at = None
        cancel_round(session, auction, case, now=now, actor=actor)
    if hold.licence_round_id is not None:
        licence_round = lock(session, LicenceRound, hold.licence_round_id, "licence round")
        licence_round.status, licence_round.held_at = RoundStatus.FAILED, None
        licence_round.ended_at, licence_round.outcome_reason = now, reason.strip()
        _audit_round(session, "licence_round", licence_round.id, "failed", actor, now, reason)
    if case.state == CaseState.SUSPENDED and (case.suspended_from in CHANNEL_OF_STATE
                                              or case.suspended_from == CaseState.AWAITING_PAYMENT):
        # the channel it was suspended in has no round any more: if it resumes, it chooses a channel again
        case.suspended_from = CaseState.AWAITING_CHANNEL
    return _resolve(session, hold, HoldResolution.WITHDRAWN, reason, actor, now)


def _open_hold_for_decision(session: so.Session, hold_id: int, reason: str, actor: Actor) -> RegistryHold:
    require_operator(actor)
    if not reason.strip():
        raise ReasonRequired()
    hold = lock(session, RegistryHold, hold_id, "registry hold")
    if hold.resolved_at is not None:
        raise HoldAlreadyResolved()
    return hold


def _resolve(session, hold: RegistryHold, resolution: HoldResolution, reason: str, actor: Actor,
             now: datetime) -> RegistryHold:
    hold.resolution, hold.resolved_at, hold.resolution_reason = resolution, now, reason.strip()
    hold.resolved_by_user_id = actor.user.id if actor.user else None
    record_event(session, actor=actor, entity="registry_hold", entity_id=hold.id, action=f"hold_{resolution.value}",
                 now=now, from_state="held", to_state=resolution.value, reason=hold.resolution_reason,
                 detail={"case_id": hold.case_id, "auction_id": hold.auction_id,
                         "licence_round_id": hold.licence_round_id})
    return hold


def _audit_round(session, entity: str, entity_id: int, action: str, actor: Actor, now: datetime, reason: str,
                 **detail) -> None:
    record_event(session, actor=actor, entity=entity, entity_id=entity_id, action=action, now=now,
                 reason=reason.strip(), detail=detail)


# ---- reading -------------------------------------------------------------------------------------


def asset_by_number(session: so.Session, registry_number: str) -> IPAsset:
    """The asset with this registry number, or NotFound."""
    asset = session.scalar(sa.select(IPAsset).where(IPAsset.registry_number == registry_number.strip()))
    if asset is None:
        raise NotFound()
    return asset


def asset_history(session: so.Session, asset_id: int) -> list[RegistryChange]:
    """An asset's changes, newest effective date first."""
    return list(session.scalars(sa.select(RegistryChange).where(RegistryChange.asset_id == asset_id)
                                .order_by(RegistryChange.effective_on.desc(), RegistryChange.id.desc())))


def recent_changes(session: so.Session, limit: int = 50) -> list[RegistryChange]:
    """The changes recorded last, newest first."""
    return list(session.scalars(sa.select(RegistryChange).order_by(RegistryChange.id.desc()).limit(limit)))


def open_holds(session: so.Session, *, case_ids: sa.ColumnElement[bool] | None = None) -> list[RegistryHold]:
    """Unresolved holds, oldest first (only those matching `case_ids`, a WHERE clause, when given)."""
    query = sa.select(RegistryHold).where(RegistryHold.resolved_at.is_(None)).order_by(RegistryHold.id)
    if case_ids is not None:
        query = query.where(case_ids)
    return list(session.scalars(query))


def held_auction_ids(session: so.Session) -> set[int]:
    """The auction rounds now on hold."""
    return set(session.scalars(sa.select(Auction.id).where(Auction.held_at.is_not(None))))
