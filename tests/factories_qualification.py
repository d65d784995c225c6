"""Tiny factories for qualification: a lot's condition, a proof, an approved registration, an unpaid win."""

from __future__ import annotations

from market.db import unit_of_work
from market.models import Auction, DisposalCase, LotCondition, LotRegistration, User
from market.services import qualification
from market.services.audit import Actor
from market.services.bidding import place_bid
from market.services.closing import close_auction, record_default
from tests.factories_auctions import START, make_bidder, make_operator, open_round

PDF = b"%PDF-1.7\n% a scanned licence\n"


def add_condition(session, clock, case: DisposalCase, text: str = "持有集成电路设计行业许可证",
                  operator: User | None = None) -> LotCondition:
    """A condition the operator wrote for the lot (committed)."""
    operator = operator or make_operator(session)
    with unit_of_work(session):
        return qualification.add_condition(session, case.id, text, actor=Actor.of(operator), now=clock())


def register_with_proofs(session, clock, case: DisposalCase, user: User, *, submit: bool = True) -> LotRegistration:
    """The user's institution attaches a PDF for every condition of the lot and (by default) submits."""
    with unit_of_work(session):
        registration = None
        for condition in qualification.conditions_of(session, case.id):
            registration = qualification.attach_proof(session, case.id, condition.id, filename="licence.pdf",
                                                      data=PDF, user=user, now=clock())
        if submit:
            registration = qualification.submit_registration(session, case.id, user=user, now=clock())
        return registration


def approve(session, clock, registration: LotRegistration, operator: User | None = None,
            reason: str = "") -> LotRegistration:
    """The operator approves a submitted registration (committed)."""
    operator = operator or make_operator(session)
    with unit_of_work(session):
        return qualification.decide_registration(session, registration.id, approve=True, reason=reason,
                                                 actor=Actor.of(operator), now=clock())


def win_and_leave_unpaid(session, clock, user: User) -> Auction:
    """A round the user's institution wins alone and does not pay: the deadline passes and it defaults."""
    auction = open_round(session, clock, hours=24)
    make_bidder(session, clock, auction, institution=user.institution)
    with unit_of_work(session):
        place_bid(session, auction.id, institution_id=user.institution_id, amount_fen=START, now=clock())
    clock.advance(hours=25)
    with unit_of_work(session):
        close_auction(session, auction.id, now=clock())
    clock.advance(days=11)
    with unit_of_work(session):
        record_default(session, auction.id, now=clock())
    clock.advance(days=1)
    return auction
