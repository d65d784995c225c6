"""Reading the audit trail: events filtered by case, actor, action and Beijing dates, and the chain's state."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
import sqlalchemy.orm as so

from market.domain.roles import Role
from market.models import (
    Auction,
    AuditEvent,
    ClaimListing,
    CompensationClaim,
    ConversionProposal,
    DataRoom,
    DisposalCase,
    InspectionSlot,
    Institution,
    Licence,
    LicenceRound,
    LotQuestion,
    RegistryHold,
    RoomDocument,
    User,
)
from market.services.audit import ChainReport, verify_chain
from market.services.ledger_book import within_local_days

MAX_PER_PAGE = 200
# The audited objects that belong to a case, by the entity name their events carry: a case's trail is its
# own events and theirs.
OF_A_CASE = {"case": DisposalCase, "auction": Auction, "licence_round": LicenceRound, "licence": Licence,
             "conversion": ConversionProposal, "claim_listing": ClaimListing, "claim": CompensationClaim,
             "registry_hold": RegistryHold, "data_room": DataRoom, "room_document": RoomDocument,
             "lot_question": LotQuestion, "inspection_slot": InspectionSlot}


@dataclass(frozen=True)
class AuditQuery:
    """Which events to show: a case, an actor (e-mail or role), an action, Beijing dates, a page."""

    case_id: int | None = None
    actor: str | None = None
    action: str | None = None
    since: date | None = None
    until: date | None = None
    page: int = 1
    per_page: int = 50


@dataclass(frozen=True)
class AuditPage:
    """A page of events, newest first, and the size of the whole result."""

    events: list[AuditEvent]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        """How many pages the whole result has (at least one)."""
        return max(1, math.ceil(self.total / self.per_page))


@dataclass(frozen=True)
class ChainStatus:
    """The chain's verification, its newest hash and how many events it holds."""

    report: ChainReport
    head_hash: str | None
    events: int


def _filters(query: AuditQuery) -> list:
    clauses = within_local_days(AuditEvent.occurred_at, query.since, query.until)
    if query.case_id is not None:
        clauses.append(sa.or_(*(
            sa.and_(AuditEvent.entity_type == entity,
                    AuditEvent.entity_id.in_(sa.select(model.id).where(
                        (model.id if model is DisposalCase else model.case_id) == query.case_id)))
            for entity, model in OF_A_CASE.items()
        )))
    if query.actor:
        if query.actor in {role.value for role in Role}:
            clauses.append(AuditEvent.actor_role == query.actor)
        else:
            clauses.append(AuditEvent.actor_user_id.in_(
                sa.select(User.id).where(User.email.icontains(query.actor, autoescape=True))))
    if query.action:  # "action", or "object:action" for one object's action of that name
        entity, _, action = query.action.rpartition(":")
        clauses.append(AuditEvent.action == action)
        if entity:
            clauses.append(AuditEvent.entity_type == entity)
    return clauses


def audit_page(session: so.Session, query: AuditQuery) -> AuditPage:
    """One page of the events matching the filters, newest first, with their actors."""
    clauses = _filters(query)
    total = session.scalar(sa.select(sa.func.count(AuditEvent.id)).where(*clauses)) or 0
    per_page = min(max(query.per_page, 1), MAX_PER_PAGE)
    page = max(query.page, 1)
    events = session.scalars(
        sa.select(AuditEvent).where(*clauses).options(so.joinedload(AuditEvent.actor))
        .order_by(AuditEvent.id.desc()).limit(per_page).offset((page - 1) * per_page)
    ).all()
    return AuditPage(list(events), total, page, per_page)


def actions(session: so.Session) -> list[tuple[str, str]]:
    """Every (object, action) the trail holds, for the filter's choices."""
    return [(entity, action) for entity, action in session.execute(
        sa.select(AuditEvent.entity_type, AuditEvent.action).distinct()
        .order_by(AuditEvent.entity_type, AuditEvent.action))]


def institution_names(session: so.Session, ids: set[int]) -> dict[int, str]:
    """The names of the institutions an page of events names by id."""
    if not ids:
        return {}
    return dict(session.execute(sa.select(Institution.id, Institution.name).where(Institution.id.in_(ids))).all())


def chain_status(session: so.Session) -> ChainStatus:
    """Verify the whole chain and name its head."""
    report = verify_chain(session)
    head = session.scalar(sa.select(AuditEvent.hash).order_by(AuditEvent.id.desc()).limit(1))
    count = session.scalar(sa.select(sa.func.count(AuditEvent.id))) or 0
    return ChainStatus(report, head, count)
