"""The live auction page (polling a JSON endpoint), the deposit and bid forms, and the operator's desk."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import format_datetime
from flask_babel import gettext as _
from flask_login import current_user, login_required

from market.domain.auction import (
    LIVE_STATUSES,
    AuctionKind,
    AuctionStatus,
    DepositStatus,
    RefusalDecision,
    suggested_increment_fen,
    suggested_rerun_start_fen,
)
from market.domain.loss import fen_share
from market.domain.money import format_yuan
from market.domain.roles import Role
from market.domain.rules import min_first_start_fen
from market.domain.settlement import ppm_fraction
from market.domain.workflow import CHANNEL_ENTRY
from market.models import Auction, DisposalCase, FirstRefusalAnswer
from market.services import first_refusal as holders_service
from market.services import holder_invitations as invitations_service
from market.services.auctions import (
    bid_history,
    get_visible,
    live_auction_for_case,
    open_auction,
    pay_deposit,
    registration,
    snapshot,
    visible_auctions,
)
from market.services.audit import Actor
from market.services.bidding import place_bid, set_proxy
from market.services.closing import answer_first_refusal, record_payment, settle_if_due
from market.web import (
    auction_panels,  # noqa: F401 (home-page panels register on import)
    award,
)
from market.web.api.auctions import BidLine, auction_rules, auction_view
from market.web.context import db, now, user
from market.web.forms.auctions import (
    BidForm,
    DepositForm,
    FirstRefusalForm,
    HolderInviteForm,
    HolderLinkForm,
    OpenAuctionForm,
    PaymentForm,
    ProxyForm,
    beijing_to_utc,
    utc_to_beijing_input,
)
from market.web.forms.fields import choices
from market.web.qualification import lot_context
from market.web.refusals import submitted
from market.web.request_limits import query_number


def _percent(share) -> str:
    return f"{float(share) * 100:g}%"


bp = Blueprint("auctions", __name__, url_prefix="/auctions")


@bp.context_processor
def _centre_rules():
    """The rule numbers the pages quote, from the centre's settings (never written into templates)."""
    rules = auction_rules().disposal
    return {"rule_numbers": {
        "start": _percent(rules.min_start_share), "cut": _percent(rules.max_price_cut),
        "deposit_low": _percent(rules.min_deposit_share), "deposit_high": _percent(rules.max_deposit_share),
        "hours": rules.min_bidding_hours, "minutes": rules.extension_minutes,
    }}


def _viewer():
    return current_user.record if current_user.is_authenticated else None


def _caller():
    return current_user.caller if current_user.is_authenticated else None


def _load(auction_id: int) -> Auction:
    """The auction if the viewer may see it (else 404), after whatever the clock owes it."""
    auction = get_visible(db(), auction_id, _caller())
    if settle_if_due(db(), auction, now()):
        auction = get_visible(db(), auction_id, _caller())
    return auction


def _require_operator():
    if user().role != Role.OPERATOR:
        abort(403)


@bp.route("/")
def index():
    """Open rounds first (soonest end first), then recently finished ones."""
    visible = visible_auctions(_caller())
    live = list(db().scalars(sa.select(Auction).where(visible, Auction.status.in_(LIVE_STATUSES))
                             .order_by(Auction.ends_at)))
    finished = list(db().scalars(sa.select(Auction).where(visible, Auction.status.not_in(LIVE_STATUSES))
                                 .order_by(Auction.ends_at.desc()).limit(20)))
    return render_template("auctions/index.html", live=live, finished=finished, now=now())


@bp.route("/<int:auction_id>")
def show(auction_id: int):
    """The live page: price, leader, countdown, history; the deposit step and the bid form."""
    auction = _load(auction_id)
    me = _viewer()
    mine = registration(db(), auction_id, me.institution_id) if me else None
    view = snapshot(auction, mine.code if mine else None)
    history = bid_history(db(), auction_id)
    case = auction.case
    holders = _holder_rows(auction, case, me)
    return render_template(
        "auctions/show.html", auction=auction, view=view, history=list(reversed(history)), me=me, mine=mine,
        case=case, result=auction.result, holders=holders, now=now(),
        live_json=auction_view(view, now()).model_dump(mode="json"), poll_ms=current_app.config.get("AUCTION_POLL_MS", 2000),
        deposit_form=DepositForm(), bid_form=BidForm(amount=view.minimum_bid_fen),
        proxy_form=ProxyForm(), refusal_form=FirstRefusalForm(), payment_form=PaymentForm(),
        link_form=_holder_link_form() if me and me.role == Role.OPERATOR and holders else None,
        invite_form=HolderInviteForm(), **award.page_context(auction, me),
        **lot_context(case, me.institution_id if me else None,
                      auction.result.winner_institution_id if auction.result else None),
    )


@bp.route("/<int:auction_id>/live.json")
def live(auction_id: int):
    """What the page polls: the round and the bids after ?after=<seq>, with server time."""
    auction = _load(auction_id)
    me = _viewer()
    mine = registration(db(), auction_id, me.institution_id) if me else None
    after_seq = query_number("after", 0)
    at = now()
    view = snapshot(auction, mine.code if mine else None)
    body = auction_view(view, at).model_dump(mode="json")
    body.update(current_price_text=format_yuan(view.current_price_fen),
                minimum_bid_text=format_yuan(view.minimum_bid_fen),
                ends_at_text=format_datetime(view.ends_at, "yyyy-MM-dd HH:mm:ss"))
    bids = [dict(BidLine.model_validate(line).model_dump(mode="json"), amount_text=format_yuan(line.amount_fen),
                 placed_at_text=format_datetime(line.placed_at, "yyyy-MM-dd HH:mm:ss"))
            for line in bid_history(db(), auction_id, after_seq)]
    response = jsonify(auction=body, bids=bids, server_time=body["server_time"])
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/<int:auction_id>/deposit")
@login_required
def deposit(auction_id: int):
    """Pay the deposit and receive a bidder code."""
    _load(auction_id)
    if submitted(DepositForm()):
        bidder, created = pay_deposit(db(), auction_id, user().institution_id, now=now(), user=user(),
                                      rules=auction_rules())
        if created and bidder.deposit_status == DepositStatus.EXEMPT:
            flash(_("Registered without a deposit (applicant for enforcement). You bid as %(code)s.",
                    code=bidder.code), "success")
        elif created:
            flash(_("Deposit recorded. You bid as %(code)s.", code=bidder.code), "success")
    return redirect(url_for(".show", auction_id=auction_id))


@bp.post("/<int:auction_id>/bid")
@login_required
def bid(auction_id: int):
    """Place a bid at server time."""
    _load(auction_id)
    form = BidForm()
    if not submitted(form):
        for errors in form.errors.values():
            for error in errors:
                flash(error, "error")
        return redirect(url_for(".show", auction_id=auction_id))
    placed = place_bid(db(), auction_id, institution_id=user().institution_id, amount_fen=form.amount.data,
                       now=now(), rules=auction_rules())
    flash(_("Your bid of %(amount)s is in (no. %(seq)s).", amount=format_yuan(placed.amount_fen),
            seq=placed.seq), "success")
    if placed.proxy_bids:
        flash(_("A hidden maximum has already answered your bid."), "info")
    return redirect(url_for(".show", auction_id=auction_id))


@bp.post("/<int:auction_id>/proxy")
@login_required
def proxy(auction_id: int):
    """Set or raise a hidden maximum."""
    _load(auction_id)
    form = ProxyForm()
    if submitted(form):
        set_proxy(db(), auction_id, institution_id=user().institution_id, max_fen=form.max_amount.data,
                  now=now(), rules=auction_rules())
        flash(_("Your hidden maximum of %(amount)s is set.", amount=format_yuan(form.max_amount.data)),
              "success")
    else:
        for errors in form.errors.values():  # as the bid form does (messages may be lazy strings)
            for error in errors:
                flash(error, "error")
    return redirect(url_for(".show", auction_id=auction_id))


@bp.post("/<int:auction_id>/first-refusal/<int:holder_id>")
@login_required
def first_refusal(auction_id: int, holder_id: int):
    """A first-refusal holder (or the operator for it) matches the final price or declines."""
    _load(auction_id)
    form = FirstRefusalForm()
    if submitted(form):
        decision = RefusalDecision.MATCH if form.match.data else RefusalDecision.DECLINE
        answer_first_refusal(db(), auction_id, holder_id, decision, actor=Actor.of(user()), now=now(),
                             rules=auction_rules())
        flash(_("The answer is recorded."), "success")
    return redirect(url_for(".show", auction_id=auction_id))


@bp.post("/<int:auction_id>/first-refusal/<int:holder_id>/link")
@login_required
def link_holder(auction_id: int, holder_id: int):
    """The operator links a holder named in the notice to its institution, so that it can match or decline."""
    _require_operator()
    _load(auction_id)
    form = _holder_link_form()
    if submitted(form):
        holders_service.link_holder(db(), holder_id, form.institution_id.data, actor=Actor.of(user()), now=now())
        flash(_("The holder is linked to its institution."), "success")
    return redirect(url_for(".show", auction_id=auction_id))


@bp.post("/<int:auction_id>/first-refusal/<int:holder_id>/invite")
@login_required
def invite_holder(auction_id: int, holder_id: int):
    """The operator issues a one-time link for a holder not on the platform; the page shows it once, to send."""
    _require_operator()
    auction = _load(auction_id)
    if not submitted(HolderInviteForm()):
        return redirect(url_for(".show", auction_id=auction_id))
    invitation, token = invitations_service.invite_holder(db(), auction_id, holder_id, actor=Actor.of(user()),
                                                          now=now())
    return render_template("auctions/invitation.html", auction=auction, invitation=invitation,
                           link=url_for("invitations.accept", token=token, _external=True)), 201


def _holder_link_form() -> HolderLinkForm:
    form = HolderLinkForm()
    form.institution_id.choices = choices(*((str(i.id), i.name) for i in holders_service.holder_institutions(db())))
    return form


@bp.post("/<int:auction_id>/payment")
@login_required
def payment(auction_id: int):
    """The operator confirms that the winner paid the price."""
    _require_operator()
    _load(auction_id)
    if submitted(PaymentForm()):
        record_payment(db(), auction_id, actor=Actor.of(user()), now=now(), rules=auction_rules())
        flash(_("Payment recorded; the case is disposed."), "success")
    return redirect(url_for(".show", auction_id=auction_id))


@bp.route("/manage")
@login_required
def manage():
    """The operator's desk: cases ready for a round, live rounds, winners who must pay."""
    _require_operator()
    ready = list(db().scalars(
        sa.select(DisposalCase).where(DisposalCase.state.in_(CHANNEL_ENTRY))
        .where(~sa.exists().where(Auction.case_id == DisposalCase.id, Auction.status.in_(LIVE_STATUSES)))
        .order_by(DisposalCase.notice_ends_at).limit(200)))
    live = list(db().scalars(sa.select(Auction).where(Auction.status.in_(LIVE_STATUSES)).order_by(Auction.ends_at)))
    return render_template("auctions/manage.html", ready=ready, live=live, now=now(),
                           rounds=auction_rules().disposal.failed_rounds_before_negotiated_sale)


@bp.route("/open/<int:case_id>", methods=["GET", "POST"])
@login_required
def open_round(case_id: int):
    """The operator opens the next auction round of a case (the re-run start is pre-filled at the allowed cut)."""
    _require_operator()
    case = db().get(DisposalCase, case_id)
    if case is None:
        abort(404)
    form = OpenAuctionForm()
    if request.method == "GET":
        _prefill(form, case)
    elif submitted(form):
        ends_at = beijing_to_utc(form.ends_at.data)
        starts_at = beijing_to_utc(form.starts_at.data) if form.starts_at.data else None
        auction = open_auction(
            db(), case_id, starting_price_fen=form.starting_price.data, increment_fen=form.increment.data,
            deposit_fen=form.deposit.data, starts_at=starts_at, ends_at=ends_at, actor=Actor.of(user()),
            now=now(), kind=AuctionKind(form.kind.data), rules=auction_rules(),
            second_bidder_offer=form.second_bidder_offer.data,
        )
        flash(_("Round %(round)s is open.", round=auction.round_no), "success")
        return redirect(url_for(".show", auction_id=auction.id))
    return render_template("auctions/open.html", form=form, case=case,
                           live=live_auction_for_case(db(), case_id))


def _prefill(form: OpenAuctionForm, case: DisposalCase) -> None:
    rules = auction_rules()
    if case.last_start_price_fen and case.failed_rounds:
        start = suggested_rerun_start_fen(case.last_start_price_fen, rules)
    else:
        start = case.list_price_fen or min_first_start_fen(case.appraised_value_fen or 0, rules.disposal)
    deposit = fen_share(start, ppm_fraction(case.deposit_share_ppm))
    for field, fen in ((form.starting_price, start), (form.increment, suggested_increment_fen(start)),
                       (form.deposit, deposit)):
        field.data = fen
    form.ends_at.data = utc_to_beijing_input(now() + timedelta(days=3))


def _holder_rows(auction: Auction, case: DisposalCase, me) -> list[dict]:
    """First-refusal holders with their answers and whether the viewer may answer for them."""
    if auction.status != AuctionStatus.FIRST_REFUSAL and not case.first_refusal_holders:
        return []
    answers = dict(db().execute(sa.select(FirstRefusalAnswer.holder_id, FirstRefusalAnswer.decision)
                                .where(FirstRefusalAnswer.auction_id == auction.id)).all())
    rows = []
    for holder in case.first_refusal_holders:
        may_answer = (auction.status == AuctionStatus.FIRST_REFUSAL and holder.id not in answers and me is not None
                      and (me.role == Role.OPERATOR or me.institution_id == holder.institution_id))
        rows.append({"holder": holder, "answer": answers.get(holder.id), "may_answer": may_answer})
    return rows

