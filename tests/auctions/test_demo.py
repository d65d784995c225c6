"""seed-demo leaves auctions to try: at least two open for a day or more, the demo banks able to bid."""

from datetime import timedelta

import sqlalchemy as sa

from market.demo import auctions as demo_auctions
from market.demo import core as demo_core
from market.demo.bidding_load import START, arrange_bidding_load
from market.domain.auction import AuctionStatus, DepositStatus
from market.domain.workflow import CaseState
from market.models import Auction, AuctionBidder, DisposalCase, User
from market.services.auctions import pay_deposit
from market.services.bidding import place_bid


def test_the_demo_leaves_two_rounds_open_for_a_day_that_the_demo_banks_may_join(session, clock):
    demo_core.seed(session, clock())
    assert demo_auctions.seed(session, clock())
    assert not demo_auctions.seed(session, clock())  # a second run changes nothing
    open_rounds = session.scalars(sa.select(Auction).where(Auction.status == AuctionStatus.OPEN)).all()
    assert len(open_rounds) >= 2
    assert all(a.ends_at >= clock() + timedelta(days=1) and a.starts_at <= clock() for a in open_rounds)
    for email in ("bank1@demo.test", "bank2@demo.test", "bank3@demo.test"):
        bank = session.scalar(sa.select(User).where(User.email == email))
        for auction in open_rounds:
            bidder, _created = pay_deposit(session, auction.id, bank.institution_id, now=clock(), user=bank)
            assert bidder.deposit_status in (DepositStatus.HELD, DepositStatus.EXEMPT)


def test_the_demo_also_shows_an_awarded_round_and_a_failed_one_ready_for_its_rerun(session, clock):
    demo_core.seed(session, clock())
    demo_auctions.seed(session, clock())
    statuses = sorted(a.status.value for a in session.scalars(sa.select(Auction)))
    assert statuses == ["awarded", "failed", "open", "open"]
    failed = session.scalar(sa.select(DisposalCase).where(DisposalCase.reference == "DC-AUC-DEMO-4"))
    assert failed.state == CaseState.AWAITING_CHANNEL and failed.failed_rounds == 1


def test_the_bidding_load_opens_rounds_every_load_bidder_has_paid_into_and_may_bid_in(session, clock):
    auction_ids, tokens = arrange_bidding_load(session, clock(), bidders=3, auctions=2)
    assert len(auction_ids) == 2 and len(set(tokens)) == 3
    bidders = session.scalars(sa.select(AuctionBidder).where(AuctionBidder.auction_id.in_(auction_ids))).all()
    assert len(bidders) == 6 and all(b.deposit_status == DepositStatus.HELD for b in bidders)
    for auction_id in auction_ids:
        place_bid(session, auction_id, institution_id=bidders[0].institution_id, amount_fen=START, now=clock())
    assert all(session.get(Auction, a).current_price_fen == START for a in auction_ids)
