"""The reference for scripts/load_bids.py --reference: the least a bid service on our stack must do.

Flask and SQLAlchemy Core on the marketplace's schema and engine set-up (market.db), no services, no
domain objects: the bearer token looked up by its hash, the bid judged and written by one conditional
UPDATE of the auction row (open, inside the window, not the leader, at least the minimum, on the grid;
the anti-sniping end) and one INSERT of the bid, the answer stored under the Idempotency-Key, all in one
transaction; the same JSON answers as /api/v1 for what the load client reads. A benchmark baseline only:
the marketplace's rules live in market/domain, and this file is never imported by it.

    gunicorn "scripts.reference_bids:create_app()"      (MARKET_DATABASE_URL names the database)
"""

from __future__ import annotations

import hashlib
import json
import os
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from flask import Flask, Response, request
from sqlalchemy.dialects import postgresql, sqlite

from market.db import make_engine
from market.domain.money import fen_to_decimal_string, parse_yuan
from market.models import ApiToken, Auction, AuctionBidder, Bid, IdempotencyRecord, User

auction, bid, bidder = Auction.__table__, Bid.__table__, AuctionBidder.__table__
token_table, user, idempotency = ApiToken.__table__, User.__table__, IdempotencyRecord.__table__

CALLER = (sa.select(user.c.id, user.c.institution_id).join(token_table, token_table.c.user_id == user.c.id)
          .where(token_table.c.token_hash == sa.bindparam("token_hash"), token_table.c.revoked_at.is_(None),
                 user.c.active.is_(True)))
AUCTION_COLUMNS = [auction.c.id, auction.c.status, auction.c.starting_price_fen, auction.c.increment_fen,
                   auction.c.starts_at, auction.c.ends_at, auction.c.extension_seconds, auction.c.bid_count,
                   auction.c.current_price_fen, auction.c.leader_institution_id, auction.c.leader_code]
ROUND = (sa.select(*AUCTION_COLUMNS, bidder.c.id.label("bidder_id"), bidder.c.code.label("your_code"))
         .outerjoin(bidder, (bidder.c.auction_id == auction.c.id)
                    & (bidder.c.institution_id == sa.bindparam("institution_id")))
         .where(auction.c.id == sa.bindparam("auction_id")))
WATCH_LIST = (sa.select(*AUCTION_COLUMNS, bidder.c.code.label("your_code"))
              .outerjoin(bidder, (bidder.c.auction_id == auction.c.id)
                         & (bidder.c.institution_id == sa.bindparam("institution_id")))
              .where(auction.c.id.in_(sa.bindparam("ids", expanding=True))).order_by(auction.c.ends_at))
HISTORY = (sa.select(bid.c.seq, bid.c.amount_fen, bid.c.placed_at, bidder.c.code)
           .join(bidder, bidder.c.id == bid.c.bidder_id).where(bid.c.auction_id == sa.bindparam("auction_id"))
           .order_by(bid.c.seq))
_c = auction.c
_now, _amount, _institution = sa.bindparam("now"), sa.bindparam("amount"), sa.bindparam("institution_id")
_late = sa.bindparam("extended")
BID = (sa.update(auction)
       .where(_c.id == sa.bindparam("auction_id"), _c.status == "open", _c.starts_at <= _now, _c.ends_at > _now,
              sa.or_(_c.leader_institution_id.is_(None), _c.leader_institution_id != _institution),
              (_amount - _c.starting_price_fen) % _c.increment_fen == 0,
              sa.or_(sa.and_(_c.bid_count == 0, _c.starting_price_fen <= _amount),
                     _c.current_price_fen + _c.increment_fen <= _amount))
       .values(bid_count=_c.bid_count + 1, current_price_fen=_amount, leader_institution_id=_institution,
               leader_code=sa.bindparam("code"), ends_at=sa.case((_c.ends_at < _late, _late), else_=_c.ends_at))
       .returning(*AUCTION_COLUMNS))
STORE = {name: dialect.insert(idempotency).values(
    user_id=sa.bindparam("user_id"), key=sa.bindparam("key"), endpoint=sa.bindparam("endpoint"),
    request_hash=sa.bindparam("request_hash"), status_code=sa.bindparam("status_code"),
    response_body=sa.bindparam("response_body", type_=sa.JSON), created_at=sa.bindparam("now"),
).on_conflict_do_nothing(index_elements=["user_id", "key"]).returning(idempotency.c.id)
    for name, dialect in (("postgresql", postgresql), ("sqlite", sqlite))}
FIND = sa.select(idempotency.c.request_hash, idempotency.c.status_code, idempotency.c.response_body).where(
    idempotency.c.user_id == sa.bindparam("user_id"), idempotency.c.key == sa.bindparam("key"))


def create_app() -> Flask:
    """The reference bid service on MARKET_DATABASE_URL."""
    app = Flask(__name__)
    engine = make_engine(os.environ["MARKET_DATABASE_URL"])

    @app.get("/api/v1/openapi.json")
    def ready():
        return _json({})

    @app.get("/api/v1/auctions")
    def watch_list():
        with engine.begin() as connection:
            caller = _caller(connection)
            if caller is None:
                return _json({"error": "unauthorized"}, 401)
            ids = [int(i) for i in request.args.getlist("id")]
            rows = connection.execute(WATCH_LIST, {"ids": ids, "institution_id": caller.institution_id}).all()
        at = datetime.now(UTC)
        return _json({"auctions": [_auction(row, at) for row in rows], "server_time": _iso(at)})

    @app.get("/api/v1/auctions/<int:auction_id>")
    def one(auction_id: int):
        with engine.begin() as connection:
            caller = _caller(connection)
            if caller is None:
                return _json({"error": "unauthorized"}, 401)
            row = connection.execute(ROUND, {"auction_id": auction_id, "institution_id": caller.institution_id}).first()
        return _json(_auction(row, datetime.now(UTC))) if row else _json({"error": "not_found"}, 404)

    @app.get("/api/v1/auctions/<int:auction_id>/bids")
    def history(auction_id: int):
        with engine.begin() as connection:
            if _caller(connection) is None:
                return _json({"error": "unauthorized"}, 401)
            lines = connection.execute(HISTORY, {"auction_id": auction_id}).all()
        return _json({"auction_id": auction_id, "bids": [
            {"seq": line.seq, "bidder": line.code, "amount": fen_to_decimal_string(line.amount_fen),
             "placed_at": _iso(line.placed_at), "by_proxy": False} for line in lines]})

    @app.post("/api/v1/auctions/<int:auction_id>/bids")
    def post_bid(auction_id: int):
        key = request.headers.get("Idempotency-Key", "").strip()
        if not key:
            return _json({"error": "idempotency_key_required"}, 400)
        raw = request.get_data()
        with engine.connect() as connection, connection.begin() as transaction:
            caller = _caller(connection)
            if caller is None:
                return _json({"error": "unauthorized"}, 401)
            status, body = _bid(connection, auction_id, caller, request.get_json(silent=True) or {})
            if status >= 400:  # a refusal changes nothing; its answer is stored alone
                transaction.rollback()
                connection.begin()
            record = {"user_id": caller.id, "key": key, "endpoint": request.path,
                      "request_hash": hashlib.sha256(request.path.encode() + b"\n" + raw).hexdigest()}
            stored = connection.execute(STORE[connection.dialect.name],
                                        record | {"status_code": status, "response_body": body,
                                                  "now": datetime.now(UTC)}).first()
            if stored is None:
                first = connection.execute(FIND, record).one()
                connection.rollback()
                if first.request_hash != record["request_hash"]:
                    return _json({"error": "idempotency_key_reused"}, 422)
                return _json(first.response_body, first.status_code)
            connection.commit()
        return _json(body, status)

    return app


def _bid(connection, auction_id: int, caller, body: dict) -> tuple[int, dict]:
    try:
        amount = parse_yuan(body.get("amount"))
    except (TypeError, ValueError):
        return 422, {"error": "invalid_amount", "message": "Send the amount as a decimal string in yuan."}
    row = connection.execute(ROUND, {"auction_id": auction_id, "institution_id": caller.institution_id}).first()
    if row is None:
        return 404, {"error": "not_found", "message": f"No auction {auction_id}."}
    if row.bidder_id is None:
        return 403, {"error": "deposit_required", "message": "Pay the deposit first."}
    now = datetime.now(UTC)
    placed = connection.execute(BID, {"auction_id": auction_id, "now": now, "amount": amount, "code": row.your_code,
                                      "institution_id": caller.institution_id,
                                      "extended": now + timedelta(seconds=row.extension_seconds)}).first()
    if placed is None:
        fresh = connection.execute(ROUND, {"auction_id": auction_id, "institution_id": caller.institution_id}).one()
        return 409, {"error": _refusal(fresh, caller, amount, now), "message": "The bid was not accepted.",
                     "auction": _auction(fresh, now)}
    connection.execute(sa.insert(bid), {"auction_id": auction_id, "seq": placed.bid_count, "bidder_id": row.bidder_id,
                                        "amount_fen": amount, "placed_at": now, "by_proxy": False})
    return 201, {"bid": {"seq": placed.bid_count, "amount": fen_to_decimal_string(amount), "bidder": row.your_code,
                         "placed_at": _iso(now)},
                 "auction": _auction(placed, now, row.your_code)}


def _refusal(row, caller, amount: int, now: datetime) -> str:
    if row.status != "open" or now >= row.ends_at:
        return "closed"
    if row.leader_institution_id == caller.institution_id:
        return "already_leading"
    return "outbid"


def _caller(connection):
    header = request.headers.get("Authorization", "")
    token = header.removeprefix("Bearer ").strip()
    digest = hashlib.sha256(token.encode()).hexdigest()
    return connection.execute(CALLER, {"token_hash": digest}).first() if header.startswith("Bearer ") else None


def _auction(row, at: datetime, your_code: str | None = None) -> dict:
    minimum = row.starting_price_fen if row.bid_count == 0 else row.current_price_fen + row.increment_fen
    money = fen_to_decimal_string
    return {"id": row.id, "status": row.status, "starting_price": money(row.starting_price_fen),
            "increment": money(row.increment_fen),
            "current_price": None if row.current_price_fen is None else money(row.current_price_fen),
            "minimum_bid": money(minimum), "ends_at": _iso(row.ends_at), "bid_count": row.bid_count,
            "leader": row.leader_code, "your_code": your_code or getattr(row, "your_code", None),
            "server_time": _iso(at)}


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _json(body, status: int = 200) -> Response:
    return Response(json.dumps(body, separators=(",", ":")), status=status, mimetype="application/json")
