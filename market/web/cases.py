"""The bank's pages: file a case from a defaulted loan, see its cases and their timeline, resubmit, withdraw.

Guarantors, insurers, agencies and the bureau may read the cases they can see; only a bank files or acts.
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import login_required

from market.domain.filing import Filing, co_owners_of
from market.domain.roles import Role
from market.domain.workflow import WITHDRAWABLE, CaseState
from market.models import User
from market.services import case_queries, disposal, filing
from market.services.audit import Actor
from market.services.case_queries import state_counts
from market.services.sale_confirmations import readable_confirmation
from market.web import dashboards
from market.web.case_support import STATE_NAMES, disposal_rules, register_filters, require
from market.web.context import db, now, user
from market.web.forms.cases import FilingForm, WithdrawForm
from market.web.forms.fields import choices
from market.web.refusals import submitted
from market.web.request_limits import query_number

bp = Blueprint("cases", __name__, url_prefix="/cases")
register_filters(bp)


@bp.route("/")
@login_required
def index():
    """The cases the user may see, newest activity first."""
    me = user()
    state = request.args.get("state")
    chosen = CaseState(state) if state in {s.value for s in CaseState} else None
    page = case_queries.visible_cases(db(), me, state=chosen, page=query_number("page", 1, minimum=1))
    return render_template("cases/index.html", me=me, page=page, state=chosen, states=STATE_NAMES,
                           counts=state_counts(db(), me))


@bp.route("/new")
@login_required
def choose_loan():
    """The bank's defaulted loans that can be filed."""
    me = require(Role.BANK)
    return render_template("cases/choose_loan.html", loans=filing.fileable_loans(db(), me))


@bp.route("/new/<int:loan_id>", methods=["GET", "POST"])
@login_required
def new(loan_id: int):
    """File a disposal case from one defaulted loan."""
    me = require(Role.BANK)
    loan = filing.loan_for_filing(db(), me, loan_id)
    if loan is None or loan.pledge is None:
        abort(404)
    form = _filing_form(loan, obj_defaults=request.method == "GET")
    if submitted(form):
        case = filing.file_case(db(), loan_id=loan.id, filing=_filing(form), summary=form.summary.data or "",
                                actor=Actor.of(me), now=now())
        flash(_("The case was filed; the trading centre will review it."), "success")
        return redirect(url_for("cases.show", case_id=case.id))
    status = 422 if request.method == "POST" else 200
    return render_template("cases/new.html", loan=loan, form=form), status


@bp.route("/<int:case_id>")
@login_required
def show(case_id: int):
    """One case: the claim, the assets, the layers, where it stands, and its timeline."""
    me = user()
    case = case_queries.case_for(db(), me, case_id)
    return render_template("cases/show.html", me=me, case=case, events=case_queries.timeline(db(), case.id),
                           rules=disposal_rules(), confirmation=readable_confirmation(db(), me, case.id),
                           **_bank_forms(me, case))


@bp.route("/<int:case_id>/resubmit", methods=["POST"])
@login_required
def resubmit(case_id: int):
    """The bank corrects a returned filing and sends it back."""
    me = require(Role.BANK)
    case = case_queries.case_for(db(), me, case_id)
    form = _filing_form(case.loan, case=case)
    if submitted(form):
        filing.resubmit_case(db(), case.id, filing=_filing(form), summary=form.summary.data or "",
                             actor=Actor.of(me), now=now())
        flash(_("The case was sent back to the trading centre."), "success")
        return redirect(url_for("cases.show", case_id=case.id))
    return _show_again(me, case, resubmit_form=form)


@bp.route("/<int:case_id>/withdraw", methods=["POST"])
@login_required
def withdraw(case_id: int):
    """The bank withdraws its case because the debtor paid."""
    me = require(Role.BANK)
    case = case_queries.case_for(db(), me, case_id)
    form = WithdrawForm(prefix="withdraw")
    if submitted(form):
        disposal.withdraw_case(db(), case.id, paid_by_debtor_fen=form.paid_by_debtor.data,
                               reason=form.reason.data, actor=Actor.of(me), now=now())
        flash(_("The case was withdrawn."), "success")
        return redirect(url_for("cases.show", case_id=case.id))
    return _show_again(me, case, withdraw_form=form)


def _show_again(me: User, case, **forms):
    case = case_queries.case_for(db(), me, case.id)
    context = {**_bank_forms(me, case), **forms}
    return render_template("cases/show.html", me=me, case=case, events=case_queries.timeline(db(), case.id),
                           rules=disposal_rules(), **context), 422


def _bank_forms(me: User, case) -> dict:
    if me.role != Role.BANK or case.bank_id != me.institution_id:
        return {}
    forms = {}
    if case.state == CaseState.RETURNED:
        form = _filing_form(case.loan, case=case)
        form.submit.label.text = _("Resubmit the case")
        forms["resubmit_form"] = form
    if case.state in WITHDRAWABLE:
        forms["withdraw_form"] = WithdrawForm(prefix="withdraw")
    return forms


def _filing_form(loan, *, obj_defaults: bool = False, case=None) -> FilingForm:
    form = FilingForm(prefix="" if case is None else "resubmit")
    if case is None and obj_defaults:
        form.principal_outstanding.data = loan.outstanding_principal_fen
        form.unpaid_interest.data = loan.unpaid_interest_fen
        form.costs_so_far.data = 0
        form.asset_ids.data = [asset.id for asset in loan.pledge.assets]
    if case is not None and not form.is_submitted():
        form.principal_outstanding.data = case.principal_outstanding_fen
        form.unpaid_interest.data = case.unpaid_interest_fen
        form.costs_so_far.data = case.costs_so_far_fen
        form.asset_ids.data = [asset.id for asset in case.assets]
        form.co_owner_consents.data = list(case.co_owner_consents or [])
        form.pledgee_consent.data = case.pledgee_consent
        form.summary.data = case.summary
    form.asset_ids.choices = choices(*((a.id, f"{a.registry_number} · {a.title}") for a in loan.pledge.assets))
    facts = filing.pledged_loan(loan)
    form.co_owner_consents.choices = choices(*((name, name) for name in co_owners_of(facts, tuple(facts.pledged_assets))))
    return form


def _filing(form: FilingForm) -> Filing:
    return Filing(
        asset_ids=tuple(form.asset_ids.data or ()), principal_outstanding_fen=form.principal_outstanding.data,
        unpaid_interest_fen=form.unpaid_interest.data or 0, costs_so_far_fen=form.costs_so_far.data or 0,
        pledgee_consent=bool(form.pledgee_consent.data), co_owner_consents=tuple(form.co_owner_consents.data or ()),
    )


@dashboards.contributes(Role.BANK, Role.GUARANTOR, Role.INSURER, Role.AGENCY)
def _my_cases_panel(me: User) -> dashboards.Panel:
    counts = state_counts(db(), me)
    rows = [(str(STATE_NAMES[state]), str(count), url_for("cases.index", state=state.value))
            for state, count in sorted(counts.items(), key=lambda item: list(CaseState).index(item[0]))]
    action = (str(_l("File a case")), url_for("cases.choose_loan")) if me.role == Role.BANK else None
    return dashboards.Panel(title=str(_l("Disposal cases")), rows=rows, action=action,
                            empty=str(_l("No disposal cases yet.")))

