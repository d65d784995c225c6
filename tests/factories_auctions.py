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
