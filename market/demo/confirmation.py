"""Demo sale awaiting the buyer's signature: 北京银行's lot went to 工商银行 at auction last week, 工商银行 paid, the
confirmation of sale (成交确认书) was generated and 北京银行 signed it; 工商银行 signs at /cases/<id>/confirmation.

Its own borrower, loan and case (auctions.noticed_case); the round, deposits, bids, close, payment and the
seller's signature go through the services on a clock that ends before now.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa
import sqlalchemy.orm as so

from market.demo.auctions import noticed_case
from market.models import DisposalCase, IPKind, User
from market.services.auctions import open_auction, pay_deposit
from market.services.audit import Actor
from market.services.bidding import place_bid
from market.services.closing import close_auction, record_payment
from market.services.sale_confirmations import sign_confirmation

MARKER = "DC-AUC-DEMO-5"
YUAN = 100


def seed(session: so.Session, now: datetime) -> bool:
    """Create the sold lot with its confirmation signed by the seller once."""
    if session.scalar(sa.select(DisposalCase.id).where(DisposalCase.reference == MARKER)):
        return False
    people = {u.email.split("@")[0]: u for u in session.scalars(
        sa.select(User).where(User.email.in_([f"{n}@demo.test" for n in ("operator", "bank1", "bank2", "aic")])))}
    if len(people) < 4:
        return False  # the core demo (institutions and accounts) comes first
    operator = Actor.of(people["operator"])
    opened_at = now - timedelta(days=8)
    appraisal = 1_800_000 * YUAN
    case = noticed_case(session, 11, MARKER, "供应链协同平台V3.2计算机软件著作权", IPKind.COPYRIGHT,
                        "2023SR0456789", "北京链通云软件科技有限公司", "软件和信息服务", appraisal,
                        people["bank2"].institution, notice_ended_at=opened_at - timedelta(hours=1))
    start, increment = appraisal * 7 // 10, 10_000 * YUAN
    auction = open_auction(session, case.id, starting_price_fen=start, increment_fen=increment, deposit_fen=start // 10,
                           starts_at=opened_at, ends_at=opened_at + timedelta(days=2), actor=operator, now=opened_at)
    for who in ("bank1", "aic"):
        pay_deposit(session, auction.id, people[who].institution_id, now=opened_at + timedelta(minutes=30),
                    user=people[who])
    for step, who in enumerate(("aic", "bank1", "aic", "bank1")):
        place_bid(session, auction.id, institution_id=people[who].institution_id,
                  amount_fen=start + step * increment, now=opened_at + timedelta(hours=3 + 5 * step))
    closed_at = auction.ends_at + timedelta(minutes=1)
    close_auction(session, auction.id, now=closed_at)
    record_payment(session, auction.id, actor=operator, now=closed_at + timedelta(days=3))
    sign_confirmation(session, case.id, user=people["bank2"], now=closed_at + timedelta(days=3, hours=4))
    return True
