"""The public catalogue and the caller's disposal cases, for banks' systems (amounts in yuan, times in UTC);
a bank's system files a case here as its people do on the filing page."""

from __future__ import annotations

import enum
from datetime import date
from typing import Annotated, Literal

from flask import request, url_for
from flask_babel import gettext as _
from pydantic import BeforeValidator, Field, StrictBool, StrictStr

from market.domain.case_states import Channel
from market.domain.filing import Filing
from market.domain.roles import Role
from market.domain.workflow import PUBLIC_STATES, CaseState
from market.models import DisposalCase, IPKind, LegalStatus
from market.services import case_queries, catalogue, filing
from market.services.audit import Actor
from market.services.catalogue import SORTS
from market.web.api import api_user, bp
from market.web.api.contract import (
    IdempotencyKey,
    Model,
    Moment,
    QueryNumber,
    Yuan,
    YuanIn,
    YuanOrZeroIn,
    operation,
)
from market.web.api.idempotency import idempotent
from market.web.api.problems import InvalidParameter
from market.web.catalogue import filter_form, query_from
from market.web.context import db, now

PublicState = enum.StrEnum("PublicState", {state.name: state.value for state in CaseState if state in PUBLIC_STATES})
PublicState.__doc__ = "A stage a listed case can be in."
CatalogueSort = enum.StrEnum("CatalogueSort", {name.upper(): name for name in SORTS})
CatalogueSort.__doc__ = "The catalogue's orders."


def _blank(value: object) -> object:
    return None if value == "" else value


def _Filter(kind):  # noqa: N802 - a type
    # an empty value means the filter is not given, as on the catalogue page's form: declared, so clients
    # (and schemathesis) know "" is accepted
    return Annotated[kind | Literal[""] | None, BeforeValidator(_blank)]


class CatalogueQuery(Model):
    """The catalogue's filters: the same as the catalogue page's."""

    kind: _Filter(IPKind) = None
    industry: _Filter(Annotated[str, Field(max_length=60)]) = Field(None, description="Industry, e.g. 集成电路")
    region: _Filter(Annotated[str, Field(max_length=60)]) = Field(None, description="Region, e.g. 北京")
    channel: _Filter(Channel) = None
    state: _Filter(PublicState) = None
    min_price: _Filter(YuanOrZeroIn) = Field(None, description="Lowest price, decimal yuan")
    max_price: _Filter(YuanOrZeroIn) = Field(None, description="Highest price, decimal yuan")
    q: _Filter(Annotated[str, Field(max_length=100)]) = Field(
        None, description="Words in the title, registry number, reference or owner")
    sort: _Filter(CatalogueSort) = None
    page: _Filter(Annotated[int, Field(ge=1, le=100_000)]) = Field(None, description="Page number from 1")
    per_page: _Filter(Annotated[int, Field(ge=1, le=100)]) = Field(None, description="Listings per page, 1-100")


class Listing(Model):
    """One catalogue row."""

    id: int
    reference: str
    title: str
    kind: IPKind
    industry: str
    region: str
    channel: Channel | None
    state: CaseState
    suspended_from: CaseState | None
    price: Yuan | None = Field(validation_alias="list_price_fen")
    appraised_value: Yuan | None = Field(validation_alias="appraised_value_fen")
    notice_published_at: Moment | None
    deadline: Moment | None = Field(validation_alias="due_at")
    registry_numbers: list[str]
    owner: str = Field(validation_alias="owner_name")
    url: str


class CataloguePage(Model):
    """A page of listings and where it sits in the whole result."""

    items: list[Listing]
    total: int = Field(ge=0)
    page: int = Field(ge=1)
    per_page: int = Field(ge=1)
    pages: int = Field(ge=0)


class CaseAsset(Model):
    """A pledged asset of the case."""

    kind: IPKind
    registry_number: str
    title: str
    legal_status: LegalStatus


class CaseAmounts(Model):
    """The claim and what the case has fetched so far."""

    principal_outstanding: Yuan = Field(validation_alias="principal_outstanding_fen")
    unpaid_interest: Yuan = Field(validation_alias="unpaid_interest_fen")
    costs_so_far: Yuan = Field(validation_alias="costs_so_far_fen")
    appraised_value: Yuan | None = Field(validation_alias="appraised_value_fen")
    list_price: Yuan | None = Field(validation_alias="list_price_fen")
    sale_price: Yuan | None = Field(validation_alias="sale_price_fen")
    recovery: Yuan | None = Field(validation_alias="recovery_fen")
    withdrawn_amount: Yuan | None = Field(validation_alias="withdrawn_amount_fen")


class Valuation(Model):
    """The appraisal, once there is one."""

    report_ref: str | None = Field(validation_alias="valuation_report_ref")
    valued_on: date | None


class Notice(Model):
    """The public notice period."""

    published_at: Moment | None = Field(validation_alias="notice_published_at")
    ends_at: Moment | None = Field(validation_alias="notice_ends_at")


class TimelineEvent(Model):
    """One transition of a case's timeline."""

    action: str
    from_state: str | None
    to_state: str | None
    actor_role: str
    at: Moment = Field(validation_alias="occurred_at")
    reason: str


class Case(Model):
    """A case as its bank (or a layer institution) sees it."""

    id: int
    reference: str
    title: str
    state: CaseState
    channel: Channel | None
    listed: bool
    loan_contract: str
    borrower: str
    assets: list[CaseAsset]
    amounts: CaseAmounts
    valuation: Valuation
    notice: Notice
    failed_rounds: int = Field(ge=0)
    deadline: Moment | None
    filed_at: Moment
    timeline: list[TimelineEvent]


class CasePage(Model):
    """A page of the caller's cases."""

    items: list[Case]
    total: int = Field(ge=0)
    page: int = Field(ge=1)
    per_page: int = Field(ge=1)
    pages: int = Field(ge=0)


class CasesQuery(Model):
    """Paging."""

    page: QueryNumber("page", 1) = Field(1, description="Page number from 1")
    per_page: QueryNumber("per_page", 1) = Field(25, description="Cases per page; at most 100 are returned")


class CaseFiling(Model):
    """A bank's filing: the defaulted loan, its registered pledge, the assets to dispose of, the claim and the
    consents (as on the filing page)."""

    loan_contract: StrictStr = Field(min_length=1, max_length=60, description="The loan's contract number")
    pledge_registration: StrictStr = Field(min_length=1, max_length=60,
                                           description="The pledge's registration number at the IP office")
    registry_numbers: list[StrictStr] = Field(min_length=1, max_length=50,
                                              description="The pledged assets to dispose of, by registry number")
    principal_outstanding: YuanIn
    unpaid_interest: YuanOrZeroIn
    costs_so_far: YuanOrZeroIn
    pledgee_consent: StrictBool = Field(description="As pledgee, the bank consents (Civil Code art. 444)")
    co_owner_consents: list[StrictStr] = Field([], max_length=50,
                                               description="Co-owners whose written consent is attached")
    summary: StrictStr = Field("", max_length=2000, description="For the trading centre")


def case_answer(case: DisposalCase, events) -> Case:
    """A case with its loan, assets, amounts and timeline."""
    return Case(
        id=case.id, reference=case.reference, title=case.title, state=case.state, channel=case.channel,
        listed=case.listed, loan_contract=case.loan.contract_number, borrower=case.loan.enterprise.name,
        assets=[CaseAsset.model_validate(asset) for asset in case.assets], amounts=CaseAmounts.model_validate(case),
        valuation=Valuation.model_validate(case), notice=Notice.model_validate(case),
        failed_rounds=case.failed_rounds, deadline=case.due_at, filed_at=case.filed_at,
        timeline=[TimelineEvent.model_validate(event) for event in events],
    )


_ERRORS = {401: "No or bad token"}


@bp.get("/catalogue")
@operation("catalogue", {200: (CataloguePage, "Listings"),
                         422: "A parameter is invalid; the message and `parameter` name it"}, public=True)
def catalogue_listings(query: CatalogueQuery):
    """Search the public catalogue of listed assets

    Filtered, searched, sorted and paged, with the catalogue page's filters."""
    unknown = sorted(set(request.args) - set(CatalogueQuery.model_fields))
    if unknown:
        raise InvalidParameter(parameter=unknown[0], problem=_("unknown parameter"))
    form = filter_form(request.args)
    if not form.validate():
        name, errors = next(iter(form.errors.items()))
        raise InvalidParameter(parameter=name, problem=" ".join(str(e) for e in errors))
    page = catalogue.search_catalogue(db(), query_from(form))
    return CataloguePage(items=[_listing(item) for item in page.items], total=page.total, page=page.page, per_page=page.per_page, pages=page.pages)


def _listing(item: catalogue.Listing) -> Listing:
    return Listing(
        id=item.id, reference=item.reference, title=item.title, kind=item.kind, industry=item.industry,
        region=item.region, channel=item.channel, state=item.state, suspended_from=item.suspended_from,
        price=item.list_price_fen, appraised_value=item.appraised_value_fen,
        notice_published_at=item.notice_published_at, deadline=item.due_at,
        registry_numbers=item.registry_numbers.split(), owner=item.owner_name,
        url=url_for("catalogue.show", case_id=item.id),
    )


@bp.get("/cases")
@operation("cases", {200: (CasePage, "Your cases"), 400: "page or per_page is not a whole number from 1",
                     **_ERRORS})
def my_cases(query: CasesQuery):
    """Your visible disposal cases, with assets, amounts and timelines"""
    user = api_user()
    page = case_queries.visible_cases(db(), user, page=query.page, per_page=min(query.per_page, 100))
    events = case_queries.timelines(db(), [case.id for case in page.items])
    return CasePage(items=[case_answer(case, events.get(case.id, [])) for case in page.items], total=page.total,
                    page=page.page, per_page=page.per_page, pages=page.pages)


@bp.get("/cases/<int:case_id>")
@operation("cases", {200: (Case, "The case"), **_ERRORS, 404: "No such case, or not one you may see"})
def my_case(case_id: int):
    """One of your visible disposal cases"""
    user = api_user()
    case = case_queries.case_for(db(), user, case_id)
    return case_answer(case, case_queries.timeline(db(), case.id))


@bp.post("/cases")
@idempotent
@operation("cases", {201: (Case, "Filed; the trading centre will review it"),
                     400: "Missing Idempotency-Key, or not a JSON object", **_ERRORS,
                     403: "Not a bank", 404: "No such loan of your bank",
                     409: "The loan already has a case in progress",
                     422: "A field is missing or malformed, or the filing breaks a rule (the message says which)"},
           roles=(Role.BANK,))
def file_case(json: CaseFiling, headers: IdempotencyKey):
    """File a disposal case (bank)

    The same checks as the filing page: a defaulted loan of yours with a registered pledge, pledged assets
    only, the claim within the loan, the pledgee's consent and every co-owner's."""
    user = api_user(write=True)
    loan = filing.loan_by_contract(db(), user, json.loan_contract)
    asset_ids = filing.pledged_asset_ids(loan, json.pledge_registration, json.registry_numbers)
    case = filing.file_case(db(), loan_id=loan.id, filing=Filing(
        asset_ids=asset_ids, principal_outstanding_fen=json.principal_outstanding,
        unpaid_interest_fen=json.unpaid_interest, costs_so_far_fen=json.costs_so_far,
        pledgee_consent=json.pledgee_consent, co_owner_consents=tuple(json.co_owner_consents),
    ), summary=json.summary, actor=Actor.of(user), now=now())
    return case_answer(case, case_queries.timeline(db(), case.id)), 201
