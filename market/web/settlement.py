"""Settlement pages: a case's statement (everyone on the loan), settling and closing (operator), claims (claimants)."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_required

from market.domain.roles import Role
from market.domain.rules import RuleBroken
from market.domain.settlement import ClaimKind, ClaimState, CostSettings, DisposalCosts
from market.domain.workflow import CaseState
from market.models import CompensationClaim, DisposalCase, Loan
from market.services import compensation, recoveries, settlement
from market.services.access import can_see_case, loan_visibility
from market.services.audit import Actor
from market.services.fund import LOCAL, current_policy, fund_year_of
from market.web import dashboards
from market.web.bureau_csv import csv_response, yuan
from market.web.context import db, now, user
from market.web.forms.bureau import (
    ConfirmForm,
    LaterRecoveryForm,
    ReviewForm,
    SettleForm,
    SubsidyForm,
    TransferForm,
)
from market.web.forms.fields import choices
from market.web.i18n import error_message
from market.web.refusals import submitted

bp = Blueprint("settlement", __name__)

CLAIMANT_ROLES = (Role.BANK, Role.GUARANTOR, Role.INSURER, Role.AGENCY)


def cost_settings() -> CostSettings:
    """The centre's disposal-cost settings (config SETTLEMENT_COSTS, else the defaults)."""
    return CostSettings.from_mapping(current_app.config.get("SETTLEMENT_COSTS"))


def visible_case(case_id: int) -> DisposalCase:
    """A case the user may see, else 404."""
    case = db().get(DisposalCase, case_id)
    if case is None or not can_see_case(user(), case):
        abort(404)
    return case


def require_operator() -> None:
    """Settling, recording transfers and closing are the trading centre's."""
    if user().role != Role.OPERATOR:
        abort(403)


@bp.route("/cases/<int:case_id>/settlement")
@login_required
def statement(case_id: int):
    """The settlement statement of a case, or (for the operator) the preview and the form to settle it."""
    case = visible_case(case_id)
    me = user()
    view = settlement.settlement_view(db(), case)
    if view is None:
        if case.state != CaseState.DISPOSED:
            return render_template("settlement/not_yet.html", case=case)
        form = SettleForm()
        try:
            preview = settlement.preview_statement(db(), case, settings=cost_settings())
        except RuleBroken as error:
            return render_template("settlement/not_yet.html", case=case, problem=error_message(error))
        _prefill_costs(form, preview.costs)
        return render_template("settlement/settle.html", case=case, preview=preview, form=form,
                               can_settle=me.role == Role.OPERATOR)
    return _statement_page(case, view)


def _statement_page(case, view, *, transfer_form=None, recovery_form=None):
    me = user()
    mine = [line for line in view.layers if line.institution and line.institution.id == me.institution_id]
    return render_template(
        "settlement/statement.html", case=case, view=view, mine=mine,
        history=settlement.statement_history(db(), case.id),
        is_operator=me.role == Role.OPERATOR,
        can_claim=me.role in CLAIMANT_ROLES and any(
            line.claim is None or line.claim.state == ClaimState.DRAFTED for line in mine if line.base_fen > 0),
        transfer_form=transfer_form or TransferForm(released_on=now().astimezone(LOCAL).date()),
        recovery_form=recovery_form or LaterRecoveryForm(), confirm=ConfirmForm(),
    )


def _prefill_costs(form: SettleForm, costs: DisposalCosts) -> None:
    if request.method == "GET":
        form.commission.data, form.appraisal.data = costs.commission_fen, costs.appraisal_fen
        form.taxes.data, form.other.data = costs.taxes_fen, costs.other_fen


@bp.route("/cases/<int:case_id>/settlement", methods=["POST"])
@login_required
def settle(case_id: int):
    """The operator settles a disposed case with the costs entered."""
    case = visible_case(case_id)
    require_operator()
    form = SettleForm()
    if submitted(form):
        costs = DisposalCosts(form.commission.data, form.appraisal.data, form.taxes.data, form.other.data)
        settlement.settle_case(db(), case.id, actor=Actor.of(user()), now=now(), costs=costs,
                               settings=cost_settings())
        flash(_("The case is settled; the claims are drafted for each institution."), "success")
        return redirect(url_for("settlement.statement", case_id=case.id))
    if case.state != CaseState.DISPOSED:
        return redirect(url_for("settlement.statement", case_id=case.id))
    preview = settlement.preview_statement(db(), case, settings=cost_settings())
    return render_template("settlement/settle.html", case=case, preview=preview, form=form, can_settle=True), 422


@bp.route("/cases/<int:case_id>/settlement/transfer", methods=["POST"])
@login_required
def record_transfer(case_id: int):
    """The operator records the transfer and releases the pledge."""
    case = visible_case(case_id)
    require_operator()
    form = TransferForm()
    if submitted(form):
        settlement.record_transfer(db(), case.id, actor=Actor.of(user()), now=now(),
                                   released_on=form.released_on.data)
        flash(_("Transfer recorded; the pledge is released."), "success")
    else:
        flash(_("Enter the date the pledge was released."), "error")
    return redirect(url_for("settlement.statement", case_id=case.id))


@bp.route("/cases/<int:case_id>/settlement/close", methods=["POST"])
@login_required
def close(case_id: int):
    """The operator closes the case."""
    case = visible_case(case_id)
    require_operator()
    if submitted(ConfirmForm()):
        settlement.close_case(db(), case.id, actor=Actor.of(user()), now=now())
        flash(_("The case is closed."), "success")
    return redirect(url_for("settlement.statement", case_id=case.id))


@bp.route("/cases/<int:case_id>/settlement/later-recovery", methods=["POST"])
@login_required
def later_recovery(case_id: int):
    """The operator records money recovered after settlement; the statement is re-run."""
    case = visible_case(case_id)
    require_operator()
    form = LaterRecoveryForm()
    if submitted(form):
        row = recoveries.record_later_recovery(
            db(), case.id, form.amount.data, actor=Actor.of(user()), now=now(), memo=form.memo.data,
            through_centre=form.through_centre.data,
        )
        flash(_("Statement revision %(n)s: claims revised, clawbacks demanded where paid too much.",
                n=row.revision), "success")
        return redirect(url_for("settlement.statement", case_id=case.id))
    view = settlement.settlement_view(db(), case)
    if view is None:
        abort(404)
    return _statement_page(case, view, recovery_form=form), 422


@bp.route("/cases/<int:case_id>/settlement/claim", methods=["POST"])
@login_required
def file_from_statement(case_id: int):
    """An institution on the loan files its claim from the statement."""
    case = visible_case(case_id)
    if user().role not in CLAIMANT_ROLES:
        abort(403)
    if submitted(ConfirmForm()):
        claims = compensation.file_case_claims(db(), case.id, actor=Actor.of(user()), now=now())
        flash(_("Claim filed for the bureau's review."), "success")
        return redirect(url_for("settlement.claim", claim_id=claims[0].id))
    return redirect(url_for("settlement.statement", case_id=case.id))


@bp.route("/cases/<int:case_id>/settlement.csv")
@login_required
def statement_csv(case_id: int):
    """The statement's layer lines as CSV."""
    case = visible_case(case_id)
    view = settlement.settlement_view(db(), case)
    if view is None:
        abort(404)
    rows = [[line.layer.value, line.institution.name if line.institution else "", line.share_ppm / 10_000,
             yuan(line.loss_fen), yuan(line.dispersed_fen), yuan(line.base_fen),
             (line.ratio_ppm or 0) / 10_000, yuan(line.cap_fen), yuan(line.claim_fen), yuan(line.paid_fen),
             yuan(line.pending_fen), yuan(line.clawed_back_fen)] for line in view.layers]
    return csv_response(f"settlement-{case.reference}.csv",
                        ["layer", "institution", "share_pct", "loss", "dispersed", "base", "ratio_pct", "cap",
                         "claim", "paid", "pending", "clawed_back"], rows)


SETTLEMENT_DESK_STATES = (CaseState.DISPOSED, CaseState.SETTLED, CaseState.TRANSFER_RECORDED, CaseState.CLOSED)


def _desk_cases(limit: int | None = 200) -> list[DisposalCase]:
    me = user()
    if me.role not in (Role.OPERATOR, Role.BUREAU):
        abort(403)
    query = (sa.select(DisposalCase).where(DisposalCase.state.in_(SETTLEMENT_DESK_STATES))
             .order_by(DisposalCase.updated_at.desc()))
    return list(db().scalars(query.limit(limit) if limit else query))


@bp.route("/settlement")
@login_required
def index():
    """The trading centre's settlement desk: disposed cases to settle, settled cases to finish."""
    from market.web.bureau import channel_name

    cases = _desk_cases()
    groups = {state: [c for c in cases if c.state == state] for state in SETTLEMENT_DESK_STATES}
    return render_template("settlement/index.html", groups=groups, channel_name=channel_name)


@bp.route("/settlement.csv")
@login_required
def index_csv():
    """Every case on the settlement desk with its current statement, as CSV."""
    rows = []
    for case in _desk_cases(limit=None):
        statement = settlement.latest_statement(db(), case.id)
        rows.append([
            case.reference, case.state.value, case.channel.value if case.channel else "", case.bank.name,
            yuan(case.principal_outstanding_fen), yuan(case.recovery_fen),
            yuan(statement.gross_proceeds_fen) if statement else "", yuan(statement.to_costs_fen) if statement else "",
            yuan(statement.principal_loss_fen) if statement else "", statement.revision if statement else "",
            case.settled_at.isoformat() if case.settled_at else "",
        ])
    return csv_response("settlement-desk.csv", ["case", "state", "channel", "pledgee", "principal_outstanding",
                                                "channel_result", "gross_proceeds", "costs", "principal_loss",
                                                "revision", "settled_at"], rows)


# --- claims ---------------------------------------------------------------------------------------


@bp.route("/compensation/claims")
@login_required
def claims():
    """The claims the user's institution filed (or may file); the bureau and the centre see all."""
    me = user()
    if me.role not in (*CLAIMANT_ROLES, Role.BUREAU, Role.OPERATOR):
        abort(403)
    state = ClaimState(request.args["state"]) if request.args.get("state") in set(ClaimState) else None
    rows = compensation.list_claims(db(), me, states=(state,) if state else None, limit=500)
    return render_template("settlement/claims.html", claims=rows, state=state, states=list(ClaimState),
                           can_file_subsidy=me.role in CLAIMANT_ROLES)


@bp.route("/compensation/claims.csv")
@login_required
def claims_csv():
    """The claims the user may see, as CSV."""
    me = user()
    if me.role not in (*CLAIMANT_ROLES, Role.BUREAU, Role.OPERATOR):
        abort(403)
    return claims_table_csv(compensation.list_claims(db(), me), "claims.csv")


def claims_table_csv(rows: list[CompensationClaim], filename: str):
    """Claims as CSV: every number the claim was computed from, and where its money stands."""
    header = ["id", "kind", "state", "case", "loan", "institution", "layer", "policy_version", "year", "base",
              "ratio_pct", "uncapped", "cap", "loan_cap", "year_cap", "claimed", "approved", "due", "paid",
              "pending", "lapsed", "clawed_back", "queue_position", "filed_at", "approved_at"]
    body = [[c.id, c.kind.value, c.state.value, c.case_id or "", c.loan.contract_number, c.institution.name,
             c.layer.value if c.layer else "", c.policy_version.version, c.year, yuan(c.base_fen),
             c.ratio_ppm / 10_000, yuan(c.uncapped_fen), yuan(c.cap_fen), yuan(c.loan_cap_fen),
             yuan(c.year_cap_fen), yuan(c.claimed_fen), yuan(c.approved_fen), yuan(c.due_fen), yuan(c.paid_fen),
             yuan(c.still_owed_fen), yuan(c.lapsed_fen), yuan(c.clawed_back_fen), c.queue_position or "",
             c.filed_at.isoformat() if c.filed_at else "", c.approved_at.isoformat() if c.approved_at else ""]
            for c in rows]
    return csv_response(filename, header, body)


@bp.route("/compensation/claims/<int:claim_id>")
@login_required
def claim(claim_id: int):
    """One claim: how it was computed, its review and its payments."""
    me = user()
    row = compensation.get_claim(db(), me, claim_id)
    room = compensation.year_room(db(), row, fund_year_of(now())) if row.approved_fen is None else None
    return render_template(
        "settlement/claim.html", claim=row, review_form=ReviewForm(), confirm=ConfirmForm(), year_room=room,
        is_owner=me.institution_id == row.institution_id and me.role in CLAIMANT_ROLES,
        is_bureau=me.role == Role.BUREAU,
        gave_first_approval=any(r.step == 1 and r.reviewer_id == me.id for r in row.reviews),
    )


@bp.route("/compensation/claims/<int:claim_id>/file", methods=["POST"])
@login_required
def file_claim(claim_id: int):
    """The claimant files its drafted claim."""
    row = compensation.get_claim(db(), user(), claim_id)
    if submitted(ConfirmForm()):
        compensation.file_claim(db(), row.id, actor=Actor.of(user()), now=now())
        flash(_("Claim filed for the bureau's review."), "success")
    return redirect(url_for("settlement.claim", claim_id=row.id))


@bp.route("/compensation/subsidy", methods=["GET", "POST"])
@login_required
def new_subsidy():
    """File a subsidy claim (interest, appraisal fee, premium) for a borrower."""
    me = user()
    if me.role not in CLAIMANT_ROLES:
        abort(403)
    form = SubsidyForm()
    loans = db().scalars(sa.select(Loan).where(loan_visibility(me)).order_by(Loan.contract_number)).all()
    form.loan.choices = choices(*((loan.id, f"{loan.contract_number} · {loan.enterprise.name}") for loan in loans))
    policy = current_policy(db())
    if submitted(form):
        row = compensation.file_subsidy_claim(
            db(), actor=Actor.of(me), loan_id=form.loan.data, kind=ClaimKind(form.kind.data),
            base_fen=form.base.data, evidence=form.evidence.data, now=now(),
        )
        flash(_("Subsidy claim filed for the bureau's review."), "success")
        return redirect(url_for("settlement.claim", claim_id=row.id))
    return render_template("settlement/subsidy.html", form=form, policy=policy), 200 if request.method == "GET" else 422


# --- home-page panels -------------------------------------------------------------------------------


@dashboards.contributes(Role.OPERATOR)
def _operator_panel(me):
    session = db()
    counts = dict(session.execute(
        sa.select(DisposalCase.state, sa.func.count(DisposalCase.id))
        .where(DisposalCase.state.in_([CaseState.DISPOSED, CaseState.SETTLED, CaseState.TRANSFER_RECORDED]))
        .group_by(DisposalCase.state)
    ).all())
    link = url_for("settlement.index")
    return dashboards.Panel(
        title=_("Settlement"),
        rows=[(_("Disposed, to settle"), str(counts.get(CaseState.DISPOSED, 0)), link),
              (_("Settled, transfer to record"), str(counts.get(CaseState.SETTLED, 0)), link),
              (_("Transfer recorded, to close"), str(counts.get(CaseState.TRANSFER_RECORDED, 0)), link)],
        action=(_("Settlement desk"), link),
    )


@dashboards.contributes(*CLAIMANT_ROLES)
def _claimant_panel(me):
    rows = compensation.list_claims(db(), me)
    if not rows:
        return None
    by_state: dict[ClaimState, int] = {}
    for row in rows:
        by_state[row.state] = by_state.get(row.state, 0) + 1
    link = url_for("settlement.claims")
    labels = {ClaimState.DRAFTED: _("Drafted, to file"), ClaimState.FILED: _("Filed, under review"),
              ClaimState.AWAITING_SECOND_APPROVAL: _("Awaiting second approval"),
              ClaimState.APPROVED: _("Approved, awaiting payment"), ClaimState.PENDING: _("Pending: fund short"),
              ClaimState.PAID: _("Paid"), ClaimState.CLAWED_BACK: _("Clawed back")}
    return dashboards.Panel(
        title=_("Compensation claims"),
        rows=[(label, str(by_state[state]), url_for("settlement.claims", state=state.value))
              for state, label in labels.items() if by_state.get(state)],
        action=(_("My claims"), link),
    )

