"""Tiny factories for data rooms: a listed lot in its notice period, a lot with a registered bidder, a document."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from market.db import unit_of_work
from market.domain.data_room import DocumentCategory
from market.domain.roles import Role
from market.domain.workflow import CaseState
from market.models import Auction, DisposalCase, RoomDocument, User
from market.services import data_room
from market.services.audit import Actor
from tests.factories import make_case, make_user
from tests.factories_auctions import START, make_bidder, make_ready_case, open_round

PDF = b"%PDF-1.7\n% a valuation report\n%%EOF\n"


def make_lot(session, clock, **overrides) -> DisposalCase:
    """A listed case whose notice runs for 29 more days: questions are taken."""
    fields = dict(listed=True, notice_published_at=clock() - timedelta(days=1),
                  notice_ends_at=clock() + timedelta(days=29), list_price_fen=START)
    fields.update(overrides)
    return make_case(session, CaseState.NOTICE_PUBLISHED, **fields)


def lot_with_bidder(session, clock) -> tuple[DisposalCase, User, User]:
    """(lot, seller bank user, a bidder's user registered for the lot) with an auction round open."""
    case = make_ready_case(session, clock, listed=True)
    seller = make_user(session, Role.BANK, institution=case.bank)
    auction = open_round(session, clock, case)
    bidder, _registration = make_bidder(session, clock, auction)
    session.commit()
    return session.get(DisposalCase, case.id), seller, bidder


def another_bidder(session, clock, case: DisposalCase) -> User:
    """One more institution registered for the lot, in its open round."""
    auction = session.scalar(sa.select(Auction).where(Auction.case_id == case.id).order_by(Auction.id.desc()))
    user, _registration = make_bidder(session, clock, auction)
    session.commit()
    return user


def add_document(session, clock, case: DisposalCase, by: User, *, confidential: bool = True,
                 category: DocumentCategory = DocumentCategory.VALUATION_REPORT, title: str = "估值报告",
                 data: bytes = PDF) -> RoomDocument:
    """A PDF put in the lot's room by its seller or the centre (committed)."""
    with unit_of_work(session):
        return data_room.add_document(session, case.id, category=category, title=title, confidential=confidential,
                                      filename="valuation.pdf", data=data, actor=Actor.of(by), now=clock())
