"""The pure auction rules: terms, bids, anti-sniping, proxies, bidder codes, first refusal."""

import re
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from market.domain.auction import (
    AlreadyLeading,
    AuctionClosed,
    AuctionNotStarted,
    AuctionStatus,
    BelowMinimum,
    BidState,
    ClockStep,
    Holder,
    NotMultipleOfIncrement,
    Outbid,
    Proxy,
    ProxyTooHigh,
    RefusalDecision,
    Terms,
    bidder_code,
    check_bid,
    check_proxy_max,
    check_terms,
    clock_step_due,
    end_after_bid,
    first_refusal_outcome,
    free_bidder_code,
    holders_who_may_match,
    minimum_bid_fen,
    next_proxy_bid,
    suggested_increment_fen,
    suggested_rerun_start_fen,
)
from market.domain.rules import BiddingWindowTooShort, DepositOutOfRange

T0 = datetime(2026, 11, 22, 2, 0, tzinfo=UTC)
END = T0 + timedelta(hours=24)
TERMS = Terms(starting_price_fen=100_000, increment_fen=1_000, deposit_fen=10_000, starts_at=T0, ends_at=END)
FIVE = timedelta(minutes=5)


def state(bids=0, price=None, leader=None, ends_at=END, status=AuctionStatus.OPEN):
    return BidState(status, ends_at, bids, price, leader)


def test_the_first_bid_may_be_the_starting_price():
    check_bid(TERMS, state(), institution_id=1, amount_fen=100_000, now=T0)
    assert minimum_bid_fen(TERMS, state()) == 100_000


def test_a_later_bid_must_beat_the_current_price_by_the_increment():
    with pytest.raises(Outbid):
        check_bid(TERMS, state(1, 100_000, leader=2), institution_id=1, amount_fen=100_000, now=T0)
    check_bid(TERMS, state(1, 100_000, leader=2), institution_id=1, amount_fen=101_000, now=T0)


def test_a_bid_below_the_start_is_below_the_minimum():
    with pytest.raises(BelowMinimum) as error:
        check_bid(TERMS, state(), institution_id=1, amount_fen=99_000, now=T0)
    assert error.value.code == "below_minimum"


def test_bids_are_whole_multiples_of_the_increment_above_the_start():
    with pytest.raises(NotMultipleOfIncrement):
        check_bid(TERMS, state(), institution_id=1, amount_fen=100_500, now=T0)
    check_bid(TERMS, state(), institution_id=1, amount_fen=105_000, now=T0)


def test_a_leader_cannot_raise_its_own_leading_bid():
    with pytest.raises(AlreadyLeading):
        check_bid(TERMS, state(1, 100_000, leader=1), institution_id=1, amount_fen=110_000, now=T0)


def test_no_bid_is_taken_before_the_opening_or_from_the_end_on():
    with pytest.raises(AuctionNotStarted):
        check_bid(TERMS, state(), institution_id=1, amount_fen=100_000, now=T0 - timedelta(seconds=1))
    with pytest.raises(AuctionClosed):
        check_bid(TERMS, state(), institution_id=1, amount_fen=100_000, now=END)
    with pytest.raises(AuctionClosed):
        check_bid(TERMS, state(status=AuctionStatus.FIRST_REFUSAL), institution_id=1, amount_fen=100_000, now=T0)


def test_a_bid_in_the_last_five_minutes_moves_the_end_to_five_minutes_after_it():
    late = END - timedelta(minutes=2)
    assert end_after_bid(END, late, FIVE) == late + FIVE


def test_an_earlier_bid_leaves_the_end_alone():
    assert end_after_bid(END, END - timedelta(minutes=6), FIVE) == END


def test_the_extension_has_no_cap():
    end = END
    for _ in range(100):
        end = end_after_bid(end, end - timedelta(seconds=1), FIVE)
    assert end == END + 100 * (FIVE - timedelta(seconds=1))


def test_bidding_must_stay_open_at_least_24_hours():
    with pytest.raises(BiddingWindowTooShort):
        check_terms(Terms(100_000, 1_000, 10_000, T0, T0 + timedelta(hours=23, minutes=59)))
    check_terms(Terms(100_000, 1_000, 10_000, T0, T0 + timedelta(hours=24)))


@pytest.mark.parametrize("deposit", [4_999, 20_001])
def test_the_deposit_lies_between_5_and_20_percent_of_the_start(deposit):
    with pytest.raises(DepositOutOfRange):
        check_terms(Terms(100_000, 1_000, deposit, T0, END))


def test_the_suggested_increment_is_about_one_percent_in_round_yuan():
    assert suggested_increment_fen(105_000_000) == 1_000_000
    assert suggested_increment_fen(2_100_000_00) == 2_000_000


def test_a_rerun_may_start_at_most_20_percent_lower():
    assert suggested_rerun_start_fen(105_000_000) == 84_000_000


def test_bidder_codes_look_like_b_7f3k_and_are_stable_per_bidder_per_auction():
    code = bidder_code("salt-a", 42)
    assert re.fullmatch(r"B-[2-9A-HJ-NP-Z]{4}", code)
    assert bidder_code("salt-a", 42) == code
    assert bidder_code("salt-b", 42) != code  # another auction: another code
    assert free_bidder_code("salt-a", 42, {code}) != code


def test_a_hidden_maximum_bids_one_increment_above_the_current_price():
    proxies = [Proxy(7, 110_000, T0)]
    assert next_proxy_bid(TERMS, state(1, 100_000, leader=1), proxies) == (proxies[0], 101_000)


def test_a_hidden_maximum_never_bids_above_itself_or_against_its_own_lead():
    assert next_proxy_bid(TERMS, state(1, 110_000, leader=1), [Proxy(7, 110_000, T0)]) is None
    assert next_proxy_bid(TERMS, state(1, 100_000, leader=7), [Proxy(7, 200_000, T0)]) is None


def test_the_higher_maximum_answers_first_then_the_earlier_one():
    later = Proxy(8, 150_000, T0 + timedelta(minutes=1))
    earlier = Proxy(9, 150_000, T0)
    assert next_proxy_bid(TERMS, state(1, 100_000, leader=1), [Proxy(7, 120_000, T0), later, earlier])[0] is earlier


def test_a_maximum_too_far_ahead_is_refused():
    with pytest.raises(ProxyTooHigh):
        check_proxy_max(TERMS, state(), institution_id=1, max_fen=100_000 + 501 * 1_000)


def test_a_maximum_below_what_it_must_beat_is_refused():
    with pytest.raises(Outbid):
        check_proxy_max(TERMS, state(1, 120_000, leader=2), institution_id=1, max_fen=120_000)


def test_the_senior_holder_who_matches_wins_over_a_junior_one():
    holders = [Holder(1, rank=2, institution_id=11), Holder(2, rank=1, institution_id=12)]
    answers = {1: RefusalDecision.MATCH, 2: RefusalDecision.MATCH}
    assert first_refusal_outcome(holders, answers, window_over=False).holder.holder_id == 2


def test_on_equal_rank_the_holder_named_earlier_wins():
    holders = [Holder(5, rank=1, institution_id=11), Holder(3, rank=1, institution_id=12)]
    answers = {5: RefusalDecision.MATCH, 3: RefusalDecision.MATCH}
    assert first_refusal_outcome(holders, answers, window_over=False).holder.holder_id == 3


def test_a_junior_match_waits_for_the_senior_until_the_window_ends():
    holders = [Holder(1, rank=1, institution_id=11), Holder(2, rank=2, institution_id=12)]
    answers = {2: RefusalDecision.MATCH}
    assert not first_refusal_outcome(holders, answers, window_over=False).decided
    assert first_refusal_outcome(holders, answers, window_over=True).holder.holder_id == 2


def test_when_every_holder_declines_the_top_bidder_wins():
    holders = [Holder(1, rank=1, institution_id=11)]
    outcome = first_refusal_outcome(holders, {1: RefusalDecision.DECLINE}, window_over=False)
    assert outcome.decided and outcome.holder is None


def test_a_top_bidder_who_is_a_holder_yields_only_to_more_senior_holders():
    holders = [Holder(1, rank=1, institution_id=11), Holder(2, rank=2, institution_id=12),
               Holder(3, rank=3, institution_id=13)]
    assert [h.holder_id for h in holders_who_may_match(holders, top_institution_id=12)] == [1]
    assert [h.holder_id for h in holders_who_may_match(holders, top_institution_id=99)] == [1, 2, 3]


@given(st.lists(st.tuples(st.integers(1, 4), st.integers(-2, 5)), max_size=60))
def test_whatever_is_attempted_the_accepted_prices_rise_on_the_grid(attempts):
    current = state()
    accepted = []
    for bidder, steps in attempts:
        amount = minimum_bid_fen(TERMS, current) + steps * TERMS.increment_fen
        try:
            check_bid(TERMS, current, institution_id=bidder, amount_fen=amount, now=T0)
        except (Outbid, BelowMinimum, AlreadyLeading):
            continue
        accepted.append(amount)
        current = state(current.bid_count + 1, amount, leader=bidder)
    assert accepted == sorted(set(accepted))
    assert all((a - TERMS.starting_price_fen) % TERMS.increment_fen == 0 for a in accepted)


def test_the_clock_closes_a_round_at_its_end_ends_first_refusal_at_its_end_and_defaults_only_after_the_deadline():
    at = datetime(2026, 11, 22, 2, tzinfo=UTC)

    def due(status, **times):
        return clock_step_due(status, now=at, **{"ends_at": at, "first_refusal_ends_at": None,
                                                 "payment_due_at": None, **times})

    assert due(AuctionStatus.OPEN) == ClockStep.CLOSE
    assert due(AuctionStatus.OPEN, ends_at=at + timedelta(seconds=1)) is None
    assert due(AuctionStatus.FIRST_REFUSAL, first_refusal_ends_at=at) == ClockStep.END_FIRST_REFUSAL
    assert due(AuctionStatus.AWARDED, payment_due_at=at) is None
    assert due(AuctionStatus.AWARDED, payment_due_at=at - timedelta(seconds=1)) == ClockStep.DEFAULT_WINNER
    assert all(due(status) is None for status in (AuctionStatus.SOLD, AuctionStatus.FAILED, AuctionStatus.DEFAULTED,
                                                  AuctionStatus.CANCELLED))
