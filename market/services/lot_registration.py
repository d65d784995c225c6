"""Whether an institution is registered for a lot (a disposal case): the one test data rooms, questions and
inspections ask. Today: it registered to bid (paid or owes a deposit) in any round of the case."""

from __future__ import annotations

import sqlalchemy as sa
import sqlalchemy.orm as so

from market.models import Auction, AuctionBidder


def is_registered_for_lot(session: so.Session, *, case_id: int, institution_id: int) -> bool:
    """True when the institution holds a bidder registration in some round of the case."""
    registered = sa.select(AuctionBidder.id).join(Auction, Auction.id == AuctionBidder.auction_id).where(
        Auction.case_id == case_id, AuctionBidder.institution_id == institution_id)
    return session.scalar(sa.select(registered.exists())) or False
