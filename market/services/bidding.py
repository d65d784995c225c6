"""Placing bids and hidden maxima, correct under concurrency.

The domain judges every bid (domain.auction.check_bid: window, grid, leader, minimum) on the round as this
transaction read it, and says what the bid changes (the new end: end_after_bid). The write is one UPDATE of
the auction row guarded by the state that was judged (still open, the same number of bids), RETURNING the
new sequence number, and an INSERT of the bid with that number (on PostgreSQL one statement: the INSERT
reads the UPDATE's RETURNING in a common table expression). When another bid committed in between, the
guard matches nothing and the bid is read and judged again. On PostgreSQL the UPDATE takes the row lock;
on SQLite every transaction starts with BEGIN IMMEDIATE, so the read is already the latest. The schema
backs it up: UNIQUE(auction_id, seq), UNIQUE(auction_id, amount_fen), positive amounts, bids append-only.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta

import sqlalchemy as sa
import sqlalchemy.orm as so

from market.domain.auction import (
    DEFAULT_AUCTION_RULES,
    AssetOnHold,
    AuctionBusy,
    AuctionClosed,
    AuctionNotStarted,
    AuctionRules,
    AuctionStatus,
    BidState,
    DepositRequired,
    Proxy,
    Terms,
    check_bid,
    check_proxy_max,
    end_after_bid,
    minimum_bid_fen,
    next_proxy_bid,
)
from market.domain.notices import NoticeType
from market.domain.rules import RuleBroken
from market.models import Auction, AuctionBidder, Bid, ProxyBid, UTCDateTime
from market.services import round_notices as notices
from market.services.auctions import (
    MAX_ID,
    AuctionNotFound,
    Snapshot,
    forget_loaded,
    lock_auction,
    registration,
    round_for,
    snapshot,
    state_of,
    terms_of,
)

_RACE_RETRIES = 20  # a bid re-judged this often while others keep committing first gives up
_auction = Auction.__table__
_bid = Bid.__table__
_bidder = AuctionBidder.__table__


@dataclass(frozen=True)
class Live:
    """The live state of a round as this transaction wrote it, with the leader's code."""

    state: BidState
    leader_code: str | None
    proxies: int = 0  # hidden maxima on the auction, as the locked row says


@dataclass(frozen=True)
class BidPlaced:
    """The caller's accepted bid and the round as it stands after it (and after any proxy replies)."""

    seq: int
    amount_fen: int
    code: str
    placed_at: datetime
    auction: Snapshot
    proxy_bids: int = 0


def place_bid(
    session: so.Session,
    auction_id: int,
    *,
    institution_id: int,
    amount_fen: int,
    now: datetime,
    rules: AuctionRules = DEFAULT_AUCTION_RULES,
    read: sa.Row | None = None,
) -> BidPlaced:
    """Accept one bid at server time `now`, or raise the rule it breaks; hidden maxima reply at once.

    `read`: the round as round_for read it for this institution in this transaction, when the caller
    already has it (the API reads it with the bearer token); the bid's own check and write re-judge it.
    """
    row = read if read is not None else round_for(session, auction_id, institution_id)
    if row.bidder_id is None:
        raise DepositRequired()
    bidder = Registration(row.bidder_id, institution_id, row.bidder_code)
    terms = terms_of(row)
    for _attempt in range(_RACE_RETRIES):
        judged = state_of(row)
        try:
            check_bid(terms, judged, institution_id=institution_id, amount_fen=amount_fen, now=now)
        except RuleBroken as refusal:
            refusal.snapshot = snapshot(row, bidder.code)  # the state it was judged on, for the answer
            raise
        placed = _append(session, auction_id, judged, bidder, amount_fen, now, rules.extension, by_proxy=False)
        if placed is not None:
            break
        # Another bid committed between our read and our UPDATE (PostgreSQL): re-read, re-judge.
        row = round_for(session, auction_id, institution_id)
    else:
        raise AuctionBusy()
    seq, live = placed
    live, proxied = _proxies_reply(session, auction_id, terms, live, now, rules.extension)
    forget_loaded(session, auction_id, _LIVE_ATTRIBUTES)  # we wrote its live columns with core statements
    _tell_bidders(session, row, terms, judged, live, leaders=(institution_id, *proxied), now=now)
    return BidPlaced(seq, amount_fen, bidder.code, now, _with_state(snapshot(row), live, terms, bidder.code),
                     len(proxied))


def set_proxy(
    session: so.Session,
    auction_id: int,
    *,
    institution_id: int,
    max_fen: int,
    now: datetime,
    rules: AuctionRules = DEFAULT_AUCTION_RULES,
) -> Snapshot:
    """Set or raise a hidden maximum; unless leading, the system bids the minimum for it at once."""
    auction = lock_auction(session, auction_id) if 0 < auction_id <= MAX_ID else None
    if auction is None:
        raise AuctionNotFound()
    bidder = registration(session, auction_id, institution_id)
    if bidder is None:
        raise DepositRequired()
    terms, state = terms_of(auction), state_of(auction)
    if state.held:
        raise AssetOnHold()
    if state.status != AuctionStatus.OPEN or now >= state.ends_at:
        raise AuctionClosed()
    if now < terms.starts_at:
        raise AuctionNotStarted(opens_at=terms.starts_at)
    check_proxy_max(terms, state, institution_id=institution_id, max_fen=max_fen, rules=rules)
    proxy = session.scalar(
        sa.select(ProxyBid).where(ProxyBid.auction_id == auction_id, ProxyBid.bidder_id == bidder.id)
    )
    if proxy is None:
        session.add(ProxyBid(auction_id=auction_id, bidder_id=bidder.id, max_fen=max_fen, set_at=now))
        auction.proxy_count += 1  # under the row lock; bids read it back through RETURNING
    else:
        proxy.max_fen, proxy.set_at = max_fen, now
    session.flush()
    extension = timedelta(seconds=auction.extension_seconds)
    live, proxied = _proxies_reply(session, auction_id, terms,
                                   Live(state, auction.leader_code, auction.proxy_count), now, extension)
    _tell_bidders(session, auction, terms, state, live, leaders=proxied, now=now)
    view = _with_state(snapshot(auction), live, terms, bidder.code)
    session.expire(auction)
    return view


@dataclass(frozen=True)
class Registration:
    """The bidder a bid is placed for: its registration id, institution and code."""

    id: int
    institution_id: int
    code: str




_LIVE_ATTRIBUTES = ["status", "ends_at", "bid_count", "current_price_fen", "leader_institution_id", "leader_code"]


def _guarded_update() -> sa.Update:
    """The bid's write, applied only to the round as the domain judged it (still open, the same number of
    bids); its values are the domain's. Built once: only bind parameters change per bid."""
    c = _auction.c
    return (
        sa.update(_auction)
        .where(c.id == sa.bindparam("p_auction", type_=sa.Integer()), c.status == AuctionStatus.OPEN.value,
               c.bid_count == sa.bindparam("p_judged_count", type_=sa.Integer()), c.held_at.is_(None))
        .values(
            bid_count=c.bid_count + 1,
            current_price_fen=sa.bindparam("p_amount", type_=sa.BigInteger()),
            leader_institution_id=sa.bindparam("p_institution", type_=sa.Integer()),
            leader_code=sa.bindparam("p_code", type_=sa.String()),
            ends_at=sa.bindparam("p_ends_at", type_=UTCDateTime()),
        )
        .returning(c.bid_count, c.proxy_count)
    )


def _update_and_insert() -> sa.Select:
    """PostgreSQL: the conditional UPDATE and the bid's INSERT as one statement (one round trip, not two):
    the INSERT takes its sequence number from the UPDATE's RETURNING, and inserts nothing when the UPDATE
    changed nothing."""
    placed = _UPDATE.cte("placed")
    added = sa.insert(_bid).from_select(
        ["auction_id", "seq", "bidder_id", "amount_fen", "placed_at", "by_proxy"],
        sa.select(sa.bindparam("p_auction", type_=sa.Integer()), placed.c.bid_count,
                  sa.bindparam("p_bidder", type_=sa.Integer()), sa.bindparam("p_amount", type_=sa.BigInteger()),
                  sa.bindparam("p_now", type_=UTCDateTime()), sa.bindparam("p_by_proxy", type_=sa.Boolean())),
    ).cte("added")
    return sa.select(placed.c.bid_count, placed.c.proxy_count).add_cte(added)


_UPDATE = _guarded_update()
_INSERT = sa.insert(_bid)
_UPDATE_AND_INSERT = _update_and_insert()


def _append(
    session: so.Session,
    auction_id: int,
    judged: BidState,
    bidder: Registration | AuctionBidder,
    amount_fen: int,
    now: datetime,
    extension: timedelta,
    *,
    by_proxy: bool,
) -> tuple[int, Live] | None:
    """Write a bid the domain accepted on `judged`: the guarded UPDATE and the bid row; None when the round
    is no longer as judged (another bid came first)."""
    connection = session.connection()  # core statements: no ORM execution machinery
    ends_at = end_after_bid(judged.ends_at, now, extension)
    parameters = {"p_auction": auction_id, "p_judged_count": judged.bid_count, "p_amount": amount_fen,
                  "p_institution": bidder.institution_id, "p_code": bidder.code, "p_ends_at": ends_at}
    if connection.dialect.name == "postgresql":
        row = connection.execute(_UPDATE_AND_INSERT, parameters | {"p_bidder": bidder.id, "p_by_proxy": by_proxy,
                                                                   "p_now": now}).first()
    else:
        row = connection.execute(_UPDATE, parameters).first()
        if row is not None:
            connection.execute(_INSERT, {"auction_id": auction_id, "seq": row.bid_count, "bidder_id": bidder.id,
                                         "amount_fen": amount_fen, "placed_at": now, "by_proxy": by_proxy})
    if row is None:
        return None
    seq, proxies = row
    state = BidState(AuctionStatus.OPEN, ends_at, seq, amount_fen, bidder.institution_id)
    return seq, Live(state, bidder.code, proxies)


def _proxies_reply(
    session: so.Session, auction_id: int, terms: Terms, live: Live, now: datetime, extension: timedelta
) -> tuple[Live, tuple[int, ...]]:
    """Let hidden maxima answer, one increment at a time, until none can (we hold the auction row); the
    institutions they bid for, in order."""
    if not live.proxies:
        return live, ()
    proxy = ProxyBid.__table__
    rows = session.execute(
        sa.select(proxy.c.id, proxy.c.max_fen, proxy.c.set_at, _bidder.c.id.label("bidder_id"),
                  _bidder.c.institution_id, _bidder.c.code)
        .join(_bidder, _bidder.c.id == proxy.c.bidder_id)
        .where(proxy.c.auction_id == auction_id, proxy.c.max_fen >= minimum_bid_fen(terms, live.state))
    ).all()
    if not rows:
        return live, ()
    bidders = {r.institution_id: Registration(r.bidder_id, r.institution_id, r.code) for r in rows}
    proxies = [Proxy(r.institution_id, r.max_fen, r.set_at, r.id) for r in rows]
    replies: list[int] = []
    while (nxt := next_proxy_bid(terms, live.state, proxies)) is not None:
        proxy, amount = nxt
        placed = _append(session, auction_id, live.state, bidders[proxy.institution_id], amount, now, extension,
                         by_proxy=True)
        if placed is None:  # cannot happen while we hold the row; refuse rather than guess
            raise RuntimeError("The auction changed while hidden maxima were answering.")
        _seq, live = placed
        replies.append(proxy.institution_id)
    return live, tuple(replies)


def _tell_bidders(session: so.Session, auction: Auction | sa.Row, terms: Terms, before: BidState, live: Live, *,
                  leaders: tuple[int, ...], now: datetime) -> None:
    """In the bid's own transaction: every institution that held the lead before or during this call and does
    not hold it now was outbid; a late bid that moved the end tells every registered bidder."""
    final = live.state.leader_institution_id
    outbid = {before.leader_institution_id, *leaders} - {final, None}
    if outbid:
        notices.tell_round(session, NoticeType.OUTBID, auction, outbid, now=now,
                           price_fen=live.state.current_price_fen, minimum_fen=minimum_bid_fen(terms, live.state),
                           ends_at=live.state.ends_at.isoformat())
    if live.state.ends_at > before.ends_at:
        bidders = sa.select(_bidder.c.institution_id).where(_bidder.c.auction_id == auction.id)
        notices.tell_round(session, NoticeType.ROUND_EXTENDED, auction, bidders, now=now,
                           price_fen=live.state.current_price_fen, ends_at=live.state.ends_at.isoformat())


def _with_state(base: Snapshot, live: Live, terms: Terms, your_code: str | None) -> Snapshot:
    """A snapshot whose live part comes from the rows we just wrote, without reading them back."""
    return replace(
        base,
        status=live.state.status,
        ends_at=live.state.ends_at,
        bid_count=live.state.bid_count,
        current_price_fen=live.state.current_price_fen,
        leader_code=live.leader_code,
        minimum_bid_fen=minimum_bid_fen(terms, live.state),
        your_code=your_code,
    )
