"""Auctions for banks' systems: list, read, pay the deposit, bid (with Idempotency-Key), read the history."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import sqlalchemy as sa
from flask import current_app, jsonify, request

from market.domain.auction import DEFAULT_AUCTION_RULES, AuctionRules, AuctionStatus
from market.domain.errors import Kind, Refusal
from market.domain.money import fen_to_decimal_string, parse_yuan
from market.models import Auction
from market.services.accounts import Caller
from market.services.auctions import (
    AuctionNotFound,
    HistoryLine,
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
from market.web.api import api_caller, api_rounds, api_user, bp, json_body
from market.web.api.idempotency import idempotent
from market.web.api.openapi import COMPONENTS, document
from market.web.api.problems import InvalidAfter, InvalidIds, InvalidStatus
from market.web.case_support import disposal_rules
from market.web.context import db, now
from market.web.request_limits import is_database_id, query_number


def auction_rules() -> AuctionRules:
    """The centre's auction settings (config AUCTION_RULES, else the SPC defaults)."""
    configured = current_app.config.get("AUCTION_RULES")
    if configured is not None:
        return configured
    return replace(DEFAULT_AUCTION_RULES, disposal=disposal_rules())


def iso(moment: datetime | None) -> str | None:
    """UTC ISO 8601 with milliseconds, e.g. 2026-11-22T02:00:00.000Z."""
    if moment is None:
        return None
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _money(fen: int | None) -> str | None:
    return None if fen is None else fen_to_decimal_string(fen)


def auction_json(view: Snapshot, server_time: datetime) -> dict:
    """One auction as the API (and the live page) shows it."""
    return {
        "id": view.id, "case_id": view.case_id, "round": view.round_no, "kind": view.kind.value,
        "title": view.title, "status": view.status.value,
        "starting_price": _money(view.starting_price_fen), "increment": _money(view.increment_fen),
        "current_price": _money(view.current_price_fen), "minimum_bid": _money(view.minimum_bid_fen),
        "deposit": _money(view.deposit_fen), "starts_at": iso(view.starts_at), "ends_at": iso(view.ends_at),
        "bid_count": view.bid_count, "leader": view.leader_code, "your_code": view.your_code,
        "first_refusal_ends_at": iso(view.first_refusal_ends_at), "payment_due_at": iso(view.payment_due_at),
        "held": view.held, "server_time": iso(server_time),
    }


def history_json(line: HistoryLine) -> dict:
    """One accepted bid: sequence, bidder code, amount, server time."""
    return {"seq": line.seq, "bidder": line.code, "amount": fen_to_decimal_string(line.amount_fen),
            "placed_at": iso(line.placed_at), "by_proxy": line.by_proxy}


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


WATCH_LIST_MAX = 100  # ids in one ?id=...&id=... read


def _list_problem(status: str | None, ids: list[str]) -> Refusal | None:
    """What is wrong with a list request's parameters (a 400), or None."""
    if status is not None and status not in {s.value for s in AuctionStatus}:
        return InvalidStatus(allowed=[s.value for s in AuctionStatus])
    if len(ids) > WATCH_LIST_MAX or not all(map(is_database_id, ids)):
        return InvalidIds(max_ids=WATCH_LIST_MAX)
    return None


@bp.get("/auctions")
def list_auctions():
    """Auctions the caller may see, soonest end first; ?status=open filters, ?id=7&id=9 reads just those
    (a bank's watch list, in one request), each after whatever the clock owes it."""
    status, ids = request.args.get("status"), request.args.getlist("id")
    problem = _list_problem(status, ids)
    if problem is not None:
        api_caller()  # who asks comes first (401), then what is wrong with the question
        raise problem
    asked = {"ids": [int(i) for i in ids], "status": None if status is None else AuctionStatus(status)}
    session = db()
    if ids:
        rows = api_rounds(asked["ids"])  # a bank's watch list: with the token's look-up, one statement
        rows = [row for row in rows if asked["status"] in (None, AuctionStatus(row.status))]
    else:
        caller = api_caller()
        rows = rounds_for(session, caller, **asked)
    at = now()
    settled = [settle_if_due(session, row, at) for row in rows]  # every step owed, not only the first
    if any(settled):
        rows = rounds_for(session, api_caller(), **asked)
    return jsonify(auctions=[auction_json(snapshot(row, row.bidder_code), at) for row in rows], server_time=iso(at))


@bp.get("/auctions/<int:auction_id>")
def get_auction(auction_id: int):
    """One auction: price, leader, end (moved by late bids), your code, server time."""
    row = _current(auction_id)
    body = auction_json(snapshot(row, row.bidder_code), now())
    return jsonify(body)


@bp.get("/auctions/<int:auction_id>/bids")
def list_bids(auction_id: int):
    """The whole bid history in order (?after=<seq> for only the newer ones)."""
    row = _current(auction_id)
    after = query_number("after", 0, refusal=InvalidAfter())
    lines = bid_history(db(), auction_id, after)
    body = {"auction_id": auction_id, "status": AuctionStatus(row.status).value,
            "bids": [history_json(line) for line in lines], "server_time": iso(now())}
    return jsonify(body)


@bp.post("/auctions/<int:auction_id>/deposit")
def post_deposit(auction_id: int):
    """Pay the deposit and get a bidder code; paying again changes nothing and answers the same."""
    user = api_user(write=True)
    session = db()
    get_visible(session, auction_id, api_caller())  # the caller api_user already resolved
    bidder, _created = pay_deposit(session, auction_id, user.institution_id, now=now(), user=user,
                                   rules=auction_rules())
    auction = session.get(Auction, auction_id)
    session.refresh(auction)
    body = {"deposit": {"code": bidder.code, "amount": fen_to_decimal_string(bidder.deposit_fen),
                        "status": bidder.deposit_status.value, "paid_at": iso(bidder.registered_at)},
            "auction": auction_json(snapshot(auction, bidder.code), now())}
    return jsonify(body), 201


def _amount(body: dict, name: str) -> int:
    value = body.get(name)
    return parse_yuan(value, field=name)


@bp.post("/auctions/<int:auction_id>/bids")
@idempotent
def post_bid(auction_id: int):
    """Place a bid at server time; 409 when outbid or closed, 422 for a bad amount."""
    session = db()
    row = _round(auction_id, write=True)  # who asks and the round it bids on, in one read
    caller = api_caller(write=True)
    body = json_body()
    try:
        placed = place_bid(session, auction_id, institution_id=caller.institution_id,
                           amount_fen=_amount(body, "amount"), now=now(), rules=auction_rules(), read=row)
    except Refusal as error:
        raise _bid_refused(session, auction_id, caller, error) from None
    bid = {"seq": placed.seq, "amount": fen_to_decimal_string(placed.amount_fen), "bidder": placed.code,
           "placed_at": iso(placed.placed_at)}
    return jsonify(bid=bid, auction=auction_json(placed.auction, placed.placed_at)), 201


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
        error.api_extra = {"auction": auction_json(judged, now())}
    return error


@bp.post("/auctions/<int:auction_id>/proxy")
@idempotent
def post_proxy(auction_id: int):
    """Set or raise a hidden maximum; the system bids for you one increment at a time up to it."""
    caller = api_caller(write=True)
    body = json_body()
    session = db()
    at = now()
    try:
        max_fen = _amount(body, "max_amount")
        view = set_proxy(session, auction_id, institution_id=caller.institution_id, max_fen=max_fen, now=at,
                         rules=auction_rules())
    except Refusal as error:
        raise _bid_refused(session, auction_id, caller, error) from None
    return jsonify(proxy={"max_amount": fen_to_decimal_string(max_fen)}, auction=auction_json(view, at)), 200


# ---- the OpenAPI document -----------------------------------------------------------------------

_money_or_null = {"anyOf": [{"$ref": "#/components/schemas/Amount"}, {"type": "null"}]}
_time = {"type": "string", "format": "date-time"}
_time_or_null = {"anyOf": [_time, {"type": "null"}]}
COMPONENTS["schemas"].update({
    "Auction": {
        "type": "object",
        "required": ["id", "case_id", "title", "status", "starting_price", "increment", "current_price",
                     "deposit", "ends_at", "bid_count", "leader", "your_code", "server_time"],
        "properties": {
            "id": {"type": "integer"}, "case_id": {"type": "integer"}, "round": {"type": "integer"},
            "kind": {"type": "string", "enum": ["asset", "claim"]}, "title": {"type": "string"},
            "status": {"type": "string", "enum": [s.value for s in AuctionStatus]},
            "starting_price": {"$ref": "#/components/schemas/Amount"},
            "increment": {"$ref": "#/components/schemas/Amount"},
            "current_price": _money_or_null, "minimum_bid": {"$ref": "#/components/schemas/Amount"},
            "deposit": {"$ref": "#/components/schemas/Amount"}, "starts_at": _time, "ends_at": _time,
            "bid_count": {"type": "integer", "minimum": 0},
            "leader": {"type": ["string", "null"]}, "your_code": {"type": ["string", "null"]},
            "first_refusal_ends_at": _time_or_null, "payment_due_at": _time_or_null, "server_time": _time,
            "held": {"type": "boolean", "description": "On hold by a change in the IP office's register: bids are "
                     "refused (409 asset_on_hold) and the deadline is stopped until the trading centre decides."},
        },
    },
    "BidLine": {
        "type": "object", "required": ["seq", "bidder", "amount", "placed_at"],
        "properties": {"seq": {"type": "integer", "minimum": 1}, "bidder": {"type": "string"},
                       "amount": {"$ref": "#/components/schemas/Amount"}, "placed_at": _time,
                       "by_proxy": {"type": "boolean"}},
    },
})


def _json(schema: dict, description: str) -> dict:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


_ref = {"$ref": "#/components/schemas/Auction"}
_id = [{"name": "auction_id", "in": "path", "required": True, "schema": {"type": "integer"}}]
_key = {"name": "Idempotency-Key", "in": "header", "required": True,
        "schema": {"type": "string", "minLength": 1, "maxLength": 200}}


def _amount_body(name: str) -> dict:
    return {"required": True, "content": {"application/json": {"schema": {
        "type": "object", "required": [name],
        "properties": {name: {"$ref": "#/components/schemas/Amount"}}}}}}


document("/auctions", "get", summary="List auctions you may see, or just those of your watch list", parameters=[
    {"name": "status", "in": "query", "required": False,
     "schema": {"type": "string", "enum": [s.value for s in AuctionStatus]}},
    {"name": "id", "in": "query", "required": False, "style": "form", "explode": True,
     "description": "Only these auctions (repeat it: ?id=7&id=9); ids you may not see are left out",
     "schema": {"type": "array", "maxItems": WATCH_LIST_MAX,
                "items": {"type": "integer", "minimum": 0, "maximum": 99_999_999_999}}}],
    responses={"200": _json({"type": "object", "required": ["auctions", "server_time"], "properties": {
        "auctions": {"type": "array", "items": _ref}, "server_time": _time}}, "Auctions"),
        "400": "Unknown status, or an id that is not a whole number", "401": "No or bad token"})
document("/auctions/{auction_id}", "get", summary="One auction", parameters=_id,
         responses={"200": _json(_ref, "The auction"), "401": "No or bad token", "404": "No such auction"})
document("/auctions/{auction_id}/bids", "get", summary="The bid history", parameters=_id + [
    {"name": "after", "in": "query", "required": False, "schema": {"type": "integer", "minimum": 0}}],
    responses={"200": _json({"type": "object", "required": ["auction_id", "bids", "server_time"], "properties": {
        "auction_id": {"type": "integer"}, "status": {"type": "string"},
        "bids": {"type": "array", "items": {"$ref": "#/components/schemas/BidLine"}}, "server_time": _time}},
        "Accepted bids in order"), "400": "Bad after", "401": "No or bad token", "404": "No such auction"})
document("/auctions/{auction_id}/deposit", "post", summary="Pay the deposit (idempotent)", parameters=_id,
         responses={"201": _json({"type": "object", "required": ["deposit", "auction"], "properties": {
             "deposit": {"type": "object", "required": ["code", "amount", "status"], "properties": {
                 "code": {"type": "string"}, "amount": {"$ref": "#/components/schemas/Amount"},
                 "status": {"type": "string"}, "paid_at": _time}},
             "auction": _ref}}, "Registered; your bidder code"),
             "401": "No or bad token", "403": "Not eligible or barred", "404": "No such auction",
             "409": "Bidding has ended"})
document("/auctions/{auction_id}/bids", "post", summary="Place a bid", parameters=_id + [_key],
         request_body=_amount_body("amount"),
         responses={"201": _json({"type": "object", "required": ["bid", "auction"], "properties": {
             "bid": {"type": "object", "required": ["seq", "amount", "bidder", "placed_at"], "properties": {
                 "seq": {"type": "integer"}, "amount": {"$ref": "#/components/schemas/Amount"},
                 "bidder": {"type": "string"}, "placed_at": _time}}, "auction": _ref}}, "Bid accepted"),
             "400": "Missing Idempotency-Key or not a JSON object", "401": "No or bad token",
             "403": "No deposit, not eligible or barred", "404": "No such auction",
             "409": "Outbid (error outbid), already leading, not started, or closed (error closed)",
             "422": "invalid_amount, below_minimum, not_multiple_of_increment; or the key was used with another body"})
document("/auctions/{auction_id}/proxy", "post", summary="Set a hidden maximum (proxy bid)",
         parameters=_id + [_key], request_body=_amount_body("max_amount"),
         responses={"200": _json({"type": "object", "required": ["proxy", "auction"], "properties": {
             "proxy": {"type": "object", "properties": {"max_amount": {"$ref": "#/components/schemas/Amount"}}},
             "auction": _ref}}, "Maximum set; the system has bid for you if needed"),
             "400": "Missing Idempotency-Key or not a JSON object", "401": "No or bad token",
             "403": "No deposit", "404": "No such auction", "409": "Outbid or closed",
             "422": "Bad amount, or the key was used with another body"})
