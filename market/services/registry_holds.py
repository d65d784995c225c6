"""Putting sales on hold when the register says an asset lapsed, was invalidated or lost its pledge.

What the register says now is the latest change of each asset (newest effective date, then newest record).
A hold stops one case at once: the case is suspended (its own deadlines pause, as any suspension does) and its
live auction round or open licence round is marked held, with the time its deadline had left
(domain.registry.remaining_seconds). Closing re-checks the register before it closes a round
(`held_by_register`), so a change recorded while the tick was away still stops the round.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

import sqlalchemy as sa
import sqlalchemy.orm as so

from market.domain.auction import AuctionStatus
from market.domain.channels import RoundStatus
from market.domain.notices import NoticeType
from market.domain.registry import AUCTION_CLOCK, holds, remaining_seconds
from market.domain.roles import Role
from market.domain.workflow import SUSPENDABLE, TERMINAL, CaseAction, SuspensionGrounds
from market.models import (
    Auction,
    DisposalCase,
    LicenceOffer,
    LicenceRound,
    RegistryChange,
    RegistryHold,
    case_asset,
)
from market.services.auctions import lock_auction
from market.services.audit import Actor, record_event
from market.services.cases import lock_case, move_case
from market.services.notices import About, publish
from market.services.round_notices import bidders, tell_round


def current_changes(session: so.Session, asset_ids: Iterable[int]) -> dict[int, RegistryChange]:
    """The change in force for each asset that has any: the newest effective date, then the newest record."""
    latest: dict[int, RegistryChange] = {}
    for change in session.scalars(sa.select(RegistryChange).where(RegistryChange.asset_id.in_(list(asset_ids)))
                                  .order_by(RegistryChange.effective_on, RegistryChange.id)):
        latest[change.asset_id] = change
    return latest


def holding_changes(session: so.Session, case: DisposalCase) -> list[RegistryChange]:
    """The changes in force on the case's assets that hold its sale (none: the register lets it go on)."""
    return [change for change in current_changes(session, [a.id for a in case.assets]).values()
            if holds(change.status)]


def open_hold(session: so.Session, case_id: int) -> RegistryHold | None:
    """The case's unresolved hold, if it has one."""
    return session.scalar(sa.select(RegistryHold).where(RegistryHold.case_id == case_id,
                                                        RegistryHold.resolved_at.is_(None)))


def cases_on_asset(session: so.Session, asset_id: int) -> list[int]:
    """The open (not closed, withdrawn or rejected) cases that dispose of the asset."""
    return list(session.scalars(
        sa.select(DisposalCase.id).join(case_asset, case_asset.c.case_id == DisposalCase.id)
        .where(case_asset.c.asset_id == asset_id, DisposalCase.state.not_in(TERMINAL)).order_by(DisposalCase.id)))


def hold_cases_on_asset(session: so.Session, change: RegistryChange, *, actor: Actor,
                        now: datetime) -> list[RegistryHold]:
    """Hold every open case on the change's asset (and its live round) at once; cases already held are left."""
    placed = []
    for case_id in cases_on_asset(session, change.asset_id):
        hold = hold_case(session, lock_case(session, case_id), change, actor=actor, now=now)
        if hold is not None:
            placed.append(hold)
    return placed


def hold_case(session: so.Session, case: DisposalCase, change: RegistryChange, *, actor: Actor,
              now: datetime) -> RegistryHold | None:
    """Stop one case and its live round because of `change`; None when it is closed or already held."""
    if case.state in TERMINAL or open_hold(session, case.id) is not None:
        return None
    hold = RegistryHold(change_id=change.id, case_id=case.id, held_at=now, resolution_reason="")
    auction = _live_auction(session, case.id)
    if auction is not None:
        deadline = getattr(auction, AUCTION_CLOCK[AuctionStatus(auction.status)])
        hold.auction_id, hold.remaining_seconds = auction.id, remaining_seconds(deadline, now)
        auction.held_at = now
    licence_round = _open_licence_round(session, case.id)
    if licence_round is not None:
        hold.licence_round_id = licence_round.id
        hold.remaining_seconds = remaining_seconds(licence_round.offer_deadline, now)
        licence_round.held_at = now
    registry_number = change.asset.registry_number
    if case.state in SUSPENDABLE:
        move_case(session, case, CaseAction.SUSPEND, actor=actor, now=now,
                  reason=f"The IP office's register shows {registry_number} as {change.status.value} "
                         f"from {change.effective_on.isoformat()} ({change.source_ref}).",
                  detail={"grounds": SuspensionGrounds.LEGAL_STATUS_LAPSED.value, "registry_change_id": change.id})
        hold.case_suspended = True
    session.add(hold)
    session.flush()
    record_event(session, actor=actor, entity="registry_hold", entity_id=hold.id, action="hold_placed", now=now,
                 to_state="held", detail={"case_id": case.id, "registry_change_id": change.id,
                                          "registry_number": registry_number, "status": change.status.value,
                                          "auction_id": hold.auction_id, "licence_round_id": hold.licence_round_id,
                                          "remaining_seconds": hold.remaining_seconds})
    _tell_hold(session, case, change, auction, licence_round, now=now)
    return hold


def _tell_hold(session: so.Session, case: DisposalCase, change: RegistryChange, auction: Auction | None,
               licence_round: LicenceRound | None, *, now: datetime) -> None:
    """The filing bank and the centre hear of the hold on the case; the round's bidders (or offerors) on the
    round, which is what they may see."""
    facts = {"case_no": case.reference, "title": case.title, "status": change.status.value,
             "registry_number": change.asset.registry_number}
    publish(session, NoticeType.CASE_ON_HOLD, about=About("case", case.id, case.id), now=now,
            institutions=[case.bank_id], roles=[Role.OPERATOR], payload=facts)
    if auction is not None:
        tell_round(session, NoticeType.CASE_ON_HOLD, auction, bidders(session, auction.id), now=now, **facts)
    if licence_round is not None:
        offerors = session.scalars(sa.select(LicenceOffer.institution_id).where(
            LicenceOffer.round_id == licence_round.id, LicenceOffer.institution_id.is_not(None)))
        publish(session, NoticeType.CASE_ON_HOLD, about=About("licence_round", licence_round.id, case.id), now=now,
                institutions=list(offerors), payload=facts)


def held_by_register(session: so.Session, case: DisposalCase, *, now: datetime) -> bool:
    """Before a round closes: whether the register now holds the case's sale (placing the hold if it was not)."""
    changes = holding_changes(session, case)
    if not changes:
        return False
    hold_case(session, case, changes[0], actor=Actor.system(), now=now)
    return True


def _live_auction(session: so.Session, case_id: int) -> Auction | None:
    auction_id = session.scalar(sa.select(Auction.id).where(
        Auction.case_id == case_id, Auction.status.in_(list(AUCTION_CLOCK)), Auction.held_at.is_(None)))
    return lock_auction(session, auction_id) if auction_id is not None else None  # its deadline as bids left it


def _open_licence_round(session: so.Session, case_id: int) -> LicenceRound | None:
    return session.scalar(sa.select(LicenceRound).where(
        LicenceRound.case_id == case_id, LicenceRound.status == RoundStatus.OPEN, LicenceRound.held_at.is_(None)))
