"""What the licensing, conversion and claim-transfer services share: transactions, locks, access and the
hand-over of a channel's result to settlement."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
import sqlalchemy.orm as so

from market.db import is_postgresql
from market.domain.errors import PersonRequired, RoleRequired
from market.domain.roles import SEES_EVERYTHING, Role
from market.domain.workflow import CaseState
from market.models import DisposalCase, User
from market.services.access import NotFound, can_see_case
from market.services.audit import Actor

# Roles that may apply for a licence on the platform (the centre also records offers from outside firms).
LICENCE_APPLICANT_ROLES = frozenset({Role.BANK, Role.AIC, Role.GUARANTOR, Role.INSURER, Role.AGENCY})
# Settlement has drawn up the case's statement: later money goes through its hook.
SETTLED_STATES = frozenset({CaseState.SETTLED, CaseState.TRANSFER_RECORDED, CaseState.CLOSED})


def lock(session: so.Session, model, object_id: int, what: str):
    """Load a row for change (FOR UPDATE on PostgreSQL; SQLite holds the write lock already) or NotFound."""
    query = sa.select(model).where(model.id == object_id)
    if is_postgresql(session):
        query = query.with_for_update()
    row = session.execute(query.execution_options(populate_existing=True)).scalar_one_or_none()
    if row is None:
        raise NotFound()
    return row


def lock_case_row(session: so.Session, case_id: int) -> DisposalCase:
    """Lock a disposal case for a channel change."""
    return lock(session, DisposalCase, case_id, "disposal case")


def require_operator(actor: Actor, *, system_too: bool = False) -> None:
    """Raise Forbidden unless the trading centre (or, when allowed, the clock) acts."""
    allowed = {Role.OPERATOR, Role.SYSTEM} if system_too else {Role.OPERATOR}
    if actor.role not in allowed:
        raise RoleRequired(roles=[Role.OPERATOR])


def actor_user(actor: Actor) -> User:
    """The user behind an actor (the system never acts where a person must)."""
    if actor.user is None:
        raise PersonRequired()
    return actor.user


def user_id(actor: Actor) -> int | None:
    """The acting user's id, or None for the system."""
    return actor.user.id if actor.user else None


def sees_everything(user: User) -> bool:
    """The trading centre and the bureau see every channel's records."""
    return Role(user.role) in SEES_EVERYTHING


def check_case_visible(user: User, case: DisposalCase) -> None:
    """Raise NotFound unless the user may see the case's private records."""
    if not can_see_case(user, case):
        raise NotFound()


def add_later_recovery(session: so.Session, case: DisposalCase, amount_fen: int, now: datetime, *,
                       actor: Actor, memo: str = "") -> bool:
    """Money a channel brings in after the disposal (royalties), already posted to the ledger.

    Until the case is settled it is part of the channel's result (case.recovery_fen grows); once settled,
    settlement re-runs its statement (recoveries.on_later_recovery; recovery_fen stays the result it
    settled). Returns True when the statement was re-run.
    """
    from market.services import (
        recoveries,  # recoveries builds on settlement, which the channels feed
    )

    if case.state not in SETTLED_STATES:
        case.recovery_fen = (case.recovery_fen or 0) + amount_fen
        return False
    recoveries.on_later_recovery(session, case, amount_fen, now, memo=memo, actor=actor)
    return True
