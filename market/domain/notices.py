"""What the platform tells people and banks' systems: the kinds of notice, who they batch with, and the
signature a bank's system checks on a webhook delivery.

A notice is raised by the service whose work it reports, in the same unit of work, so a refused or rolled-back
action raises nothing. Its audience is the institutions (and roles) it is for, narrowed to the users who may
see its subject under the pages' own visibility rules.
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import datetime, timedelta
from enum import StrEnum


class NoticeType(StrEnum):
    """Every kind of notice; the value is the event type in webhooks and e-mail preferences."""

    OUTBID = "auction.outbid"
    ROUND_EXTENDED = "auction.extended"
    ROUND_CLOSING_SOON = "auction.closing_soon"
    ROUND_WON = "auction.won"
    ROUND_LOST = "auction.lost"
    ROUND_FAILED = "auction.failed"
    SECOND_BIDDER_OFFERED = "auction.second_bidder_offered"
    PAYMENT_DUE = "payment.due"
    PAYMENT_OVERDUE = "payment.overdue"
    DEPOSIT_REFUNDED = "deposit.refunded"
    DEPOSIT_FORFEITED = "deposit.forfeited"
    FIRST_REFUSAL_OPEN = "first_refusal.open"
    CASE_STATE_CHANGED = "case.state_changed"
    CASE_ON_HOLD = "case.on_hold"
    RECORDAL_DUE = "licence.recordal_due"
    CLAIM_DRAFTED = "compensation.drafted"
    CLAIM_FIRST_APPROVED = "compensation.first_approved"
    CLAIM_SECOND_APPROVED = "compensation.second_approved"
    CLAIM_PAID = "compensation.paid"
    CLAIM_REDUCED = "compensation.reduced"
    CLAIM_REJECTED = "compensation.rejected"
    CLAIM_CLAWED_BACK = "compensation.clawed_back"
    WEBHOOK_DISABLED = "webhook.disabled"  # an institution's endpoint failed too often in a row and was switched off


# Notices a flood of would annoy: e-mail sends one digest per subject (e.g. per round for outbid), not one each.
DIGESTED = frozenset({NoticeType.OUTBID, NoticeType.ROUND_EXTENDED})
CLOSING_SOON_BEFORE = timedelta(hours=1)  # "round closing within the hour", for registered bidders

# --- webhook signatures -----------------------------------------------------------------------------------
# X-IPD-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>." + body, keyed by the endpoint's secret>.
# A receiver recomputes v1 over the raw body, compares in constant time, and refuses a t outside its window.
SIGNATURE_HEADER = "X-IPD-Signature"
REPLAY_WINDOW = timedelta(minutes=5)


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """The signature header's value for one delivery of `body` at `timestamp` (unix seconds)."""
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def verify(secret: str, header: str, body: bytes, now: datetime, window: timedelta = REPLAY_WINDOW) -> bool:
    """Whether `header` signs `body` with `secret` at a time within `window` of `now` (the receiver's check)."""
    try:
        fields = dict(part.split("=", 1) for part in header.split(","))
        timestamp = int(fields["t"])
    except (KeyError, ValueError):
        return False
    if abs(now.timestamp() - timestamp) > window.total_seconds():
        return False
    return hmac.compare_digest(sign(secret, timestamp, body), f"t={timestamp},v1={fields.get('v1', '')}")
