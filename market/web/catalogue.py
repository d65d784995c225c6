"""The public catalogue: listed cases with filters, search and paging; a case's public page."""

from __future__ import annotations

from flask import Blueprint, abort, render_template, request
from werkzeug.datastructures import MultiDict

from market.domain.workflow import CaseState, Channel
from market.models import IPKind
from market.services import catalogue, lot_questions
from market.services.catalogue import CatalogueQuery
from market.web.case_support import disposal_rules
from market.web.context import db
from market.web.forms.cases import CatalogueFilterForm
from market.web.labels import INDUSTRY_NAMES, REGION_NAMES, place_label
from market.web.paging import page_links

bp = Blueprint("catalogue", __name__)
bp.add_app_template_filter(lambda value: place_label(INDUSTRY_NAMES, value), "industry")
bp.add_app_template_filter(lambda value: place_label(REGION_NAMES, value), "region")


def filter_form(args: MultiDict) -> CatalogueFilterForm:
    """The filters as given in the query string (validated by the caller)."""
    return CatalogueFilterForm(formdata=args)


def query_from(form: CatalogueFilterForm) -> CatalogueQuery:
    """The catalogue query a valid filter form stands for."""
    return CatalogueQuery(
        kind=IPKind(form.kind.data) if form.kind.data else None,
        industry=(form.industry.data or "").strip() or None,
        region=(form.region.data or "").strip() or None,
        channel=Channel(form.channel.data) if form.channel.data else None,
        state=CaseState(form.state.data) if form.state.data else None,
        min_price_fen=form.min_price.data,
        max_price_fen=form.max_price.data,
        q=(form.q.data or "").strip(),
        sort=form.sort.data or "newest",
        page=form.page.data or 1,
        per_page=form.per_page.data or 20,
    )


@bp.route("/catalogue")
def index():
    """Listed assets, filtered, searched, sorted and paged."""
    form = filter_form(request.args)
    valid = form.validate()
    page = catalogue.search_catalogue(db(), query_from(form) if valid else CatalogueQuery())
    return render_template("catalogue/index.html", form=form, page=page, facets=catalogue.facets(db()),
                           args={k: v for k, v in request.args.items() if k != "page"},
                           links=page_links(page.page, page.pages)), (200 if valid else 422)


@bp.route("/catalogue/<int:case_id>")
def show(case_id: int):
    """A listed case: the disclosure, the assets, the timeline and the result."""
    case = catalogue.public_case(db(), case_id)
    if case is None:
        abort(404)
    return render_template("catalogue/show.html", case=case, events=catalogue.public_timeline(db(), case_id),
                           public_reasons=catalogue.PUBLIC_REASONS, rules=disposal_rules(),
                           questions=lot_questions.published(db(), case_id))
