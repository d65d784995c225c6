"""The disposal case's states, channels and actions, and the snapshot of facts its rules read."""

from __future__ import annotations

import enum
from dataclasses import dataclass, fields
from datetime import date, datetime


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
    SECOND_BIDDER_ACCEPTED = "second_bidder_accepted"  # after the winner's default, the second bidder buys
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


class SuspensionGrounds(enum.StrEnum):
    """Why a case is paused."""

    LEGAL_STATUS_LAPSED = "legal_status_lapsed"
    DISPUTE = "dispute"
    COURT_ORDER = "court_order"
    OTHER = "other"


class ReviewCheck(enum.StrEnum):
    """What the operator verifies before a case moves on."""

    TITLE = "title"
    PLEDGE_REGISTRATION = "pledge_registration"
    LEGAL_STATUS = "legal_status"
    CO_OWNER_CONSENT = "co_owner_consent"
    PLEDGEE_CONSENT = "pledgee_consent"


REVIEW_CHECKS = tuple(ReviewCheck)


@dataclass(frozen=True)
class CaseFacts:
    """What the rules need to know about a case (a snapshot; the database row stays in services)."""

    state: CaseState
    channel: Channel | None = None
    appraised_value_fen: int | None = None
    valuation_report_ref: str | None = None
    valued_on: date | None = None
    notice_published_at: datetime | None = None
    notice_ends_at: datetime | None = None
    failed_rounds: int = 0
    last_start_price_fen: int | None = None
    negotiated_sale_ends_at: datetime | None = None
    negotiated_sale_lapsed_at: datetime | None = None
    sale_price_fen: int | None = None
    payment_due_at: datetime | None = None
    recovery_fen: int | None = None
    disposed_at: datetime | None = None
    settled_at: datetime | None = None
    transfer_recorded_at: datetime | None = None
    closed_at: datetime | None = None
    withdrawn_amount_fen: int | None = None
    suspended_from: CaseState | None = None
    suspended_at: datetime | None = None
    due_at: datetime | None = None
    listed: bool = False
    pledgee_consent: bool = True
    co_owner_consents: frozenset[str] = frozenset()
    checks: frozenset[str] = frozenset()


FACT_FIELDS = frozenset(f.name for f in fields(CaseFacts))


def words(member: enum.Enum) -> str:
    """An enum value as words for messages: "notice_published" -> "notice published"."""
    return str(member.value).replace("_", " ")
