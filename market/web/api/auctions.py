"""Auctions for banks' systems: list, read, pay the deposit, bid (with Idempotency-Key), read the history."""

from __future__ import annotations

from dataclasses import asdict, replace
from datetime import datetime
from typing import Annotated

import sqlalchemy as sa
from flask import current_app
from pydantic import BeforeValidator, Field

from market.domain.auction import DEFAULT_AUCTION_RULES, AuctionRules, AuctionStatus, DepositStatus
from market.domain.errors import Kind, Refusal
from market.domain.qualification import StrikeRules
from market.models import Auction
from market.services.accounts import Caller
from market.services.auctions import (
    AuctionNotFound,
    Snapshot,
    bid_history,
    get_visible,
    pay_deposit,
    registration,
    round_for,
    rounds_for,
    snapshot,
)
from market.services.bidding import place_bid, set_proxy
from market.services.closing import settle_if_due
from market.web.api import api_caller, api_rounds, api_user, bp
from market.web.api.contract import (
    AuctionView,
    IdempotencyKey,
    Model,
    Moment,
    Yuan,
    YuanIn,
    iso,
    operation,
)
from market.web.api.idempotency import idempotent
from market.web.api.problems import InvalidAfter, InvalidIds, InvalidStatus
from market.web.case_support import disposal_rules
from market.web.context import db, now
from market.web.request_limits import MAX_ID, is_database_id

__all__ = ["auction_rules", "auction_view", "iso"]


def auction_rules() -> AuctionRules:
    """The centre's auction settings (config AUCTION_RULES, else the SPC defaults with DISPOSAL_RULES and
    STRIKE_RULES)."""
    configured = current_app.config.get("AUCTION_RULES")
    if configured is not None:
        return configured
    return replace(DEFAULT_AUCTION_RULES, disposal=disposal_rules(),
                   strikes=StrikeRules.from_setting(current_app.config.get("STRIKE_RULES")))


def auction_view(view: Snapshot, server_time: datetime) -> AuctionView:
    """One auction as the API (and the live page) shows it."""
    return AuctionView.model_validate(asdict(view) | {"server_time": server_time})


# ---- the bodies -----------------------------------------------------------------------------------


class AuctionList(Model):
    """Auctions, soonest end first."""

    auctions: list[AuctionView]
    server_time: Moment


class BidLine(Model):
    """One accepted bid: sequence, bidder code, amount, server time."""

    seq: int = Field(ge=1)
    bidder: str = Field(validation_alias="code")
    amount: Yuan = Field(validation_alias="amount_fen")
    placed_at: Moment
    by_proxy: bool


class BidHistory(Model):
    """The accepted bids in order."""

    auction_id: int
    status: AuctionStatus
    bids: list[BidLine]
    server_time: Moment


class Deposit(Model):
    """Your registration: bidder code and deposit."""

    code: str
    amount: Yuan = Field(validation_alias="deposit_fen")
    status: DepositStatus = Field(validation_alias="deposit_status")
    paid_at: Moment = Field(validation_alias="registered_at")


class DepositPaid(Model):
    """Registered: your bidder code, and the auction."""

    deposit: Deposit
    auction: AuctionView


class BidIn(Model):
    """A bid: the amount in decimal yuan."""

    amount: YuanIn


class PlacedBid(Model):
    """The bid as accepted, at server time."""

    seq: int = Field(ge=1)
    amount: Yuan = Field(validation_alias="amount_fen")
    bidder: str = Field(validation_alias="code")
    placed_at: Moment


class BidPlaced(Model):
    """The bid accepted, and the auction after it."""

    bid: PlacedBid
    auction: AuctionView


class ProxyIn(Model):
    """A hidden maximum in decimal yuan."""

    max_amount: YuanIn


class Proxy(Model):
    """The hidden maximum set."""

    max_amount: Yuan


class ProxySet(Model):
    """The maximum set, and the auction after the system bid for you."""

    proxy: Proxy
    auction: AuctionView


WATCH_LIST_MAX = 100  # ids in one ?id=...&id=... read


def _status(value: object) -> object:
    if value is not None and value not in {s.value for s in AuctionStatus}:
        raise InvalidStatus(allowed=[s.value for s in AuctionStatus])
    return value


def _ids(value: object) -> object:
    values = value if isinstance(value, list) else [value]
    if len(values) > WATCH_LIST_MAX or not all(isinstance(v, str) and is_database_id(v) for v in values):
        raise InvalidIds(max_ids=WATCH_LIST_MAX)
    return [int(v) for v in values]


class AuctionQuery(Model):
    """?status=open filters; ?id=7&id=9 reads just those (a bank's watch list)."""

    status: Annotated[AuctionStatus | None, BeforeValidator(_status)] = None
    id: Annotated[list[Annotated[int, Field(ge=1, le=MAX_ID)]], BeforeValidator(_ids),
                  Field(max_length=WATCH_LIST_MAX, description="Only these auctions (repeat it: ?id=7&id=9); "
                                                               "ids you may not see are left out")] = []


def _after(value: object) -> object:
    if not (isinstance(value, str) and value.isascii() and value.isdigit() and len(value) <= 10
            and int(value) <= MAX_ID):
        raise InvalidAfter()
    return int(value)


class HistoryQuery(Model):
    """?after=<seq> for only the newer bids."""

    after: Annotated[int, Field(ge=0, le=MAX_ID), BeforeValidator(_after)] = 0


_ERRORS = {401: "No or bad token", 404: "No such auction"}
_WRITE = {400: "Missing Idempotency-Key, or not a JSON object", 401: "No or bad token"}


def _current(auction_id: int) -> sa.Row:
    """The round's row with the caller's registration, after whatever the clock owes it (race-safe).

    One query with the token's look-up; a round with a step due is settled and read again.
    """
    row = _round(auction_id)
    session = db()
    if settle_if_due(session, row, now()):
        row = round_for(session, auction_id, api_caller().institution_id)
    return row


def _round(auction_id: int, write: bool = False) -> sa.Row:
    """The round as the caller sees it, read with the caller (api_rounds); AuctionNotFound if it may not."""
    rows = api_rounds([auction_id], write)
    if not rows:
        raise AuctionNotFound()
    return rows[0]


@bp.get("/auctions")
@operation("auctions", {200: (AuctionList, "Auctions"), 400: "Unknown status, or an id that is not a whole number",
                        401: "No or bad token"})
def list_auctions(query: AuctionQuery):
    """List auctions you may see, or just those of your watch list

    Soonest end first; ?status=open filters, ?id=7&id=9 reads just those (a bank's watch list, in one
    request), each after whatever the clock owes it."""
    asked = {"ids": query.id, "status": query.status}
    session = db()
    if query.id:
        rows = api_rounds(asked["ids"])  # a bank's watch list: with the token's look-up, one statement
        rows = [row for row in rows if asked["status"] in (None, AuctionStatus(row.status))]
    else:
        caller = api_caller()
        rows = rounds_for(session, caller, **asked)
    at = now()
    settled = [settle_if_due(session, row, at) for row in rows]  # every step owed, not only the first
    if any(settled):
        rows = rounds_for(session, api_caller(), **asked)
    return AuctionList(auctions=[auction_view(snapshot(row, row.bidder_code), at) for row in rows], server_time=at)


@bp.get("/auctions/<int:auction_id>")
@operation("auctions", {200: (AuctionView, "The auction"), **_ERRORS})
def get_auction(auction_id: int):
    """One auction: price, leader, end (moved by late bids), your code, server time."""
    row = _current(auction_id)
    return auction_view(snapshot(row, row.bidder_code), now())


@bp.get("/auctions/<int:auction_id>/bids")
@operation("auctions", {200: (BidHistory, "Accepted bids in order"), 400: "Bad after", **_ERRORS})
def list_bids(auction_id: int, query: HistoryQuery):
    """The bid history in order (?after=<seq> for only the newer ones)."""
    row = _current(auction_id)
    lines = bid_history(db(), auction_id, query.after)
    return BidHistory(auction_id=auction_id, status=AuctionStatus(row.status),
                      bids=[BidLine.model_validate(line) for line in lines], server_time=now())


@bp.post("/auctions/<int:auction_id>/deposit")
@idempotent
@operation("auctions", {201: (DepositPaid, "Registered; your bidder code"), **_WRITE,
                        403: "Not eligible or barred", 404: "No such auction", 409: "Bidding has ended"})
def post_deposit(auction_id: int, headers: IdempotencyKey):
    """Pay the deposit and get a bidder code

    Like every POST it carries an Idempotency-Key; paying again, under any key, changes nothing."""
    user = api_user(write=True)
    session = db()
    get_visible(session, auction_id, api_caller())  # the caller api_user already resolved
    bidder, _created = pay_deposit(session, auction_id, user.institution_id, now=now(), user=user,
                                   rules=auction_rules())
    auction = session.get(Auction, auction_id)
    session.refresh(auction)
    return DepositPaid(deposit=Deposit.model_validate(bidder),
                       auction=auction_view(snapshot(auction, bidder.code), now())), 201


@bp.post("/auctions/<int:auction_id>/bids")
@idempotent
@operation("auctions", {201: (BidPlaced, "Bid accepted"), **_WRITE,
                        403: "No deposit, not eligible or barred", 404: "No such auction",
                        409: "Outbid (error outbid), already leading, not started, or closed (error closed); "
                             "`auction` carries the fresh state and its minimum_bid",
                        422: "invalid_amount, below_minimum, not_multiple_of_increment; or the key was used "
                             "with another body"})
def post_bid(auction_id: int, json: BidIn, headers: IdempotencyKey):
    """Place a bid at server time

    409 when outbid or closed (with the fresh auction), 422 for a bad amount."""
    session = db()
    row = _round(auction_id, write=True)  # who asks and the round it bids on, in one read
    caller = api_caller(write=True)
    try:
        placed = place_bid(session, auction_id, institution_id=caller.institution_id,
                           amount_fen=json.amount, now=now(), rules=auction_rules(), read=row)
    except Refusal as error:
        raise _bid_refused(session, auction_id, caller, error) from None
    return BidPlaced(bid=PlacedBid.model_validate(placed),
                     auction=auction_view(placed.auction, placed.placed_at)), 201


def _bid_refused(session, auction_id: int, caller: Caller, error: Refusal) -> Refusal:
    """AuctionNotFound for an auction the caller cannot see; else the refusal, carrying the fresh state when
    it is a conflict (the client bids again from it)."""
    judged = getattr(error, "snapshot", None)  # set when a registered bidder was refused: no query needed
    if judged is None:
        try:
            auction = get_visible(session, auction_id, caller)
        except AuctionNotFound as missing:
            return missing
    if error.kind is Kind.CONFLICT:
        if judged is None:
            session.refresh(auction)
            mine = registration(session, auction_id, caller.institution_id)
            judged = snapshot(auction, mine.code if mine else None)
        error.api_extra = {"auction": auction_view(judged, now()).model_dump(mode="json")}
    return error


@bp.post("/auctions/<int:auction_id>/proxy")
@idempotent
@operation("auctions", {200: (ProxySet, "Maximum set; the system has bid for you if needed"), **_WRITE,
                        403: "No deposit", 404: "No such auction", 409: "Outbid or closed",
                        422: "Bad amount, or the key was used with another body"})
def post_proxy(auction_id: int, json: ProxyIn, headers: IdempotencyKey):
    """Set a hidden maximum (proxy bid)

    The system bids for you one increment at a time up to it."""
    caller = api_caller(write=True)
    session = db()
    at = now()
    try:
        view = set_proxy(session, auction_id, institution_id=caller.institution_id, max_fen=json.max_amount,
                         now=at, rules=auction_rules())
    except Refusal as error:
        raise _bid_refused(session, auction_id, caller, error) from None
    return ProxySet(proxy=Proxy(max_amount=json.max_amount), auction=auction_view(view, at))
