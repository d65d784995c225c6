"""The disposal case as a state machine: a transition table, one apply function, named rule breaks.

Hand-offs (other areas call these through market.services.cases.move_case, which audits):
  auctions    OPEN_AUCTION(start_price_fen, due_at=None)    notice published / awaiting channel -> auction
              AUCTION_FAILED                                -> awaiting channel, or negotiated sale after the last round
              AUCTION_WON(price_fen, buyer_institution_id=None, buyer_name="")      -> awaiting payment
              BUYER_PAID                                    -> disposed (the recovery is the sale price)
              BUYER_DEFAULTED                               auction: counts as a failed round; negotiated sale: reopens it
              SECOND_BIDDER_ACCEPTED(price_fen, buyer_institution_id, payment_due_at)  awaiting payment, a new buyer
  channels    START_LICENSING / START_CONVERSION / START_CLAIM_TRANSFER(due_at=None)
              LICENCE_GRANTED / CONVERSION_EXECUTED / CLAIM_TRANSFERRED(recovery_fen, buyer_institution_id=None,
              buyer_name="") -> disposed;  LICENSING_FAILED / CONVERSION_ABANDONED / CLAIM_TRANSFER_FAILED(reason)
  settlement  SETTLE (disposed -> settled), RECORD_TRANSFER (-> transfer recorded), CLOSE (-> closed)
Every move also returns `due_at` (the deadline of the new state) and `listed` (shown in the public catalogue).
Order: licensing, conversion and claim transfer open before any auction, or once the rounds and the negotiated
sale have run; SUSPEND and WITHDRAW may reach a case in any channel, so a desk checks the state before acting.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, time, timedelta

from market.domain.case_errors import (  # noqa: F401 (re-exported: the workflow's named rule breaks)
    ActionNotAllowed,
    AuctionRoundsExhausted,
    BuyerMissing,
    ChannelOutOfOrder,
    CoOwnerConsentMissing,
    DeadlineNotReached,
    DeadlinePassed,
    DisclosureIncomplete,
    FirstRefusalHolderMissing,
    LegalStatusNotValid,
    NegotiatedPriceTooLow,
    NegotiatedSaleOver,
    NegotiatedSaleTooEarly,
    NoticePeriodRunning,
    NotYourAction,
    PledgeeConsentMissing,
    PriceBelowStart,
    ReasonRequired,
    ResultMissing,
    ReviewIncomplete,
    StartPriceMissing,
    ValuationMissing,
    ValuationStale,
    WithdrawalAmountMissing,
)
from market.domain.case_guards import GUARDS
from market.domain.case_states import (  # noqa: F401 (re-exported)
    FACT_FIELDS,
    REVIEW_CHECKS,
    CaseAction,
    CaseFacts,
    CaseState,
    Channel,
    SuspensionGrounds,
    words,
)
from market.domain.roles import Role
from market.domain.rules import (  # noqa: F401 (re-exported)
    DEFAULT_RULES,
    DepositOutOfRange,
    DisposalRules,
    NoticeTooShort,
    PriceCutTooDeep,
    RuleBroken,
    StartPriceTooLow,
)

S, A = CaseState, CaseAction
CHANNEL_ENTRY = (S.NOTICE_PUBLISHED, S.AWAITING_CHANNEL)
TERMINAL = frozenset({S.REJECTED, S.WITHDRAWN, S.CLOSED})
# Published: shown in the public catalogue (withdrawn and rejected cases never are).
PUBLIC_STATES = frozenset(
    {S.NOTICE_PUBLISHED, S.AUCTION, S.AWAITING_CHANNEL, S.NEGOTIATED_SALE, S.LICENSING, S.CONVERSION,
     S.CLAIM_TRANSFER, S.AWAITING_PAYMENT, S.DISPOSED, S.SETTLED, S.TRANSFER_RECORDED, S.CLOSED}
)
IN_DISPOSAL = frozenset({S.AUCTION, S.NEGOTIATED_SALE, S.LICENSING, S.CONVERSION, S.CLAIM_TRANSFER})
# A debtor may still pay and end the case until a channel has produced its result.
WITHDRAWABLE = frozenset(
    {S.FILED, S.UNDER_REVIEW, S.RETURNED, S.VERIFIED, S.VALUED, S.NOTICE_PUBLISHED,
     S.AUCTION, S.AWAITING_CHANNEL, S.NEGOTIATED_SALE, S.LICENSING, S.CONVERSION,
     S.CLAIM_TRANSFER, S.SUSPENDED}
)
SUSPENDABLE = frozenset(set(S) - TERMINAL - {S.SUSPENDED})

# (state, action) -> next state. Actions whose next state depends on facts map to None and are
# resolved by their guard; every pair not in the table raises ActionNotAllowed.
TRANSITIONS: dict[tuple[CaseState, CaseAction], CaseState | None] = {
    (S.FILED, A.START_REVIEW): S.UNDER_REVIEW,
    (S.UNDER_REVIEW, A.RETURN_TO_BANK): S.RETURNED,
    (S.UNDER_REVIEW, A.REJECT): S.REJECTED,
    (S.UNDER_REVIEW, A.VERIFY): S.VERIFIED,
    (S.RETURNED, A.RESUBMIT): S.FILED,
    (S.VERIFIED, A.RECORD_VALUATION): S.VALUED,
    (S.VALUED, A.RECORD_VALUATION): S.VALUED,
    # a valuation that went stale while waiting is redone; the notice is then published again
    (S.NOTICE_PUBLISHED, A.RECORD_VALUATION): S.VALUED,
    (S.AWAITING_CHANNEL, A.RECORD_VALUATION): S.VALUED,
    (S.VALUED, A.PUBLISH_NOTICE): S.NOTICE_PUBLISHED,
    (S.AUCTION, A.AUCTION_FAILED): None,
    (S.AUCTION, A.AUCTION_WON): S.AWAITING_PAYMENT,
    (S.AWAITING_PAYMENT, A.BUYER_PAID): S.DISPOSED,
    (S.AWAITING_PAYMENT, A.BUYER_DEFAULTED): None,
    (S.AWAITING_PAYMENT, A.SECOND_BIDDER_ACCEPTED): S.AWAITING_PAYMENT,
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
    TRANSITIONS[(_entry, A.START_NEGOTIATED_SALE)] = S.NEGOTIATED_SALE
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

_OPERATOR_OR_SYSTEM = frozenset({Role.OPERATOR, Role.SYSTEM})
_OPERATOR = frozenset({Role.OPERATOR})
# Who may take each action; everything not listed is the operator's or the clock's (a channel's close).
ACTORS: dict[CaseAction, frozenset[Role]] = {
    A.RESUBMIT: frozenset({Role.BANK}),
    A.WITHDRAW: frozenset({Role.BANK, Role.OPERATOR}),
    # human judgements: never the clock
    A.START_REVIEW: _OPERATOR, A.RETURN_TO_BANK: _OPERATOR, A.REJECT: _OPERATOR, A.VERIFY: _OPERATOR,
    A.RECORD_VALUATION: _OPERATOR, A.PUBLISH_NOTICE: _OPERATOR, A.START_NEGOTIATED_SALE: _OPERATOR,
    A.NEGOTIATED_SALE_AGREED: _OPERATOR, A.RESUME: _OPERATOR,
}
REASON_REQUIRED = frozenset(
    {A.RETURN_TO_BANK, A.REJECT, A.SUSPEND, A.RESUME, A.WITHDRAW, A.LICENSING_FAILED,
     A.CONVERSION_ABANDONED, A.CLAIM_TRANSFER_FAILED}
)


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
        raise ActionNotAllowed(action=action, state=case.state)
    if role not in ACTORS.get(action, _OPERATOR_OR_SYSTEM):
        raise NotYourAction(role=role, action=action)
    if action in REASON_REQUIRED and not (reason or "").strip():
        raise ReasonRequired()
    target = TRANSITIONS[(case.state, action)]
    changes: dict = {}
    guard = GUARDS.get(action)
    if guard is not None:
        target, changes = guard(case, target, now=now, rules=rules, **params)
    after = advance(case, target, changes)
    changes["due_at"] = deadline(after, rules)
    changes["listed"] = is_listed(after)
    return Move(case.state, target, action, changes)


def advance(case: CaseFacts, to_state: CaseState, changes: dict) -> CaseFacts:
    """The facts after a move (the pure twin of what move_case writes to the row)."""
    known = {name: value for name, value in changes.items() if name in FACT_FIELDS}
    return replace(case, state=to_state, **known)


def deadline(case: CaseFacts, rules: DisposalRules = DEFAULT_RULES) -> datetime | None:
    """When the case's current step runs out (what the operator's queue and the tick watch)."""
    if case.state == S.VALUED and case.valued_on is not None:
        expires = case.valued_on + timedelta(days=rules.valuation_max_age_days + 1)
        return datetime.combine(expires, time(), tzinfo=UTC)
    return {
        S.NOTICE_PUBLISHED: case.notice_ends_at,
        S.NEGOTIATED_SALE: case.negotiated_sale_ends_at,
        S.AWAITING_PAYMENT: case.payment_due_at,
        S.AUCTION: case.due_at,
        S.LICENSING: case.due_at,
        S.CONVERSION: case.due_at,
        S.CLAIM_TRANSFER: case.due_at,
    }.get(case.state)


def is_listed(case: CaseFacts) -> bool:
    """Whether the public catalogue shows the case (a published case stays listed while suspended)."""
    if case.state == S.SUSPENDED:
        return case.suspended_from in PUBLIC_STATES
    return case.state in PUBLIC_STATES


__all__ = [
    "A", "ACTORS", "CHANNEL_ENTRY", "CHANNEL_OF_STATE", "FACT_FIELDS", "IN_DISPOSAL", "PUBLIC_STATES",
    "REASON_REQUIRED", "REVIEW_CHECKS", "S", "SUSPENDABLE", "TERMINAL", "TRANSITIONS", "WITHDRAWABLE",
    "CaseAction", "CaseFacts", "CaseState", "Channel", "Move", "RuleBroken", "SuspensionGrounds",
    "advance", "allowed_actions", "apply", "deadline", "is_listed", "words",
    "ActionNotAllowed", "DepositOutOfRange", "AuctionRoundsExhausted", "BuyerMissing", "ChannelOutOfOrder", "CoOwnerConsentMissing",
    "DeadlineNotReached", "DeadlinePassed", "DisclosureIncomplete", "FirstRefusalHolderMissing",
    "LegalStatusNotValid", "NegotiatedPriceTooLow", "NegotiatedSaleOver", "NegotiatedSaleTooEarly",
    "NoticePeriodRunning", "NoticeTooShort", "NotYourAction", "PledgeeConsentMissing", "PriceBelowStart",
    "PriceCutTooDeep", "ReasonRequired", "ResultMissing", "ReviewIncomplete", "StartPriceMissing", "StartPriceTooLow",
    "ValuationMissing", "ValuationStale", "WithdrawalAmountMissing",
]
