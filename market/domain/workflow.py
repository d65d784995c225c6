"""The disposal case as a state machine: a transition table, one apply function, named rule breaks."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from market.domain.roles import Role
from market.domain.rules import DEFAULT_RULES, DisposalRules, RuleBroken, check_start_price


class CaseState(enum.StrEnum):
    """Where a disposal case stands."""

    FILED = "filed"
    UNDER_REVIEW = "under_review"
    RETURNED = "returned"
    REJECTED = "rejected"
    VERIFIED = "verified"  # title and pledge verified, awaiting valuation
    VALUED = "valued"
    NOTICE_PUBLISHED = "notice_published"
    AUCTION = "auction"
    AWAITING_CHANNEL = "awaiting_channel"  # between channels, e.g. after a failed round
    NEGOTIATED_SALE = "negotiated_sale"
    LICENSING = "licensing"
    CONVERSION = "conversion"
    CLAIM_TRANSFER = "claim_transfer"
    AWAITING_PAYMENT = "awaiting_payment"
    DISPOSED = "disposed"  # the channel produced its result; ready for settlement
    SETTLED = "settled"
    TRANSFER_RECORDED = "transfer_recorded"
    CLOSED = "closed"
    WITHDRAWN = "withdrawn"
    SUSPENDED = "suspended"


class Channel(enum.StrEnum):
    """How the pledged IP is turned into money."""

    AUCTION = "auction"
    NEGOTIATED_SALE = "negotiated_sale"
    LICENSING = "licensing"
    CONVERSION = "conversion"
    CLAIM_TRANSFER = "claim_transfer"


class CaseAction(enum.StrEnum):
    """What someone (or the clock) does to a case."""

    START_REVIEW = "start_review"
    RETURN_TO_BANK = "return_to_bank"
    RESUBMIT = "resubmit"
    REJECT = "reject"
    VERIFY = "verify"
    RECORD_VALUATION = "record_valuation"
    PUBLISH_NOTICE = "publish_notice"
    OPEN_AUCTION = "open_auction"
    AUCTION_FAILED = "auction_failed"
    AUCTION_WON = "auction_won"
    BUYER_PAID = "buyer_paid"
    BUYER_DEFAULTED = "buyer_defaulted"
    START_NEGOTIATED_SALE = "start_negotiated_sale"
    NEGOTIATED_SALE_AGREED = "negotiated_sale_agreed"
    NEGOTIATED_SALE_LAPSED = "negotiated_sale_lapsed"
    START_LICENSING = "start_licensing"
    LICENCE_GRANTED = "licence_granted"
    LICENSING_FAILED = "licensing_failed"
    START_CONVERSION = "start_conversion"
    CONVERSION_EXECUTED = "conversion_executed"
    CONVERSION_ABANDONED = "conversion_abandoned"
    START_CLAIM_TRANSFER = "start_claim_transfer"
    CLAIM_TRANSFERRED = "claim_transferred"
    CLAIM_TRANSFER_FAILED = "claim_transfer_failed"
    SETTLE = "settle"
    RECORD_TRANSFER = "record_transfer"
    CLOSE = "close"
    WITHDRAW = "withdraw"
    SUSPEND = "suspend"
    RESUME = "resume"


S, A = CaseState, CaseAction
CHANNEL_ENTRY = (S.NOTICE_PUBLISHED, S.AWAITING_CHANNEL)
TERMINAL = frozenset({S.REJECTED, S.WITHDRAWN, S.CLOSED})
# A debtor may still pay and end the case until a channel has produced its result.
WITHDRAWABLE = frozenset(
    {S.FILED, S.UNDER_REVIEW, S.RETURNED, S.VERIFIED, S.VALUED, S.NOTICE_PUBLISHED,
     S.AUCTION, S.AWAITING_CHANNEL, S.NEGOTIATED_SALE, S.LICENSING, S.CONVERSION,
     S.CLAIM_TRANSFER, S.SUSPENDED}
)
SUSPENDABLE = frozenset(set(S) - TERMINAL - {S.SUSPENDED})

# (state, action) -> next state. Actions whose next state depends on facts map to None and are
# resolved in apply(); every pair not in the table raises ActionNotAllowed.
TRANSITIONS: dict[tuple[CaseState, CaseAction], CaseState | None] = {
    (S.FILED, A.START_REVIEW): S.UNDER_REVIEW,
    (S.UNDER_REVIEW, A.RETURN_TO_BANK): S.RETURNED,
    (S.UNDER_REVIEW, A.REJECT): S.REJECTED,
    (S.UNDER_REVIEW, A.VERIFY): S.VERIFIED,
    (S.RETURNED, A.RESUBMIT): S.FILED,
    (S.VERIFIED, A.RECORD_VALUATION): S.VALUED,
    (S.VALUED, A.RECORD_VALUATION): S.VALUED,
    (S.VALUED, A.PUBLISH_NOTICE): S.NOTICE_PUBLISHED,
    (S.AUCTION, A.AUCTION_FAILED): None,
    (S.AUCTION, A.AUCTION_WON): S.AWAITING_PAYMENT,
    (S.AWAITING_PAYMENT, A.BUYER_PAID): S.DISPOSED,
    (S.AWAITING_PAYMENT, A.BUYER_DEFAULTED): None,
    (S.AWAITING_CHANNEL, A.START_NEGOTIATED_SALE): S.NEGOTIATED_SALE,
    (S.NEGOTIATED_SALE, A.NEGOTIATED_SALE_AGREED): S.AWAITING_PAYMENT,
    (S.NEGOTIATED_SALE, A.NEGOTIATED_SALE_LAPSED): S.AWAITING_CHANNEL,
    (S.LICENSING, A.LICENCE_GRANTED): S.DISPOSED,
    (S.LICENSING, A.LICENSING_FAILED): S.AWAITING_CHANNEL,
    (S.CONVERSION, A.CONVERSION_EXECUTED): S.DISPOSED,
    (S.CONVERSION, A.CONVERSION_ABANDONED): S.AWAITING_CHANNEL,
    (S.CLAIM_TRANSFER, A.CLAIM_TRANSFERRED): S.DISPOSED,
    (S.CLAIM_TRANSFER, A.CLAIM_TRANSFER_FAILED): S.AWAITING_CHANNEL,
    (S.DISPOSED, A.SETTLE): S.SETTLED,
    (S.SETTLED, A.RECORD_TRANSFER): S.TRANSFER_RECORDED,
    (S.TRANSFER_RECORDED, A.CLOSE): S.CLOSED,
    (S.SUSPENDED, A.RESUME): None,
}
for _entry in CHANNEL_ENTRY:
    TRANSITIONS[(_entry, A.OPEN_AUCTION)] = S.AUCTION
    TRANSITIONS[(_entry, A.START_LICENSING)] = S.LICENSING
    TRANSITIONS[(_entry, A.START_CONVERSION)] = S.CONVERSION
    TRANSITIONS[(_entry, A.START_CLAIM_TRANSFER)] = S.CLAIM_TRANSFER
for _state in WITHDRAWABLE:
    TRANSITIONS[(_state, A.WITHDRAW)] = S.WITHDRAWN
for _state in SUSPENDABLE:
    TRANSITIONS[(_state, A.SUSPEND)] = S.SUSPENDED

CHANNEL_OF_STATE = {
    S.AUCTION: Channel.AUCTION,
    S.NEGOTIATED_SALE: Channel.NEGOTIATED_SALE,
    S.LICENSING: Channel.LICENSING,
    S.CONVERSION: Channel.CONVERSION,
    S.CLAIM_TRANSFER: Channel.CLAIM_TRANSFER,
}

_SYSTEM_OR_OPERATOR = frozenset({Role.OPERATOR, Role.SYSTEM})
# Who may take each action; everything not listed is the operator's (or the clock's).
ACTORS: dict[CaseAction, frozenset[Role]] = {
    A.RESUBMIT: frozenset({Role.BANK}),
    A.WITHDRAW: frozenset({Role.BANK, Role.OPERATOR}),
}
REASON_REQUIRED = frozenset(
    {A.RETURN_TO_BANK, A.REJECT, A.SUSPEND, A.RESUME, A.WITHDRAW, A.LICENSING_FAILED,
     A.CONVERSION_ABANDONED, A.CLAIM_TRANSFER_FAILED}
)


class ActionNotAllowed(RuleBroken):
    """The action cannot be taken in the case's current state."""

    code = "action_not_allowed"


class NotYourAction(RuleBroken):
    """The user's role may not take this action."""

    code = "not_your_action"


class ReasonRequired(RuleBroken):
    """A human decision must say why."""

    code = "reason_required"


class ReviewIncomplete(RuleBroken):
    """Title, pledge registration, legal status and consents must all be verified."""

    code = "review_incomplete"


class ValuationMissing(RuleBroken):
    """An appraised value, a report reference and a date are needed."""

    code = "valuation_missing"


class ValuationStale(RuleBroken):
    """The valuation is older than the trading centre accepts; it must be redone."""

    code = "valuation_stale"


class NoticePeriodRunning(RuleBroken):
    """Bidding cannot open before the public notice period has run."""

    code = "notice_period_running"


class NegotiatedSaleTooEarly(RuleBroken):
    """A negotiated sale comes only after the configured number of failed auction rounds."""

    code = "negotiated_sale_too_early"


class AuctionRoundsExhausted(RuleBroken):
    """All auction rounds have failed; the next step is a negotiated sale, licensing or conversion."""

    code = "auction_rounds_exhausted"


class WithdrawalAmountMissing(RuleBroken):
    """A withdrawal records what the debtor paid."""

    code = "withdrawal_amount_missing"


@dataclass(frozen=True)
class CaseFacts:
    """What the rules need to know about a case (a snapshot; the database row stays in services)."""

    state: CaseState
    appraised_value_fen: int | None = None
    valuation_report_ref: str | None = None
    valued_on: date | None = None
    notice_ends_at: datetime | None = None
    failed_rounds: int = 0
    last_start_price_fen: int | None = None
    suspended_from: CaseState | None = None
    checks: frozenset[str] = frozenset()


REVIEW_CHECKS = ("title", "pledge_registration", "legal_status", "co_owner_consent", "pledgee_consent")


@dataclass(frozen=True)
class Move:
    """The outcome of apply(): the next state and the case fields that change with it."""

    from_state: CaseState
    to_state: CaseState
    action: CaseAction
    changes: dict = field(default_factory=dict)


def allowed_actions(state: CaseState) -> list[CaseAction]:
    """The actions the table allows from a state (rules may still refuse them)."""
    return [action for (s, action) in TRANSITIONS if s == state]


def apply(
    case: CaseFacts,
    action: CaseAction,
    *,
    role: Role,
    now: datetime,
    reason: str = "",
    rules: DisposalRules = DEFAULT_RULES,
    **params,
) -> Move:
    """Take one action on a case: check who, the table and the rules, and say what changes."""
    if (case.state, action) not in TRANSITIONS:
        raise ActionNotAllowed(
            f"“{action.value.replace('_', ' ')}” is not possible while the case is "
            f"{case.state.value.replace('_', ' ')}."
        )
    if role not in ACTORS.get(action, _SYSTEM_OR_OPERATOR):
        raise NotYourAction(f"A {role.value} user cannot {action.value.replace('_', ' ')}.")
    if action in REASON_REQUIRED and not reason.strip():
        raise ReasonRequired("Give a reason: it is shown to the bank and kept in the audit trail.")
    target = TRANSITIONS[(case.state, action)]
    changes: dict = {}
    guard = _GUARDS.get(action)
    if guard is not None:
        target, changes = guard(case, target, now=now, rules=rules, **params)
    return Move(case.state, target, action, changes)


def _verify(case, target, *, now, rules, checks=(), **_):
    missing = [c for c in REVIEW_CHECKS if c not in set(checks) | case.checks]
    if missing:
        raise ReviewIncomplete("Still to verify: " + ", ".join(m.replace("_", " ") for m in missing) + ".")
    return target, {"checks": frozenset(REVIEW_CHECKS)}


def _valuation_is_fresh(valued_on: date | None, now: datetime, rules: DisposalRules) -> bool:
    return valued_on is not None and now.date() - valued_on <= timedelta(days=rules.valuation_max_age_days)


def _record_valuation(case, target, *, now, rules, appraised_value_fen=None, report_ref="", valued_on=None, **_):
    if not appraised_value_fen or appraised_value_fen <= 0 or not report_ref or valued_on is None:
        raise ValuationMissing("Enter the appraised value, the appraisal report reference and its date.")
    if valued_on > now.date():
        raise ValuationMissing("The valuation date cannot be in the future.")
    if not _valuation_is_fresh(valued_on, now, rules):
        raise ValuationStale(
            f"The valuation of {valued_on.isoformat()} is older than {rules.valuation_max_age_days} days; "
            "commission a new appraisal."
        )
    return target, {"appraised_value_fen": appraised_value_fen, "valuation_report_ref": report_ref,
                    "valued_on": valued_on}


def _publish_notice(case, target, *, now, rules, **_):
    if not _valuation_is_fresh(case.valued_on, now, rules):
        raise ValuationStale("The valuation is too old to publish; record a new valuation first.")
    return target, {"notice_published_at": now, "notice_ends_at": now + rules.notice_period}


def _open_auction(case, target, *, now, rules, start_price_fen=None, **_):
    if case.notice_ends_at is not None and now < case.notice_ends_at:
        raise NoticePeriodRunning(
            f"The public notice runs until {case.notice_ends_at.isoformat(timespec='minutes')}; "
            "bidding can open after that."
        )
    if case.failed_rounds >= rules.failed_rounds_before_negotiated_sale:
        raise AuctionRoundsExhausted(
            f"{case.failed_rounds} auction rounds have failed; continue with a negotiated sale, "
            "licensing or conversion."
        )
    if start_price_fen is None:
        raise ValuationMissing("Set the starting price of the round.")
    if not _valuation_is_fresh(case.valued_on, now, rules):
        raise ValuationStale("The valuation is too old to start an auction; record a new valuation first.")
    check_start_price(
        start_price_fen,
        appraised_value_fen=case.appraised_value_fen or 0,
        previous_start_fen=case.last_start_price_fen,
        rules=rules,
    )
    return target, {"last_start_price_fen": start_price_fen, "channel": Channel.AUCTION}


def _round_failed(case, target, *, now, rules, **_):
    failed = case.failed_rounds + 1
    if failed >= rules.failed_rounds_before_negotiated_sale:
        return S.NEGOTIATED_SALE, {"failed_rounds": failed, "channel": Channel.NEGOTIATED_SALE}
    return S.AWAITING_CHANNEL, {"failed_rounds": failed}


def _start_negotiated_sale(case, target, *, now, rules, **_):
    if case.failed_rounds < rules.failed_rounds_before_negotiated_sale:
        raise NegotiatedSaleTooEarly(
            f"A negotiated sale follows {rules.failed_rounds_before_negotiated_sale} failed auction "
            f"rounds; {case.failed_rounds} have failed so far."
        )
    return target, {"channel": Channel.NEGOTIATED_SALE}


def _enter_channel(channel: Channel):
    def guard(case, target, *, now, rules, **_):
        if case.notice_ends_at is not None and now < case.notice_ends_at:
            raise NoticePeriodRunning(
                f"The public notice runs until {case.notice_ends_at.isoformat(timespec='minutes')}."
            )
        return target, {"channel": channel}

    return guard


def _withdraw(case, target, *, now, rules, paid_by_debtor_fen=None, **_):
    if not paid_by_debtor_fen or paid_by_debtor_fen <= 0:
        raise WithdrawalAmountMissing("Enter the amount the debtor paid to end the case.")
    return target, {"withdrawn_amount_fen": paid_by_debtor_fen}


def _suspend(case, target, *, now, rules, **_):
    return target, {"suspended_from": case.state}


def _resume(case, target, *, now, rules, **_):
    if case.suspended_from is None:
        raise ActionNotAllowed("The case does not remember the state it was suspended from.")
    return case.suspended_from, {"suspended_from": None}


_GUARDS = {
    A.VERIFY: _verify,
    A.RECORD_VALUATION: _record_valuation,
    A.PUBLISH_NOTICE: _publish_notice,
    A.OPEN_AUCTION: _open_auction,
    A.AUCTION_FAILED: _round_failed,
    A.BUYER_DEFAULTED: _round_failed,
    A.START_NEGOTIATED_SALE: _start_negotiated_sale,
    A.START_LICENSING: _enter_channel(Channel.LICENSING),
    A.START_CONVERSION: _enter_channel(Channel.CONVERSION),
    A.START_CLAIM_TRANSFER: _enter_channel(Channel.CLAIM_TRANSFER),
    A.WITHDRAW: _withdraw,
    A.SUSPEND: _suspend,
    A.RESUME: _resume,
}
