"""Reading cases: a user's visible cases, one case with its parts, timelines and the operator's work queue."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
import sqlalchemy.orm as so

from market.domain.workflow import CaseState
from market.models import AuditEvent, DisposalCase, Loan, User
from market.services.access import NotFound, can_see_case, case_visibility

# The open states, in the order the operator's queue groups them: what waits on the centre first.
QUEUE_STATES = (
    CaseState.FILED, CaseState.UNDER_REVIEW, CaseState.VERIFIED, CaseState.VALUED, CaseState.NOTICE_PUBLISHED,
    CaseState.AWAITING_CHANNEL, CaseState.NEGOTIATED_SALE, CaseState.AWAITING_PAYMENT, CaseState.AUCTION,
    CaseState.LICENSING, CaseState.CONVERSION, CaseState.CLAIM_TRANSFER, CaseState.DISPOSED, CaseState.SETTLED,
    CaseState.TRANSFER_RECORDED, CaseState.SUSPENDED, CaseState.RETURNED,
)


@dataclass(frozen=True)
class CasePage:
    """A page of cases and the size of the whole list."""

    items: list[DisposalCase]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        """How many pages the list has (at least one)."""
        return max(1, -(-self.total // self.per_page))


def visible_cases(session: so.Session, user: User, *, state: CaseState | None = None, page: int = 1,
                  per_page: int = 25) -> CasePage:
    """The cases the user may see (a bank its own; a guarantor, insurer or agency those it shares in)."""
    conditions = [case_visibility(user)]
    if state is not None:
        conditions.append(DisposalCase.state == state)
    total = session.scalar(sa.select(sa.func.count(DisposalCase.id)).where(*conditions)) or 0
    items = list(session.scalars(
        sa.select(DisposalCase).where(*conditions)
        .options(so.selectinload(DisposalCase.assets), so.joinedload(DisposalCase.loan).joinedload(Loan.enterprise))
        .order_by(DisposalCase.updated_at.desc(), DisposalCase.id.desc())
        .limit(per_page).offset((max(page, 1) - 1) * per_page)
    ).unique())
    return CasePage(items, total, page, per_page)


def case_for(session: so.Session, user: User, case_id: int) -> DisposalCase:
    """One case with its parts loaded, if the user may see it; NotFound otherwise (someone else's too)."""
    case = session.scalar(
        sa.select(DisposalCase).where(DisposalCase.id == case_id)
        .options(
            so.selectinload(DisposalCase.assets), so.selectinload(DisposalCase.first_refusal_holders),
            so.joinedload(DisposalCase.loan).options(
                so.joinedload(Loan.enterprise), so.joinedload(Loan.pledge), so.joinedload(Loan.guarantor),
                so.joinedload(Loan.insurer), so.joinedload(Loan.agency)),
            so.joinedload(DisposalCase.bank), so.joinedload(DisposalCase.appraiser), so.joinedload(DisposalCase.buyer),
        )
    )
    if case is None or not can_see_case(user, case):
        raise NotFound()
    return case


def timelines(session: so.Session, case_ids: list[int]) -> dict[int, list[AuditEvent]]:
    """Every listed case's events, oldest first, in one query."""
    found: dict[int, list[AuditEvent]] = defaultdict(list)
    if not case_ids:
        return found
    for event in session.scalars(
        sa.select(AuditEvent).where(AuditEvent.entity_type == "case", AuditEvent.entity_id.in_(case_ids))
        .options(so.joinedload(AuditEvent.actor)).order_by(AuditEvent.id)
    ):
        found[event.entity_id].append(event)
    return found


def timeline(session: so.Session, case_id: int) -> list[AuditEvent]:
    """One case's events, oldest first."""
    return timelines(session, [case_id]).get(case_id, [])


@dataclass(frozen=True)
class QueueEntry:
    """A case in the operator's queue, with whether its deadline has passed."""

    case: DisposalCase
    overdue: bool


def work_queue(session: so.Session, now: datetime, *, state: CaseState | None = None) -> list[QueueEntry]:
    """Open cases, most urgent first: overdue deadlines, then the nearest deadline, then the oldest filing."""
    states = [state] if state is not None else list(QUEUE_STATES)
    cases = session.scalars(
        sa.select(DisposalCase).where(DisposalCase.state.in_(states))
        .options(so.joinedload(DisposalCase.bank))
        .order_by(DisposalCase.due_at.asc().nulls_last(), DisposalCase.filed_at.asc(), DisposalCase.id.asc())
        .limit(500)
    )
    return [QueueEntry(case, case.due_at is not None and case.due_at <= now) for case in cases]


def state_counts(session: so.Session, user: User | None = None) -> dict[CaseState, int]:
    """How many cases stand in each state (all of them, or those the user may see)."""
    query = sa.select(DisposalCase.state, sa.func.count(DisposalCase.id)).group_by(DisposalCase.state)
    if user is not None:
        query = query.where(case_visibility(user))
    return {CaseState(state): count for state, count in session.execute(query)}

