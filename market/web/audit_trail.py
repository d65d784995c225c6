"""The audit trail page (the trading centre's): events by case, actor, action and date, before and after,
and whether the hash chain verifies end to end."""

from __future__ import annotations

from flask import Blueprint, abort, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import login_required

from market.domain.roles import Role
from market.services import audit_trail
from market.services.audit_trail import AuditQuery
from market.web import audit_events, dashboards
from market.web.context import db, user
from market.web.forms.records import AuditFilterForm
from market.web.paging import page_links

bp = Blueprint("audit", __name__, url_prefix="/operator/audit")

ENTITY_NAMES = {
    "case": _l("Case"), "auction": _l("Auction"), "licence_round": _l("Licence round"),
    "licence_offer": _l("Licence offer"), "licence": _l("Licence"), "conversion": _l("Debt-to-equity proposal"),
    "claim_listing": _l("Claim-transfer listing"), "claim": _l("Compensation claim"), "fund": _l("Fund"),
    "loan": _l("Loan"), "policy": _l("Compensation policy"), "ip_asset": _l("IP asset"),
    "registry_hold": _l("Registry hold"), "sandbox_clock": _l("Sandbox clock"),
}


@bp.before_request
@login_required
def _operator_only():
    if user().role != Role.OPERATOR:
        abort(403)


@bp.route("/")
def index():
    """The events matching the filters, newest first, with the chain's verification."""
    form = AuditFilterForm(formdata=request.args)
    valid = form.validate()
    query = AuditQuery(case_id=form.case.data, actor=(form.actor.data or "").strip() or None,
                       action=form.action.data or None, since=form.since.data, until=form.until.data,
                       page=form.page.data or 1) if valid else AuditQuery()
    page = audit_trail.audit_page(db(), query)
    institutions = audit_trail.institution_names(db(), audit_events.institution_ids(page.events))
    rows = [(event, audit_events.words(event, institutions)) for event in page.events]
    actions = [(f"{entity}:{action}", f"{entity_name(entity)} · {audit_events.action_name(entity, action)}")
               for entity, action in audit_trail.actions(db())]
    args = {k: v for k, v in request.args.items() if k != "page"}
    return render_template("audit/index.html", form=form, page=page, rows=rows, actions=actions,
                           chain=audit_trail.chain_status(db()), args=args, links=page_links(page.page, page.pages),
                           entity_name=entity_name), (200 if valid else 422)


def entity_name(entity: str) -> str:
    """What kind of object an event is about, in the reader's words."""
    return str(ENTITY_NAMES.get(entity, entity))


@dashboards.contributes(Role.OPERATOR)
def _audit_panel(me):
    return dashboards.Panel(title=_("Audit trail"), rows=[], action=(_("Open the audit trail"), url_for("audit.index")),
                            empty=_("Who did what to which case, and whether the record is intact."))
