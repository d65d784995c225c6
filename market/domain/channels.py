"""The small state machines of the other disposal channels: licence rounds, conversion proposals and claim
listings. Each is a table of (status, step) -> next status, checked by one function."""

from __future__ import annotations

import enum

from market.domain.errors import Kind
from market.domain.rules import RuleBroken


class StepNotAllowed(RuleBroken):
    """The step cannot be taken while the round, proposal or listing is in its current status."""

    code, kind, fields = "step_not_allowed", Kind.CONFLICT, ("status",)


class RoundStatus(enum.StrEnum):
    """Where a licence round stands."""

    OPEN = "open"  # sealed offers accepted until the deadline
    CLOSED = "closed"  # deadline passed; the operator sees the ranking and chooses
    AWARDED = "awarded"  # licensees chosen; waiting for the pledgee's consent and signing
    SIGNED = "signed"  # licences signed: the case is disposed of
    FAILED = "failed"  # no offers, consent refused or abandoned


class ProposalStatus(enum.StrEnum):
    """Where a debt-to-equity conversion proposal stands."""

    PROPOSED = "proposed"  # collecting consents
    EXECUTED = "executed"
    ABANDONED = "abandoned"


class ListingStatus(enum.StrEnum):
    """Where a claim listing stands."""

    SUBMITTED = "submitted"  # the bank asked to list; the trading centre has not opened it
    OPEN = "open"  # eligible institutions may see the data room and offer
    AGREED = "agreed"  # the seller accepted an offer; waiting for payment and completion
    COMPLETED = "completed"  # claim and pledge moved to the buyer
    FAILED = "failed"  # no acceptable offer
    WITHDRAWN = "withdrawn"  # the seller or the centre took it off the market


R, P, L = RoundStatus, ProposalStatus, ListingStatus
ROUND_STEPS: dict[tuple[RoundStatus, str], RoundStatus] = {
    (R.OPEN, "offer"): R.OPEN,
    (R.OPEN, "close"): R.CLOSED,
    (R.OPEN, "fail"): R.FAILED,
    (R.CLOSED, "award"): R.AWARDED,
    (R.CLOSED, "fail"): R.FAILED,
    (R.AWARDED, "consent"): R.AWARDED,
    (R.AWARDED, "sign"): R.SIGNED,
    (R.AWARDED, "fail"): R.FAILED,
}
PROPOSAL_STEPS: dict[tuple[ProposalStatus, str], ProposalStatus] = {
    (P.PROPOSED, "consent"): P.PROPOSED,
    (P.PROPOSED, "execute"): P.EXECUTED,
    (P.PROPOSED, "abandon"): P.ABANDONED,
}
LISTING_STEPS: dict[tuple[ListingStatus, str], ListingStatus] = {
    (L.SUBMITTED, "open"): L.OPEN,
    (L.SUBMITTED, "withdraw"): L.WITHDRAWN,
    (L.OPEN, "offer"): L.OPEN,
    (L.OPEN, "accept"): L.AGREED,
    (L.OPEN, "fail"): L.FAILED,
    (L.OPEN, "withdraw"): L.WITHDRAWN,
    (L.AGREED, "complete"): L.COMPLETED,
    (L.AGREED, "fail"): L.FAILED,
    (L.AGREED, "withdraw"): L.WITHDRAWN,
}


def next_status(table: dict, status: enum.StrEnum, step: str, noun: str) -> enum.StrEnum:
    """The status after a step, or StepNotAllowed saying why in words a user understands."""
    try:
        return table[(status, step)]
    except KeyError:
        raise StepNotAllowed(status=status) from None


class ReasonMissing(RuleBroken):
    """Ending a channel or refusing consent needs a reason: the parties see it and the audit trail keeps it."""

    code = "reason_missing"


class RefusalReasonMissing(ReasonMissing):
    """Refusing consent needs a reason."""

    code = "refusal_reason_missing"


def reason_for_ending(reason: str) -> str:
    """The operator's reason for ending a licensing round, a conversion or a claim listing, trimmed."""
    if not reason.strip():
        raise ReasonMissing()
    return reason.strip()


def reason_for_refusing(reason: str) -> str:
    """A party's reason for refusing its consent, trimmed."""
    if not reason.strip():
        raise RefusalReasonMissing()
    return reason.strip()


class RecordalOnFile(RuleBroken):
    """A recordal with the IP office is recorded once."""

    code = "recordal_on_file"


class RecordalNumberMissing(RuleBroken):
    """A recordal names the IP office's recordal number."""

    code = "recordal_number_missing"


class RecordalDateOutOfRange(RuleBroken):
    """A recordal date lies between the day the change took effect and today."""

    code, fields = "recordal_date_out_of_range", ("earliest",)
