"""Claim transfer: who may see and offer, and what moves when a bank sells its loan and pledge."""

from datetime import timedelta

import pytest
import sqlalchemy as sa

from market.domain.channels import ListingStatus
from market.domain.claim_transfer import (
    ClaimNotListable,
    NotEligibleBuyer,
    SaleMode,
    check_buyer,
    check_listable,
    may_buy_claims,
)
from market.domain.ledger import proceeds_payable
from market.domain.roles import InstitutionKind, Role
from market.domain.workflow import CaseState
from market.models import AuditEvent, LoanStatus
from market.services import claim_transfer
from market.services.access import Forbidden, NotFound
from market.services.audit import Actor
from market.services.ledger import balance
from market.services.tick import run_due
from tests.factories import make_case, make_institution, make_loan, make_user
from tests.factories_channels import YUAN, list_and_open, make_channel_case, operator


@pytest.mark.parametrize(("kind", "licensed", "may"), [
    (InstitutionKind.BANK, True, True), (InstitutionKind.AIC, True, True),
    (InstitutionKind.BANK, False, False), (InstitutionKind.AIC, False, False),
    (InstitutionKind.GUARANTOR, True, False), (InstitutionKind.INSURER, False, False),
    (InstitutionKind.AGENCY, False, False), (InstitutionKind.BUREAU, False, False),
])
def test_only_licensed_banks_and_aics_may_buy_claims(kind, licensed, may):
    assert may_buy_claims(kind, licensed) is may


def test_a_seller_cannot_buy_its_own_claim():
    with pytest.raises(NotEligibleBuyer, match="own"):
        check_buyer(InstitutionKind.BANK, True, is_seller=True)


@pytest.mark.parametrize(("status", "has_case", "ready", "listed", "message"), [
    ("repaid", False, False, False, "repaid"), ("transferred", False, False, False, "transferred"),
    ("defaulted", True, False, False, "not ready"), ("performing", False, False, True, "already listed"),
])
def test_claims_that_cannot_be_listed(status, has_case, ready, listed, message):
    with pytest.raises(ClaimNotListable, match=message):
        check_listable(status, has_case=has_case, case_ready=ready, already_listed=listed)


@pytest.fixture
def market(session):
    """A case ready for a channel, and prospective buyers: licensed bank and AIC, unlicensed bank, guarantor."""
    case = make_channel_case(session)
    buyers = {
        "bank": make_user(session, Role.BANK),
        "aic": make_user(session, Role.AIC),
        "unlicensed": make_user(session, Role.BANK,
                                institution=make_institution(session, licensed_financial=False)),
        "guarantor": make_user(session, Role.GUARANTOR),
    }
    session.commit()
    return case, {name: Actor.of(user) for name, user in buyers.items()}


def test_a_defaulted_claim_is_sold_by_negotiation_and_loan_and_pledge_move(session, clock, market):
    case, buyers = market
    seller_bank_id, loan_id = case.bank_id, case.loan_id
    listing, seller, op = list_and_open(session, clock, case)
    session.refresh(case)
    assert case.state == CaseState.CLAIM_TRANSFER
    claim_transfer.submit_claim_offer(session, listing.id, price_fen=700_000 * YUAN, actor=buyers["bank"],
                                      now=clock())
    best = claim_transfer.submit_claim_offer(session, listing.id, price_fen=760_000 * YUAN, actor=buyers["aic"],
                                             now=clock())
    claim_transfer.accept_claim_offer(session, listing.id, best.id, actor=seller, now=clock.advance(days=1))
    claim_transfer.complete_claim_transfer(session, listing.id, actor=op, now=clock.advance(days=2))
    session.expire_all()
    loan = case.loan
    buyer_id = buyers["aic"].user.institution_id
    assert (loan.id, loan.bank_id, loan.status) == (loan_id, buyer_id, LoanStatus.TRANSFERRED)
    assert loan.pledge.pledgee_id == buyer_id
    assert case.state == CaseState.DISPOSED and case.recovery_fen == 760_000 * YUAN
    assert case.bank_id == seller_bank_id and case.buyer_institution_id == buyer_id
    assert -balance(session, proceeds_payable(case.id)) == 760_000 * YUAN
    assert listing.status == ListingStatus.COMPLETED
    assert listing.recordal_due_on == clock().date() + timedelta(days=90)
    mine = claim_transfer.listings_of_seller(session, seller.user)
    assert [m.id for m in mine] == [listing.id]
    moved = session.scalar(sa.select(AuditEvent).where(AuditEvent.entity_type == "loan",
                                                       AuditEvent.action == "claim_transferred"))
    assert (moved.from_state, moved.to_state) == (str(seller_bank_id), str(buyer_id))


def test_a_performing_loan_is_sold_without_a_disposal_case(session, clock):
    loan = make_loan(session, status=LoanStatus.PERFORMING, defaulted_on=None)
    buyer = Actor.of(make_user(session, Role.AIC))
    listing, seller, op = list_and_open(session, clock, loan=loan)
    assert listing.case_id is None
    offer = claim_transfer.submit_claim_offer(session, listing.id, price_fen=990_000 * YUAN, actor=buyer, now=clock())
    claim_transfer.accept_claim_offer(session, listing.id, offer.id, actor=seller, now=clock())
    claim_transfer.complete_claim_transfer(session, listing.id, actor=op, now=clock())
    session.refresh(loan)
    assert loan.bank_id == buyer.user.institution_id and loan.pledge.pledgee_id == buyer.user.institution_id
    assert listing.price_fen == 990_000 * YUAN


def test_an_ineligible_institution_cannot_see_or_offer_for_a_claim(session, clock, market):
    case, buyers = market
    listing, seller, _ = list_and_open(session, clock, case)
    for name in ("unlicensed", "guarantor"):
        with pytest.raises(NotFound):
            claim_transfer.get_listing(session, listing.id, buyers[name].user)
        with pytest.raises(Forbidden):
            claim_transfer.open_listings(session, buyers[name].user)
    with pytest.raises(NotFound):
        claim_transfer.submit_claim_offer(session, listing.id, price_fen=1, actor=buyers["unlicensed"], now=clock())
    with pytest.raises(Forbidden):
        claim_transfer.submit_claim_offer(session, listing.id, price_fen=1, actor=buyers["guarantor"], now=clock())
    with pytest.raises(NotEligibleBuyer):
        claim_transfer.submit_claim_offer(session, listing.id, price_fen=1, actor=seller, now=clock())
    assert [item.id for item in claim_transfer.open_listings(session, buyers["aic"].user)] == [listing.id]


def test_only_the_seller_accepts_and_only_the_centre_completes(session, clock, market):
    case, buyers = market
    listing, seller, op = list_and_open(session, clock, case)
    offer = claim_transfer.submit_claim_offer(session, listing.id, price_fen=500_000 * YUAN, actor=buyers["aic"],
                                              now=clock())
    with pytest.raises(NotFound):
        claim_transfer.accept_claim_offer(session, listing.id, offer.id, actor=buyers["bank"], now=clock())
    with pytest.raises(Forbidden):
        claim_transfer.accept_claim_offer(session, listing.id, offer.id, actor=buyers["aic"], now=clock())
    claim_transfer.accept_claim_offer(session, listing.id, offer.id, actor=seller, now=clock())
    with pytest.raises(Forbidden):
        claim_transfer.complete_claim_transfer(session, listing.id, actor=seller, now=clock())


def test_offers_after_the_deadline_are_refused(session, clock, market):
    case, buyers = market
    listing, *_ = list_and_open(session, clock, case)
    with pytest.raises(claim_transfer.OfferWindowRule):
        claim_transfer.submit_claim_offer(session, listing.id, price_fen=1, actor=buyers["aic"],
                                          now=clock() + timedelta(days=10))


def test_a_listing_without_offers_fails_at_the_deadline(session, clock, market):
    case, _ = market
    listing, *_ = list_and_open(session, clock, case)
    assert run_due(session, clock.advance(days=10))["claim_offer_deadlines"] == 1
    session.expire_all()
    assert listing.status == ListingStatus.FAILED and case.state == CaseState.AWAITING_CHANNEL


def test_a_seller_may_withdraw_and_the_case_awaits_its_next_channel(session, clock, market):
    case, _ = market
    listing, seller, _ = list_and_open(session, clock, case)
    claim_transfer.end_claim_listing(session, listing.id, reason="Borrower is restructuring", actor=seller,
                                     now=clock())
    session.expire_all()
    assert listing.status == ListingStatus.WITHDRAWN and case.state == CaseState.AWAITING_CHANNEL


def test_a_bank_cannot_list_someone_elses_loan_or_one_in_an_unready_case(session, clock, market):
    case, buyers = market
    with pytest.raises(NotFound):
        claim_transfer.list_claim(session, case.loan_id, asking_price_fen=1, offer_deadline=clock() + timedelta(days=5),
                                  actor=buyers["bank"], now=clock())
    filed = make_case(session, CaseState.UNDER_REVIEW)
    owner = Actor.of(make_user(session, Role.BANK, institution=filed.bank))
    session.commit()
    with pytest.raises(ClaimNotListable, match="not ready"):
        claim_transfer.list_claim(session, filed.loan_id, asking_price_fen=1,
                                  offer_deadline=clock() + timedelta(days=5), actor=owner, now=clock())


def test_a_missed_pledge_recordal_is_flagged_and_a_recordal_can_be_entered(session, clock, market):
    case, buyers = market
    listing, seller, op = list_and_open(session, clock, case)
    offer = claim_transfer.submit_claim_offer(session, listing.id, price_fen=10 * YUAN, actor=buyers["aic"],
                                              now=clock())
    claim_transfer.accept_claim_offer(session, listing.id, offer.id, actor=seller, now=clock())
    claim_transfer.complete_claim_transfer(session, listing.id, actor=op, now=clock())
    assert run_due(session, clock.advance(days=91))["pledge_recordal_deadlines"] == 1
    assert run_due(session, clock.advance(days=1))["pledge_recordal_deadlines"] == 0
    claim_transfer.record_pledge_recordal(session, listing.id, recordal_number="Y2027990001", recorded_on=clock().date(),
                                          actor=op, now=clock())
    session.refresh(listing)
    assert listing.recordal_missed_at is not None and listing.recorded_on == clock().date()


# ---- the claim auction (the auctions engineer's channel, claim-rights lot) ----------------------


def test_a_claim_sold_by_auction_moves_to_the_winner_and_ineligible_bidders_are_kept_out(session, clock, market):
    from market.domain.auction import AuctionKind, NotEligible
    from market.models import Auction
    from market.services.accounts import Caller
    from market.services.auctions import get_visible, may_see, pay_deposit
    from market.services.bidding import place_bid
    from market.services.closing import record_payment

    case, buyers = market
    seller = Actor.of(make_user(session, Role.BANK, institution=case.bank))
    _, op = operator(session)
    session.commit()
    listing = claim_transfer.list_claim(session, case.loan_id, asking_price_fen=500_000 * YUAN, mode=SaleMode.AUCTION,
                                        offer_deadline=clock() + timedelta(days=5), actor=seller, now=clock())
    claim_transfer.open_claim_listing(session, listing.id, actor=op, now=clock(), auction=claim_transfer.AuctionTerms(
        500_000 * YUAN, 10_000 * YUAN, 50_000 * YUAN, clock() + timedelta(days=3)))
    auction = session.get(Auction, listing.auction_id)
    assert auction.kind == AuctionKind.CLAIM
    assert not may_see(Caller.of(buyers["unlicensed"].user), auction)
    assert not may_see(Caller.of(buyers["guarantor"].user), auction)
    with pytest.raises(NotEligible):
        pay_deposit(session, auction.id, buyers["unlicensed"].user.institution_id, now=clock())
    winner = buyers["aic"].user.institution_id
    pay_deposit(session, auction.id, winner, now=clock())
    place_bid(session, auction.id, institution_id=winner, amount_fen=500_000 * YUAN, now=clock())
    with pytest.raises(claim_transfer.OfferWindowRule):
        claim_transfer.submit_claim_offer(session, listing.id, price_fen=1, actor=buyers["bank"], now=clock())
    run_due(session, clock.advance(days=3))  # the auction closes and awards
    record_payment(session, auction.id, actor=op, now=clock.advance(days=1))
    run_due(session, clock())  # the channel carries the sale over: loan and pledge move
    session.expire_all()
    assert listing.status == ListingStatus.COMPLETED and listing.price_fen == 500_000 * YUAN
    assert case.state == CaseState.DISPOSED and case.recovery_fen == 500_000 * YUAN
    assert case.loan.bank_id == winner and case.loan.pledge.pledgee_id == winner
    assert get_visible(session, auction.id, Caller.of(buyers["aic"].user)).id == auction.id


def test_a_claim_round_opened_from_the_auction_desk_still_moves_the_loan(session, clock, market):
    from market.domain.auction import AuctionKind
    from market.services.auctions import open_auction, pay_deposit
    from market.services.bidding import place_bid
    from market.services.closing import record_payment

    case, buyers = market
    _, op = operator(session)
    session.commit()
    auction = open_auction(session, case.id, starting_price_fen=300_000 * YUAN, increment_fen=1_000 * YUAN,
                           deposit_fen=30_000 * YUAN, ends_at=clock() + timedelta(days=1), actor=op, now=clock(),
                           kind=AuctionKind.CLAIM)
    winner = buyers["bank"].user.institution_id
    pay_deposit(session, auction.id, winner, now=clock())
    place_bid(session, auction.id, institution_id=winner, amount_fen=300_000 * YUAN, now=clock())
    run_due(session, clock.advance(days=1))
    record_payment(session, auction.id, actor=op, now=clock())
    assert run_due(session, clock())["claim_auction_results"] == 1
    assert run_due(session, clock())["claim_auction_results"] == 0
    session.expire_all()
    assert case.loan.bank_id == winner and case.loan.status == LoanStatus.TRANSFERRED
