"""Tiny factories for auctions: a case ready for a round, an open round, a bidder with its deposit paid."""

from __future__ import annotations

from datetime import timedelta

from market.db import unit_of_work
from market.domain.auction import AuctionKind
from market.domain.roles import InstitutionKind, Role
from market.domain.workflow import CaseState
from market.models import (
    Auction,
    AuctionBidder,
    DisposalCase,
    FirstRefusalHolder,
    Institution,
    User,
)
from market.services.auctions import open_auction, pay_deposit
from market.services.audit import Actor
from tests.factories import make_case, make_institution, make_user

APPRAISAL = 150_000_000  # ¥1,500,000 (make_case's appraisal)
START = 105_000_000  # ¥1,050,000 = 70 % of the appraisal
INCREMENT = 1_000_000  # ¥10,000
DEPOSIT = 10_500_000  # 10 % of the start


def make_ready_case(session, clock, **overrides) -> DisposalCase:
    """A case whose public notice has run: the operator may open an auction round."""
    fields = dict(
        notice_published_at=clock() - timedelta(days=31), notice_ends_at=clock() - timedelta(days=1),
        list_price_fen=START, deposit_share_ppm=100_000,
    )
    fields.update(overrides)
    return make_case(session, CaseState.NOTICE_PUBLISHED, **fields)


def make_operator(session) -> User:
    """A trading-centre operator."""
    return make_user(session, Role.OPERATOR)


def open_round(
    session, clock, case: DisposalCase | None = None, *, start: int = START, increment: int = INCREMENT,
    deposit: int = DEPOSIT, hours: float = 24, kind: AuctionKind = AuctionKind.ASSET, operator: User | None = None,
    second_bidder_offer: bool = False,
) -> Auction:
    """Open an auction round through the service (committed), bidding from now for `hours`."""
    case = case or make_ready_case(session, clock)
    operator = operator or make_operator(session)
    with unit_of_work(session):
        return open_auction(
            session, case.id, starting_price_fen=start, increment_fen=increment, deposit_fen=deposit,
            ends_at=clock() + timedelta(hours=hours), actor=Actor.of(operator), now=clock(), kind=kind,
            second_bidder_offer=second_bidder_offer,
        )


def make_bidder(session, clock, auction: Auction, *, kind: InstitutionKind = InstitutionKind.BANK,
                institution: Institution | None = None, **overrides) -> tuple[User, AuctionBidder]:
    """A bidder institution with one user, its deposit paid for the round."""
    institution = institution or make_institution(session, kind, **overrides)
    role = {InstitutionKind.BANK: Role.BANK, InstitutionKind.AIC: Role.AIC,
            InstitutionKind.GUARANTOR: Role.GUARANTOR, InstitutionKind.INSURER: Role.INSURER}[institution.kind]
    user = make_user(session, role, institution=institution)
    with unit_of_work(session):
        bidder, _created = pay_deposit(session, auction.id, institution.id, now=clock(), user=user)
    return user, bidder


def name_holder(session, case: DisposalCase, institution: Institution | None, rank: int = 1,
                name: str = "共有人") -> FirstRefusalHolder:
    """A first-refusal holder named in the case's notice."""
    holder = FirstRefusalHolder(case_id=case.id, name=name, institution_id=institution.id if institution else None,
                                basis="co-owner", rank=rank)
    session.add(holder)
    session.flush()
    session.refresh(case)
    return holder


def make_defaulted_round(session, clock, *, allowed: bool = True, bidders: int = 3) -> tuple[Auction, list[User]]:
    """A round with `bidders` bidders (each one increment above the last, the winner last) whose winner let the
    payment deadline pass (the tick has run); its lot allows a second-bidder offer unless `allowed` is False."""
    from market.services.bidding import place_bid
    from market.services.closing import close_auction
    from market.services.tick import run_due

    auction = open_round(session, clock, second_bidder_offer=allowed)
    users = []
    for n in range(bidders):
        user, _bidder = make_bidder(session, clock, auction)
        with unit_of_work(session):
            place_bid(session, auction.id, institution_id=user.institution_id, amount_fen=START + n * INCREMENT,
                      now=clock())
        users.append(user)
    clock.advance(hours=24)
    with unit_of_work(session):
        close_auction(session, auction.id, now=clock())
    clock.advance(days=10, seconds=1)
    run_due(session, clock())
    session.refresh(auction)
    return auction, users


def make_sold_round(session, clock) -> tuple[DisposalCase, User, User]:
    """A round sold to the second of two bidders at START + INCREMENT and paid (so its confirmation of sale
    exists); the case, a user of the seller (the filing bank) and the buyer's user."""
    from market.services.bidding import place_bid
    from market.services.closing import close_auction, record_payment

    auction = open_round(session, clock)
    users = []
    for n in range(2):
        user, _bidder = make_bidder(session, clock, auction, name=f"买方银行{n}")
        with unit_of_work(session):
            place_bid(session, auction.id, institution_id=user.institution_id, amount_fen=START + n * INCREMENT,
                      now=clock())
        users.append(user)
    clock.advance(hours=24)
    with unit_of_work(session):
        close_auction(session, auction.id, now=clock())
        record_payment(session, auction.id, actor=Actor.of(make_operator(session)), now=clock())
    seller = make_user(session, Role.BANK, institution=auction.case.bank)
    session.commit()
    return auction.case, seller, users[1]
