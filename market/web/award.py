"""After the hammer: the centre's offer of a defaulted lot to the second bidder, the second bidder's answer, and the
confirmation of sale (成交确认书) both parties sign and download from the case."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import login_required

from market.domain.auction import AuctionStatus
from market.domain.confirmation import party_of
from market.domain.errors import NotFound
from market.domain.roles import Role
from market.domain.rules import RuleBroken
from market.models import Auction, Institution, SaleConfirmation
from market.services import award_chain, sale_confirmations
from market.services.audit import Actor
from market.web.api.auctions import auction_rules
from market.web.case_support import require
from market.web.context import db, now, user
from market.web.documents import document_response
from market.web.forms.auctions import (
    SecondOfferAnswerForm,
    SecondOfferDecisionForm,
    SignConfirmationForm,
)
from market.web.refusals import submitted

bp = Blueprint("award", __name__)


def page_context(auction: Auction, me) -> dict:
    """What the live page shows of the award chain: the offer, who may decide or answer, the confirmation."""
    offer = award_chain.second_offer(db(), auction.id)
    status = AuctionStatus(auction.status)
    candidate = award_chain.candidate(db(), auction) if status == AuctionStatus.SECOND_BIDDER_DECISION else None
    confirmation = sale_confirmations.readable_confirmation(db(), me, auction.case_id) if me else None
    return {
        "second_offer": offer, "second_candidate": candidate,
        "second_candidate_name": db().get(Institution, candidate.institution_id).name if candidate else None,
        "may_decide": me is not None and me.role == Role.OPERATOR and candidate is not None,
        "may_answer": (me is not None and offer is not None and status == AuctionStatus.SECOND_BIDDER_OFFERED
                       and me.institution_id == offer.institution_id),
        "confirmation": confirmation,
        "decision_form": SecondOfferDecisionForm(), "answer_form": SecondOfferAnswerForm(),
    }


@bp.post("/auctions/<int:auction_id>/second-bidder/decision")
@login_required
def decide(auction_id: int):
    """The operator offers the defaulted lot to the second bidder, or sends the case back for a re-auction."""
    me = require(Role.OPERATOR)
    form = SecondOfferDecisionForm()
    if submitted(form):
        if form.offer.data:
            award_chain.offer_to_second_bidder(db(), auction_id, actor=Actor.of(me), now=now())
            flash(_("The lot is offered to the second bidder."), "success")
        else:
            award_chain.decline_to_offer(db(), auction_id, actor=Actor.of(me), now=now(), rules=auction_rules())
            flash(_("No offer: the case goes back for a re-auction."), "success")
    return redirect(url_for("auctions.show", auction_id=auction_id))


@bp.post("/auctions/<int:auction_id>/second-bidder/answer")
@login_required
def answer(auction_id: int):
    """The second bidder accepts the lot at its own last bid, or declines it."""
    me = user()
    form = SecondOfferAnswerForm()
    if submitted(form):
        if form.accept.data:
            offer = award_chain.accept_second_offer(db(), auction_id, actor=Actor.of(me), now=now(),
                                                    rules=auction_rules())
            flash(_("You accepted the lot. Pay the price by the deadline shown."), "success")
            return redirect(url_for("auctions.show", auction_id=offer.auction_id))
        award_chain.decline_second_offer(db(), auction_id, actor=Actor.of(me), now=now(), rules=auction_rules())
        flash(_("You declined the lot."), "success")
    return redirect(url_for("auctions.show", auction_id=auction_id))


@bp.route("/cases/<int:case_id>/confirmation")
@login_required
def confirmation(case_id: int):
    """The confirmation of sale: its fingerprint, who has signed, the signing step and the downloads."""
    me = user()
    found = _readable(case_id)
    return render_template("award/confirmation.html", confirmation=found, me=me, form=SignConfirmationForm(),
                           my_party=_party(found, me),
                           signed_parties={s.party for s in found.signatures})


@bp.post("/cases/<int:case_id>/confirmation/sign")
@login_required
def sign(case_id: int):
    """An authorised user signs the confirmation for its institution (a recorded electronic acceptance)."""
    if submitted(SignConfirmationForm()):
        sale_confirmations.sign_confirmation(db(), case_id, user=user(), now=now())
        flash(_("Signed for your institution."), "success")
    return redirect(url_for(".confirmation", case_id=case_id))


@bp.route("/cases/<int:case_id>/confirmation.pdf")
@login_required
def download(case_id: int):
    """The confirmation as generated (what each party signs)."""
    return document_response(_readable(case_id).document)


@bp.route("/cases/<int:case_id>/confirmation-signed.pdf")
@login_required
def download_signed(case_id: int):
    """The confirmation signed by both parties."""
    found = _readable(case_id)
    if found.signed_document is None:
        raise NotFound()
    return document_response(found.signed_document)


def _readable(case_id: int) -> SaleConfirmation:
    """The case's confirmation for a page or a download; 404 when there is none the user may read (yet)."""
    found = sale_confirmations.readable_confirmation(db(), user(), case_id)
    if found is None:
        raise NotFound()
    return found


def _party(found: SaleConfirmation, me):
    try:
        return party_of(me.institution_id, seller_id=found.seller_institution_id, buyer_id=found.buyer_institution_id)
    except RuleBroken:
        return None
