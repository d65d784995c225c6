"""The generated history walks every disposal route through the real services, and seeding it is idempotent."""

from __future__ import annotations

import sqlalchemy as sa

from market.demo.history import Truth, history_size
from market.domain.auction import AuctionStatus
from market.domain.workflow import Channel
from market.models import (
    Auction,
    AuctionBar,
    DisposalCase,
    EquityPosition,
    Licence,
    Loan,
    UserNotice,
)
from market.services.calibration import disposed_cases
from market.services.ledger import check_ledger

# many direct licences and conversions and many unpaid wins, so a short history shows each of them
EVERY_ROUTE = Truth(seed=11, bidders_mean=1.2, winner_defaults=0.5, direct_share=0.4, licence_share=0.5)


def test_a_history_has_winners_who_did_not_pay_and_licences_and_conversions_through_the_desks(history, session):
    history(24, EVERY_ROUTE)

    channels = set(session.scalars(sa.select(DisposalCase.channel).join(Loan).where(Loan.contract_number.like("HIST-%"))))
    assert {Channel.AUCTION, Channel.LICENSING, Channel.CONVERSION} <= channels
    defaulted = session.scalars(sa.select(Auction).where(Auction.status == AuctionStatus.DEFAULTED)).all()
    assert defaulted and session.scalar(sa.select(sa.func.count(AuctionBar.id))) == len(defaulted)
    # the desk services left their records: a signed licence per licensed case, an equity position per conversion
    assert session.scalar(sa.select(sa.func.count(Licence.id))) == _count(session, Channel.LICENSING)
    assert session.scalar(sa.select(sa.func.count(EquityPosition.id))) == _count(session, Channel.CONVERSION)
    assert check_ledger(session).ok
    records = disposed_cases(session)
    assert sum(r.defaulted for c in records for r in c.rounds) == len(defaulted)
    assert any(c.channel in ("licensing", "conversion") and not c.rounds for c in records)  # straight after notice


def test_the_notices_a_history_raised_are_read_already(history, session):
    history(6, EVERY_ROUTE)

    raised = session.scalar(sa.select(sa.func.count(UserNotice.id)))
    unread = session.scalar(sa.select(sa.func.count(UserNotice.id)).where(UserNotice.read_at.is_(None)))
    assert raised > 0 and unread == 0  # its people read them years ago: a demo list is not buried in them


def test_seeding_the_history_again_adds_nothing_and_says_so(app, session):
    runner = app.test_cli_runner()

    with app.app_context():
        first = runner.invoke(args=["seed-demo", "--history", "3"])
        again = runner.invoke(args=["seed-demo", "--history", "3"])
        longer = runner.invoke(args=["seed-demo", "--history", "4"])

    assert first.exit_code == again.exit_code == longer.exit_code == 0, first.output + again.output
    assert "3 past disposed cases added" in first.output
    assert "already has at least 3 cases; none were added" in again.output
    assert "1 past disposed cases added; the calibration history has 4 cases" in longer.output
    assert history_size(session) == 4


def _count(session, channel: Channel) -> int:
    return session.scalar(sa.select(sa.func.count(DisposalCase.id)).join(Loan)
                          .where(Loan.contract_number.like("HIST-%"), DisposalCase.channel == channel))
