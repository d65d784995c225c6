"""Use cases that move a disposal case through its workflow; each owns its transaction."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
import sqlalchemy.orm as so

from market.db import is_postgresql
from market.domain import workflow
from market.domain.errors import NotFound
from market.domain.notices import NoticeType
from market.domain.rules import DEFAULT_RULES, DisposalRules
from market.domain.workflow import CaseAction, CaseFacts
from market.models import DisposalCase
from market.services.access import case_party_ids
from market.services.audit import Actor, record_event
from market.services.notices import About, publish


def case_facts(case: DisposalCase) -> CaseFacts:
    """The snapshot of a case the pure workflow rules work on (every fact is a column of the same name)."""
    values = {name: getattr(case, name) for name in workflow.FACT_FIELDS - {"checks", "co_owner_consents"}}
    return CaseFacts(
        **values,
        co_owner_consents=frozenset(case.co_owner_consents or ()),
        checks=frozenset(case.review_checks or ()),
    )


def lock_case(session: so.Session, case_id: int) -> DisposalCase | None:
    """Load a case for change; on PostgreSQL the row is locked until commit (SQLite: BEGIN IMMEDIATE)."""
    query = sa.select(DisposalCase).where(DisposalCase.id == case_id)
    if is_postgresql(session):
        query = query.with_for_update()
    return session.execute(query.execution_options(populate_existing=True)).scalar_one_or_none()


def move_case(
    session: so.Session,
    case: DisposalCase,
    action: CaseAction,
    *,
    actor: Actor,
    now: datetime,
    reason: str = "",
    rules: DisposalRules = DEFAULT_RULES,
    detail: dict | None = None,
    **params,
) -> workflow.Move:
    """Apply one workflow action to a (locked) case and audit it, without committing."""
    move = workflow.apply(
        case_facts(case), action, role=actor.role, now=now, reason=reason, rules=rules, **params
    )
    for name, value in move.changes.items():
        if name == "checks":
            case.review_checks = sorted(value)
        else:
            setattr(case, name, value)
    case.state = move.to_state
    case.updated_at = now
    record_event(
        session,
        actor=actor,
        entity="case",
        entity_id=case.id,
        action=action.value,
        now=now,
        from_state=move.from_state.value,
        to_state=move.to_state.value,
        reason=reason,
        detail=detail,
    )
    publish(session, NoticeType.CASE_STATE_CHANGED, about=About("case", case.id, case.id), now=now,
            institutions=case_party_ids(case),
            payload={"case_no": case.reference, "title": case.title, "action": action.value,
                     "from_state": move.from_state.value, "to_state": move.to_state.value})
    return move


def apply_case_action(
    session: so.Session,
    case_id: int,
    action: CaseAction,
    *,
    actor: Actor,
    now: datetime,
    reason: str = "",
    rules: DisposalRules = DEFAULT_RULES,
    detail: dict | None = None,
    **params,
) -> DisposalCase:
    """Lock the case, apply the action and audit it (a domain error leaves the entry point to roll back)."""
    case = lock_case(session, case_id)
    if case is None:
        raise NotFound()
    move_case(session, case, action, actor=actor, now=now, reason=reason, rules=rules,
              detail=detail, **params)
    return case
