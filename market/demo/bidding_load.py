"""The arrangement of scripts/load_bids.py: auctions open for two days, and bidder banks with API tokens
whose deposits are paid in every one. Built on the core demo (its trading-centre operator) through the
services, like the rest of the demo; not part of `seed-demo`."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

import sqlalchemy as sa
import sqlalchemy.orm as so

from market.demo import core
from market.demo.auctions import noticed_case
from market.domain.roles import InstitutionKind, Role
from market.models import Institution, IPKind, User
from market.services.accounts import create_api_token, hash_password
from market.services.auctions import open_auction, pay_deposit
from market.services.audit import Actor

APPRAISAL = 150_000_000  # ¥1,500,000
START = 105_000_000  # ¥1,050,000: 70 % of the appraisal, the case's list price
INCREMENT = 10_000  # ¥100: small, so bidders rarely run out of room in a run
DEPOSIT = 10_500_000  # 10 % of the start


def arrange_bidding_load(session: so.Session, now: datetime, *, bidders: int,
                         auctions: int) -> tuple[list[int], list[str]]:
    """Open `auctions` rounds ending in two days and make `bidders` banks, each with one user whose API
    token is returned and whose deposit is paid in every round; returns (auction ids, tokens)."""
    core.seed(session, now)
    operator, filer = (session.scalar(sa.select(User).where(User.email == f"{who}@demo.test"))
                       for who in ("operator", "bank1"))
    password_hash = hash_password(secrets.token_urlsafe(16))  # nobody logs in: the bidders use tokens
    users = []
    for i in range(bidders):
        bank = Institution(name=f"压测银行{i:03d}", kind=InstitutionKind.BANK, credit_code=f"91LOADTEST{i:08d}",
                           region="北京", licensed_financial=True)
        users.append(User(email=f"bidder{i:03d}@load.test", display_name=f"压测银行{i:03d}", role=Role.BANK,
                          institution=bank, password_hash=password_hash))
    session.add_all(users)
    session.flush()
    tokens = [create_api_token(session, user, label="load test") for user in users]
    auction_ids = []
    for i in range(auctions):
        # index 900 + i keeps its registry numbers apart from the demo auctions' (0-3)
        case = noticed_case(session, 900 + i, f"DC-LOAD-{i:04d}", f"一种压测专用装置{i}", IPKind.PATENT,
                            f"ZL2026LOAD{i:06d}.X", f"压测科技有限公司{i}", "集成电路", APPRAISAL,
                            filer.institution, notice_ended_at=now - timedelta(days=1))
        auction = open_auction(session, case.id, starting_price_fen=START, increment_fen=INCREMENT,
                               deposit_fen=DEPOSIT, ends_at=now + timedelta(days=2), actor=Actor.of(operator),
                               now=now)
        auction_ids.append(auction.id)
        for user in users:
            pay_deposit(session, auction.id, user.institution_id, now=now, user=user)
    return auction_ids, tokens
