"""The finance bureau's pages: dashboard, claim review (four eyes), the fund, the policy, statistics, CSV exports."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_required

from market.domain.ledger import BudgetLine
from market.domain.money import format_yuan
from market.domain.roles import InstitutionKind, Role
from market.domain.settlement import ClaimKind, ClaimState, ReviewDecision
from market.domain.workflow import Channel
from market.models import ClaimPayment, Clawback, CompensationClaim, Institution, PolicyVersion
from market.services import compensation, fund, statistics
from market.services.audit import Actor
from market.services.statistics import Quarter
from market.web import dashboards
from market.web.bureau_charts import grouped_bars, stacked_bar
from market.web.bureau_csv import csv_response, yuan
from market.web.context import db, now, user
from market.web.forms.bureau import (
    BudgetForm,
    CloseYearForm,
    ConfirmForm,
    ContributionForm,
    PolicyForm,
    ReviewForm,
)
from market.web.refusals import submitted
from market.web.settlement import claims_table_csv

bp = Blueprint("bureau", __name__, url_prefix="/bureau")

READERS = (Role.BUREAU, Role.OPERATOR)  # the centre may read the fund's pages; only the bureau acts
TO_REVIEW = (ClaimState.FILED, ClaimState.AWAITING_SECOND_APPROVAL)


@bp.before_request
@login_required
def _readers_only():
    if user().role not in READERS:
        abort(403)


def require_bureau() -> None:
    """Actions on the fund are the bureau's."""
    if user().role != Role.BUREAU:
        abort(403)


def _pct(ppm: int | None) -> str:
    return "—" if ppm is None else f"{ppm / 10_000:.2f}%"


def _quarter() -> Quarter:
    return Quarter.parse(request.args.get("quarter")) or Quarter.of(now().astimezone(fund.LOCAL).date())


# --- dashboard ------------------------------------------------------------------------------------


@bp.route("/")
def dashboard():
    """Fund balance, this year's paid / pending / clawed back, leverage, and the quarter's statistics."""
    session = db()
    position = fund.fund_position(session, now())
    quarter = _quarter()
    lines = statistics.bank_quarters(session, quarter)
    quarters = statistics.last_quarters(quarter, 4)
    flows = statistics.fund_flows(session, quarters)
    to_review = compensation.list_claims(session, user(), states=TO_REVIEW)
    budget_parts = _budget_parts(position)
    return render_template(
        "bureau/dashboard.html", position=position, quarter=quarter, lines=lines, to_review=to_review,
        charts=_quarter_charts(lines), pct=_pct,
        flow_chart=grouped_bars(_("Fund payments per quarter"), [str(f.quarter) for f in flows],
                                [(_("Paid"), [f.paid_fen / 100 for f in flows])], fmt=_yuan_short),
        budget_bar=stacked_bar(budget_parts, fmt=lambda v: format_yuan(int(v))),
        policy=fund.current_policy(session),
    )


def _budget_parts(position: fund.FundPosition) -> list[tuple[str, int, str]]:
    """This year's compensation budget: used by payments, and what is left."""
    used = max(0, position.budget_fen - position.budget_left_fen)
    return [(_("Used"), used, "#1a7f37"), (_("Left"), max(0, position.budget_left_fen), "#cbd5e0")]


def _yuan_short(value: float) -> str:
    if value >= 1_000_000:
        return f"¥{value / 1_000_000:,.1f}m"
    if value >= 10_000:
        return f"¥{value / 1_000:,.0f}k"
    return f"¥{value:,.0f}"


def _quarter_charts(lines: list[statistics.BankQuarter]) -> list:
    banks = [line for line in lines if line.bank_id is not None]
    names = [_short(line.bank_name) for line in banks]
    return [
        grouped_bars(_("New IP-pledge loans and balance (¥)"), names,
                     [(_("New loans"), [line.new_loans_fen / 100 for line in banks]),
                      (_("Balance"), [line.balance_fen / 100 for line in banks])], fmt=_yuan_short),
        grouped_bars(_("IP-pledge NPL ratio against the tolerance (bank NPL + 3 points)"), names,
                     [(_("NPL ratio"), [(line.npl_ratio_ppm or 0) / 10_000 for line in banks])],
                     markers=[None if line.tolerance_ppm is None else line.tolerance_ppm / 10_000 for line in banks],
                     marker_label=_("Tolerance"), fmt=lambda v: f"{v:.1f}%"),
        grouped_bars(_("Disposals by channel"), [channel_name(channel) for channel in Channel],
                     [(_("Cases"), [sum(line.disposals.get(channel, 0) for line in banks) for channel in Channel])],
                     fmt=lambda v: f"{v:.0f}"),
    ]


def channel_name(channel: Channel) -> str:
    """A channel's name for people."""
    return {Channel.AUCTION: _("Auction"), Channel.NEGOTIATED_SALE: _("Negotiated sale"),
            Channel.LICENSING: _("Licensing"), Channel.CONVERSION: _("Conversion"),
            Channel.CLAIM_TRANSFER: _("Claim transfer")}[channel]


def _short(name: str) -> str:
    return name if len(name) <= 10 else name[:9] + "…"


# --- claims ---------------------------------------------------------------------------------------


@bp.route("/claims")
def claims():
    """Claims to review first, then every claim by state, kind and year."""
    session = db()
    state = ClaimState(request.args["state"]) if request.args.get("state") in set(ClaimState) else None
    kind = ClaimKind(request.args["kind"]) if request.args.get("kind") in set(ClaimKind) else None
    rows = compensation.list_claims(session, user(), states=(state,) if state else None,
                                    kinds=(kind,) if kind else None, limit=500)
    to_review = compensation.list_claims(session, user(), states=TO_REVIEW)
    return render_template("bureau/claims.html", claims=rows, to_review=to_review, state=state, kind=kind,
                           states=list(ClaimState), kinds=list(ClaimKind), me=user())


@bp.route("/claims.csv")
def claims_csv():
    """Every claim as CSV."""
    return claims_table_csv(compensation.list_claims(db(), user()), "bureau-claims.csv")


@bp.route("/claims/<int:claim_id>/review", methods=["POST"])
def review(claim_id: int):
    """Approve, reduce with reason or reject with reason (a second bureau user above the threshold)."""
    require_bureau()
    claim = compensation.get_claim(db(), user(), claim_id)
    form = ReviewForm()
    if submitted(form):
        compensation.review(db(), claim.id, actor=Actor.of(user()), decision=ReviewDecision(form.decision.data),
                            amount_fen=form.amount.data, reason=form.reason.data or "", now=now())
        messages = {
            ClaimState.AWAITING_SECOND_APPROVAL: _("Recorded. The amount is above the four-eyes threshold: "
                                                   "a second bureau user must approve."),
            ClaimState.APPROVED: _("Approved; the claim joins the payment queue in order of approval."),
            ClaimState.REJECTED: _("Rejected; the claimant sees the reason."),
        }
        flash(messages.get(claim.state, _("Recorded.")), "success")
    else:
        for errors in form.errors.values():
            for error in errors:
                flash(error, "error")
    return redirect(url_for("settlement.claim", claim_id=claim.id))


# --- the fund -------------------------------------------------------------------------------------


@bp.route("/fund")
def fund_page():
    """The fund: balance, budget lines, the payment queue, payments and clawbacks; the bureau's actions."""
    session = db()
    position = fund.fund_position(session, now())
    year = position.year
    return render_template(
        "bureau/fund.html", position=position, queue=fund.payment_queue(session),
        payments=_payments(session, limit=100), clawbacks=_clawbacks(session), pct=_pct,
        contribution_form=ContributionForm(),
        budget_form=BudgetForm(year=year, amount=policy.annual_budget_fen if (policy := fund.current_policy(session)) else None),
        close_form=CloseYearForm(year=year - 1), confirm=ConfirmForm(), is_bureau=user().role == Role.BUREAU,
        budget_bar=stacked_bar(_budget_parts(position), fmt=lambda v: format_yuan(int(v))),
        policy=fund.current_policy(session),
    )


def _payments(session, limit: int | None = None) -> list[ClaimPayment]:
    query = sa.select(ClaimPayment).order_by(ClaimPayment.id.desc())
    return list(session.scalars(query.limit(limit) if limit else query))


def _clawbacks(session) -> list[Clawback]:
    return list(session.scalars(sa.select(Clawback).order_by(Clawback.id.desc())))


def _fund_action(action, success: str):
    require_bureau()
    action()
    flash(success, "success")
    return redirect(url_for("bureau.fund_page"))


@bp.route("/fund/contribute", methods=["POST"])
def contribute():
    """Money put into the fund."""
    form = ContributionForm()
    if not submitted(form):
        return _form_errors(form)
    return _fund_action(lambda: fund.contribute(db(), form.amount.data, actor=Actor.of(user()), now=now(),
                                                memo=form.memo.data), _("Contribution recorded."))


@bp.route("/fund/budget", methods=["POST"])
def grant_budget():
    """A year's budget line, or a top-up of it."""
    form = BudgetForm()
    if not submitted(form):
        return _form_errors(form)
    return _fund_action(lambda: fund.grant_budget(db(), form.year.data, BudgetLine(form.line.data), form.amount.data,
                                                  actor=Actor.of(user()), now=now(), memo=form.memo.data or ""),
                        _("Budget granted."))


@bp.route("/fund/pay", methods=["POST"])
def pay():
    """Run the payments: approved claims in order of approval, as far as budget and balance allow."""
    if not submitted(ConfirmForm()):
        abort(400)

    def run():
        result = fund.run_payments(db(), actor=Actor.of(user()), now=now())
        flash(_("Paid %(amount)s on %(count)s claims; pending %(pending)s; lapsed %(lapsed)s.",
                amount=format_yuan(result.paid_fen), count=result.claims_paid,
                pending=format_yuan(result.pending_fen), lapsed=format_yuan(result.lapsed_fen)), "info")

    return _fund_action(run, _("Payment run finished."))


@bp.route("/fund/close-year", methods=["POST"])
def close_year():
    """Year-end: the rest of the year's budget lapses; waiting claims carry over."""
    form = CloseYearForm()
    if not submitted(form):
        return _form_errors(form)
    return _fund_action(lambda: fund.close_year(db(), form.year.data, actor=Actor.of(user()), now=now()),
                        _("Year closed."))


@bp.route("/clawbacks/<int:clawback_id>/repaid", methods=["POST"])
def clawback_repaid(clawback_id: int):
    """Record that a claimant repaid a clawback."""
    if not submitted(ConfirmForm()):
        abort(400)
    if db().get(Clawback, clawback_id) is None:
        abort(404)
    return _fund_action(lambda: fund.repay_clawback(db(), clawback_id, actor=Actor.of(user()), now=now()),
                        _("Repayment recorded."))


def _form_errors(form):
    require_bureau()
    for errors in form.errors.values():
        for error in errors:
            flash(error, "error")
    return redirect(url_for("bureau.fund_page"))


@bp.route("/fund/payments.csv")
def payments_csv():
    """Every payment from the fund, as CSV."""
    rows = [[p.id, p.paid_at.isoformat(), p.year, p.claim_id, p.claim.kind.value, p.claim.institution.name,
             yuan(p.amount_fen)] for p in _payments(db())]
    return csv_response("fund-payments.csv", ["id", "paid_at", "year", "claim", "kind", "institution", "amount"], rows)


@bp.route("/fund/queue.csv")
def queue_csv():
    """The payment queue in order of approval, as CSV."""
    return claims_table_csv(fund.payment_queue(db()), "fund-queue.csv")


@bp.route("/clawbacks.csv")
def clawbacks_csv():
    """Every clawback, as CSV."""
    rows = [[c.id, c.claim_id, c.claim.institution.name, c.claim.case_id, yuan(c.amount_fen),
             c.demanded_at.isoformat(), c.repaid_at.isoformat() if c.repaid_at else ""] for c in _clawbacks(db())]
    return csv_response("clawbacks.csv", ["id", "claim", "institution", "case", "amount", "demanded_at",
                                          "repaid_at"], rows)


# --- the policy -----------------------------------------------------------------------------------

_POLICY_FORM_FIELDS = {
    "ratio_bank": "ratio_bank_ppm", "ratio_guarantor": "ratio_guarantor_ppm", "ratio_insurer": "ratio_insurer_ppm",
    "ratio_agency": "ratio_agency_ppm", "cap_bank": "cap_bank_fen", "cap_guarantor": "cap_guarantor_fen",
    "cap_insurer": "cap_insurer_fen", "cap_agency": "cap_agency_fen", "cap_per_loan": "cap_per_loan_fen",
    "cap_per_institution_year": "cap_per_institution_year_fen", "annual_budget": "annual_budget_fen",
    "subsidy_budget": "subsidy_budget_fen", "four_eyes_above": "four_eyes_above_fen",
    "interest_subsidy": "interest_subsidy_ppm", "interest_subsidy_cap": "interest_subsidy_cap_fen",
    "appraisal_subsidy": "appraisal_subsidy_ppm", "appraisal_subsidy_cap": "appraisal_subsidy_cap_fen",
    "premium_subsidy": "premium_subsidy_ppm", "premium_subsidy_cap": "premium_subsidy_cap_fen",
    "annual_cap": "annual_cap_fen", "stop_loss": "stop_loss_ppm",
}


def _bank_names(session) -> list[tuple[int, str]]:
    """The banks a policy may give a ratio of their own, by name."""
    return list(session.execute(sa.select(Institution.id, Institution.name)
                                .where(Institution.kind == InstitutionKind.BANK).order_by(Institution.name)).all())


@bp.route("/policy")
def policy():
    """The current policy and every earlier version."""
    versions = db().scalars(sa.select(PolicyVersion).order_by(PolicyVersion.version.desc())).all()
    bank_names = {str(bank_id): name for bank_id, name in _bank_names(db())}
    return render_template("bureau/policy.html", versions=versions, pct=_pct, bank_names=bank_names,
                           is_bureau=user().role == Role.BUREAU)


@bp.route("/policy/new", methods=["GET", "POST"])
def new_policy():
    """Edit the policy: the form starts from the current version and saves a new one."""
    require_bureau()
    form = PolicyForm()
    current = fund.current_policy(db())
    if request.method == "GET" and current is not None:
        for name, column in _POLICY_FORM_FIELDS.items():
            getattr(form, name).data = getattr(current, column)
        form.shortfall.data = current.shortfall.value
        form.stop_loss_resume.data = current.stop_loss_resume.value
        form.show_levers(current.size_band_edges_fen or [], current.size_band_ratios_ppm or [],
                         current.bank_ratios_ppm or {})
    form.offer_banks(_bank_names(db()))
    if submitted(form):
        settings = {column: getattr(form, name).data for name, column in _POLICY_FORM_FIELDS.items()}
        settings["shortfall"] = form.shortfall.data
        settings["stop_loss_resume"] = form.stop_loss_resume.data
        settings |= form.size_band_settings() | form.bank_ratio_settings()
        version = fund.add_policy_version(db(), actor=Actor.of(user()), now=now(), note=form.note.data, **settings)
        flash(_("Policy version %(v)s saved; new claims are computed under it.", v=version.version), "success")
        return redirect(url_for("bureau.policy"))
    return render_template("bureau/policy_form.html", form=form, current=current), (
        200 if request.method == "GET" else 422)


@bp.route("/policy.csv")
def policy_csv():
    """Every policy version, as CSV."""
    versions = db().scalars(sa.select(PolicyVersion).order_by(PolicyVersion.version)).all()
    columns = ["version", "created_at", "note", *_POLICY_FORM_FIELDS.values(), "shortfall", "stop_loss_resume",
               "size_band_edges", "size_band_ratios", "bank_ratios"]
    rows = []
    for v in versions:
        row = [v.version, v.created_at.isoformat(), v.note]
        for column in _POLICY_FORM_FIELDS.values():
            value = getattr(v, column)
            row.append(yuan(value) if column.endswith("_fen") else (value or 0) / 10_000)
        row += [v.shortfall.value, v.stop_loss_resume.value,
                "; ".join(yuan(edge) for edge in v.size_band_edges_fen or []),
                "; ".join(str(ppm / 10_000) for ppm in v.size_band_ratios_ppm or []),
                "; ".join(f"{bank}:{ppm / 10_000}" for bank, ppm in sorted((v.bank_ratios_ppm or {}).items()))]
        rows.append(row)
    return csv_response("policy-versions.csv", columns, rows)


# --- statistics -----------------------------------------------------------------------------------


@bp.route("/statistics")
def statistics_page():
    """Per bank and per quarter: new loans, balance, firms, pledge rate, NPL against the tolerance, disposals, recovery."""
    session = db()
    quarter = _quarter()
    lines = statistics.bank_quarters(session, quarter)
    quarters = statistics.last_quarters(quarter, 4)
    trend = statistics.trend(session, quarters)
    trend_chart = grouped_bars(_("All banks: new loans and balance per quarter (¥)"), [str(q) for q in quarters],
                               [(_("New loans"), [t.new_loans_fen / 100 for t in trend]),
                                (_("Balance"), [t.balance_fen / 100 for t in trend])], fmt=_yuan_short)
    return render_template("bureau/statistics.html", quarter=quarter, lines=lines, trend=trend,
                           charts=[*_quarter_charts(lines), trend_chart], pct=_pct, channels=list(Channel),
                           channel_name=channel_name)


@bp.route("/statistics.csv")
def statistics_csv():
    """The quarter's per-bank statistics, as CSV."""
    quarter = _quarter()
    return csv_response(f"statistics-{quarter}.csv", *_statistics_table(statistics.bank_quarters(db(), quarter)))


@bp.route("/statistics/trend.csv")
def trend_csv():
    """All banks together over the last four quarters, as CSV."""
    quarters = statistics.last_quarters(_quarter(), 4)
    return csv_response("statistics-trend.csv",
                        *_statistics_table(statistics.trend(db(), quarters)))


def _statistics_table(lines):
    header = ["quarter", "bank", "new_loans", "new_loans_amount", "balance", "client_firms", "pledge_rate_pct",
              "npl_ratio_pct", "bank_npl_pct", "tolerance_pct", "within_tolerance",
              *[f"disposals_{c.value}" for c in Channel], "settled_cases", "recovery_rate_pct",
              "mean_days_default_to_settlement"]
    rows = []
    for line in lines:
        rows.append([
            str(line.quarter), line.bank_name or "ALL", line.new_loans, yuan(line.new_loans_fen),
            yuan(line.balance_fen), line.client_firms, _plain_pct(line.pledge_rate_ppm),
            _plain_pct(line.npl_ratio_ppm), _plain_pct(line.bank_npl_ppm), _plain_pct(line.tolerance_ppm),
            "" if line.within_tolerance is None else ("yes" if line.within_tolerance else "no"),
            *[line.disposals.get(c, 0) for c in Channel], line.settled_cases, _plain_pct(line.recovery_rate_ppm),
            "" if line.mean_days_to_settlement is None else line.mean_days_to_settlement,
        ])
    return header, rows


def _plain_pct(ppm: int | None) -> str:
    return "" if ppm is None else f"{ppm / 10_000:.2f}"


# --- home-page panel ------------------------------------------------------------------------------


@dashboards.contributes(Role.BUREAU)
def _bureau_panel(me):
    session = db()
    position = fund.fund_position(session, now())
    waiting = session.scalar(sa.select(sa.func.count(CompensationClaim.id))
                             .where(CompensationClaim.state.in_(TO_REVIEW))) or 0
    return dashboards.Panel(
        title=_("Risk-compensation fund"),
        rows=[(_("Fund balance"), format_yuan(position.balance_fen), url_for("bureau.fund_page")),
              (_("Claims to review"), str(waiting), url_for("bureau.claims")),
              (_("Paid this year"), format_yuan(position.paid_fen), url_for("bureau.fund_page")),
              (_("Pending for lack of money"), format_yuan(position.pending_fen), url_for("bureau.fund_page"))],
        action=(_("Bureau dashboard"), url_for("bureau.dashboard")),
    )
