"""Who may bid for a lot, how a registration is approved, and when unpaid wins ban an institution (issue 21).

A lot (a disposal case put up for sale) states its audience: any registered institution, or, for a claim lot,
licensed financial institutions only (claim_transfer.may_buy_claims). The operator may add conditions of its
own (e.g. an industry licence); a lot with conditions takes bids only from institutions whose registration
the operator approved. A registration carries the institution's unified social credit code and one proof per
condition; it moves through QUALIFICATION_STEPS. A winner who leaves a lot unpaid gets a strike; the limit of
strikes within the window (StrikeRules) bans the institution from registering for new lots until the
operator lifts the ban with a reason. Strikes before a lift no longer count.
"""

from __future__ import annotations

import calendar
import enum
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime

from market.domain.errors import Kind
from market.domain.roles import Role
from market.domain.rules import RuleBroken

MAX_CONDITION_CHARS = 500
MAX_REASON_CHARS = 2000


class Audience(enum.StrEnum):
    """Who may register for a lot before any condition the operator adds."""

    REGISTERED_INSTITUTIONS = "registered_institutions"
    LICENSED_FINANCIAL = "licensed_financial"  # claim lots


class QualificationStatus(enum.StrEnum):
    """Where an institution's registration for a lot stands."""

    DRAFT = "draft"  # proofs being attached; the operator does not see it yet
    PENDING = "pending"  # submitted: the operator reviews it
    APPROVED = "approved"  # may take part in the lot's rounds
    REFUSED = "refused"  # with the operator's reason; new proofs may be attached and it submitted again


class QualificationStep(enum.StrEnum):
    """What can happen to a registration."""

    ATTACH = "attach"
    SUBMIT = "submit"
    APPROVE = "approve"
    REFUSE = "refuse"


S, Q = QualificationStatus, QualificationStep
QUALIFICATION_STEPS: dict[tuple[QualificationStatus | None, QualificationStep], QualificationStatus] = {
    (None, Q.ATTACH): S.DRAFT,
    (S.DRAFT, Q.ATTACH): S.DRAFT,
    (S.REFUSED, Q.ATTACH): S.DRAFT,
    (S.DRAFT, Q.SUBMIT): S.PENDING,
    (S.REFUSED, Q.SUBMIT): S.PENDING,
    (S.PENDING, Q.APPROVE): S.APPROVED,
    (S.PENDING, Q.REFUSE): S.REFUSED,
}


class QualificationStepNotAllowed(RuleBroken):
    """The registration is not in a status where this step can be taken (e.g. already under review)."""

    code, kind, fields = "qualification_step_not_allowed", Kind.CONFLICT, ("status",)


class NoConditionsToProve(RuleBroken):
    """This lot has no conditions of the operator's: registering is paying the deposit in a round."""

    code, kind = "no_conditions_to_prove", Kind.CONFLICT


class ProofMissing(RuleBroken):
    """Every condition of the lot needs its proof before the registration can be submitted."""

    code, fields = "proof_missing", ("condition",)


class ConditionTextInvalid(RuleBroken):
    """A condition is a sentence of at most MAX_CONDITION_CHARS characters."""

    code, fields = "condition_text_invalid", ("max_chars",)


class ConditionsFixed(RuleBroken):
    """Conditions cannot change once an institution has registered for the lot."""

    code, kind = "conditions_fixed", Kind.CONFLICT


class DecisionReasonMissing(RuleBroken):
    """Refusing a registration or lifting a ban needs a reason: the institution reads it, the audit keeps it."""

    code = "decision_reason_missing"


class QualificationRequired(RuleBroken):
    """This lot takes bids only from institutions whose registration the trading centre approved."""

    code, kind = "qualification_required", Kind.FORBIDDEN


class BannedFromBidding(RuleBroken):
    """The institution left won lots unpaid: it may not register for new lots until the ban is lifted."""

    code, kind = "banned_from_bidding", Kind.FORBIDDEN


class ReviewerRequired(RuleBroken):
    """Only the trading centre's operator reviews registrations, writes conditions and lifts bans."""

    code, kind = "reviewer_required", Kind.FORBIDDEN


class BanAlreadyLifted(RuleBroken):
    """The ban has already been lifted."""

    code, kind = "ban_already_lifted", Kind.CONFLICT


def audience_of(*, claim_lot: bool) -> Audience:
    """A claim lot is for licensed financial institutions only; any other lot for any registered institution."""
    return Audience.LICENSED_FINANCIAL if claim_lot else Audience.REGISTERED_INSTITUTIONS


def status_after(status: QualificationStatus | None, step: QualificationStep) -> QualificationStatus:
    """The registration's status after a step, or QualificationStepNotAllowed naming where it stands."""
    try:
        return QUALIFICATION_STEPS[(status, step)]
    except KeyError:
        raise QualificationStepNotAllowed(status=status or QualificationStatus.DRAFT) from None


def requires_approval(condition_count: int) -> bool:
    """A lot with conditions of the operator's takes bids only from approved registrations."""
    return condition_count > 0


def check_proofs_complete(conditions: Iterable[tuple[int, str]], proven: set[int]) -> None:
    """Raise ProofMissing naming the first condition (id, text) without a proof."""
    for condition_id, text in conditions:
        if condition_id not in proven:
            raise ProofMissing(condition=text)


def condition_text(text: str) -> str:
    """A condition as the operator wrote it, trimmed; ConditionTextInvalid when empty or too long."""
    cleaned = " ".join(text.split())
    if not cleaned or len(cleaned) > MAX_CONDITION_CHARS:
        raise ConditionTextInvalid(max_chars=MAX_CONDITION_CHARS)
    return cleaned


def check_conditions_editable(registrations: int) -> None:
    """Raise ConditionsFixed once any institution has registered for the lot (it proved what it was asked)."""
    if registrations:
        raise ConditionsFixed()


def decision_reason(reason: str, *, required: bool) -> str:
    """The operator's reason, trimmed and bounded; DecisionReasonMissing when one is required and empty."""
    cleaned = reason.strip()[:MAX_REASON_CHARS]
    if required and not cleaned:
        raise DecisionReasonMissing()
    return cleaned


def may_review(role: Role) -> bool:
    """Who approves or refuses registrations, writes a lot's conditions and lifts bans: the trading centre."""
    return role == Role.OPERATOR


def check_reviewer(role: Role) -> None:
    """Raise ReviewerRequired unless the role may review (may_review)."""
    if not may_review(role):
        raise ReviewerRequired()


def check_may_register(*, banned: bool, already_registered: bool) -> None:
    """A banned institution keeps the lots it was registered for, and registers for no new one."""
    if banned and not already_registered:
        raise BannedFromBidding()


# ---- strikes --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class StrikeRules:
    """How many unpaid wins within how many months ban an institution (a setting of the centre)."""

    limit: int = 2
    window_months: int = 24

    def with_overrides(self, **overrides: object) -> StrikeRules:
        """A copy with some settings changed (the centre's configuration)."""
        return replace(self, **overrides)

    @classmethod
    def from_setting(cls, configured: StrikeRules | dict | None) -> StrikeRules:
        """The rules from a STRIKE_RULES setting: the rules themselves, a mapping of overrides, or nothing."""
        if isinstance(configured, StrikeRules):
            return configured
        return DEFAULT_STRIKE_RULES.with_overrides(**configured) if configured else DEFAULT_STRIKE_RULES


DEFAULT_STRIKE_RULES = StrikeRules()


def months_before(moment: datetime, months: int) -> datetime:
    """The same day and time `months` calendar months earlier (the month's last day when it is shorter)."""
    index = moment.year * 12 + moment.month - 1 - months
    year, month = divmod(index, 12)
    day = min(moment.day, calendar.monthrange(year, month + 1)[1])
    return moment.replace(year=year, month=month + 1, day=day)


def counting_strikes(struck_at: Iterable[datetime], *, now: datetime, last_lifted_at: datetime | None,
                     rules: StrikeRules = DEFAULT_STRIKE_RULES) -> int:
    """The strikes that count at `now`: within the window, and after the last ban was lifted."""
    since = months_before(now, rules.window_months)
    if last_lifted_at is not None and last_lifted_at > since:
        since = last_lifted_at
    return sum(1 for moment in struck_at if since < moment <= now)


def ban_due(struck_at: Iterable[datetime], *, now: datetime, last_lifted_at: datetime | None,
            rules: StrikeRules = DEFAULT_STRIKE_RULES) -> bool:
    """Whether the strikes that count reach the limit (the caller imposes a ban unless one is in force)."""
    return counting_strikes(struck_at, now=now, last_lifted_at=last_lifted_at, rules=rules) >= rules.limit
