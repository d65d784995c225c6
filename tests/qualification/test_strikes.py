"""Winners who leave lots unpaid get strikes; enough of them ban the institution from new lots until the
operator lifts the ban with a reason."""

import pytest
import sqlalchemy as sa

from market.db import unit_of_work
from market.domain.auction import AuctionRules
from market.domain.qualification import (
    BanAlreadyLifted,
    BannedFromBidding,
    DecisionReasonMissing,
    StrikeRules,
)
from market.models import AuditEvent, BiddingStrike
from market.services import strikes
from market.services.auctions import pay_deposit
from market.services.audit import Actor
from market.services.bidding import place_bid
from market.services.closing import close_auction, record_default
from tests.factories import make_user
from tests.factories_auctions import START, make_bidder, make_operator, make_ready_case, open_round
from tests.factories_qualification import add_condition, register_with_proofs, win_and_leave_unpaid


def _lift(session, clock, ban, reason="已补缴价款并书面承诺"):
    with unit_of_work(session):
        return strikes.lift_ban(session, ban.id, reason=reason, actor=Actor.of(make_operator(session)), now=clock())


def test_one_unpaid_win_is_a_strike_and_no_ban(session, clock):
    bank = make_user(session)
    auction = win_and_leave_unpaid(session, clock, bank)
    [strike] = strikes.strikes_of(session, bank.institution_id)
    assert (strike.auction_id, strike.case_id) == (auction.id, auction.case_id)
    assert strikes.ban_in_force(session, bank.institution_id) is None


def test_a_second_unpaid_win_bans_the_institution_from_new_lots(session, clock):
    bank = make_user(session)
    win_and_leave_unpaid(session, clock, bank)
    win_and_leave_unpaid(session, clock, bank)
    ban = strikes.ban_in_force(session, bank.institution_id)
    assert ban is not None and ban.strike_count == 2
    fresh = open_round(session, clock)
    with pytest.raises(BannedFromBidding), unit_of_work(session):
        pay_deposit(session, fresh.id, bank.institution_id, now=clock(), user=bank)
    actions = [e.action for e in session.scalars(sa.select(AuditEvent).where(AuditEvent.entity_type == "institution"))]
    assert actions == ["strike_recorded", "strike_recorded", "bidding_banned"]


def test_a_banned_institution_cannot_start_a_registration_for_a_lot_with_conditions(session, clock):
    bank = make_user(session)
    win_and_leave_unpaid(session, clock, bank)
    win_and_leave_unpaid(session, clock, bank)
    case = make_ready_case(session, clock)
    open_round(session, clock, case)
    add_condition(session, clock, case)
    with pytest.raises(BannedFromBidding), unit_of_work(session):
        register_with_proofs(session, clock, case, bank, submit=False)


def test_lifting_needs_a_reason_and_opens_new_lots_again_with_the_old_strikes_forgiven(session, clock):
    bank = make_user(session)
    win_and_leave_unpaid(session, clock, bank)
    win_and_leave_unpaid(session, clock, bank)
    ban = strikes.ban_in_force(session, bank.institution_id)
    with pytest.raises(DecisionReasonMissing):
        _lift(session, clock, ban, reason="")
    lifted = _lift(session, clock, ban)
    assert lifted.lift_reason == "已补缴价款并书面承诺" and lifted.lifted_at == clock()
    with pytest.raises(BanAlreadyLifted):
        _lift(session, clock, ban)
    fresh = open_round(session, clock)
    with unit_of_work(session):
        pay_deposit(session, fresh.id, bank.institution_id, now=clock(), user=bank)
    clock.advance(days=1)
    win_and_leave_unpaid(session, clock, bank)
    assert strikes.ban_in_force(session, bank.institution_id) is None  # one strike counts since the lift


def test_a_round_is_struck_once_and_a_lower_limit_bans_sooner(session, clock):
    bank = make_user(session)
    auction = win_and_leave_unpaid(session, clock, bank)
    assert session.scalar(sa.select(sa.func.count(BiddingStrike.id))) == 1
    with unit_of_work(session):
        ban = strikes.record_strike(session, institution_id=bank.institution_id, case_id=auction.case_id,
                                    auction_id=auction.id, now=clock(), actor=Actor.system(),
                                    rules=StrikeRules(limit=1))
    assert ban is None  # the same round is struck once
    second = open_round(session, clock)
    with unit_of_work(session):
        ban = strikes.record_strike(session, institution_id=bank.institution_id, case_id=second.case_id,
                                    auction_id=second.id, now=clock(), actor=Actor.system(),
                                    rules=StrikeRules(limit=1))
    assert ban is not None and ban.strike_count == 2


def test_a_default_recorded_with_the_centre_rules_uses_its_strike_limit(session, clock):
    bank = make_user(session)
    rules = AuctionRules(strikes=StrikeRules(limit=1))
    auction = open_round(session, clock)
    make_bidder(session, clock, auction, institution=bank.institution)
    with unit_of_work(session):
        place_bid(session, auction.id, institution_id=bank.institution_id, amount_fen=START, now=clock())
    clock.advance(hours=25)
    with unit_of_work(session):
        close_auction(session, auction.id, now=clock())
    clock.advance(days=11)
    with unit_of_work(session):
        record_default(session, auction.id, now=clock(), rules=rules)
    assert strikes.ban_in_force(session, bank.institution_id) is not None
