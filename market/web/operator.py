"""The trading centre's pages: the work queue by state and deadline, and one case's workbench.

Every decision is one POST to /operator/cases/<id>/<verb>; VERBS says which form it reads and which service
it calls. What other areas own (auction rounds, licensing, conversion, claim transfer, settlement) is done on
their desks, which the workbench links to (DESKS).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import login_required

from market.domain.roles import Role
from market.domain.rules import min_first_start_fen, min_next_start_fen
from market.domain.workflow import (
    SUSPENDABLE,
    WITHDRAWABLE,
    CaseAction,
    CaseState,
    Channel,
    allowed_actions,
)
from market.services import case_queries, disposal
from market.services.audit import Actor
from market.services.disposal import FirstRefusal, NoticeTerms
from market.web import dashboards
from market.web.case_support import STATE_NAMES, disposal_rules, require
from market.web.context import db, now
from market.web.forms.cases import (
    ConfirmForm,
    NegotiatedSaleForm,
    NoticeForm,
    ReasonForm,
    RequestValuationForm,
    ReviewForm,
    SuspendForm,
    ValuationForm,
    WithdrawForm,
)
from market.web.forms.fields import choices
from market.web.refusals import submitted

bp = Blueprint("operator", __name__, url_prefix="/operator")

# Other areas' desks for a case: (endpoint taking case_id, label). Change the endpoint here when a desk moves.
DESKS = {
    "auction": ("auctions.open_round", _l("Auction desk")),
    "licensing": ("channels.licensing_case", _l("Licensing desk")),
    "conversion": ("channels.conversion_case", _l("Conversion desk")),
    "claim_transfer": ("channels.claim_transfer_case", _l("Claim-transfer desk")),
    "settlement": ("settlement.statement", _l("Settlement desk")),
}


@dataclass(frozen=True)
class Verb:
    """One decision on the workbench: the form it reads, the service it calls, what it says on success."""

    form: type
    call: Callable
    done: str
    shown: Callable[[object], bool]


def _act(action: CaseAction, **extra):
    def call(case, form, actor):
        reason = form.reason.data if hasattr(form, "reason") else ""
        return disposal.take_action(db(), case.id, action, actor=actor, now=now(), reason=reason,
                                    rules=disposal_rules(), **extra)

    return call


def _in(*states: CaseState) -> Callable:
    return lambda case: case.state in states


def _negotiated(case) -> bool:
    return case.state == CaseState.AWAITING_PAYMENT and case.channel == Channel.NEGOTIATED_SALE


def _rounds_over(case) -> bool:
    return (case.state in (CaseState.NOTICE_PUBLISHED, CaseState.AWAITING_CHANNEL)
            and case.failed_rounds >= disposal_rules().failed_rounds_before_negotiated_sale
            and case.negotiated_sale_lapsed_at is None)


VERBS: dict[str, Verb] = {
    "start-review": Verb(ConfirmForm, _act(CaseAction.START_REVIEW), _l("Review started."), _in(CaseState.FILED)),
    "verify": Verb(ReviewForm, lambda case, form, actor: disposal.verify_case(
        db(), case.id, checks=tuple(form.checks.data or ()), actor=actor, now=now()),
        _l("Verified: the case can be valued."), _in(CaseState.UNDER_REVIEW)),
    "return": Verb(ReasonForm, _act(CaseAction.RETURN_TO_BANK), _l("Returned to the bank with your reasons."),
                   _in(CaseState.UNDER_REVIEW)),
    "reject": Verb(ReasonForm, _act(CaseAction.REJECT), _l("The case was rejected."), _in(CaseState.UNDER_REVIEW)),
    "request-valuation": Verb(RequestValuationForm, lambda case, form, actor: disposal.request_valuation(
        db(), case.id, appraiser_id=form.appraiser_id.data, actor=actor, now=now()),
        _l("The appraisal agency has been asked to value the case."), _in(*disposal.VALUATION_STATES)),
    "valuation": Verb(ValuationForm, lambda case, form, actor: disposal.record_valuation(
        db(), case.id, appraised_value_fen=form.appraised_value.data, report_ref=form.report_ref.data,
        valued_on=form.valued_on.data, appraiser_id=form.appraiser_id.data, actor=actor, now=now(),
        rules=disposal_rules()),
        _l("Valuation recorded."),
        _in(CaseState.VERIFIED, CaseState.VALUED, CaseState.NOTICE_PUBLISHED, CaseState.AWAITING_CHANNEL)),
    "publish": Verb(NoticeForm, lambda case, form, actor: disposal.publish_notice(
        db(), case.id, _notice_terms(form), actor=actor, now=now(), rules=disposal_rules()),
        _l("The notice is published and the case is in the public catalogue."), _in(CaseState.VALUED)),
    "negotiated-sale": Verb(ConfirmForm, _act(CaseAction.START_NEGOTIATED_SALE),
                            _l("The negotiated sale is open."), _rounds_over),
    "agree-sale": Verb(NegotiatedSaleForm, lambda case, form, actor: disposal.agree_negotiated_sale(
        db(), case.id, buyer_name=form.buyer_name.data or "", buyer_institution_id=form.buyer_institution_id.data,
        price_fen=form.price.data, actor=actor, now=now(), rules=disposal_rules()),
        _l("Sale recorded: the buyer must now pay."), _in(CaseState.NEGOTIATED_SALE)),
    "payment": Verb(ConfirmForm, lambda case, form, actor: disposal.record_buyer_payment(
        db(), case.id, actor=actor, now=now()), _l("Payment recorded: the case is disposed of."), _negotiated),
    "buyer-default": Verb(ReasonForm, _act(CaseAction.BUYER_DEFAULTED), _l("The buyer's default was recorded."),
                          _negotiated),
    "suspend": Verb(SuspendForm, lambda case, form, actor: disposal.suspend_case(
        db(), case.id, grounds=form.grounds.data, reason=form.reason.data, actor=actor, now=now()),
        _l("The case is suspended; its deadlines are paused."), lambda case: case.state in SUSPENDABLE),
    "resume": Verb(ReasonForm, _act(CaseAction.RESUME), _l("The case resumed where it stopped."),
                   _in(CaseState.SUSPENDED)),
    "withdraw": Verb(WithdrawForm, lambda case, form, actor: disposal.withdraw_case(
        db(), case.id, paid_by_debtor_fen=form.paid_by_debtor.data, reason=form.reason.data, actor=actor, now=now()),
        _l("The case was withdrawn."), lambda case: case.state in WITHDRAWABLE),
}


@bp.route("/")
@login_required
def queue():
    """Open cases by state, most urgent deadline first."""
    require(Role.OPERATOR)
    state = request.args.get("state")
    chosen = CaseState(state) if state in {s.value for s in case_queries.QUEUE_STATES} else None
    entries = case_queries.work_queue(db(), now(), state=chosen)
    return render_template("operator/queue.html", entries=entries, state=chosen, now=now(),
                           counts=case_queries.state_counts(db()), queue_states=case_queries.QUEUE_STATES)


@bp.route("/cases/<int:case_id>")
@login_required
def case(case_id: int):
    """The workbench: the case's facts, its timeline, and the decisions open in its state."""
    me = require(Role.OPERATOR)
    found = case_queries.case_for(db(), me, case_id)
    return _workbench(found)


@bp.route("/cases/<int:case_id>/<verb>", methods=["POST"])
@login_required
def act(case_id: int, verb: str):
    """Take one decision on a case; a broken rule is shown on the workbench with what was typed."""
    me = require(Role.OPERATOR)
    spec = VERBS.get(verb)
    found = case_queries.case_for(db(), me, case_id)
    if spec is None:
        return _workbench(found, status=404)
    form = _form(verb, found)
    if not spec.shown(found):
        flash(_("That decision is not open for this case as it stands."), "error")
        return _workbench(found, status=409)
    if submitted(form):
        spec.call(found, form, Actor.of(me))
        flash(str(spec.done), "success")
        return redirect(url_for("operator.case", case_id=case_id))
    found = case_queries.case_for(db(), me, case_id)
    return _workbench(found, submitted={verb: form}, status=422)


def _workbench(found, *, submitted: dict | None = None, status: int = 200):
    forms = {verb: _form(verb, found) for verb, spec in VERBS.items() if spec.shown(found)}
    forms.update(submitted or {})
    desks = {name: (url_for(endpoint, case_id=found.id), label) for name, (endpoint, label) in DESKS.items()}
    return render_template("operator/case.html", case=found, forms=forms, desks=desks,
                           events=case_queries.timeline(db(), found.id), now=now(), rules=disposal_rules(),
                           allowed=allowed_actions(found.state)), status


def _form(verb: str, case):
    form = VERBS[verb].form(prefix=verb)
    if isinstance(form, ValuationForm | RequestValuationForm):
        form.appraiser_id.choices = choices(("", _("— not named —")), *(
            (str(agency.id), agency.name) for agency in disposal.appraisal_agencies(db())))
    if isinstance(form, NegotiatedSaleForm):
        form.buyer_institution_id.choices = choices(("", _("— not on the platform —")), *(
            (str(i.id), i.name) for i in disposal.possible_buyers(db())))
    if not form.is_submitted():
        _prefill(form, case)
    return form


def _prefill(form, case) -> None:
    rules = disposal_rules()
    if isinstance(form, NoticeForm):
        if case.last_start_price_fen:
            form.start_price.data = min_next_start_fen(case.last_start_price_fen, rules)
        elif case.appraised_value_fen:
            form.start_price.data = min_first_start_fen(case.appraised_value_fen, rules)
        form.deposit_percent.data = Decimal(case.deposit_share_ppm or 100_000) / 10_000
        form.notice_days.data = rules.notice_days
        co_owners = sorted({name for asset in case.assets for name in (asset.co_owners or ())})
        form.first_refusal_holders.data = "\n".join(f"{name} | co-owner" for name in co_owners)
        form.summary.data = case.summary
    elif isinstance(form, NegotiatedSaleForm):
        form.price.data = case.last_start_price_fen
    elif isinstance(form, ReviewForm):
        form.checks.data = list(case.review_checks or ())
    elif isinstance(form, ValuationForm | RequestValuationForm):
        form.appraiser_id.data = case.appraiser_id


def _notice_terms(form: NoticeForm) -> NoticeTerms:
    return NoticeTerms(
        start_price_fen=form.start_price.data,
        deposit_share_ppm=int(form.deposit_percent.data * 10_000) if form.deposit_percent.data is not None else None,
        encumbrances=form.encumbrances.data or "", notice_days=form.notice_days.data, summary=form.summary.data or "",
        first_refusal_holders=tuple(FirstRefusal(name, basis) for name, basis in form.holders()),
    )


@dashboards.contributes(Role.OPERATOR)
def _queue_panel(me) -> dashboards.Panel:
    counts = case_queries.state_counts(db())
    overdue = sum(1 for entry in case_queries.work_queue(db(), now()) if entry.overdue)
    rows = [(str(_l("Overdue deadlines")), str(overdue), url_for("operator.queue"))]
    rows += [(str(STATE_NAMES[state]), str(counts[state]), url_for("operator.queue", state=state.value))
             for state in case_queries.QUEUE_STATES if counts.get(state)]
    return dashboards.Panel(title=str(_l("Disposal work queue")), rows=rows,
                            action=(str(_l("Open the work queue")), url_for("operator.queue")))
