"""Claim transfer: a bank sells its loan and pledge to another licensed financial institution."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

import sqlalchemy as sa
import sqlalchemy.orm as so

from market.domain.channels import (
    LISTING_STEPS,
    ListingStatus,
    RecordalDateOutOfRange,
    RecordalNumberMissing,
    RecordalOnFile,
    next_status,
    reason_for_ending,
)
from market.domain.claim_transfer import (
    ClaimNotListable,
    ClaimPrice,
    SaleMode,
    check_buyer,
    check_listable,
    check_price,
    may_buy_claims,
)
from market.domain.errors import Kind, PersonRequired, RoleRequired
from market.domain.ledger import Movement
from market.domain.licensing import recordal_due_on
from market.domain.money import fen_to_decimal_string
from market.domain.reasons import SystemReason
from market.domain.roles import Role
from market.domain.rules import DEFAULT_RULES, DisposalRules, RuleBroken
from market.domain.workflow import CHANNEL_ENTRY, CaseAction, CaseState
from market.models import ClaimListing, ClaimOffer, DisposalCase, Loan, LoanStatus, User
from market.services.access import Forbidden, NotFound, case_visibility, visible
from market.services.audit import Actor, record_event
from market.services.cases import move_case
from market.services.channels import (
    lock,
    lock_case_row,
    require_operator,
    sees_everything,
)
from market.services.ledger import record_movement

LIVE = (ListingStatus.SUBMITTED, ListingStatus.OPEN, ListingStatus.AGREED)
# A case in one of these states has finished with its channels (or never started): no open case.
CASE_DONE = frozenset({CaseState.REJECTED, CaseState.WITHDRAWN, CaseState.CLOSED, CaseState.DISPOSED,
                       CaseState.SETTLED, CaseState.TRANSFER_RECORDED})


class OfferWindowRule(RuleBroken):
    """Offers for a claim are taken only while the listing is open and before its deadline."""

    code, kind = "offer_window_rule", Kind.CONFLICT


class OfferWindowTooShort(OfferWindowRule):
    """Buyers get at least the bidding window to offer."""

    code, fields = "offer_window_too_short", ("hours",)


class OfferDeadlineGone(OfferWindowRule):
    """A listing cannot open after its offer deadline."""

    code = "offer_deadline_gone"


class SoldByAuction(OfferWindowRule):
    """A claim sold by auction takes bids, not offers."""

    code = "sold_by_auction"


class AuctionNeedsCase(ClaimNotListable):
    """A claim is auctioned through its disposal case."""

    code = "auction_needs_case"


class ClaimAuctionTermsMissing(RuleBroken):
    """A claim auction states its price, increment, deposit and end."""

    code = "claim_auction_terms_missing"


class LicensedInstitutionsOnly(Forbidden):
    """Only licensed financial institutions see claim lots and offer for them."""

    code = "licensed_institutions_only"


class SellerOnly(Forbidden):
    """Only the selling bank does this."""

    code = "seller_only"


class LoanNoLongerHeld(RuleBroken):
    """The seller must still hold the loan."""

    code = "loan_no_longer_held"


class AuctionDecides(RuleBroken):
    """A claim in an auction round ends as the auction decides."""

    code = "auction_decides"


class OfferNotOnListing(RuleBroken):
    """The accepted offer belongs to the listing."""

    code = "offer_not_on_listing"


class TransferNotComplete(RuleBroken):
    """The pledgee changes only when the transfer is complete."""

    code = "transfer_not_complete"


def _step(listing: ClaimListing, step: str) -> None:
    listing.status = next_status(LISTING_STEPS, listing.status, step, "claim listing")


def _audit(session, actor: Actor, listing_id: int, action: str, now: datetime, reason: str = "", **detail):
    record_event(session, actor=actor, entity="claim_listing", entity_id=listing_id, action=action, now=now,
                 reason=reason, detail=detail)


def open_case_of(session: so.Session, loan_id: int) -> DisposalCase | None:
    """The loan's disposal case that has not finished with its channels, if any."""
    return session.scalar(sa.select(DisposalCase).where(
        DisposalCase.loan_id == loan_id, DisposalCase.state.not_in(CASE_DONE)).order_by(DisposalCase.id.desc()))


def is_eligible(user: User) -> bool:
    """Whether the user's institution may see claim lots and offer: a licensed bank or AIC."""
    return may_buy_claims(user.institution.kind, user.institution.licensed_financial)


def listable_loans(session: so.Session, user: User) -> list[Loan]:
    """The bank's loans that could be listed (the service checks the case and existing listings)."""
    return list(session.scalars(sa.select(Loan).where(
        Loan.bank_id == user.institution_id,
        Loan.status.in_([LoanStatus.PERFORMING, LoanStatus.OVERDUE, LoanStatus.DEFAULTED, LoanStatus.IN_DISPOSAL]),
    ).order_by(Loan.contract_number)))


def list_claim(session: so.Session, loan_id: int, *, asking_price_fen: int, offer_deadline: datetime,
               data_room_notes: str = "", mode: SaleMode = SaleMode.NEGOTIATED, actor: Actor, now: datetime,
               rules: DisposalRules = DEFAULT_RULES) -> ClaimListing:
    """A bank asks the centre to list one of its loans, with its pledge, for sale."""
    if actor.role != Role.BANK or actor.user is None:
        raise RoleRequired(roles=[Role.BANK])
    loan = session.get(Loan, loan_id)
    if loan is None or loan.bank_id != actor.user.institution_id:
        raise NotFound()
    check_price(asking_price_fen, ClaimPrice.ASKING)
    if offer_deadline < now + timedelta(hours=rules.min_bidding_hours):
        raise OfferWindowTooShort(hours=rules.min_bidding_hours)
    case = open_case_of(session, loan.id)
    listed = session.scalar(sa.select(ClaimListing.id).where(
        ClaimListing.loan_id == loan.id, ClaimListing.status.in_(LIVE)))
    check_listable(loan.status, has_case=case is not None,
                   case_ready=case is not None and case.state in CHANNEL_ENTRY, already_listed=bool(listed))
    if mode == SaleMode.AUCTION and case is None:
        raise AuctionNeedsCase()
    listing = ClaimListing(
        loan_id=loan.id, case_id=case.id if case else None, seller_id=loan.bank_id,
        status=ListingStatus.SUBMITTED, mode=mode,
        title=case.title if case else f"{loan.enterprise.name} · {loan.contract_number}",
        asking_price_fen=asking_price_fen, offer_deadline=offer_deadline,
        data_room_notes=data_room_notes.strip(), loan_status_at_listing=loan.status.value,
        submitted_at=now, submitted_by_id=actor.user.id,
    )
    session.add(listing)
    session.flush()
    _audit(session, actor, listing.id, "submitted", now, loan_id=loan.id,
           case_id=listing.case_id, asking_price=fen_to_decimal_string(asking_price_fen))
    return listing


def open_claim_listing(session: so.Session, listing_id: int, *, actor: Actor, now: datetime,
                       auction: AuctionTerms | None = None, rules: DisposalRules = DEFAULT_RULES) -> ClaimListing:
    """The centre opens the listing to licensed financial institutions (the case enters claim transfer).

    A listing sold by auction opens a claim-rights round in the auction channel with the given terms.
    """
    require_operator(actor)
    listing = session.get(ClaimListing, listing_id)
    if listing is None:
        raise NotFound()
    if listing.mode == SaleMode.AUCTION:
        return _open_by_auction(session, listing, auction, actor=actor, now=now)
    listing = lock(session, ClaimListing, listing_id, "claim listing")
    _step(listing, "open")
    if now >= listing.offer_deadline:
        raise OfferDeadlineGone()
    listing.opened_at = now
    if listing.case_id is not None:
        case = lock_case_row(session, listing.case_id)
        move_case(session, case, CaseAction.START_CLAIM_TRANSFER, actor=actor, now=now, rules=rules,
                  due_at=listing.offer_deadline, detail={"claim_listing_id": listing.id})
    _audit(session, actor, listing.id, "opened", now)
    return listing


@dataclass(frozen=True)
class AuctionTerms:
    """The round the centre sets for a claim sold by auction (the auction channel checks them)."""

    starting_price_fen: int
    increment_fen: int
    deposit_fen: int
    ends_at: datetime


def _open_by_auction(session, listing: ClaimListing, terms: AuctionTerms | None, *, actor: Actor,
                     now: datetime) -> ClaimListing:
    from market.domain.auction import AuctionKind
    from market.services.auctions import open_auction

    next_status(LISTING_STEPS, listing.status, "open", "claim listing")
    if terms is None:
        raise ClaimAuctionTermsMissing()
    # the auction channel owns its transaction: it opens the round and moves the case into claim transfer
    auction = open_auction(session, listing.case_id, starting_price_fen=terms.starting_price_fen,
                           increment_fen=terms.increment_fen, deposit_fen=terms.deposit_fen, ends_at=terms.ends_at,
                           actor=actor, now=now, kind=AuctionKind.CLAIM)
    listing = lock(session, ClaimListing, listing.id, "claim listing")
    _step(listing, "open")
    listing.opened_at, listing.auction_id, listing.offer_deadline = now, auction.id, terms.ends_at
    _audit(session, actor, listing.id, "opened", now, auction_id=auction.id)
    return listing


def listing_visibility(user: User) -> sa.ColumnElement[bool]:
    """The claim listings a user may see: the centre, the bureau, the seller, the case's parties, the buyer,
    and eligible institutions while open."""
    if sees_everything(user):
        return sa.true()
    seen = [ClaimListing.seller_id == user.institution_id, ClaimListing.buyer_id == user.institution_id,
            ClaimListing.case_id.in_(sa.select(DisposalCase.id).where(case_visibility(user)))]
    if is_eligible(user):
        seen.append(ClaimListing.status == ListingStatus.OPEN)
    return sa.or_(*seen)


def get_listing(session: so.Session, listing_id: int, user: User) -> ClaimListing:
    """A listing the user may see (its data room), or NotFound."""
    return visible(session, ClaimListing, listing_id, listing_visibility(user), "claim listing")


def open_listings(session: so.Session, user: User) -> list[ClaimListing]:
    """Claim lots open for offers: only licensed financial institutions may see them."""
    if not is_eligible(user):
        raise LicensedInstitutionsOnly()
    return list(session.scalars(sa.select(ClaimListing).where(ClaimListing.status == ListingStatus.OPEN)
                                .order_by(ClaimListing.offer_deadline)))


def all_listings(session: so.Session, limit: int = 500) -> list[ClaimListing]:
    """Every listing, newest first (the centre's and the bureau's view)."""
    return list(session.scalars(sa.select(ClaimListing).order_by(ClaimListing.id.desc()).limit(limit)))


def submit_claim_offer(session: so.Session, listing_id: int, *, price_fen: int, terms: str = "", actor: Actor,
                       now: datetime) -> ClaimOffer:
    """An eligible institution offers (or revises its offer) for an open claim."""
    user = actor.user
    if user is None or actor.role not in (Role.BANK, Role.AIC):
        raise LicensedInstitutionsOnly()
    visible(session, ClaimListing, listing_id, listing_visibility(user), "claim listing")
    listing = lock(session, ClaimListing, listing_id, "claim listing")
    check_buyer(user.institution.kind, user.institution.licensed_financial,
                is_seller=user.institution_id == listing.seller_id)
    _step(listing, "offer")
    if listing.mode != SaleMode.NEGOTIATED:
        raise SoldByAuction()
    if now >= listing.offer_deadline:
        raise OfferWindowRule()
    check_price(price_fen, ClaimPrice.OFFER)
    offer = session.scalar(sa.select(ClaimOffer).where(
        ClaimOffer.listing_id == listing.id, ClaimOffer.institution_id == user.institution_id))
    action = "offer_revised" if offer is not None else "offer_submitted"
    if offer is None:
        offer = ClaimOffer(listing_id=listing.id, institution_id=user.institution_id)
        session.add(offer)
    offer.price_fen, offer.terms = price_fen, terms.strip()
    offer.submitted_at, offer.submitted_by_id, offer.withdrawn_at = now, user.id, None
    session.flush()
    _audit(session, actor, listing.id, action, now, offer_id=offer.id, price=fen_to_decimal_string(price_fen))
    return offer


def own_claim_offer(listing: ClaimListing, user: User) -> ClaimOffer | None:
    """The user's institution's offer for a listing, if any."""
    return next((o for o in listing.offers if o.institution_id == user.institution_id), None)


def withdraw_claim_offer(session: so.Session, listing_id: int, *, actor: Actor, now: datetime) -> ClaimOffer:
    """Withdraw one's own offer while the listing is open."""
    if actor.user is None:
        raise PersonRequired()
    listing = lock(session, ClaimListing, listing_id, "claim listing")
    offer = own_claim_offer(listing, actor.user)
    if offer is None or offer.withdrawn_at is not None:
        raise NotFound()
    _step(listing, "offer")
    offer.withdrawn_at = now
    _audit(session, actor, listing.id, "offer_withdrawn", now, offer_id=offer.id)
    return offer


def active_claim_offers(listing: ClaimListing) -> list[ClaimOffer]:
    """Offers not withdrawn, best price first (earlier first on equal prices)."""
    offers = [o for o in listing.offers if o.withdrawn_at is None]
    return sorted(offers, key=lambda o: (-o.price_fen, o.submitted_at, o.id))


def _require_seller(actor: Actor, listing: ClaimListing) -> None:
    if actor.role != Role.BANK or actor.user is None:
        raise SellerOnly()
    if actor.user.institution_id != listing.seller_id:
        raise NotFound()


def accept_claim_offer(session: so.Session, listing_id: int, offer_id: int, *, actor: Actor,
                       now: datetime) -> ClaimListing:
    """The seller accepts one offer: buyer and price are agreed, waiting for payment."""
    listing = lock(session, ClaimListing, listing_id, "claim listing")
    _require_seller(actor, listing)
    if listing.mode != SaleMode.NEGOTIATED:
        raise AuctionDecides()
    offer = next((o for o in active_claim_offers(listing) if o.id == offer_id), None)
    if offer is None:
        raise OfferNotOnListing()
    _step(listing, "accept")
    offer.accepted = True
    listing.buyer_id, listing.price_fen, listing.agreed_at = offer.institution_id, offer.price_fen, now
    _audit(session, actor, listing.id, "offer_accepted", now, offer_id=offer.id, buyer_id=offer.institution_id,
           price=fen_to_decimal_string(offer.price_fen))
    return listing


def complete_claim_transfer(session: so.Session, listing_id: int, *, actor: Actor, now: datetime,
                            rules: DisposalRules = DEFAULT_RULES) -> ClaimListing:
    """Payment received: the loan and the pledge move to the buyer; the seller's recovery is the price."""
    require_operator(actor)
    listing = lock(session, ClaimListing, listing_id, "claim listing")
    if listing.mode != SaleMode.NEGOTIATED:
        raise AuctionDecides()
    _step(listing, "complete")
    if listing.case_id is not None:
        case = lock_case_row(session, listing.case_id)
        record_movement(session, Movement.CLAIM_PRICE, amount_fen=listing.price_fen, now=now, case_id=case.id,
                        institution_id=listing.buyer_id, reference=f"claim:{listing.id}")
        move_case(session, case, CaseAction.CLAIM_TRANSFERRED, actor=actor, now=now, rules=rules,
                  recovery_fen=listing.price_fen, buyer_institution_id=listing.buyer_id,
                  buyer_name=listing.buyer.name, detail={"claim_listing_id": listing.id})
    _transfer(session, listing, actor=actor, now=now, rules=rules)
    return listing


def _transfer(session, listing: ClaimListing, *, actor: Actor, now: datetime, rules: DisposalRules) -> None:
    """Move the loan and its pledge to the buyer and start the recordal clock (inside the caller's transaction)."""
    loan = lock(session, Loan, listing.loan_id, "loan")
    seller_id, buyer_id = listing.seller_id, listing.buyer_id
    if loan.bank_id != seller_id:
        raise LoanNoLongerHeld()
    loan.bank_id, loan.status = buyer_id, LoanStatus.TRANSFERRED
    if loan.pledge is not None:
        loan.pledge.pledgee_id = buyer_id
    listing.status = ListingStatus.COMPLETED
    listing.completed_at, listing.ended_at = now, now
    listing.recordal_due_on = recordal_due_on(now.date(), rules)
    _audit(session, actor, listing.id, "completed", now, seller_id=seller_id, buyer_id=buyer_id,
           price=fen_to_decimal_string(listing.price_fen), pledge_id=loan.pledge_id)
    record_event(session, actor=actor, entity="loan", entity_id=loan.id, action="claim_transferred", now=now,
                 from_state=str(seller_id), to_state=str(buyer_id),
                 detail={"claim_listing_id": listing.id, "pledge_id": loan.pledge_id})


def end_claim_listing(session: so.Session, listing_id: int, *, reason: str, actor: Actor,
                      now: datetime) -> ClaimListing:
    """Take the listing off the market (seller or centre); a case goes back to await its next channel."""
    reason = reason_for_ending(reason)
    listing = lock(session, ClaimListing, listing_id, "claim listing")
    if actor.role == Role.BANK:
        _require_seller(actor, listing)
    else:
        require_operator(actor, system_too=True)
    if listing.auction_id is not None:
        raise AuctionDecides()
    _end(session, listing, "withdraw", reason, actor=actor, now=now)
    return listing


def _end(session, listing: ClaimListing, step: str, reason: str, *, actor: Actor, now: datetime) -> None:
    was_open = listing.status in (ListingStatus.OPEN, ListingStatus.AGREED)
    _step(listing, step)
    listing.ended_at, listing.outcome_reason = now, reason
    for offer in listing.offers:
        offer.accepted = False
    if listing.case_id is not None and was_open:
        case = lock_case_row(session, listing.case_id)
        case_actor = actor if actor.role in (Role.OPERATOR, Role.SYSTEM) else Actor.system()
        move_case(session, case, CaseAction.CLAIM_TRANSFER_FAILED, actor=case_actor, now=now, reason=reason,
                  detail={"claim_listing_id": listing.id})
    _audit(session, actor, listing.id, "withdrawn" if step == "withdraw" else "failed", now, reason=reason)


def record_pledge_recordal(session: so.Session, listing_id: int, *, recordal_number: str, recorded_on: date,
                           actor: Actor, now: datetime) -> ClaimListing:
    """Record that the change of pledgee was recorded with the IP office."""
    require_operator(actor)
    listing = lock(session, ClaimListing, listing_id, "claim listing")
    if listing.status != ListingStatus.COMPLETED or listing.completed_at is None:
        raise TransferNotComplete()
    if listing.recorded_on is not None:
        raise RecordalOnFile()
    if not recordal_number.strip():
        raise RecordalNumberMissing()
    if recorded_on < listing.completed_at.date() or recorded_on > now.date():
        raise RecordalDateOutOfRange(earliest=listing.completed_at.date())
    listing.recorded_on, listing.recordal_number = recorded_on, recordal_number.strip()[:80]
    _audit(session, actor, listing.id, "pledge_change_recorded", now, recordal_number=listing.recordal_number,
           recorded_on=recorded_on.isoformat(), late=recorded_on > listing.recordal_due_on)
    return listing


def listings_of_seller(session: so.Session, user: User) -> list[ClaimListing]:
    """A bank's own listings, newest first (completed ones show the loan as transferred)."""
    return list(session.scalars(sa.select(ClaimListing).where(ClaimListing.seller_id == user.institution_id)
                                .order_by(ClaimListing.id.desc())))


def listings_without_offers(session: so.Session, now: datetime) -> list[int]:
    """Open negotiated listings whose offer deadline has passed (an auctioned listing ends with its round:
    see sync_claim_auction)."""
    return list(session.scalars(sa.select(ClaimListing.id).where(
        ClaimListing.status == ListingStatus.OPEN, ClaimListing.mode == SaleMode.NEGOTIATED,
        ClaimListing.offer_deadline <= now)))


def fail_listing_without_offers(session: so.Session, listing_id: int, *, now: datetime) -> bool:
    """At the deadline, a negotiated listing with no offer fails and its case awaits the next channel."""
    listing = lock(session, ClaimListing, listing_id, "claim listing")
    if listing.status != ListingStatus.OPEN or listing.auction_id or active_claim_offers(listing):
        return False
    _end(session, listing, "fail", "No offers were received by the deadline.", actor=Actor.system(), now=now)
    return True


def missed_pledge_recordals(session: so.Session, now: datetime) -> list[int]:
    """Completed transfers whose pledge recordal is overdue, not flagged yet."""
    return list(session.scalars(sa.select(ClaimListing.id).where(
        ClaimListing.status == ListingStatus.COMPLETED, ClaimListing.recorded_on.is_(None),
        ClaimListing.recordal_missed_at.is_(None), ClaimListing.recordal_due_on < now.date())))


def flag_missed_pledge_recordal(session: so.Session, listing_id: int, *, now: datetime) -> bool:
    """Flag (once, in the audit trail) a completed transfer whose pledge recordal is overdue."""
    listing = lock(session, ClaimListing, listing_id, "claim listing")
    if listing.recordal_missed_at is not None or listing.recorded_on is not None:
        return False
    listing.recordal_missed_at = now
    _audit(session, Actor.system(), listing.id, "pledge_recordal_missed", now,
           due_on=listing.recordal_due_on.isoformat())
    return True


# ---------------------------------------------------------------- the claim auction's outcome

# What a finished claim-rights round means for its listing (the auction channel has moved the case).
_AUCTION_ENDED = ("sold", "failed", "defaulted", "cancelled")


def sync_claim_auction(session: so.Session, auction_id: int, now: datetime,
                       rules: DisposalRules = DEFAULT_RULES) -> bool:
    """Carry a finished claim-rights round over to its listing: a sale moves loan and pledge to the winner.

    A claim round the centre opened straight from the auction desk gets its listing here. Idempotent.
    """
    from market.domain.auction import AuctionKind
    from market.models import Auction

    auction = lock(session, Auction, auction_id, "auction")
    if auction.kind != AuctionKind.CLAIM or auction.status.value not in _AUCTION_ENDED:
        return False
    listing = session.scalar(sa.select(ClaimListing).where(ClaimListing.auction_id == auction.id))
    sold = auction.status.value == "sold"
    if listing is None and sold:
        listing = _listing_for_auction(session, auction, now)
    if listing is None or listing.status != ListingStatus.OPEN:
        return False
    system = Actor.system()
    if not sold:
        _step(listing, "fail")
        listing.ended_at = now
        listing.outcome_reason = SystemReason.CLAIM_AUCTION_UNSOLD
        _audit(session, system, listing.id, "failed", now, reason=listing.outcome_reason,
               auction_id=auction.id, auction_status=auction.status.value)
        return True
    result = auction.result
    listing.buyer_id, listing.price_fen, listing.agreed_at = result.winner_institution_id, result.price_fen, now
    _transfer(session, listing, actor=system, now=now, rules=rules)
    return True


def _listing_for_auction(session, auction, now: datetime) -> ClaimListing:
    case = session.get(DisposalCase, auction.case_id)
    listing = ClaimListing(
        loan_id=case.loan_id, case_id=case.id, seller_id=case.bank_id, status=ListingStatus.OPEN,
        mode=SaleMode.AUCTION, title=case.title, asking_price_fen=auction.starting_price_fen,
        offer_deadline=auction.ends_at, loan_status_at_listing=case.loan.status.value,
        submitted_at=auction.created_at, opened_at=auction.created_at, auction_id=auction.id,
    )
    session.add(listing)
    session.flush()
    _audit(session, Actor.system(), listing.id, "opened", now, auction_id=auction.id)
    return listing


def finished_claim_auctions(session: so.Session, now: datetime) -> list[int]:
    """Finished claim-rights rounds not yet carried over to their listing."""
    from market.domain.auction import AuctionKind
    from market.models import Auction

    linked = sa.select(ClaimListing.id).where(ClaimListing.auction_id == Auction.id)
    still_open = linked.where(ClaimListing.status == ListingStatus.OPEN)
    sold_not_carried = (Auction.status == "sold") & (still_open.exists() | ~linked.exists())
    ended_open = Auction.status.in_(_AUCTION_ENDED[1:]) & still_open.exists()
    return list(session.scalars(sa.select(Auction.id).where(
        Auction.kind == AuctionKind.CLAIM, sold_not_carried | ended_open)))
