"""Every (state, action) pair: it moves exactly as specified here, or raises the named rule break.

The expected outcomes are written out by hand (not read from the module), one case snapshot per situation.
"""

from datetime import UTC, date, datetime, timedelta
from itertools import product

import pytest

from market.domain import workflow as wf
from market.domain.roles import Role
from market.domain.workflow import CaseAction as A
from market.domain.workflow import CaseFacts, Channel
from market.domain.workflow import CaseState as S

NOW = datetime(2026, 11, 22, 2, 0, tzinfo=UTC)
CHECKED = frozenset(wf.REVIEW_CHECKS)
VALUED = dict(appraised_value_fen=100_000_000, valuation_report_ref="京评报字[2026]第7号",
              valued_on=date(2026, 11, 1), checks=CHECKED)
NOTICED = dict(VALUED, notice_published_at=NOW - timedelta(days=40), notice_ends_at=NOW - timedelta(days=10),
               listed=True)
SOLD = dict(NOTICED, channel=Channel.AUCTION, last_start_price_fen=70_000_000, sale_price_fen=80_000_000,
            payment_due_at=NOW + timedelta(days=5))
DONE = dict(SOLD, payment_due_at=None, recovery_fen=80_000_000, disposed_at=NOW - timedelta(days=3))

SITUATIONS = {
    "filed": CaseFacts(S.FILED),
    "under review": CaseFacts(S.UNDER_REVIEW),
    "returned": CaseFacts(S.RETURNED),
    "rejected": CaseFacts(S.REJECTED),
    "verified": CaseFacts(S.VERIFIED, checks=CHECKED),
    "valued": CaseFacts(S.VALUED, **VALUED),
    "notice published, period over": CaseFacts(S.NOTICE_PUBLISHED, **NOTICED),
    "auction round 1": CaseFacts(S.AUCTION, **dict(NOTICED, channel=Channel.AUCTION, last_start_price_fen=70_000_000)),
    "awaiting channel after one failed round": CaseFacts(
        S.AWAITING_CHANNEL, **dict(NOTICED, channel=Channel.AUCTION, failed_rounds=1, last_start_price_fen=70_000_000)),
    "awaiting channel after the negotiated sale lapsed": CaseFacts(
        S.AWAITING_CHANNEL, **dict(NOTICED, channel=Channel.NEGOTIATED_SALE, failed_rounds=2,
                                   last_start_price_fen=56_000_000, negotiated_sale_ends_at=NOW - timedelta(days=1),
                                   negotiated_sale_lapsed_at=NOW - timedelta(days=1))),
    "negotiated sale running": CaseFacts(
        S.NEGOTIATED_SALE, **dict(NOTICED, channel=Channel.NEGOTIATED_SALE, failed_rounds=2,
                                  last_start_price_fen=56_000_000, negotiated_sale_ends_at=NOW + timedelta(days=30))),
    "licensing": CaseFacts(S.LICENSING, **dict(NOTICED, channel=Channel.LICENSING)),
    "conversion": CaseFacts(S.CONVERSION, **dict(NOTICED, channel=Channel.CONVERSION)),
    "claim transfer": CaseFacts(S.CLAIM_TRANSFER, **dict(NOTICED, channel=Channel.CLAIM_TRANSFER)),
    "awaiting payment after an auction": CaseFacts(S.AWAITING_PAYMENT, **SOLD),
    "disposed": CaseFacts(S.DISPOSED, **DONE),
    "settled": CaseFacts(S.SETTLED, **dict(DONE, settled_at=NOW - timedelta(days=1))),
    "transfer recorded": CaseFacts(S.TRANSFER_RECORDED, **dict(DONE, settled_at=NOW - timedelta(days=2),
                                                               transfer_recorded_at=NOW - timedelta(days=1))),
    "closed": CaseFacts(S.CLOSED, **dict(DONE, closed_at=NOW - timedelta(days=1))),
    "withdrawn": CaseFacts(S.WITHDRAWN, withdrawn_amount_fen=1),
    "suspended during the notice": CaseFacts(S.SUSPENDED, **dict(NOTICED, suspended_from=S.NOTICE_PUBLISHED,
                                                                  suspended_at=NOW - timedelta(days=20))),
}

# What may happen in each situation; every other action raises ActionNotAllowed.
PAUSE_OR_PAY = {A.SUSPEND: S.SUSPENDED, A.WITHDRAW: S.WITHDRAWN}
CHANNELS_FIRST = {A.OPEN_AUCTION: S.AUCTION, A.START_NEGOTIATED_SALE: wf.NegotiatedSaleTooEarly,
                  A.START_LICENSING: S.LICENSING, A.START_CONVERSION: S.CONVERSION,
                  A.START_CLAIM_TRANSFER: S.CLAIM_TRANSFER, A.RECORD_VALUATION: S.VALUED}
EXPECTED = {
    "filed": {A.START_REVIEW: S.UNDER_REVIEW, **PAUSE_OR_PAY},
    "under review": {A.VERIFY: S.VERIFIED, A.RETURN_TO_BANK: S.RETURNED, A.REJECT: S.REJECTED, **PAUSE_OR_PAY},
    "returned": {A.RESUBMIT: S.FILED, **PAUSE_OR_PAY},
    "rejected": {},
    "verified": {A.RECORD_VALUATION: S.VALUED, **PAUSE_OR_PAY},
    "valued": {A.RECORD_VALUATION: S.VALUED, A.PUBLISH_NOTICE: S.NOTICE_PUBLISHED, **PAUSE_OR_PAY},
    "notice published, period over": {**CHANNELS_FIRST, **PAUSE_OR_PAY},
    "auction round 1": {A.AUCTION_FAILED: S.AWAITING_CHANNEL, A.AUCTION_WON: S.AWAITING_PAYMENT, **PAUSE_OR_PAY},
    "awaiting channel after one failed round": {
        **CHANNELS_FIRST, A.START_LICENSING: wf.ChannelOutOfOrder, A.START_CONVERSION: wf.ChannelOutOfOrder,
        A.START_CLAIM_TRANSFER: wf.ChannelOutOfOrder, **PAUSE_OR_PAY},
    "awaiting channel after the negotiated sale lapsed": {
        **CHANNELS_FIRST, A.OPEN_AUCTION: wf.AuctionRoundsExhausted, A.START_NEGOTIATED_SALE: wf.NegotiatedSaleOver,
        **PAUSE_OR_PAY},
    "negotiated sale running": {A.NEGOTIATED_SALE_AGREED: S.AWAITING_PAYMENT,
                                A.NEGOTIATED_SALE_LAPSED: wf.DeadlineNotReached, **PAUSE_OR_PAY},
    "licensing": {A.LICENCE_GRANTED: S.DISPOSED, A.LICENSING_FAILED: S.AWAITING_CHANNEL, **PAUSE_OR_PAY},
    "conversion": {A.CONVERSION_EXECUTED: S.DISPOSED, A.CONVERSION_ABANDONED: S.AWAITING_CHANNEL, **PAUSE_OR_PAY},
    "claim transfer": {A.CLAIM_TRANSFERRED: S.DISPOSED, A.CLAIM_TRANSFER_FAILED: S.AWAITING_CHANNEL, **PAUSE_OR_PAY},
    "awaiting payment after an auction": {A.BUYER_PAID: S.DISPOSED, A.BUYER_DEFAULTED: S.AWAITING_CHANNEL,
                                          A.SECOND_BIDDER_ACCEPTED: S.AWAITING_PAYMENT, A.SUSPEND: S.SUSPENDED},
    "disposed": {A.SETTLE: S.SETTLED, A.SUSPEND: S.SUSPENDED},
    "settled": {A.RECORD_TRANSFER: S.TRANSFER_RECORDED, A.SUSPEND: S.SUSPENDED},
    "transfer recorded": {A.CLOSE: S.CLOSED, A.SUSPEND: S.SUSPENDED},
    "closed": {},
    "withdrawn": {},
    "suspended during the notice": {A.RESUME: S.NOTICE_PUBLISHED, A.WITHDRAW: S.WITHDRAWN},
}
# Valid inputs for every action, so that only the state and the situation decide the outcome.
PARAMS = {
    A.VERIFY: dict(checks=wf.REVIEW_CHECKS),
    A.RECORD_VALUATION: dict(appraised_value_fen=90_000_000, report_ref="京评报字[2026]第8号", valued_on=date(2026, 11, 20)),
    A.PUBLISH_NOTICE: dict(start_price_fen=70_000_000, deposit_share_ppm=100_000, encumbrances="none known"),
    A.OPEN_AUCTION: dict(start_price_fen=70_000_000),
    A.AUCTION_WON: dict(price_fen=80_000_000, buyer_name="北京银行"),
    A.SECOND_BIDDER_ACCEPTED: dict(price_fen=79_000_000, buyer_institution_id=7),
    A.NEGOTIATED_SALE_AGREED: dict(price_fen=56_000_000, buyer_name="深圳市华科创新投资有限公司"),
    A.LICENCE_GRANTED: dict(recovery_fen=30_000_000),
    A.CONVERSION_EXECUTED: dict(recovery_fen=60_000_000),
    A.CLAIM_TRANSFERRED: dict(recovery_fen=65_000_000),
    A.WITHDRAW: dict(paid_by_debtor_fen=100_000_000),
}
ROLE_OF = {A.RESUBMIT: Role.BANK}


@pytest.mark.parametrize(("situation", "action"), list(product(SITUATIONS, A)),
                         ids=lambda value: str(getattr(value, "value", value)).replace(" ", "_"))
def test_every_state_and_action_moves_as_specified_or_raises_the_named_rule(situation, action):
    case = SITUATIONS[situation]
    expected = EXPECTED[situation].get(action, wf.ActionNotAllowed)
    attempt = lambda: wf.apply(case, action, role=ROLE_OF.get(action, Role.OPERATOR), now=NOW,  # noqa: E731
                               reason="A reason given by the operator.", **PARAMS.get(action, {}))
    if isinstance(expected, type):
        with pytest.raises(expected):
            attempt()
    else:
        assert attempt().to_state == expected


def test_the_table_knows_no_pair_that_the_specification_does_not():
    specified = {(SITUATIONS[name].state, action) for name, outcomes in EXPECTED.items() for action in outcomes}
    assert set(wf.TRANSITIONS) <= specified | {(S.AWAITING_PAYMENT, A.BUYER_DEFAULTED)}
    assert {state for state, _ in wf.TRANSITIONS} | wf.TERMINAL == set(S)


def test_terminal_states_allow_nothing():
    for state in (S.REJECTED, S.WITHDRAWN, S.CLOSED):
        assert wf.allowed_actions(state) == []


def test_the_last_failed_round_opens_the_negotiated_sale_at_the_last_price():
    case = CaseFacts(S.AUCTION, **dict(NOTICED, channel=Channel.AUCTION, failed_rounds=1, last_start_price_fen=56_000_000))
    move = wf.apply(case, A.AUCTION_FAILED, role=Role.SYSTEM, now=NOW)
    assert move.to_state == S.NEGOTIATED_SALE
    assert move.changes["list_price_fen"] == 56_000_000
    assert move.changes["negotiated_sale_ends_at"] == NOW + timedelta(days=60)
    assert move.changes["due_at"] == NOW + timedelta(days=60)


def test_a_negotiated_sale_buyer_who_does_not_pay_reopens_the_sale_while_its_period_runs():
    running = CaseFacts(S.AWAITING_PAYMENT, **dict(
        SOLD, channel=Channel.NEGOTIATED_SALE, failed_rounds=2, negotiated_sale_ends_at=NOW + timedelta(days=9)))
    assert wf.apply(running, A.BUYER_DEFAULTED, role=Role.SYSTEM, now=NOW).to_state == S.NEGOTIATED_SALE
    over = CaseFacts(S.AWAITING_PAYMENT, **dict(
        SOLD, channel=Channel.NEGOTIATED_SALE, failed_rounds=2, negotiated_sale_ends_at=NOW - timedelta(days=1)))
    move = wf.apply(over, A.BUYER_DEFAULTED, role=Role.SYSTEM, now=NOW)
    assert move.to_state == S.AWAITING_CHANNEL
    assert move.changes["negotiated_sale_lapsed_at"] == NOW
