"""What the clock does to cases (run by `flask tick`): lapse negotiated sales, default unpaid buyers,
suspend cases whose rights have expired.

Each kind has a query for the candidates and a move for one case (services.tick runs each move in its own
unit of work); the move re-checks the state and the deadline under the case's lock, so a case another tick
(or a person) has just moved is skipped. That makes each idempotent and safe when two ticks run at once.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

import sqlalchemy as sa
import sqlalchemy.orm as so

from market.domain.reasons import SystemReason
from market.domain.workflow import CaseAction, CaseState, Channel, SuspensionGrounds
from market.models import DisposalCase, IPAsset, LegalStatus, case_asset
from market.services.audit import Actor
from market.services.cases import lock_case, move_case

# Where the clock suspends a case whose right has lapsed; the channels' own states are left to their desks.
SUSPEND_ON_LAPSE = (CaseState.VERIFIED, CaseState.VALUED, CaseState.NOTICE_PUBLISHED, CaseState.AWAITING_CHANNEL,
                    CaseState.NEGOTIATED_SALE)


def lapsed_negotiated_sales(session: so.Session, now: datetime) -> list[int]:
    """Negotiated sales whose period ran out without a buyer."""
    return _ids(session, sa.select(DisposalCase.id).where(
        DisposalCase.state == CaseState.NEGOTIATED_SALE, DisposalCase.negotiated_sale_ends_at <= now))


def lapse_negotiated_sale(session: so.Session, case_id: int, *, now: datetime) -> bool:
    """The sale's period ran out without a buyer: the case goes back to choosing a channel."""
    return _move(session, case_id, now, lambda case: (CaseAction.NEGOTIATED_SALE_LAPSED, "", {}))


def unpaid_negotiated_sales(session: so.Session, now: datetime) -> list[int]:
    """Negotiated sales whose buyer did not pay by the deadline (auctions handle their own)."""
    return _ids(session, sa.select(DisposalCase.id).where(
        DisposalCase.state == CaseState.AWAITING_PAYMENT, DisposalCase.channel == Channel.NEGOTIATED_SALE,
        DisposalCase.payment_due_at <= now))


def default_negotiated_sale_buyer(session: so.Session, case_id: int, *, now: datetime) -> bool:
    """A negotiated-sale buyer who did not pay by the deadline loses the sale."""

    def move(case: DisposalCase):
        if case.channel != Channel.NEGOTIATED_SALE or case.payment_due_at is None or case.payment_due_at > now:
            return None
        return CaseAction.BUYER_DEFAULTED, "The buyer did not pay by the deadline.", {"buyer": case.buyer_name}

    return _move(session, case_id, now, move)


def cases_with_lapsed_rights(session: so.Session, now: datetime) -> list[int]:
    """Cases, in a state the clock may suspend, with a right that expired or stopped being valid."""
    lapsed = sa.or_(IPAsset.legal_status != LegalStatus.VALID, IPAsset.expires_on <= now.date())
    return _ids(session, sa.select(DisposalCase.id).distinct()
                .join(case_asset, case_asset.c.case_id == DisposalCase.id)
                .join(IPAsset, IPAsset.id == case_asset.c.asset_id)
                .where(DisposalCase.state.in_(SUSPEND_ON_LAPSE), lapsed))


def suspend_for_lapsed_rights(session: so.Session, case_id: int, *, now: datetime) -> bool:
    """A right that expired or stopped being valid cannot be sold: pause its case until the centre decides."""

    def move(case: DisposalCase):
        gone = [a.registry_number for a in case.assets
                if a.legal_status != LegalStatus.VALID or (a.expires_on is not None and a.expires_on <= now.date())]
        if case.state not in SUSPEND_ON_LAPSE or not gone:
            return None
        return CaseAction.SUSPEND, SystemReason.RIGHT_NOT_IN_FORCE, {
            "grounds": SuspensionGrounds.LEGAL_STATUS_LAPSED.value, "assets": gone}

    return _move(session, case_id, now, move)


def _ids(session: so.Session, query: sa.Select) -> list[int]:
    return list(session.scalars(query.order_by(DisposalCase.id)))


def _move(session: so.Session, case_id: int, now: datetime,
          decide: Callable[[DisposalCase], tuple[CaseAction, str, dict] | None]) -> bool:
    case = lock_case(session, case_id)
    decision = decide(case) if case is not None else None
    if decision is None:
        return False
    action, reason, detail = decision
    move_case(session, case, action, actor=Actor.system(), now=now, reason=reason, detail=detail)
    return True
