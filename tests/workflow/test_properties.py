"""Random sequences of actions, with random inputs and random waits, never reach an inconsistent case."""

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from market.domain import workflow as wf
from market.domain.roles import Role
from market.domain.rules import DEFAULT_RULES, RuleBroken, min_first_start_fen, min_next_start_fen
from market.domain.workflow import CaseAction as A
from market.domain.workflow import CaseFacts, Channel
from market.domain.workflow import CaseState as S

START = datetime(2026, 11, 22, 2, 0, tzinfo=UTC)
RESULT_STATES = {S.DISPOSED, S.SETTLED, S.TRANSFER_RECORDED, S.CLOSED}
REVIEWED_STATES = set(S) - {S.FILED, S.UNDER_REVIEW, S.RETURNED, S.REJECTED, S.WITHDRAWN, S.SUSPENDED}


@dataclass
class History:
    """What happened along the way, to check what the snapshot alone cannot show."""

    starts: list[tuple[int, int | None]] = field(default_factory=list)  # (start price, appraisal when opened)
    moves: list[tuple[A, S, S]] = field(default_factory=list)


def mostly(right, *wrong):
    """A strategy that gives the right input three times in four."""
    return st.sampled_from([right, right, right, *wrong])


def params_for(case: CaseFacts, action: A, draw) -> dict:
    """Inputs an operator might type: mostly right, sometimes wrong."""
    appraisal = case.appraised_value_fen or 100_000_000
    base = case.last_start_price_fen or min_first_start_fen(appraisal)
    price = base * draw(st.sampled_from([100, 100, 105, 85, 79, 60])) // 100
    return {
        A.VERIFY: dict(checks=draw(mostly(wf.REVIEW_CHECKS, wf.REVIEW_CHECKS[:3])),
                       lapsed_assets=draw(mostly([], ["ZL1"]))),
        A.RECORD_VALUATION: dict(appraised_value_fen=draw(st.sampled_from([None, 80_000_000, 120_000_000])),
                                 report_ref="R", valued_on=draw(mostly(date(2026, 11, 20), date(2025, 1, 1)))),
        A.PUBLISH_NOTICE: dict(start_price_fen=price, deposit_share_ppm=draw(mostly(100_000, 10_000)),
                               encumbrances=draw(mostly("none known", ""))),
        A.OPEN_AUCTION: dict(start_price_fen=price),
        A.AUCTION_WON: dict(price_fen=draw(st.sampled_from([None, price])), buyer_name="买方"),
        A.NEGOTIATED_SALE_AGREED: dict(price_fen=price, buyer_name=draw(st.sampled_from(["", "买方"]))),
        A.LICENCE_GRANTED: dict(recovery_fen=draw(st.sampled_from([None, 0, price]))),
        A.CONVERSION_EXECUTED: dict(recovery_fen=draw(st.sampled_from([None, price]))),
        A.CLAIM_TRANSFERRED: dict(recovery_fen=draw(st.sampled_from([None, price]))),
        A.WITHDRAW: dict(paid_by_debtor_fen=draw(st.sampled_from([None, 1_000]))),
    }.get(action, {})


def check_consistent(case: CaseFacts, history: History, now: datetime) -> None:
    """The invariants of a disposal case."""
    if case.state in RESULT_STATES:
        assert case.recovery_fen is not None and case.disposed_at is not None, "a result state without a result"
    if case.state in {S.SETTLED, S.TRANSFER_RECORDED, S.CLOSED}:
        assert case.settled_at is not None, "recorded or closed without being settled"
    if case.state == S.NEGOTIATED_SALE:
        assert case.failed_rounds >= DEFAULT_RULES.failed_rounds_before_negotiated_sale, "negotiated sale too early"
        assert case.negotiated_sale_ends_at is not None
    if case.state == S.AWAITING_PAYMENT:
        assert case.sale_price_fen and case.payment_due_at
        if case.channel == Channel.NEGOTIATED_SALE:
            assert case.sale_price_fen >= case.last_start_price_fen, "negotiated sale below the last price"
    if case.state == S.WITHDRAWN:
        assert case.withdrawn_amount_fen and case.withdrawn_amount_fen > 0
    assert (case.state == S.SUSPENDED) == (case.suspended_from is not None)
    if case.state in REVIEWED_STATES:
        assert case.checks == frozenset(wf.REVIEW_CHECKS), "past review without every check"
    if case.listed:
        assert case.notice_published_at is not None and case.appraised_value_fen
        assert case.state not in {S.WITHDRAWN, S.REJECTED, S.VALUED, S.FILED}
    previous = None
    for start, appraisal in history.starts:
        if previous is None:
            assert start >= min_first_start_fen(appraisal), "first auction below 70% of the appraisal"
        else:
            assert start >= min_next_start_fen(previous), "re-auction cut deeper than 20%"
        previous = start
    for _action, before, _ in history.moves:
        assert before not in wf.TERMINAL, "a terminal case moved"


# A valid road through the workflow: each random walk starts somewhere along it.
HAPPY_PATH = [
    (A.START_REVIEW, {}, 0), (A.VERIFY, dict(checks=wf.REVIEW_CHECKS), 1),
    (A.RECORD_VALUATION, dict(appraised_value_fen=100_000_000, report_ref="R", valued_on=date(2026, 11, 20)), 1),
    (A.PUBLISH_NOTICE, dict(start_price_fen=70_000_000, deposit_share_ppm=100_000, encumbrances="none"), 1),
    (A.OPEN_AUCTION, dict(start_price_fen=70_000_000), 31), (A.AUCTION_FAILED, {}, 3),
    (A.OPEN_AUCTION, dict(start_price_fen=56_000_000), 5), (A.AUCTION_FAILED, {}, 3),
    (A.NEGOTIATED_SALE_AGREED, dict(price_fen=56_000_000, buyer_name="买方"), 10), (A.BUYER_PAID, {}, 3),
    (A.SETTLE, {}, 5), (A.RECORD_TRANSFER, {}, 10), (A.CLOSE, {}, 2),
]
ACTIONS = st.sampled_from(list(A))
ENDINGS = {A.WITHDRAW, A.REJECT, A.SUSPEND}  # allowed almost everywhere: drawn only in the "anything" branch
ROLES = st.sampled_from([Role.OPERATOR, Role.OPERATOR, Role.OPERATOR, Role.SYSTEM, Role.BANK])


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_random_sequences_of_actions_never_reach_an_inconsistent_case(data):
    case, history, now = CaseFacts(S.FILED), History(), START
    for action, params, wait in HAPPY_PATH[: data.draw(st.integers(0, len(HAPPY_PATH)), label="head start")]:
        now += timedelta(days=wait)
        move = wf.apply(case, action, role=Role.OPERATOR, now=now, **params)
        if action == A.OPEN_AUCTION:
            history.starts.append((params["start_price_fen"], case.appraised_value_fen))
        case = wf.advance(case, move.to_state, move.changes)
    for _ in range(data.draw(st.integers(5, 30), label="steps")):
        now += timedelta(days=data.draw(st.sampled_from([0, 0, 1, 5, 31, 61]), label="wait"))
        allowed = [a for a in wf.allowed_actions(case.state) if a not in ENDINGS]
        # mostly what the table allows (to get deep into the workflow), sometimes anything at all
        pool = st.sampled_from(allowed) if allowed and data.draw(st.integers(0, 4), label="bias") else ACTIONS
        action = data.draw(pool, label="action")
        params = params_for(case, action, data.draw)
        try:
            move = wf.apply(case, action, role=data.draw(ROLES, label="role"), now=now,
                            reason=data.draw(st.sampled_from(["", "because"]), label="reason"), **params)
        except RuleBroken:
            continue
        if action == A.OPEN_AUCTION:
            history.starts.append((params["start_price_fen"], case.appraised_value_fen))
        if action in (A.START_LICENSING, A.START_CONVERSION, A.START_CLAIM_TRANSFER) and history.starts:
            assert case.negotiated_sale_lapsed_at is not None, "licensing or conversion before the negotiated sale"
        history.moves.append((action, case.state, move.to_state))
        case = wf.advance(case, move.to_state, move.changes)
        event(f"reached {case.state.value}")
        check_consistent(case, history, now)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.sampled_from([0, 40, 79, 80, 100, 120]), min_size=1, max_size=4))
def test_a_chain_of_rounds_is_accepted_exactly_when_every_cut_is_within_the_limit(percents):
    case = CaseFacts(S.NOTICE_PUBLISHED, appraised_value_fen=100_000_000, valued_on=date(2026, 11, 1),
                     notice_ends_at=START, checks=frozenset(wf.REVIEW_CHECKS))
    price, accepted = 70_000_000, True
    for index, percent in enumerate(percents[: DEFAULT_RULES.failed_rounds_before_negotiated_sale]):
        price = price * percent // 100 if index else price * max(percent, 100) // 100
        try:
            move = wf.apply(case, A.OPEN_AUCTION, role=Role.OPERATOR, now=START, start_price_fen=price)
        except (wf.PriceCutTooDeep, wf.StartPriceMissing):
            accepted = False
            assert index > 0 and percent < 80
            break
        case = wf.advance(case, move.to_state, move.changes)
        failed = wf.apply(case, A.AUCTION_FAILED, role=Role.SYSTEM, now=START)
        case = wf.advance(case, failed.to_state, failed.changes)
    assert accepted == all(p >= 80 for p in percents[1: DEFAULT_RULES.failed_rounds_before_negotiated_sale])
