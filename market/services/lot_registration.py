"""Whether an institution is registered for a lot (a disposal case): the one test data rooms, questions and
inspections ask. A lot with conditions of the operator's (market.domain.qualification): the operator approved
the institution's registration. Any other lot: it registered to bid (paid or owes a deposit) in a round."""

from __future__ import annotations

import sqlalchemy as sa
import sqlalchemy.orm as so

from market.domain.qualification import QualificationStatus
from market.models import Auction, AuctionBidder, LotCondition, LotRegistration


def is_registered_for_lot(session: so.Session, *, case_id: int, institution_id: int) -> bool:
    """True when the institution's registration for the lot was approved (a lot with conditions), or it holds a
    bidder registration in some round of the case (a lot without)."""
    has_conditions = sa.exists().where(LotCondition.case_id == case_id)
    approved = sa.exists().where(LotRegistration.case_id == case_id, LotRegistration.institution_id == institution_id,
                                 LotRegistration.status == QualificationStatus.APPROVED)
    bidder = sa.exists().where(Auction.id == AuctionBidder.auction_id, Auction.case_id == case_id,
                               AuctionBidder.institution_id == institution_id)
    return session.scalar(sa.select(sa.case((has_conditions, approved), else_=bidder))) or False
