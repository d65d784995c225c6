"""The operator invites a holder named in the notice to register; its link registers a user, links the holder
and lets it match the price. A link works once, for a week, and only for the holder it names."""

import re

import pytest
import sqlalchemy as sa

from market.db import unit_of_work
from market.domain.auction import AuctionStatus, RefusalDecision
from market.domain.invitations import InstitutionNotTheHolder, InvitationExpired, InvitationUsed
from market.domain.roles import InstitutionKind
from market.models import AuditEvent, HolderInvitation, Institution, User
from market.services.audit import Actor
from market.services.bidding import place_bid
from market.services.closing import answer_first_refusal, close_auction
from market.services.holder_invitations import accept_invitation, invite_holder
from tests.factories import make_institution
from tests.factories_auctions import START, make_bidder, make_operator, name_holder, open_round

HOLDER = "某某共有人科技有限公司"
CODE = "91110108MA0HOLDER1"


def _round_in_first_refusal(session, clock):
    """A round whose bidding ended with one bid, and an unlinked holder named in the notice."""
    auction = open_round(session, clock)
    holder = name_holder(session, auction.case, None, name=HOLDER)
    bidder, _ = make_bidder(session, clock, auction)
    with unit_of_work(session):
        place_bid(session, auction.id, institution_id=bidder.institution_id, amount_fen=START, now=clock())
    with unit_of_work(session):
        close_auction(session, auction.id, now=clock.advance(hours=24))
    return auction, holder


def _invite(session, clock, auction, holder) -> str:
    with unit_of_work(session):
        _invitation, token = invite_holder(session, auction.id, holder.id, actor=Actor.of(make_operator(session)),
                                           now=clock())
    return token


def _register(session, clock, token, **overrides):
    fields = dict(email="holder@example.cn", password="holder-password-1", display_name="王经理",
                  credit_code=CODE, kind=InstitutionKind.AGENCY) | overrides
    with unit_of_work(session):
        return accept_invitation(session, token, now=clock(), **fields)


def test_the_operator_invites_the_holder_whose_link_registers_it_and_it_matches_and_wins(session, clock, client):
    auction, holder = _round_in_first_refusal(session, clock)
    operator = make_operator(session)
    session.commit()
    client.post("/login", data={"email": operator.email, "password": "password-123"})
    assert f"/auctions/{auction.id}/first-refusal/{holder.id}/invite" in client.get(f"/auctions/{auction.id}").text
    issued = client.post(f"/auctions/{auction.id}/first-refusal/{holder.id}/invite")
    assert issued.status_code == 201
    link = re.search(r'value="(http://[^"]+/invitations/[^"]+)"', issued.text).group(1)
    token = link.rsplit("/", 1)[1]
    assert session.scalar(sa.select(HolderInvitation.token_hash)) != token  # only a hash is kept
    client.post("/logout")

    form = client.get(f"/invitations/{token}")
    assert form.status_code == 200 and HOLDER in form.text
    registered = client.post(f"/invitations/{token}", data=dict(
        credit_code=CODE, kind="agency", display_name="王经理", email="holder@example.cn",
        password="holder-password-1", confirm="holder-password-1"))
    assert registered.status_code == 302 and registered.location.endswith(f"/auctions/{auction.id}")
    session.expire_all()
    firm = session.scalar(sa.select(Institution).where(Institution.credit_code == CODE))
    assert firm.name == HOLDER and holder.institution_id == firm.id
    assert session.scalar(sa.select(User.institution_id).where(User.email == "holder@example.cn")) == firm.id

    answered = client.post(f"/auctions/{auction.id}/first-refusal/{holder.id}", data={"match": "1"})
    assert answered.status_code == 302
    session.expire_all()
    assert auction.status == AuctionStatus.AWARDED
    assert auction.result.winner_institution_id == firm.id and auction.result.price_fen == START
    assert session.scalar(sa.select(sa.func.count()).where(AuditEvent.action == "first_refusal_holder_linked")) == 1


def test_an_expired_link_is_refused_with_a_clear_message(session, clock, client):
    auction, holder = _round_in_first_refusal(session, clock)
    token = _invite(session, clock, auction, holder)
    clock.advance(days=7)
    page = client.get(f"/invitations/{token}")
    assert page.status_code == 409
    assert "This invitation expired on" in page.text and "ask the trading centre for a new link" in page.text
    with pytest.raises(InvitationExpired):
        _register(session, clock, token)
    assert session.scalar(sa.select(User.id).where(User.email == "holder@example.cn")) is None


def test_a_used_link_is_refused_with_a_clear_message(session, clock, client):
    auction, holder = _round_in_first_refusal(session, clock)
    token = _invite(session, clock, auction, holder)
    _register(session, clock, token)
    page = client.get(f"/invitations/{token}")
    assert page.status_code == 409 and "This invitation was already used on" in page.text
    with pytest.raises(InvitationUsed):
        _register(session, clock, token, email="second@example.cn", credit_code="91110108MA0HOLDER2")


def test_an_unknown_link_is_not_found(client):
    assert client.get("/invitations/not-a-token").status_code == 404


def test_a_link_joins_an_institution_on_the_platform_only_under_the_holders_name(session, clock):
    auction, holder = _round_in_first_refusal(session, clock)
    make_institution(session, InstitutionKind.BANK, name="另一家银行", credit_code=CODE)
    token = _invite(session, clock, auction, holder)
    with pytest.raises(InstitutionNotTheHolder):
        _register(session, clock, token)
    same = make_institution(session, InstitutionKind.AIC, name=HOLDER, credit_code="91110108MA0HOLDER3")
    user = _register(session, clock, token, credit_code=same.credit_code)
    assert user.institution_id == same.id and holder.institution_id == same.id
    with unit_of_work(session):
        status = answer_first_refusal(session, auction.id, holder.id, RefusalDecision.DECLINE, actor=Actor.of(user),
                                      now=clock())
    assert status == AuctionStatus.AWARDED and auction.result.winner_institution_id != same.id
