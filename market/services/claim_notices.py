"""Notices about a claim on the fund (drafted, approved, reduced, rejected, paid, clawed back): for the claimant
institution, and for the bureau when a claim waits for its second approval."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

import sqlalchemy.orm as so

from market.domain.notices import NoticeType
from market.domain.roles import Role
from market.models import CompensationClaim, DisposalCase
from market.services.notices import About, publish


def tell_claim(session: so.Session, notice_type: NoticeType, claim: CompensationClaim, *, now: datetime,
               amount_fen: int, roles: Iterable[Role] = (), **facts) -> None:
    """Raise a notice about the claim for its claimant (and `roles`), with its case, kind and `amount_fen`."""
    case = session.get(DisposalCase, claim.case_id) if claim.case_id is not None else None
    payload = {"case_no": case.reference if case else None, "kind": claim.kind.value, "layer": claim.layer.value,
               "amount_fen": amount_fen, **facts}
    publish(session, notice_type, about=About("compensation_claim", claim.id, claim.case_id), now=now,
            institutions=[claim.institution_id], roles=roles,
            payload={key: value for key, value in payload.items() if value is not None})
