"""Claim-transfer pages: a bank lists its loan and pledge; licensed financial institutions see the data room
and offer (or bid in the claim auction); the seller accepts; the centre completes and tracks the recordal."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from flask import abort, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import login_required

from market.domain.claim_transfer import SaleMode
from market.domain.licensing import recordal_overdue
from market.domain.roles import Role
from market.models import ClaimListing
from market.services import claim_transfer
from market.services.claim_transfer import AuctionTerms
from market.web.channels import actor, attempt, bp, case_or_404, require_role
from market.web.context import db, now, user
from market.web.forms.auctions import beijing_to_utc, utc_to_beijing_input
from market.web.forms.channels import (
    AcceptOfferForm,
    ActionForm,
    ClaimListingForm,
    ClaimOfferForm,
    OpenClaimAuctionForm,
    ReasonForm,
    RecordalForm,
)
from market.web.forms.fields import choices
from market.web.labels import label
from market.web.refusals import submitted
from market.web.request_limits import is_database_id


@bp.route("/claims")
@login_required
def claims():
    """Claims for sale: only licensed financial institutions (and the centre) may see them."""
    me = user()
    if Role(me.role) in (Role.OPERATOR, Role.BUREAU):
        listings = claim_transfer.all_listings(db())
    else:
        listings = claim_transfer.open_listings(db(), me)
    return render_template("channels/claims.html", listings=listings, me=me, now=now())


@bp.route("/claims/mine")
@login_required
def my_claims():
    """A bank's own listings, with the outcome of each (a sold loan shows as transferred)."""
    require_role(Role.BANK)
    return render_template("channels/claims_mine.html", listings=claim_transfer.listings_of_seller(db(), user()),
                           me=user(), now=now())


@bp.route("/claims/new", methods=["GET", "POST"])
@login_required
def new_claim():
    """A bank asks the centre to list one of its loans, with its pledge, for sale."""
    require_role(Role.BANK)
    me = user()
    form = ClaimListingForm()
    form.loan_id.choices = choices(*((loan.id, f"{loan.contract_number} · {loan.enterprise.name} · {label(loan.status)}")
                                    for loan in claim_transfer.listable_loans(db(), me)))
    if not form.is_submitted():
        form.offer_deadline.data = utc_to_beijing_input(now() + timedelta(days=20))
    if submitted(form):
        created = {}

        def run():
            created["l"] = claim_transfer.list_claim(
                db(), form.loan_id.data, asking_price_fen=form.asking_price.data,
                offer_deadline=beijing_to_utc(form.offer_deadline.data), data_room_notes=form.data_room_notes.data or "",
                mode=SaleMode(form.mode.data), actor=actor(), now=now())

        if attempt(run, _("The centre has your listing and will open it to licensed financial institutions.")):
            return redirect(url_for(".claim_page", listing_id=created["l"].id))
    return render_template("channels/claim_new.html", form=form), 422 if form.is_submitted() else 200


@bp.route("/cases/<int:case_id>/claim-transfer")
@login_required
def claim_transfer_case(case_id: int):
    """The claim-transfer desk of a case: its latest listing, else the case's channel page."""
    case = case_or_404(case_id)
    latest = db().scalar(sa.select(ClaimListing.id).where(ClaimListing.case_id == case.id)
                         .order_by(ClaimListing.id.desc()).limit(1))
    if latest is not None:
        return redirect(url_for(".claim_page", listing_id=latest))
    return redirect(url_for(".case_channels", case_id=case.id))


def _listing(listing_id: int) -> ClaimListing:
    listing = claim_transfer.get_listing(db(), listing_id, user())
    if listing.auction_id is not None and claim_transfer.sync_claim_auction(db(), listing.auction_id, now()):
        listing = claim_transfer.get_listing(db(), listing_id, user())
    return listing


def _render(listing: ClaimListing, status: int = 200, **forms):
    me = user()
    role = Role(me.role)
    is_seller = role == Role.BANK and me.institution_id == listing.seller_id
    may_offer = (listing.mode == SaleMode.NEGOTIATED and claim_transfer.is_eligible(me) and not is_seller)
    sees_offers = is_seller or role in (Role.OPERATOR, Role.BUREAU)
    start = listing.asking_price_fen
    defaults = {
        "offer_form": ClaimOfferForm(formdata=None), "accept_form": AcceptOfferForm(formdata=None),
        "action_form": ActionForm(formdata=None), "end_form": ReasonForm(formdata=None),
        "recordal_form": RecordalForm(formdata=None, recorded_on=now().date()),
        "auction_form": OpenClaimAuctionForm(formdata=None, starting_price=start, increment=max(100, start // 100),
                                             deposit=start // 10,
                                             ends_at=utc_to_beijing_input(listing.offer_deadline)),
    }
    defaults.update(forms)
    overdue = listing.recordal_due_on is not None and recordal_overdue(listing.recordal_due_on,
                                                                       listing.recorded_on, now().date())
    return render_template(
        "channels/claim.html", listing=listing, loan=listing.loan, case=listing.case, me=me, now=now(),
        offers=claim_transfer.active_claim_offers(listing) if sees_offers else [],
        own=claim_transfer.own_claim_offer(listing, me), is_seller=is_seller, may_offer=may_offer,
        is_operator=role == Role.OPERATOR, overdue=overdue, **defaults,
    ), status


@bp.route("/claims/<int:listing_id>")
@login_required
def claim_page(listing_id: int):
    """A claim listing and its data room."""
    return _render(_listing(listing_id))


@bp.post("/claims/<int:listing_id>/open")
@login_required
def open_claim(listing_id: int):
    """The operator opens the listing (by auction: with the round's terms)."""
    require_role(Role.OPERATOR)
    listing = _listing(listing_id)
    if listing.mode == SaleMode.AUCTION:
        form = OpenClaimAuctionForm()
        if submitted(form) and attempt(
            lambda: claim_transfer.open_claim_listing(
                db(), listing_id, actor=actor(), now=now(),
                auction=AuctionTerms(form.starting_price.data, form.increment.data, form.deposit.data,
                                     beijing_to_utc(form.ends_at.data))),
            _("The claim auction is open to licensed financial institutions."),
        ):
            return redirect(url_for(".claim_page", listing_id=listing_id))
        return _render(_listing(listing_id), 422, auction_form=form)
    if submitted(ActionForm()):
        attempt(lambda: claim_transfer.open_claim_listing(db(), listing_id, actor=actor(), now=now()),
                _("The listing is open to licensed financial institutions."))
    return redirect(url_for(".claim_page", listing_id=listing_id))


@bp.post("/claims/<int:listing_id>/offer")
@login_required
def offer_for_claim(listing_id: int):
    """A licensed financial institution offers (or revises its offer)."""
    require_role(Role.BANK, Role.AIC)
    _listing(listing_id)
    form = ClaimOfferForm()
    if submitted(form) and attempt(
        lambda: claim_transfer.submit_claim_offer(db(), listing_id, price_fen=form.price.data,
                                                  terms=form.terms.data or "", actor=actor(), now=now()),
        _("Your offer is with the seller."),
    ):
        return redirect(url_for(".claim_page", listing_id=listing_id))
    return _render(_listing(listing_id), 422, offer_form=form)


@bp.post("/claims/<int:listing_id>/offer/withdraw")
@login_required
def withdraw_claim_offer(listing_id: int):
    """Withdraw one's offer while the listing is open."""
    require_role(Role.BANK, Role.AIC)
    _listing(listing_id)
    if submitted(ActionForm()):
        attempt(lambda: claim_transfer.withdraw_claim_offer(db(), listing_id, actor=actor(), now=now()),
                _("Your offer is withdrawn."))
    return redirect(url_for(".claim_page", listing_id=listing_id))


@bp.post("/claims/<int:listing_id>/accept")
@login_required
def accept(listing_id: int):
    """The seller accepts one offer."""
    require_role(Role.BANK)
    _listing(listing_id)
    form = AcceptOfferForm()
    if submitted(form):
        if not is_database_id(form.offer_id.data):
            abort(400)
        attempt(lambda: claim_transfer.accept_claim_offer(db(), listing_id, int(form.offer_id.data),
                                                          actor=actor(), now=now()),
                _("Offer accepted; the centre completes the transfer when the buyer has paid."))
    return redirect(url_for(".claim_page", listing_id=listing_id))


@bp.post("/claims/<int:listing_id>/complete")
@login_required
def complete(listing_id: int):
    """The operator confirms payment: loan and pledge move to the buyer."""
    require_role(Role.OPERATOR)
    _listing(listing_id)
    if submitted(ActionForm()):
        attempt(lambda: claim_transfer.complete_claim_transfer(db(), listing_id, actor=actor(), now=now()),
                _("The claim and its pledge have moved to the buyer; record the change with the IP office."))
    return redirect(url_for(".claim_page", listing_id=listing_id))


@bp.post("/claims/<int:listing_id>/withdraw")
@login_required
def withdraw_listing(listing_id: int):
    """The seller or the operator takes the listing off the market."""
    require_role(Role.BANK, Role.OPERATOR)
    _listing(listing_id)
    form = ReasonForm()
    if submitted(form) and attempt(
        lambda: claim_transfer.end_claim_listing(db(), listing_id, reason=form.reason.data, actor=actor(),
                                                 now=now()),
        _("The listing is withdrawn."),
    ):
        return redirect(url_for(".claim_page", listing_id=listing_id))
    return _render(_listing(listing_id), 422, end_form=form)


@bp.post("/claims/<int:listing_id>/recordal")
@login_required
def record_pledge_recordal(listing_id: int):
    """The operator records the change of pledgee with the IP office."""
    require_role(Role.OPERATOR)
    _listing(listing_id)
    form = RecordalForm()
    if submitted(form) and attempt(
        lambda: claim_transfer.record_pledge_recordal(db(), listing_id, recordal_number=form.recordal_number.data,
                                                      recorded_on=form.recorded_on.data, actor=actor(), now=now()),
        _("The recordal is on file."),
    ):
        return redirect(url_for(".claim_page", listing_id=listing_id))
    return _render(_listing(listing_id), 422, recordal_form=form)
