"""Home-page panels of the auctions area: bidders see their rounds; the operator sees its auction desk."""

from __future__ import annotations

import sqlalchemy as sa
from flask import url_for
from flask_babel import gettext as _

from market.domain.auction import BIDDER_ROLES, LIVE_STATUSES, AuctionStatus
from market.domain.money import format_yuan
from market.domain.roles import Role
from market.domain.workflow import CHANNEL_ENTRY
from market.models import Auction, AuctionBidder, AuctionResult, DisposalCase, User
from market.services.accounts import Caller
from market.services.auctions import visible_auctions
from market.web.context import db
from market.web.dashboards import Panel, contributes


@contributes(*BIDDER_ROLES)
def bidder_panel(me: User) -> Panel:
    """Open rounds, the ones the institution leads, and wins it must still pay for."""
    session = db()
    open_count = session.scalar(sa.select(sa.func.count(Auction.id)).where(
        visible_auctions(Caller.of(me)), Auction.status == AuctionStatus.OPEN)) or 0
    rows = [(_("Open auctions"), str(open_count), url_for("auctions.index"))]
    mine = session.execute(
        sa.select(Auction).join(AuctionBidder, AuctionBidder.auction_id == Auction.id)
        .where(AuctionBidder.institution_id == me.institution_id, Auction.status.in_(LIVE_STATUSES))
        .order_by(Auction.ends_at).limit(10)
    ).scalars().all()
    for auction in mine:
        if auction.status == AuctionStatus.OPEN:
            state = _("you lead") if auction.leader_institution_id == me.institution_id else _("outbid")
            rows.append((auction.title, f"{format_yuan(auction.current_price_fen)} · {state}",
                         url_for("auctions.show", auction_id=auction.id)))
        elif auction.status == AuctionStatus.AWARDED:
            won = session.scalar(sa.select(AuctionResult.winner_institution_id)
                                 .where(AuctionResult.auction_id == auction.id))
            if won == me.institution_id:
                rows.append((auction.title, _("won: pay %(price)s", price=format_yuan(auction.current_price_fen)),
                             url_for("auctions.show", auction_id=auction.id)))
    return Panel(title=_("Auctions"), rows=rows, action=(_("Browse auctions"), url_for("auctions.index")))


@contributes(Role.OPERATOR)
def operator_panel(me: User) -> Panel:
    """How many rounds are open, in first refusal, awaiting payment; how many cases wait for a round."""
    session = db()
    counts = dict(session.execute(
        sa.select(Auction.status, sa.func.count(Auction.id)).where(Auction.status.in_(LIVE_STATUSES))
        .group_by(Auction.status)).all())
    ready = session.scalar(sa.select(sa.func.count(DisposalCase.id)).where(
        DisposalCase.state.in_(CHANNEL_ENTRY),
        ~sa.exists().where(Auction.case_id == DisposalCase.id, Auction.status.in_(LIVE_STATUSES)))) or 0
    desk = url_for("auctions.manage")
    rows = [
        (_("Open rounds"), str(counts.get(AuctionStatus.OPEN, 0)), desk),
        (_("In the first-refusal window"), str(counts.get(AuctionStatus.FIRST_REFUSAL, 0)), desk),
        (_("Waiting for the winner's payment"), str(counts.get(AuctionStatus.AWARDED, 0)), desk),
        (_("Cases ready for an auction round"), str(ready), desk),
    ]
    return Panel(title=_("Auction desk"), rows=rows, action=(_("Open the auction desk"), desk))
