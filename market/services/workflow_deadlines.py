"""What the clock does to cases (run by `flask tick`): lapse negotiated sales, default unpaid buyers,
suspend cases whose rights have expired.

Every handler picks candidates without a lock, then moves each one in its own locked transaction; the
domain re-checks the state and the deadline under the lock, so a case another tick (or a person) has just
moved is skipped. That makes each handler idempotent and safe when two ticks run at once.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

import sqlalchemy as sa
import sqlalchemy.orm as so

from market.domain.rules import RuleBroken
from market.domain.workflow import CaseAction, CaseState, Channel, SuspensionGrounds
from market.models import DisposalCase, IPAsset, LegalStatus, case_asset
from market.services.audit import Actor
from market.services.cases import lock_case, move_case
from market.services.tick import due

# Where the clock suspends a case whose right has lapsed; the channels' own states are left to their desks.
SUSPEND_ON_LAPSE = (CaseState.VERIFIED, CaseState.VALUED, CaseState.NOTICE_PUBLISHED, CaseState.AWAITING_CHANNEL,
                    CaseState.NEGOTIATED_SALE)


@due("negotiated_sales_lapsed")
def lapse_negotiated_sales(session: so.Session, now: datetime) -> int:
    """Negotiated sales whose period ran out without a buyer go back to choosing a channel."""
    candidates = _ids(session, sa.select(DisposalCase.id).where(
        DisposalCase.state == CaseState.NEGOTIATED_SALE, DisposalCase.negotiated_sale_ends_at <= now))
    return _move_each(session, candidates, now, lambda case: (CaseAction.NEGOTIATED_SALE_LAPSED, "", {}))


@due("negotiated_sale_buyers_defaulted")
def default_unpaid_negotiated_sales(session: so.Session, now: datetime) -> int:
    """A negotiated-sale buyer who did not pay by the deadline loses the sale (auctions handle their own)."""
    candidates = _ids(session, sa.select(DisposalCase.id).where(
        DisposalCase.state == CaseState.AWAITING_PAYMENT, DisposalCase.channel == Channel.NEGOTIATED_SALE,
        DisposalCase.payment_due_at <= now))

    def move(case: DisposalCase):
        if case.channel != Channel.NEGOTIATED_SALE or case.payment_due_at is None or case.payment_due_at > now:
            return None
        return CaseAction.BUYER_DEFAULTED, "The buyer did not pay by the deadline.", {"buyer": case.buyer_name}

    return _move_each(session, candidates, now, move)


@due("cases_with_lapsed_rights_suspended")
def suspend_cases_with_lapsed_rights(session: so.Session, now: datetime) -> int:
    """A right that expired or stopped being valid cannot be sold: pause its case until the centre decides."""
    lapsed = sa.or_(IPAsset.legal_status != LegalStatus.VALID, IPAsset.expires_on <= now.date())
    candidates = _ids(session, sa.select(DisposalCase.id).distinct()
                      .join(case_asset, case_asset.c.case_id == DisposalCase.id)
                      .join(IPAsset, IPAsset.id == case_asset.c.asset_id)
                      .where(DisposalCase.state.in_(SUSPEND_ON_LAPSE), lapsed))

    def move(case: DisposalCase):
        gone = [a.registry_number for a in case.assets
                if a.legal_status != LegalStatus.VALID or (a.expires_on is not None and a.expires_on <= now.date())]
        if case.state not in SUSPEND_ON_LAPSE or not gone:
            return None
        reason = "The right is no longer in force: " + ", ".join(gone) + "."
        return CaseAction.SUSPEND, reason, {"grounds": SuspensionGrounds.LEGAL_STATUS_LAPSED.value}

    return _move_each(session, candidates, now, move)


def _ids(session: so.Session, query: sa.Select) -> list[int]:
    ids = list(session.scalars(query.order_by(DisposalCase.id)))
    session.rollback()  # release SQLite's write lock between the scan and the moves
    return ids


def _move_each(session: so.Session, case_ids: list[int], now: datetime,
               decide: Callable[[DisposalCase], tuple[CaseAction, str, dict] | None]) -> int:
    moved = 0
    for case_id in case_ids:
        try:
            case = lock_case(session, case_id)
            decision = decide(case) if case is not None else None
            if decision is None:
                session.rollback()
                continue
            action, reason, detail = decision
            move_case(session, case, action, actor=Actor.system(), now=now, reason=reason, detail=detail)
            session.commit()
            moved += 1
        except RuleBroken:
            session.rollback()  # someone moved it first, or its deadline moved: nothing is due any more
    return moved
