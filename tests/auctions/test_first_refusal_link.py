"""The trading centre links a holder named in the notice to its institution; the holder then answers itself."""

from datetime import timedelta

import pytest

from market.db import unit_of_work
from market.domain.auction import AlreadyAnswered, AuctionStatus, HolderCannotBuy, RefusalDecision
from market.domain.errors import RoleRequired
from market.domain.roles import InstitutionKind, Role
from market.models import AuditEvent
from market.services.audit import Actor
from market.services.bidding import place_bid
from market.services.closing import answer_first_refusal, close_auction
from market.services.first_refusal import holder_institutions, link_holder
from tests.factories import make_institution, make_user
from tests.factories_auctions import START, make_bidder, make_operator, name_holder, open_round


def _round_in_first_refusal(session, clock):
    """A round whose bidding ended with one bid, an unlinked holder named in the notice."""
    auction = open_round(session, clock)
    holder = name_holder(session, auction.case, None, name="某某科技有限公司")
    bidder, _ = make_bidder(session, clock, auction)
    with unit_of_work(session):
        place_bid(session, auction.id, institution_id=bidder.institution_id, amount_fen=START, now=clock())
    with unit_of_work(session):
        close_auction(session, auction.id, now=clock.advance(hours=24))
    return auction, holder


def test_a_linked_holder_matches_the_price_itself_and_wins(session, clock):
    auction, holder = _round_in_first_refusal(session, clock)
    firm = make_institution(session, InstitutionKind.GUARANTOR, name="某某科技有限公司")
    firm_user = make_user(session, Role.GUARANTOR, institution=firm)
    with unit_of_work(session):
        link_holder(session, holder.id, firm.id, actor=Actor.of(make_operator(session)), now=clock())
    with unit_of_work(session):
        status = answer_first_refusal(session, auction.id, holder.id, RefusalDecision.MATCH,
                                      actor=Actor.of(firm_user), now=clock() + timedelta(hours=1))
    assert status == AuctionStatus.AWARDED
    assert auction.result.winner_institution_id == firm.id and auction.result.price_fen == START
    assert session.query(AuditEvent).filter_by(action="first_refusal_holder_linked").count() == 1


def test_the_bureau_and_the_trading_centre_are_never_holders(session, clock):
    auction, holder = _round_in_first_refusal(session, clock)
    bureau = make_institution(session, InstitutionKind.BUREAU)
    assert bureau not in holder_institutions(session)
    with pytest.raises(HolderCannotBuy), unit_of_work(session):
        link_holder(session, holder.id, bureau.id, actor=Actor.of(make_operator(session)), now=clock())


def test_only_the_operator_links_and_not_after_the_holder_answered(session, clock):
    auction, holder = _round_in_first_refusal(session, clock)
    firm = make_institution(session, InstitutionKind.BANK)
    bank_user = make_user(session, Role.BANK)
    session.commit()
    with pytest.raises(RoleRequired), unit_of_work(session):
        link_holder(session, holder.id, firm.id, actor=Actor.of(bank_user), now=clock())
    operator = Actor.of(make_operator(session))
    with unit_of_work(session):
        answer_first_refusal(session, auction.id, holder.id, RefusalDecision.DECLINE, actor=operator, now=clock())
    with pytest.raises(AlreadyAnswered), unit_of_work(session):
        link_holder(session, holder.id, firm.id, actor=operator, now=clock())


def test_the_operator_sees_a_link_form_for_each_unanswered_holder(session, clock, client):
    auction, holder = _round_in_first_refusal(session, clock)
    operator = make_operator(session)
    session.commit()
    client.post("/login", data={"email": operator.email, "password": "password-123"})
    page = client.get(f"/auctions/{auction.id}").get_data(as_text=True)
    assert f"/auctions/{auction.id}/first-refusal/{holder.id}/link" in page
