"""The claim-transfer API: list, open, offer, accept, complete (conventions in market.web.api.channels)."""

from __future__ import annotations

from flask import jsonify, request

from market.domain.channels import ListingStatus
from market.domain.claim_transfer import SaleMode
from market.domain.licensing import recordal_overdue
from market.domain.roles import Role
from market.models import ClaimListing
from market.services import claim_transfer
from market.services.claim_transfer import AuctionTerms
from market.web.api import api_user, bp, json_body
from market.web.api.auctions import iso
from market.web.api.channels import (
    AMOUNT,
    IDEMPOTENCY,
    TIME,
    choice,
    day,
    integer,
    json_answer,
    moment,
    money,
    path_id,
    schema_body,
    text,
    write_errors,
    writer,
    yuan,
)
from market.web.api.idempotency import idempotent
from market.web.api.openapi import COMPONENTS, document
from market.web.context import db, now


def listing_json(listing: ClaimListing, user) -> dict:
    """A listing and its data room; offers only for the seller and the centre, your own offer for you."""
    loan = listing.loan
    own = claim_transfer.own_claim_offer(listing, user)
    sees_offers = user.institution_id == listing.seller_id or Role(user.role) in (Role.OPERATOR, Role.BUREAU)
    body = {
        "id": listing.id, "status": listing.status.value, "mode": listing.mode.value, "title": listing.title,
        "case_id": listing.case_id, "auction_id": listing.auction_id, "seller": listing.seller.name,
        "asking_price": yuan(listing.asking_price_fen), "offer_deadline": iso(listing.offer_deadline),
        "data_room": {
            "borrower": loan.enterprise.name, "industry": loan.enterprise.industry,
            "contract_number": loan.contract_number, "loan_status_at_listing": listing.loan_status_at_listing,
            "principal": yuan(loan.principal_fen), "outstanding_principal": yuan(loan.outstanding_principal_fen),
            "unpaid_interest": yuan(loan.unpaid_interest_fen), "annual_rate_ppm": loan.annual_rate_ppm,
            "maturity_date": loan.maturity_date.isoformat(),
            "pledge": None if loan.pledge is None else {
                "registration_number": loan.pledge.registration_number, "pledgee": loan.pledge.pledgee.name,
                "assets": [{"title": a.title, "registry_number": a.registry_number, "kind": a.kind.value,
                            "legal_status": a.legal_status.value} for a in loan.pledge.assets]},
            "notes": listing.data_room_notes,
        },
        "your_offer": None if own is None else {"id": own.id, "price": yuan(own.price_fen),
                                                "submitted_at": iso(own.submitted_at),
                                                "withdrawn_at": iso(own.withdrawn_at), "accepted": own.accepted},
        "buyer": listing.buyer.name if listing.buyer else None, "price": yuan(listing.price_fen),
        "completed_at": iso(listing.completed_at), "outcome_reason": listing.outcome_reason or None,
        "recordal": None if listing.recordal_due_on is None else {
            "due_on": listing.recordal_due_on.isoformat(),
            "recorded_on": listing.recorded_on.isoformat() if listing.recorded_on else None,
            "number": listing.recordal_number or None,
            "overdue": recordal_overdue(listing.recordal_due_on, listing.recorded_on, now().date())},
    }
    if sees_offers:
        body["offers"] = [{"id": o.id, "institution": o.institution.name, "price": yuan(o.price_fen),
                           "terms": o.terms, "submitted_at": iso(o.submitted_at), "accepted": o.accepted}
                          for o in claim_transfer.active_claim_offers(listing)]
    return body


def _answer(listing_id: int, status: int = 200):
    user = api_user()
    listing = claim_transfer.get_listing(db(), listing_id, user)
    if listing.auction_id is not None and claim_transfer.sync_claim_auction(db(), listing.auction_id, now()):
        listing = claim_transfer.get_listing(db(), listing_id, user)
    body = listing_json(listing, user)
    return jsonify(body), status


@bp.get("/claim-listings")
def list_claim_listings():
    """Open claim lots (licensed financial institutions); ?mine=1 for a bank's own; the centre sees all."""
    user = api_user()
    if request.args.get("mine") == "1":
        listings = claim_transfer.listings_of_seller(db(), user)
    elif Role(user.role) in (Role.OPERATOR, Role.BUREAU):
        listings = claim_transfer.all_listings(db())
    else:
        listings = claim_transfer.open_listings(db(), user)
    body = [listing_json(item, user) for item in listings]
    return jsonify(claims=body)


@bp.get("/claim-listings/<int:listing_id>")
def get_claim_listing(listing_id: int):
    """One listing and its data room."""
    return _answer(listing_id)


@bp.post("/claim-listings")
@idempotent
def post_claim_listing():
    """A bank asks the centre to list one of its loans, with its pledge."""
    _user, actor = writer()
    body = json_body()
    listing = claim_transfer.list_claim(
        db(), integer(body, "loan_id", low=1), asking_price_fen=money(body, "asking_price"),
        offer_deadline=moment(body, "offer_deadline"),
        data_room_notes=text(body, "data_room_notes", required=False, limit=10_000),
        mode=choice(body, "mode", SaleMode, SaleMode.NEGOTIATED), actor=actor, now=now())
    return _answer(listing.id, 201)


@bp.post("/claim-listings/<int:listing_id>/open")
@idempotent
def post_claim_listing_open(listing_id: int):
    """The operator opens the listing (an auctioned one with starting_price, increment, deposit, ends_at)."""
    _user, actor = writer()
    body = json_body() if request.get_data() else {}
    terms = None
    if "starting_price" in body:
        terms = AuctionTerms(money(body, "starting_price"), money(body, "increment"), money(body, "deposit"),
                             moment(body, "ends_at"))
    claim_transfer.open_claim_listing(db(), listing_id, auction=terms, actor=actor, now=now())
    return _answer(listing_id)


@bp.post("/claim-listings/<int:listing_id>/offers")
@idempotent
def post_claim_offer(listing_id: int):
    """A licensed financial institution offers (or revises its offer)."""
    _user, actor = writer()
    body = json_body()
    claim_transfer.submit_claim_offer(db(), listing_id, price_fen=money(body, "price"),
                                      terms=text(body, "terms", required=False), actor=actor, now=now())
    return _answer(listing_id, 201)


@bp.post("/claim-listings/<int:listing_id>/offers/withdraw")
@idempotent
def post_claim_offer_withdrawal(listing_id: int):
    """Withdraw the caller's offer."""
    _user, actor = writer()
    claim_transfer.withdraw_claim_offer(db(), listing_id, actor=actor, now=now())
    return _answer(listing_id)


@bp.post("/claim-listings/<int:listing_id>/accept")
@idempotent
def post_claim_acceptance(listing_id: int):
    """The seller accepts one offer."""
    _user, actor = writer()
    claim_transfer.accept_claim_offer(db(), listing_id, integer(json_body(), "offer_id", low=1), actor=actor,
                                      now=now())
    return _answer(listing_id)


@bp.post("/claim-listings/<int:listing_id>/complete")
@idempotent
def post_claim_completion(listing_id: int):
    """The operator confirms payment: loan and pledge move to the buyer, the price is the seller's recovery."""
    _user, actor = writer()
    claim_transfer.complete_claim_transfer(db(), listing_id, actor=actor, now=now())
    return _answer(listing_id)


@bp.post("/claim-listings/<int:listing_id>/withdraw")
@idempotent
def post_claim_withdrawal(listing_id: int):
    """The seller or the operator takes the listing off the market."""
    _user, actor = writer()
    claim_transfer.end_claim_listing(db(), listing_id, reason=text(json_body(), "reason"), actor=actor, now=now())
    return _answer(listing_id)


@bp.post("/claim-listings/<int:listing_id>/recordal")
@idempotent
def post_claim_recordal(listing_id: int):
    """The operator records the change of pledgee with the IP office."""
    _user, actor = writer()
    body = json_body()
    claim_transfer.record_pledge_recordal(db(), listing_id, recordal_number=text(body, "recordal_number", limit=80),
                                          recorded_on=day(body, "recorded_on"), actor=actor, now=now())
    return _answer(listing_id)


COMPONENTS["schemas"]["ClaimListing"] = {
    "type": "object", "required": ["id", "status", "mode", "asking_price", "offer_deadline", "data_room"],
    "properties": {"id": {"type": "integer"}, "status": {"type": "string", "enum": [s.value for s in ListingStatus]},
                   "mode": {"type": "string", "enum": [m.value for m in SaleMode]}, "asking_price": AMOUNT,
                   "offer_deadline": TIME, "data_room": {"type": "object"},
                   "offers": {"type": "array", "items": {"type": "object"}}},
}
_C = path_id("listing_id")
_claim = json_answer("ClaimListing", "The listing")
document("/claim-listings", "get", summary="Claims for sale (licensed financial institutions), or ?mine=1",
         parameters=[{"name": "mine", "in": "query", "schema": {"type": "string", "enum": ["1"]}}],
         responses={"200": "The listings", "401": "No or bad token", "403": "Not a licensed financial institution"})
document("/claim-listings", "post", summary="List one of your loans with its pledge (bank)", parameters=[IDEMPOTENCY],
         request_body=schema_body(["loan_id", "asking_price", "offer_deadline"], {
             "loan_id": {"type": "integer"}, "asking_price": AMOUNT, "offer_deadline": TIME,
             "mode": {"type": "string", "enum": [m.value for m in SaleMode]}, "data_room_notes": {"type": "string"}}),
         responses={"201": _claim, **write_errors()})
document("/claim-listings/{listing_id}", "get", summary="One listing and its data room", parameters=[_C],
         responses={"200": _claim, "401": "No or bad token", "404": "Not found, or not eligible"})
document("/claim-listings/{listing_id}/open", "post", summary="Open the listing (operator)", parameters=[_C, IDEMPOTENCY],
         request_body={"required": False, "content": {"application/json": {"schema": {"type": "object", "properties": {
             "starting_price": AMOUNT, "increment": AMOUNT, "deposit": AMOUNT, "ends_at": TIME}}}}},
         responses={"200": _claim, **write_errors()})
document("/claim-listings/{listing_id}/offers", "post", summary="Offer for a claim (licensed financial institutions)",
         parameters=[_C, IDEMPOTENCY],
         request_body=schema_body(["price"], {"price": AMOUNT, "terms": {"type": "string"}}),
         responses={"201": _claim, **write_errors()})
for _path, _summary, _body in (
    ("offers/withdraw", "Withdraw your offer", None),
    ("accept", "Accept an offer (seller)", schema_body(["offer_id"], {"offer_id": {"type": "integer"}})),
    ("complete", "Payment received: move loan and pledge to the buyer (operator)", None),
    ("withdraw", "Take the listing off the market (seller or operator)",
     schema_body(["reason"], {"reason": {"type": "string"}})),
    ("recordal", "Record the change of pledgee with the IP office (operator)",
     schema_body(["recordal_number", "recorded_on"], {"recordal_number": {"type": "string"},
                                                      "recorded_on": {"type": "string", "format": "date"}})),
):
    document(f"/claim-listings/{{listing_id}}/{_path}", "post", summary=_summary, parameters=[_C, IDEMPOTENCY],
             request_body=_body, responses={"200": _claim, **write_errors()})
