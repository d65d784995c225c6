"""The operator's registry desk: record a legal-status change, import the IP office's CSV, decide holds;
and the home-page notices of holds for the operator, the filing bank and the bidders with deposits."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, abort, flash, g, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import login_required

from market.domain.auction import DepositStatus
from market.domain.registry import OFFICE_EVENTS, RegistryStatus
from market.domain.roles import Role
from market.models import AuctionBidder, DisposalCase, IPAsset, RegistryHold
from market.services import registry
from market.services.audit import Actor
from market.web.context import db, now, user
from market.web.dashboards import Panel, contributes
from market.web.forms.channels import CSV_MAX_BYTES
from market.web.forms.fields import choices
from market.web.forms.registry import HoldDecisionForm, OfficeCsvForm, StatusChangeForm
from market.web.i18n import error_message
from market.web.labels import label
from market.web.refusals import submitted

bp = Blueprint("registry", __name__, url_prefix="/registry")


def _operator() -> Actor:
    if user().role != Role.OPERATOR:
        abort(403)
    return Actor.of(user())


def _change_form() -> StatusChangeForm:
    form = StatusChangeForm()
    form.status.choices = choices(*((status.value, label(status)) for status in RegistryStatus))
    return form


def _desk(status: int = 200, **forms):
    """The desk, with the forms as typed and, after a refused import, its report row by row."""
    refusal = g.get("refusal")
    report = [(problem.params.get("line"), error_message(problem)) for problem in refusal.params["problems"]] \
        if refusal is not None and "problems" in refusal.params else []
    page = render_template(
        "registry/index.html", change_form=forms.get("change_form") or _change_form(),
        csv_form=forms.get("csv_form") or OfficeCsvForm(), decision_form=HoldDecisionForm(),
        holds=registry.open_holds(db()), changes=registry.recent_changes(db()), report=report,
        events=sorted(OFFICE_EVENTS.items(), key=lambda item: list(RegistryStatus).index(item[1])),
    )
    return page, status


@bp.route("/")
@login_required
def index():
    """Open holds, the change form, the CSV import and the changes recorded last."""
    _operator()
    return _desk()


@bp.post("/changes")
@login_required
def record_change():
    """Record one change read from the register."""
    actor = _operator()
    form = _change_form()
    if submitted(form):
        asset = registry.asset_by_number(db(), form.registry_number.data)
        done = registry.record_status_change(db(), asset.id, status=form.status.data,
                                             effective_on=form.effective_on.data, source_ref=form.source_ref.data,
                                             actor=actor, now=now())
        flash(_("Recorded: %(number)s is now “%(status)s”.", number=asset.registry_number,
                status=label(done.change.status)), "success")
        _flash_holds(len(done.holds))
        return redirect(url_for(".index"))
    return _desk(422, change_form=form)


@bp.post("/import")
@login_required
def import_csv():
    """Import an IP-office legal-status file: every row or none."""
    actor = _operator()
    form = OfficeCsvForm()
    if submitted(form):
        raw = form.statement.data.read(CSV_MAX_BYTES + 1)
        try:
            text = raw.decode("utf-8-sig") if len(raw) <= CSV_MAX_BYTES else None
        except UnicodeDecodeError:
            flash(_("Save the file as UTF-8 CSV and try again."), "error")
        else:
            if text is None:
                flash(_("The file is too large (at most 1 MB)."), "error")
            else:
                done = registry.import_office_csv(db(), text, actor=actor, now=now())
                flash(_("%(n)s changes recorded.", n=len(done)), "success")
                _flash_holds(sum(len(d.holds) for d in done))
                return redirect(url_for(".index"))
    return _desk(422, csv_form=form)


def _flash_holds(count: int) -> None:
    if count:
        flash(_("%(n)s cases put on hold; their bidders and banks see it on their desks.", n=count), "warning")


@bp.post("/holds/<int:hold_id>/<any(resume, withdraw):decision>")
@login_required
def decide(hold_id: int, decision: str):
    """Resume a held sale (the round gets back the time it had left) or withdraw it, with a reason."""
    actor = _operator()
    form = HoldDecisionForm()
    if submitted(form):
        if decision == "resume":
            registry.resume_hold(db(), hold_id, reason=form.reason.data, actor=actor, now=now())
            flash(_("Resumed: the sale goes on with the time it had left."), "success")
        else:
            registry.withdraw_hold(db(), hold_id, reason=form.reason.data, actor=actor, now=now())
            flash(_("Withdrawn: the round is ended and deposits are refunded; the case stays suspended."), "success")
        return redirect(url_for(".index"))
    for errors in form.errors.values():
        for error in errors:
            flash(error, "error")
    return _desk(422)


@bp.route("/assets/<int:asset_id>")
@login_required
def asset(asset_id: int):
    """One asset's legal-status history, newest first."""
    _operator()
    found = db().get(IPAsset, asset_id)
    if found is None:
        abort(404)
    return render_template("registry/asset.html", asset=found, changes=registry.asset_history(db(), asset_id))


# ---- home-page notices ---------------------------------------------------------------------------


def _hold_rows(holds: list[RegistryHold]) -> list[tuple[str, str, str | None]]:
    rows = []
    for hold in holds:
        link = url_for("auctions.show", auction_id=hold.auction_id) if hold.auction_id else None
        rows.append((f"{hold.case.reference} · {hold.change.asset.registry_number}",
                     _("on hold: %(status)s", status=label(hold.change.status)), link))
    return rows


@contributes(Role.OPERATOR)
def operator_notice(me) -> Panel:
    """Every open hold, waiting for the operator's decision."""
    holds = registry.open_holds(db())
    rows = [(r[0], r[1], url_for("registry.index")) for r in _hold_rows(holds)]
    return Panel(title=_("IP registry"), rows=rows, empty=_("No sale is on hold."),
                 action=(_("Open the registry desk"), url_for("registry.index")))


@contributes(Role.BANK, Role.AIC, Role.GUARANTOR, Role.INSURER)
def party_notice(me) -> Panel | None:
    """Holds on the bank's own cases, and on rounds where the institution has a deposit."""
    deposits = sa.select(AuctionBidder.auction_id).where(
        AuctionBidder.institution_id == me.institution_id,
        AuctionBidder.deposit_status.in_([DepositStatus.HELD, DepositStatus.EXEMPT]))
    mine = sa.or_(RegistryHold.case_id.in_(sa.select(DisposalCase.id).where(
        DisposalCase.bank_id == me.institution_id)), RegistryHold.auction_id.in_(deposits))
    holds = registry.open_holds(db(), case_ids=mine)
    if not holds:
        return None
    return Panel(title=_("Sales on hold (IP registry)"), rows=_hold_rows(holds))
