"""Correct under concurrency, on SQLite and on PostgreSQL (MARKET_TEST_DATABASE_URL).

16 threads place 1,000 accepted bids in total on one auction; 16 threads (the tick, page views and
direct calls) race to close one auction. Each thread uses its own session. Invariants are checked
afterwards: nothing lost, no gaps, prices rising, price = highest accepted bid, one outcome.
"""

from __future__ import annotations

import random
import threading
from collections import Counter
from datetime import timedelta

import sqlalchemy as sa

from market.db import unit_of_work
from market.domain.auction import AlreadyLeading, AuctionStatus, Outbid
from market.domain.ledger import Movement
from market.models import Auction, AuctionBidder, AuctionResult, Bid, LedgerTransaction
from market.services.accounts import create_api_token
from market.services.audit import timeline, verify_chain
from market.services.bidding import place_bid
from market.services.closing import close_auction
from market.services.tick import run_due
from tests.factories_auctions import START, make_bidder, open_round

THREADS = 16
TOTAL_BIDS = 1_000
STEP = 100  # ¥1 increments, so 1,000 bids stay small numbers


def _run(threads):
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=240)
    assert not any(thread.is_alive() for thread in threads), "a worker hung"


def test_sixteen_threads_placing_a_thousand_bids_lose_nothing_and_leave_no_gap(app, session, clock):
    auction = open_round(session, clock, increment=STEP)
    users = [make_bidder(session, clock, auction)[0] for _ in range(THREADS)]
    auction_id, institutions = auction.id, [u.institution_id for u in users]  # plain values for the threads
    session.rollback()  # hold no transaction (on SQLite: no write lock) while the threads run
    clock.advance(hours=23, minutes=59)  # every bid lands in the last five minutes: all of them extend
    sessions = app.extensions["market.sessions"]
    slots = [TOTAL_BIDS]
    lock = threading.Lock()
    accepted: list[tuple[int, int, int, str]] = []
    refused: Counter = Counter()
    errors: list[BaseException] = []
    start = threading.Barrier(THREADS)

    def take_slot() -> bool:
        with lock:
            if slots[0] == 0:
                return False
            slots[0] -= 1
            return True

    def bidder(index: int) -> None:
        rng = random.Random(index)
        institution_id = institutions[index]
        try:
            with sessions() as own:
                start.wait()
                while take_slot():
                    while True:
                        row = own.execute(sa.select(Auction.bid_count, Auction.current_price_fen)
                                          .where(Auction.id == auction_id)).one()
                        own.rollback()
                        floor = START if row.bid_count == 0 else row.current_price_fen + STEP
                        amount = floor + rng.randint(0, 15) * STEP  # spread: fewer doomed collisions
                        try:
                            with unit_of_work(own):
                                placed = place_bid(own, auction_id, institution_id=institution_id,
                                                   amount_fen=amount, now=clock())
                        except Outbid:
                            refused["outbid"] += 1
                            continue
                        except AlreadyLeading:
                            refused["leading"] += 1
                            with lock:
                                slots[0] += 1  # give the slot to someone who is not leading
                            break
                        with lock:
                            accepted.append((placed.seq, placed.amount_fen, institution_id, placed.code))
                        break
        except BaseException as error:  # noqa: BLE001 (reported below)
            errors.append(error)

    _run([threading.Thread(target=bidder, args=(i,)) for i in range(THREADS)])
    assert not errors, errors[:3]

    session.expire_all()
    row = session.get(Auction, auction.id)
    history = session.execute(
        sa.select(Bid.seq, Bid.amount_fen, AuctionBidder.institution_id, AuctionBidder.code)
        .join(AuctionBidder, AuctionBidder.id == Bid.bidder_id)
        .where(Bid.auction_id == auction.id).order_by(Bid.seq)
    ).all()
    assert len(accepted) == TOTAL_BIDS
    assert [h.seq for h in history] == list(range(1, TOTAL_BIDS + 1)), "the sequence has a gap"
    assert sorted(accepted) == [tuple(h) for h in history], "an accepted bid is missing from the history"
    amounts = [h.amount_fen for h in history]
    assert all(a < b for a, b in zip(amounts, amounts[1:], strict=False)), "prices must strictly rise"
    assert all(a.institution_id != b.institution_id for a, b in zip(history, history[1:], strict=False))
    assert row.bid_count == TOTAL_BIDS
    assert row.current_price_fen == max(amounts) == history[-1].amount_fen
    assert row.leader_institution_id == history[-1].institution_id and row.leader_code == history[-1].code
    assert row.ends_at == clock() + timedelta(minutes=5)


def test_sixteen_racing_closers_produce_exactly_one_outcome(app, session, clock):
    auction = open_round(session, clock)
    users = [make_bidder(session, clock, auction)[0] for _ in range(3)]
    with unit_of_work(session):  # and hold no transaction (on SQLite: no write lock) while the threads run
        for step, user in enumerate(users):
            place_bid(session, auction.id, institution_id=user.institution_id, amount_fen=START + step * 1_000_000,
                      now=clock())
    auction_id = auction.id  # a plain value for the threads (objects belong to this thread's session)
    clock.advance(hours=24, seconds=1)
    sessions = app.extensions["market.sessions"]
    closed: list[bool] = []
    errors: list[BaseException] = []
    start = threading.Barrier(THREADS)

    def closer(index: int) -> None:
        try:
            if index % 3 == 2:  # a page view does what the clock owes the auction
                client = app.test_client()
                start.wait()
                assert client.get(f"/auctions/{auction_id}").status_code == 200
                return
            with sessions() as own:
                start.wait()
                if index % 3 == 0:
                    with unit_of_work(own):
                        closed.append(close_auction(own, auction_id, now=clock()))
                else:
                    closed.append(run_due(own, clock())["auctions: close ended rounds"] == 1)
        except BaseException as error:  # noqa: BLE001 (reported below)
            errors.append(error)

    _run([threading.Thread(target=closer, args=(i,)) for i in range(THREADS)])
    assert not errors, errors[:3]

    session.expire_all()
    assert closed.count(True) <= 1
    results = session.scalars(sa.select(AuctionResult).where(AuctionResult.auction_id == auction.id)).all()
    assert len(results) == 1 and results[0].winner_institution_id == users[-1].institution_id
    assert session.get(Auction, auction.id).status == AuctionStatus.AWARDED
    case_moves = [e.action for e in timeline(session, "case", auction.case_id)]
    assert case_moves.count("auction_won") == 1
    refunds = session.scalars(sa.select(LedgerTransaction.institution_id).where(
        LedgerTransaction.movement == Movement.DEPOSIT_REFUNDED)).all()
    assert sorted(refunds) == sorted(u.institution_id for u in users[:-1])
    assert verify_chain(session).ok


def test_sixteen_concurrent_retries_of_one_bid_place_it_once_and_all_get_its_answer(app, session, clock):
    auction = open_round(session, clock)
    user, _code = make_bidder(session, clock, auction)
    with unit_of_work(session):  # and hold no transaction (on SQLite: no write lock) while the threads run
        headers = {"Authorization": f"Bearer {create_api_token(session, user)}", "Idempotency-Key": "one-bid"}
    auction_id = auction.id
    answers: list[tuple[int, dict]] = []
    errors: list[BaseException] = []
    start = threading.Barrier(THREADS)

    def retry(_index: int) -> None:
        try:
            client = app.test_client()
            start.wait()
            response = client.post(f"/api/v1/auctions/{auction_id}/bids", json={"amount": "1050000.00"},
                                   headers=headers)
            answers.append((response.status_code, response.get_json()))
        except BaseException as error:  # noqa: BLE001 (reported below)
            errors.append(error)

    _run([threading.Thread(target=retry, args=(i,)) for i in range(THREADS)])
    assert not errors, errors[:3]

    assert len(answers) == THREADS and all(answer == answers[0] for answer in answers), Counter(
        status for status, _ in answers)
    assert answers[0][0] == 201 and answers[0][1]["bid"]["seq"] == 1
    session.expire_all()
    assert session.scalar(sa.select(sa.func.count()).select_from(Bid).where(Bid.auction_id == auction_id)) == 1
    assert session.get(Auction, auction_id).bid_count == 1
