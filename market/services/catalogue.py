"""The public catalogue: published cases, filtered, searched, sorted and paged in indexed queries."""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field

import sqlalchemy as sa
import sqlalchemy.orm as so

from market.domain.workflow import CaseAction, CaseState, Channel
from market.models import AuditEvent, DisposalCase, Enterprise, IPAsset, IPKind

SORTS = ("newest", "price_asc", "price_desc", "ending")
SEARCH_TEXT_LENGTH = 700
MAX_PER_PAGE = 100
# What the public may read of a case's history: its disposal, not the bank's filing and review.
PUBLIC_ACTIONS = frozenset({
    CaseAction.PUBLISH_NOTICE, CaseAction.OPEN_AUCTION, CaseAction.AUCTION_FAILED, CaseAction.AUCTION_WON,
    CaseAction.BUYER_PAID, CaseAction.BUYER_DEFAULTED, CaseAction.START_NEGOTIATED_SALE,
    CaseAction.NEGOTIATED_SALE_AGREED, CaseAction.NEGOTIATED_SALE_LAPSED, CaseAction.START_LICENSING,
    CaseAction.LICENCE_GRANTED, CaseAction.LICENSING_FAILED, CaseAction.START_CONVERSION,
    CaseAction.CONVERSION_EXECUTED, CaseAction.CONVERSION_ABANDONED, CaseAction.START_CLAIM_TRANSFER,
    CaseAction.CLAIM_TRANSFERRED, CaseAction.CLAIM_TRANSFER_FAILED, CaseAction.SETTLE,
    CaseAction.RECORD_TRANSFER, CaseAction.CLOSE, CaseAction.SUSPEND, CaseAction.RESUME, CaseAction.WITHDRAW,
})
# Reasons the public sees: why a sale is paused or resumed. Other reasons stay between bank and centre.
PUBLIC_REASONS = frozenset({CaseAction.SUSPEND.value, CaseAction.RESUME.value})
LISTING_COLUMNS = (
    DisposalCase.id, DisposalCase.reference, DisposalCase.title, DisposalCase.primary_kind, DisposalCase.industry,
    DisposalCase.region, DisposalCase.channel, DisposalCase.state, DisposalCase.suspended_from,
    DisposalCase.list_price_fen, DisposalCase.appraised_value_fen, DisposalCase.notice_published_at,
    DisposalCase.due_at, DisposalCase.registry_numbers, DisposalCase.owner_name,
)


@dataclass(frozen=True)
class CatalogueQuery:
    """A validated catalogue request (prices in fen)."""

    kind: IPKind | None = None
    industry: str | None = None
    region: str | None = None
    channel: Channel | None = None
    state: CaseState | None = None
    min_price_fen: int | None = None
    max_price_fen: int | None = None
    q: str = ""
    sort: str = "newest"
    page: int = 1
    per_page: int = 20


@dataclass(frozen=True)
class Listing:
    """One row of the catalogue."""

    id: int
    reference: str
    title: str
    kind: IPKind
    industry: str
    region: str
    channel: Channel | None
    state: CaseState
    suspended_from: CaseState | None
    list_price_fen: int | None
    appraised_value_fen: int | None
    notice_published_at: object
    due_at: object
    registry_numbers: str
    owner_name: str


@dataclass(frozen=True)
class CataloguePage:
    """A page of listings and where it sits in the whole result."""

    items: list[Listing]
    total: int
    page: int
    per_page: int
    query: CatalogueQuery = field(default_factory=CatalogueQuery)

    @property
    def pages(self) -> int:
        """How many pages the whole result has (at least one)."""
        return max(1, math.ceil(self.total / self.per_page))


def search_text_for(reference: str, title: str, registry_numbers: Iterable[str], owner_name: str) -> str:
    """The lower-cased text catalogue search matches: title, registry numbers, reference and owner."""
    return " ".join([title, *registry_numbers, reference, owner_name]).lower()[:SEARCH_TEXT_LENGTH]


def catalogue_fields(reference: str, assets: list[IPAsset], enterprise: Enterprise) -> dict:
    """The denormalised columns a case carries so the catalogue lists it without joins."""
    first = assets[0]
    title = first.title if len(assets) == 1 else f"{first.title}等{len(assets)}项知识产权"
    numbers = [asset.registry_number for asset in assets]
    return {
        "title": title[:300], "primary_kind": first.kind, "industry": enterprise.industry,
        "region": enterprise.region, "owner_name": enterprise.name, "registry_numbers": " ".join(numbers)[:600],
        "search_text": search_text_for(reference, title, numbers, enterprise.name),
    }


def _filtered(query: CatalogueQuery) -> list[sa.ColumnElement[bool]]:
    if any("\x00" in text for text in (query.industry or "", query.region or "", query.q)):
        return [sa.false()]  # no stored text holds a NUL (PostgreSQL cannot store one), so nothing matches
    conditions: list[sa.ColumnElement[bool]] = [DisposalCase.listed.is_(True)]
    if query.kind:
        conditions.append(DisposalCase.primary_kind == query.kind)
    if query.industry:
        conditions.append(DisposalCase.industry == query.industry)
    if query.region:
        conditions.append(DisposalCase.region == query.region)
    if query.channel:
        conditions.append(DisposalCase.channel == query.channel)
    if query.state:
        conditions.append(DisposalCase.state == query.state)
    if query.min_price_fen is not None:
        conditions.append(DisposalCase.list_price_fen >= query.min_price_fen)
    if query.max_price_fen is not None:
        conditions.append(DisposalCase.list_price_fen <= query.max_price_fen)
    for term in query.q.lower().split()[:5]:
        escaped = term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        conditions.append(DisposalCase.search_text.like(f"%{escaped}%", escape="\\"))
    return conditions


def _order(sort: str) -> list:
    if sort == "price_asc":
        return [DisposalCase.list_price_fen.asc(), DisposalCase.id.asc()]
    if sort == "price_desc":
        return [DisposalCase.list_price_fen.desc(), DisposalCase.id.desc()]
    if sort == "ending":
        return [DisposalCase.due_at.asc().nulls_last(), DisposalCase.id.asc()]
    return [DisposalCase.notice_published_at.desc(), DisposalCase.id.desc()]


def search_catalogue(session: so.Session, query: CatalogueQuery) -> CataloguePage:
    """One page of listed cases matching the filters: two indexed queries (count and page), no joins."""
    conditions = _filtered(query)
    total = session.scalar(sa.select(sa.func.count(DisposalCase.id)).where(*conditions)) or 0
    per_page = min(max(query.per_page, 1), MAX_PER_PAGE)
    rows = session.execute(
        sa.select(*LISTING_COLUMNS).where(*conditions).order_by(*_order(query.sort))
        .limit(per_page).offset((max(query.page, 1) - 1) * per_page)
    ).all()
    return CataloguePage([Listing(*row) for row in rows], total, query.page, per_page, query)


def facets(session: so.Session) -> dict[str, list[str]]:
    """The industries and regions that listed cases have, for the filter menus."""
    found = {}
    for name, column in (("industries", DisposalCase.industry), ("regions", DisposalCase.region)):
        found[name] = list(session.scalars(
            sa.select(column).where(DisposalCase.listed.is_(True)).distinct().order_by(column)
        ))
    return found


def public_case(session: so.Session, case_id: int) -> DisposalCase | None:
    """A listed case with what its public page shows (assets, first-refusal holders), or None."""
    return session.scalar(
        sa.select(DisposalCase).where(DisposalCase.id == case_id, DisposalCase.listed.is_(True))
        .options(so.selectinload(DisposalCase.assets), so.selectinload(DisposalCase.first_refusal_holders),
                 so.joinedload(DisposalCase.appraiser), so.joinedload(DisposalCase.buyer))
    )


def public_timeline(session: so.Session, case_id: int) -> list[AuditEvent]:
    """The case's public events, oldest first (who did it is shown by role only)."""
    return list(session.scalars(
        sa.select(AuditEvent)
        .where(AuditEvent.entity_type == "case", AuditEvent.entity_id == case_id,
               AuditEvent.action.in_([action.value for action in PUBLIC_ACTIONS]))
        .order_by(AuditEvent.id)
    ))
