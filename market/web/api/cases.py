"""The public catalogue and the caller's disposal cases, for banks' systems (amounts in yuan, times in UTC)."""

from __future__ import annotations

from datetime import UTC, date, datetime

from flask import jsonify, request, url_for
from flask_babel import gettext as _

from market.domain.money import fen_to_decimal_string
from market.models import AuditEvent, DisposalCase
from market.services import case_queries, catalogue
from market.services.catalogue import Listing
from market.web.api import api_user, bp
from market.web.api.openapi import COMPONENTS, document
from market.web.api.problems import InvalidParameter
from market.web.catalogue import filter_form, query_from
from market.web.context import db
from market.web.request_limits import query_number

CATALOGUE_PARAMETERS = ("kind", "industry", "region", "channel", "state", "min_price", "max_price", "q", "sort",
                        "page", "per_page")


def iso(moment: datetime | date | None) -> str | None:
    """UTC ISO 8601 (dates as YYYY-MM-DD)."""
    if moment is None:
        return None
    if not isinstance(moment, datetime):
        return moment.isoformat()
    return moment.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def money(fen: int | None) -> str | None:
    """Fen as a decimal yuan string, or None."""
    return None if fen is None else fen_to_decimal_string(fen)


def listing_json(item: Listing) -> dict:
    """One catalogue row."""
    return {
        "id": item.id, "reference": item.reference, "title": item.title, "kind": item.kind.value,
        "industry": item.industry, "region": item.region, "channel": item.channel.value if item.channel else None,
        "state": item.state.value, "suspended_from": item.suspended_from.value if item.suspended_from else None,
        "price": money(item.list_price_fen), "appraised_value": money(item.appraised_value_fen),
        "notice_published_at": iso(item.notice_published_at), "deadline": iso(item.due_at),
        "registry_numbers": item.registry_numbers.split(), "owner": item.owner_name,
        "url": url_for("catalogue.show", case_id=item.id),
    }


def event_json(event: AuditEvent) -> dict:
    """One transition of a case's timeline."""
    return {"action": event.action, "from_state": event.from_state, "to_state": event.to_state,
            "actor_role": event.actor_role, "at": iso(event.occurred_at), "reason": event.reason}


def case_json(case: DisposalCase, events: list[AuditEvent]) -> dict:
    """A case as its bank (or a layer institution) sees it."""
    return {
        "id": case.id, "reference": case.reference, "title": case.title, "state": case.state.value,
        "channel": case.channel.value if case.channel else None, "listed": case.listed,
        "loan_contract": case.loan.contract_number, "borrower": case.loan.enterprise.name,
        "assets": [{"kind": a.kind.value, "registry_number": a.registry_number, "title": a.title,
                    "legal_status": a.legal_status.value} for a in case.assets],
        "amounts": {
            "principal_outstanding": money(case.principal_outstanding_fen),
            "unpaid_interest": money(case.unpaid_interest_fen), "costs_so_far": money(case.costs_so_far_fen),
            "appraised_value": money(case.appraised_value_fen), "list_price": money(case.list_price_fen),
            "sale_price": money(case.sale_price_fen), "recovery": money(case.recovery_fen),
            "withdrawn_amount": money(case.withdrawn_amount_fen),
        },
        "valuation": {"report_ref": case.valuation_report_ref, "valued_on": iso(case.valued_on)},
        "notice": {"published_at": iso(case.notice_published_at), "ends_at": iso(case.notice_ends_at)},
        "failed_rounds": case.failed_rounds, "deadline": iso(case.due_at), "filed_at": iso(case.filed_at),
        "timeline": [event_json(event) for event in events],
    }


@bp.get("/catalogue")
def catalogue_listings():
    """Listed cases, filtered, searched, sorted and paged (public)."""
    unknown = sorted(set(request.args) - set(CATALOGUE_PARAMETERS))
    if unknown:
        raise InvalidParameter(parameter=unknown[0], problem=_("unknown parameter"))
    form = filter_form(request.args)
    if not form.validate():
        name, errors = next(iter(form.errors.items()))
        raise InvalidParameter(parameter=name, problem=" ".join(str(e) for e in errors))
    page = catalogue.search_catalogue(db(), query_from(form))
    return jsonify(items=[listing_json(item) for item in page.items], total=page.total, page=page.page,
                   per_page=page.per_page, pages=page.pages)


@bp.get("/cases")
def my_cases():
    """The caller's visible cases with their assets, amounts and timelines."""
    user = api_user()
    page_number = query_number("page", 1, minimum=1)
    per_page = min(query_number("per_page", 25, minimum=1), 100)
    page = case_queries.visible_cases(db(), user, page=page_number, per_page=per_page)
    events = case_queries.timelines(db(), [case.id for case in page.items])
    return jsonify(items=[case_json(case, events.get(case.id, [])) for case in page.items], total=page.total,
                   page=page.page, per_page=page.per_page)


@bp.get("/cases/<int:case_id>")
def my_case(case_id: int):
    """One of the caller's visible cases; anyone else's is not found."""
    user = api_user()
    case = case_queries.case_for(db(), user, case_id)
    return jsonify(case_json(case, case_queries.timeline(db(), case.id)))


COMPONENTS["schemas"].update({
    "Listing": {"type": "object", "properties": {
        "id": {"type": "integer"}, "reference": {"type": "string"}, "title": {"type": "string"},
        "kind": {"type": "string"}, "industry": {"type": "string"}, "region": {"type": "string"},
        "channel": {"type": ["string", "null"]}, "state": {"type": "string"},
        "price": {"oneOf": [{"$ref": "#/components/schemas/Amount"}, {"type": "null"}]},
        "appraised_value": {"oneOf": [{"$ref": "#/components/schemas/Amount"}, {"type": "null"}]},
        "notice_published_at": {"type": ["string", "null"], "format": "date-time"},
        "deadline": {"type": ["string", "null"], "format": "date-time"},
        "registry_numbers": {"type": "array", "items": {"type": "string"}}, "url": {"type": "string"}}},
    "TimelineEvent": {"type": "object", "properties": {
        "action": {"type": "string"}, "from_state": {"type": ["string", "null"]}, "to_state": {"type": ["string", "null"]},
        "actor_role": {"type": "string"}, "at": {"type": "string", "format": "date-time"}, "reason": {"type": "string"}}},
    "Case": {"type": "object", "properties": {
        "id": {"type": "integer"}, "reference": {"type": "string"}, "state": {"type": "string"},
        "assets": {"type": "array", "items": {"type": "object"}},
        "amounts": {"type": "object", "additionalProperties": {
            "oneOf": [{"$ref": "#/components/schemas/Amount"}, {"type": "null"}]}},
        "timeline": {"type": "array", "items": {"$ref": "#/components/schemas/TimelineEvent"}}}},
})


def _query(name: str, description: str, schema: dict | None = None) -> dict:
    return {"name": name, "in": "query", "required": False, "description": description,
            "schema": schema or {"type": "string"}}


def _ok(schema: dict) -> dict:
    return {"description": "OK", "content": {"application/json": {"schema": schema}}}


document("/catalogue", "get", summary="Search the public catalogue of listed assets", public=True, parameters=[
    _query("kind", "patent, trademark, copyright, geographical_indication or ic_layout"),
    _query("industry", "Industry, e.g. 集成电路"), _query("region", "Region, e.g. 北京"),
    _query("channel", "auction, negotiated_sale, licensing, conversion or claim_transfer"),
    _query("state", "A public state, e.g. notice_published or auction"),
    _query("min_price", "Lowest price, decimal yuan", {"$ref": "#/components/schemas/Amount"}),
    _query("max_price", "Highest price, decimal yuan", {"$ref": "#/components/schemas/Amount"}),
    _query("q", "Words in the title, registry number, reference or owner"),
    _query("sort", "newest, price_asc, price_desc or ending"),
    _query("page", "Page number from 1", {"type": "integer", "minimum": 1}),
    _query("per_page", "Listings per page, 1-100", {"type": "integer", "minimum": 1, "maximum": 100}),
], responses={
    "200": _ok({"type": "object", "properties": {
        "items": {"type": "array", "items": {"$ref": "#/components/schemas/Listing"}},
        "total": {"type": "integer"}, "page": {"type": "integer"}}}),
    "422": "A parameter is invalid; the message and `parameter` name it",
})
document("/cases", "get", summary="Your visible disposal cases, with assets, amounts and timelines", parameters=[
    _query("page", "Page number from 1", {"type": "integer", "minimum": 1}),
    _query("per_page", "Cases per page, 1-100", {"type": "integer", "minimum": 1, "maximum": 100}),
], responses={
    "200": _ok({"type": "object", "properties": {
        "items": {"type": "array", "items": {"$ref": "#/components/schemas/Case"}}, "total": {"type": "integer"}}}),
    "401": "No or bad token",
})
document("/cases/{case_id}", "get", summary="One of your visible disposal cases", parameters=[
    {"name": "case_id", "in": "path", "required": True, "schema": {"type": "integer"}},
], responses={"200": _ok({"$ref": "#/components/schemas/Case"}), "401": "No or bad token",
              "404": "No such case, or not one you may see"})
