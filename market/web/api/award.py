"""The award chain for banks' and the centre's systems: where a won round stands after the hammer, the payment,
the offer of a defaulted lot to the second bidder and its answer, and the confirmation of sale and its signatures."""

from __future__ import annotations

from pydantic import Field

from market.domain.auction import AuctionStatus
from market.domain.award_chain import SecondOfferStatus
from market.domain.confirmation import Party, SignatureMethod
from market.domain.roles import SEES_EVERYTHING, Role
from market.models import SaleConfirmation
from market.services import award_chain, sale_confirmations
from market.services.auctions import get_visible
from market.services.audit import Actor
from market.services.closing import record_payment, settle_if_due
from market.web.api import api_caller, api_user, bp
from market.web.api.auctions import auction_rules
from market.web.api.channels import write_errors
from market.web.api.contract import IdempotencyKey, Model, Moment, Yuan, operation
from market.web.api.idempotency import idempotent
from market.web.context import db, now

OPERATOR = (Role.OPERATOR,)


class SecondOfferView(Model):
    """The offer of the lot to its second bidder (shown to the centre and to that bidder)."""

    price: Yuan = Field(validation_alias="price_fen", description="The second bidder's own last bid")
    status: SecondOfferStatus
    offered_at: Moment
    answer_due_at: Moment
    answered_at: Moment | None
    to_you: bool = Field(description="Whether the offer is made to your institution")


class AwardView(Model):
    """Where a round stands after bidding: its price and payment deadline, the second-bidder step if any."""

    auction_id: int
    case_id: int
    status: AuctionStatus
    price: Yuan | None = Field(description="What the current buyer must pay (the winning bid, or the second "
                                           "bidder's last bid once it accepted)")
    payment_due_at: Moment | None
    second_bidder_offer_allowed: bool = Field(description="The lot's rules let the centre offer it to the second "
                                                          "bidder if the winner does not pay")
    second_bidder_decision_due_at: Moment | None = Field(description="The centre decides on an offer by then")
    second_bidder_offer: SecondOfferView | None
    you_must_pay: bool = Field(description="Whether your institution is the buyer who must pay now")
    server_time: Moment


class SignatureView(Model):
    """One party's signature."""

    party: Party
    institution: str
    signed_at: Moment
    method: SignatureMethod
    document_sha256: str
    evidence_sha256: str


class ConfirmationView(Model):
    """The confirmation of sale (成交确认书): what both parties sign, and who has."""

    case_id: int
    auction_id: int
    price: Yuan
    seller: str
    buyer: str
    generated_at: Moment
    sha256: str = Field(description="SHA-256 of the confirmation as generated: what each party signs")
    signatures: list[SignatureView]
    signed_at: Moment | None = Field(description="When the last party signed")
    signed_sha256: str | None = Field(description="SHA-256 of the signed confirmation")
    your_party: Party | None = Field(description="The party your institution signs for, if any")


_AWARD = (AwardView, "Where the round stands")
_CONFIRMATION = (ConfirmationView, "The confirmation")


def _award(auction_id: int) -> AwardView:
    """The round's award as the caller sees it, after whatever the clock owes it."""
    session = db()
    auction = get_visible(session, auction_id, api_caller())
    if settle_if_due(session, auction, now()):
        session.refresh(auction)
    user = api_user()
    offer = award_chain.second_offer(session, auction.id)
    sees_offer = offer is not None and (user.role in SEES_EVERYTHING or user.institution_id == offer.institution_id)
    buyer = award_chain.buyer_of(session, auction) if auction.status == AuctionStatus.AWARDED else None
    return AwardView(
        auction_id=auction.id, case_id=auction.case_id, status=auction.status,
        price=buyer.price_fen if buyer else (auction.result.price_fen if auction.result else None),
        payment_due_at=auction.payment_due_at, second_bidder_offer_allowed=auction.second_bidder_offer_allowed,
        second_bidder_decision_due_at=auction.second_bidder_decision_due_at,
        second_bidder_offer=SecondOfferView(
            price_fen=offer.price_fen, status=offer.status, offered_at=offer.offered_at,
            answer_due_at=offer.answer_due_at, answered_at=offer.answered_at,
            to_you=offer.institution_id == user.institution_id) if sees_offer else None,
        you_must_pay=buyer is not None and buyer.bidder.institution_id == user.institution_id,
        server_time=now())


@bp.get("/awards/<int:auction_id>")
@operation("award", {200: _AWARD, 401: "No or bad token", 404: "No such auction"})
def get_award(auction_id: int):
    """Where a won round stands: payment, a winner's default, the second-bidder offer"""
    return _award(auction_id)


@bp.post("/awards/<int:auction_id>/payment")
@idempotent
@operation("award", {200: _AWARD, **write_errors()}, roles=OPERATOR)
def post_payment(auction_id: int, headers: IdempotencyKey):
    """Record the buyer's payment (operator)

    The case is disposed and the confirmation of sale generated."""
    record_payment(db(), auction_id, actor=Actor.of(api_user(write=True)), now=now(), rules=auction_rules())
    return _award(auction_id)


@bp.post("/awards/<int:auction_id>/second-bidder/offer")
@idempotent
@operation("award", {200: _AWARD, **write_errors()}, roles=OPERATOR)
def post_second_bidder_offer(auction_id: int, headers: IdempotencyKey):
    """Offer a defaulted lot to the second bidder at its own last bid (operator)"""
    award_chain.offer_to_second_bidder(db(), auction_id, actor=Actor.of(api_user(write=True)), now=now())
    return _award(auction_id)


@bp.post("/awards/<int:auction_id>/second-bidder/rerun")
@idempotent
@operation("award", {200: _AWARD, **write_errors()}, roles=OPERATOR)
def post_second_bidder_rerun(auction_id: int, headers: IdempotencyKey):
    """Make no offer: the case goes back for a re-auction (operator)"""
    award_chain.decline_to_offer(db(), auction_id, actor=Actor.of(api_user(write=True)), now=now(),
                                 rules=auction_rules())
    return _award(auction_id)


@bp.post("/awards/<int:auction_id>/second-bidder/accept")
@idempotent
@operation("award", {200: _AWARD, **write_errors()})
def post_second_bidder_accept(auction_id: int, headers: IdempotencyKey):
    """Accept the lot offered to you at your last bid

    Your deposit is taken again; pay the price by payment_due_at."""
    award_chain.accept_second_offer(db(), auction_id, actor=Actor.of(api_user(write=True)), now=now(),
                                    rules=auction_rules())
    return _award(auction_id)


@bp.post("/awards/<int:auction_id>/second-bidder/decline")
@idempotent
@operation("award", {200: _AWARD, **write_errors()})
def post_second_bidder_decline(auction_id: int, headers: IdempotencyKey):
    """Decline the lot offered to you; the case goes back for a re-auction"""
    award_chain.decline_second_offer(db(), auction_id, actor=Actor.of(api_user(write=True)), now=now(),
                                     rules=auction_rules())
    return _award(auction_id)


def _confirmation(found: SaleConfirmation) -> ConfirmationView:
    user = api_user()
    mine = {found.seller_institution_id: Party.SELLER, found.buyer_institution_id: Party.BUYER}
    return ConfirmationView(
        case_id=found.case_id, auction_id=found.auction_id, price=found.price_fen, seller=found.seller.name,
        buyer=found.buyer.name, generated_at=found.generated_at, sha256=found.document_sha256,
        signatures=[SignatureView(party=s.party, institution=s.institution.name, signed_at=s.signed_at,
                                  method=s.method, document_sha256=s.document_sha256,
                                  evidence_sha256=s.evidence_sha256) for s in found.signatures],
        signed_at=found.signed_at, signed_sha256=found.signed_document.sha256 if found.signed_document else None,
        your_party=mine.get(user.institution_id))


@bp.get("/cases/<int:case_id>/confirmation")
@operation("award", {200: _CONFIRMATION, 401: "No or bad token", 404: "No such case, or not yours",
                     409: "No confirmation yet: the buyer has not paid"})
def get_confirmation(case_id: int):
    """The confirmation of sale: its SHA-256 and its signatures"""
    return _confirmation(sale_confirmations.confirmation_for(db(), api_user(), case_id))


@bp.post("/cases/<int:case_id>/confirmation/signatures")
@idempotent
@operation("award", {201: _CONFIRMATION, **write_errors()})
def post_confirmation_signature(case_id: int, headers: IdempotencyKey):
    """Sign the confirmation for your institution (an electronic acceptance of its SHA-256)

    Once both parties have signed, the signed confirmation is generated."""
    user = api_user(write=True)
    sale_confirmations.sign_confirmation(db(), case_id, user=user, now=now())
    found = sale_confirmations.confirmation_for(db(), user, case_id)
    db().refresh(found)
    return _confirmation(found), 201

