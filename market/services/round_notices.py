"""Notices about an auction round (outbid, extended, closing soon, won, lost, failed, payment, deposits, first
refusal): who they are for and what they carry, raised by the service that does the work.

A round's notices are about the round ("auction"): an asset lot is public, so they go out through the three
core statements of `notices.publish_public` (the bid path raises them); a claim-rights lot is not, so its
notices go through `notices.publish`, which keeps them from users who may not see claim lots.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

import sqlalchemy as sa
import sqlalchemy.orm as so

from market.domain.auction import AuctionKind, AuctionStatus
from market.domain.notices import CLOSING_SOON_BEFORE, NoticeType
from market.models import Auction, AuctionBidder, Notice
from market.services.auctions import lock_auction
from market.services.notices import About, publish, publish_public


def tell_round(session: so.Session, notice_type: NoticeType, auction: Auction | sa.Row,
               institutions: Iterable[int | None] | sa.Select, *, now: datetime, dedupe_key: str | None = None,
               **facts) -> None:
    """Raise a notice about the round for `institutions` (ids, or a SELECT of ids); `facts` join the
    round's title, number and id in the payload (amounts in fen, times in ISO)."""
    about = About("auction", auction.id, auction.case_id)
    payload = {"title": auction.title, "round_no": auction.round_no, "auction_id": auction.id, **facts}
    if AuctionKind(auction.kind) == AuctionKind.ASSET and dedupe_key is None:
        if isinstance(institutions, sa.Select):
            publish_public(session, notice_type, about=about, now=now, institutions=institutions, payload=payload)
        else:
            publish_public(session, notice_type, about=about, now=now, payload=payload,
                           institutions=[i for i in institutions if i is not None])
        return
    if isinstance(institutions, sa.Select):
        institutions = list(session.scalars(institutions))
    publish(session, notice_type, about=about, now=now, institutions=institutions, payload=payload,
            dedupe_key=dedupe_key)


def bidders(session: so.Session, auction_id: int, *, excluding: Iterable[int] = ()) -> list[int]:
    """The institutions registered for the round (its bidders), but those `excluding`."""
    excluded = set(excluding)
    return [i for i in session.scalars(sa.select(AuctionBidder.institution_id)
                                       .where(AuctionBidder.auction_id == auction_id)
                                       .order_by(AuctionBidder.institution_id)) if i not in excluded]


def tell_linked_holder(session: so.Session, case_id: int, institution_id: int, *, now: datetime) -> None:
    """A holder linked while its case's round waits for first refusal hears at once that it may match."""
    auction = session.scalar(sa.select(Auction).where(Auction.case_id == case_id,
                                                      Auction.status == AuctionStatus.FIRST_REFUSAL))
    if auction is not None:
        tell_round(session, NoticeType.FIRST_REFUSAL_OPEN, auction, [institution_id], now=now,
                   price_fen=auction.current_price_fen, ends_at=auction.first_refusal_ends_at.isoformat())


# ---- the clock: "closing within the hour", once per round -------------------------------------------------

def rounds_closing_soon(session: so.Session, now: datetime) -> list[int]:
    """Open rounds whose bidding ends within the hour and whose bidders have not been told yet."""
    told = sa.select(Notice.id).where(Notice.subject == "auction", Notice.subject_id == Auction.id,
                                      Notice.type == NoticeType.ROUND_CLOSING_SOON)
    return list(session.scalars(sa.select(Auction.id).where(
        Auction.status == AuctionStatus.OPEN, Auction.held_at.is_(None), Auction.ends_at > now,
        Auction.ends_at <= now + CLOSING_SOON_BEFORE, ~told.exists())
        .order_by(Auction.ends_at)))


def tell_closing_soon(session: so.Session, auction_id: int, *, now: datetime) -> bool:
    """Tell a round's registered bidders it ends within the hour; once per round (the dedupe key), and only
    while it is still open, not held and ending within the hour (re-checked under the round's lock)."""
    auction = lock_auction(session, auction_id)
    if auction is None or auction.status != AuctionStatus.OPEN or auction.held_at is not None \
            or not now < auction.ends_at <= now + CLOSING_SOON_BEFORE:
        return False
    key = f"{NoticeType.ROUND_CLOSING_SOON.value}:{auction.id}"
    if session.scalar(sa.select(Notice.id).where(Notice.dedupe_key == key)):
        return False
    tell_round(session, NoticeType.ROUND_CLOSING_SOON, auction, bidders(session, auction.id), now=now,
               dedupe_key=key, ends_at=auction.ends_at.isoformat(), price_fen=auction.current_price_fen)
    return True
