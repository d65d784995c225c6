"""The claim-transfer API: list, open, offer, accept, complete (conventions in market.web.api.channels)."""

from __future__ import annotations

from datetime import date
from enum import StrEnum

from pydantic import AwareDatetime, Field

from market.domain.channels import ListingStatus
from market.domain.claim_transfer import SaleMode
from market.domain.licensing import recordal_overdue
from market.domain.money import parse_yuan
from market.domain.roles import Role
from market.models import ClaimListing, IPKind, LegalStatus
from market.services import claim_transfer
from market.services.claim_transfer import AuctionTerms
from market.web.api import api_user, bp
from market.web.api.channels import (
    OPERATOR,
    Note,
    ReasonIn,
    RecordalIn,
    RefId,
    write_errors,
    writer,
)
from market.web.api.contract import (
    IdempotencyKey,
    Model,
    Moment,
    Yuan,
    YuanIn,
    absent_when_none,
    operation,
)
from market.web.api.idempotency import idempotent
from market.web.api.problems import NotMoment
from market.web.context import db, now


class PledgedAsset(Model):
    """An asset under the pledge."""

    title: str
    registry_number: str
    kind: IPKind
    legal_status: LegalStatus


class PledgeView(Model):
    """The registered pledge that moves with the claim."""

    registration_number: str
    pledgee: str
    assets: list[PledgedAsset]


class DataRoom(Model):
    """What an eligible buyer may read of the loan."""

    borrower: str
    industry: str
    contract_number: str
    loan_status_at_listing: str
    principal: Yuan
    outstanding_principal: Yuan
    unpaid_interest: Yuan
    annual_rate_ppm: int
    maturity_date: date
    pledge: PledgeView | None
    notes: str


class YourClaimOffer(Model):
    """Your own offer."""

    id: int
    price: Yuan = Field(validation_alias="price_fen")
    submitted_at: Moment
    withdrawn_at: Moment | None
    accepted: bool | None


class ClaimOffer(Model):
    """An offer, as the seller and the centre see it."""

    id: int
    institution: str
    price: Yuan
    terms: str
    submitted_at: Moment
    accepted: bool | None


class ClaimRecordal(Model):
    """The change of pledgee recorded with the IP office."""

    due_on: date
    recorded_on: date | None
    number: str | None
    overdue: bool


class ClaimListingView(Model):
    """A listing and its data room; offers only for the seller and the centre, your own offer for you."""

    id: int
    status: ListingStatus
    mode: SaleMode
    title: str
    case_id: int | None
    auction_id: int | None
    seller: str
    asking_price: Yuan
    offer_deadline: Moment
    data_room: DataRoom
    your_offer: YourClaimOffer | None
    buyer: str | None
    price: Yuan | None
    completed_at: Moment | None
    outcome_reason: str | None
    recordal: ClaimRecordal | None
    offers: list[ClaimOffer] | None = absent_when_none("For the seller and the centre")


class ClaimListings(Model):
    """Claim listings."""

    claims: list[ClaimListingView]


class Mine(StrEnum):
    """?mine=1: only your bank's own listings."""

    YES = "1"


class ClaimListingQuery(Model):
    """?mine=1 for a bank's own listings."""

    mine: Mine | None = None


class ClaimListingIn(Model):
    """A bank asks the centre to list one of its loans, with its pledge."""

    loan_id: RefId
    asking_price: YuanIn
    offer_deadline: AwareDatetime
    data_room_notes: Note(10_000) = ""
    mode: SaleMode = SaleMode.NEGOTIATED


class ClaimOpenIn(Model):
    """For an auctioned listing: the auction's terms (all four), else nothing."""

    starting_price: YuanIn | None = None
    increment: YuanIn | None = None
    deposit: YuanIn | None = None
    ends_at: AwareDatetime | None = None


class ClaimOfferIn(Model):
    """An offer for a claim."""

    price: YuanIn
    terms: Note() = ""


class AcceptIn(Model):
    """The offer accepted."""

    offer_id: RefId


def listing_view(listing: ClaimListing, user) -> ClaimListingView:
    """A listing as `user` may see it."""
    loan = listing.loan
    own = claim_transfer.own_claim_offer(listing, user)
    sees_offers = user.institution_id == listing.seller_id or Role(user.role) in (Role.OPERATOR, Role.BUREAU)
    pledge = loan.pledge
    return ClaimListingView(
        id=listing.id, status=listing.status, mode=listing.mode, title=listing.title, case_id=listing.case_id,
        auction_id=listing.auction_id, seller=listing.seller.name, asking_price=listing.asking_price_fen,
        offer_deadline=listing.offer_deadline,
        data_room=DataRoom(
            borrower=loan.enterprise.name, industry=loan.enterprise.industry, contract_number=loan.contract_number,
            loan_status_at_listing=listing.loan_status_at_listing, principal=loan.principal_fen,
            outstanding_principal=loan.outstanding_principal_fen, unpaid_interest=loan.unpaid_interest_fen,
            annual_rate_ppm=loan.annual_rate_ppm, maturity_date=loan.maturity_date,
            pledge=None if pledge is None else PledgeView(
                registration_number=pledge.registration_number, pledgee=pledge.pledgee.name,
                assets=[PledgedAsset.model_validate(a) for a in pledge.assets]),
            notes=listing.data_room_notes),
        your_offer=None if own is None else YourClaimOffer.model_validate(own),
        buyer=listing.buyer.name if listing.buyer else None, price=listing.price_fen,
        completed_at=listing.completed_at, outcome_reason=listing.outcome_reason or None,
        recordal=None if listing.recordal_due_on is None else ClaimRecordal(
            due_on=listing.recordal_due_on, recorded_on=listing.recorded_on,
            number=listing.recordal_number or None,
            overdue=recordal_overdue(listing.recordal_due_on, listing.recorded_on, now().date())),
        offers=[ClaimOffer(id=o.id, institution=o.institution.name, price=o.price_fen, terms=o.terms,
                           submitted_at=o.submitted_at, accepted=o.accepted)
                for o in claim_transfer.active_claim_offers(listing)] if sees_offers else None,
    )


def _answer(listing_id: int, status: int = 200):
    user = api_user()
    listing = claim_transfer.get_listing(db(), listing_id, user)
    if listing.auction_id is not None and claim_transfer.sync_claim_auction(db(), listing.auction_id, now()):
        listing = claim_transfer.get_listing(db(), listing_id, user)
    return listing_view(listing, user), status


_LISTING = (ClaimListingView, "The listing")


@bp.get("/claim-listings")
@operation("claim-transfer", {200: (ClaimListings, "The listings"), 401: "No or bad token",
                              403: "Not a licensed financial institution", 422: "mine is not 1"})
def list_claim_listings(query: ClaimListingQuery):
    """Claims for sale (licensed financial institutions), or ?mine=1

    A bank's own with ?mine=1; the centre sees all."""
    user = api_user()
    if query.mine is not None:
        listings = claim_transfer.listings_of_seller(db(), user)
    elif Role(user.role) in (Role.OPERATOR, Role.BUREAU):
        listings = claim_transfer.all_listings(db())
    else:
        listings = claim_transfer.open_listings(db(), user)
    return ClaimListings(claims=[listing_view(item, user) for item in listings])


@bp.get("/claim-listings/<int:listing_id>")
@operation("claim-transfer", {200: _LISTING, 401: "No or bad token", 404: "Not found, or not eligible"})
def get_claim_listing(listing_id: int):
    """One listing and its data room"""
    return _answer(listing_id)


@bp.post("/claim-listings")
@idempotent
@operation("claim-transfer", {201: _LISTING, **write_errors()})
def post_claim_listing(json: ClaimListingIn, headers: IdempotencyKey):
    """List one of your loans with its pledge (bank)"""
    _user, actor = writer()
    listing = claim_transfer.list_claim(
        db(), json.loan_id, asking_price_fen=json.asking_price, offer_deadline=json.offer_deadline,
        data_room_notes=json.data_room_notes, mode=json.mode, actor=actor, now=now())
    return _answer(listing.id, 201)


@bp.post("/claim-listings/<int:listing_id>/open")
@idempotent
@operation("claim-transfer", {200: _LISTING, **write_errors()}, roles=OPERATOR)
def post_claim_listing_open(listing_id: int, json: ClaimOpenIn, headers: IdempotencyKey):
    """Open the listing (operator)

    An auctioned one with starting_price, increment, deposit and ends_at."""
    _user, actor = writer()
    terms = None
    if json.starting_price is not None:
        if json.ends_at is None:
            raise NotMoment(field="ends_at")
        terms = AuctionTerms(json.starting_price, json.increment or parse_yuan(None, field="increment"),
                             json.deposit or parse_yuan(None, field="deposit"), json.ends_at)
    claim_transfer.open_claim_listing(db(), listing_id, auction=terms, actor=actor, now=now())
    return _answer(listing_id)


@bp.post("/claim-listings/<int:listing_id>/offers")
@idempotent
@operation("claim-transfer", {201: _LISTING, **write_errors()})
def post_claim_offer(listing_id: int, json: ClaimOfferIn, headers: IdempotencyKey):
    """Offer for a claim (licensed financial institutions)

    Or revise your offer."""
    _user, actor = writer()
    claim_transfer.submit_claim_offer(db(), listing_id, price_fen=json.price, terms=json.terms, actor=actor,
                                      now=now())
    return _answer(listing_id, 201)


@bp.post("/claim-listings/<int:listing_id>/offers/withdraw")
@idempotent
@operation("claim-transfer", {200: _LISTING, **write_errors()})
def post_claim_offer_withdrawal(listing_id: int, headers: IdempotencyKey):
    """Withdraw your offer"""
    _user, actor = writer()
    claim_transfer.withdraw_claim_offer(db(), listing_id, actor=actor, now=now())
    return _answer(listing_id)


@bp.post("/claim-listings/<int:listing_id>/accept")
@idempotent
@operation("claim-transfer", {200: _LISTING, **write_errors()})
def post_claim_acceptance(listing_id: int, json: AcceptIn, headers: IdempotencyKey):
    """Accept an offer (seller)"""
    _user, actor = writer()
    claim_transfer.accept_claim_offer(db(), listing_id, json.offer_id, actor=actor, now=now())
    return _answer(listing_id)


@bp.post("/claim-listings/<int:listing_id>/complete")
@idempotent
@operation("claim-transfer", {200: _LISTING, **write_errors()}, roles=OPERATOR)
def post_claim_completion(listing_id: int, headers: IdempotencyKey):
    """Payment received: move loan and pledge to the buyer (operator)

    The price is the seller's recovery."""
    _user, actor = writer()
    claim_transfer.complete_claim_transfer(db(), listing_id, actor=actor, now=now())
    return _answer(listing_id)


@bp.post("/claim-listings/<int:listing_id>/withdraw")
@idempotent
@operation("claim-transfer", {200: _LISTING, **write_errors()})
def post_claim_withdrawal(listing_id: int, json: ReasonIn, headers: IdempotencyKey):
    """Take the listing off the market (seller or operator)"""
    _user, actor = writer()
    claim_transfer.end_claim_listing(db(), listing_id, reason=json.reason, actor=actor, now=now())
    return _answer(listing_id)


@bp.post("/claim-listings/<int:listing_id>/recordal")
@idempotent
@operation("claim-transfer", {200: _LISTING, **write_errors()}, roles=OPERATOR)
def post_claim_recordal(listing_id: int, json: RecordalIn, headers: IdempotencyKey):
    """Record the change of pledgee with the IP office (operator)"""
    _user, actor = writer()
    claim_transfer.record_pledge_recordal(db(), listing_id, recordal_number=json.recordal_number,
                                          recorded_on=json.recorded_on, actor=actor, now=now())
    return _answer(listing_id)
