"""Settlement of a disposed case and the review of compensation claims: pure rules, no framework.

The statement applies a case's proceeds in the Civil Code art. 561 order (market.domain.loss) and
splits the principal loss over the layers. The claim review is a small state table with four eyes
above a configured amount.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from fractions import Fraction

from market.domain.errors import Kind
from market.domain.loss import (
    LAYERS,
    Layer,
    LayerShares,
    RecoveryApplied,
    apply_recovery,
    compensation_base,
    fen_share,
    split_largest_remainder,
)
from market.domain.rules import RuleBroken

PPM = 1_000_000


def ppm_fraction(ppm: int) -> Fraction:
    """An exact fraction from parts per million."""
    return Fraction(int(ppm), PPM)


@dataclass(frozen=True)
class CostSettings:
    """The trading centre's disposal costs; defaults are settings, overridable per centre and per case."""

    commission_ppm: int = 20_000  # the centre's commission: 2% of the gross proceeds
    appraisal_ppm: int = 3_000  # appraisal fee: 0.3% of the appraised value ...
    appraisal_min_fen: int = 500_000  # ... and at least ¥5,000
    tax_ppm: int = 500  # stamp duty on the transfer contract: 0.05% of the gross proceeds

    @classmethod
    def from_mapping(cls, values: dict | None) -> CostSettings:
        """Settings from a configuration mapping (unknown keys are refused)."""
        return cls(**(values or {}))


@dataclass(frozen=True)
class DisposalCosts:
    """What disposing of a case cost, paid first out of the proceeds."""

    commission_fen: int = 0
    appraisal_fen: int = 0
    taxes_fen: int = 0
    other_fen: int = 0

    def __post_init__(self) -> None:
        for name in ("commission_fen", "appraisal_fen", "taxes_fen", "other_fen"):
            if getattr(self, name) < 0:
                raise NegativeCost(cost=CostItem(name.removesuffix("_fen")))

    @property
    def total_fen(self) -> int:
        """All the costs together."""
        return self.commission_fen + self.appraisal_fen + self.taxes_fen + self.other_fen


class CostItem(enum.StrEnum):
    """The kinds of disposal cost."""

    COMMISSION = "commission"
    APPRAISAL = "appraisal"
    TAXES = "taxes"
    OTHER = "other"


class NegativeCost(RuleBroken):
    """A disposal cost is never negative."""

    code, fields = "negative_cost", ("cost",)


def default_costs(
    gross_proceeds_fen: int, appraised_value_fen: int | None, other_fen: int, settings: CostSettings
) -> DisposalCosts:
    """The costs the settings give for a case (the operator may change them before settling)."""
    appraisal = 0
    if appraised_value_fen:
        appraisal = max(settings.appraisal_min_fen, fen_share(appraised_value_fen, ppm_fraction(settings.appraisal_ppm)))
    return DisposalCosts(
        commission_fen=fen_share(gross_proceeds_fen, ppm_fraction(settings.commission_ppm)),
        appraisal_fen=appraisal,
        taxes_fen=fen_share(gross_proceeds_fen, ppm_fraction(settings.tax_ppm)),
        other_fen=other_fen,
    )


def costs_after_later_recovery(costs: DisposalCosts, amount_fen: int, settings: CostSettings) -> DisposalCosts:
    """Money received later bears the centre's commission and the taxes at the same rates."""
    return DisposalCosts(
        commission_fen=costs.commission_fen + fen_share(amount_fen, ppm_fraction(settings.commission_ppm)),
        appraisal_fen=costs.appraisal_fen,
        taxes_fen=costs.taxes_fen + fen_share(amount_fen, ppm_fraction(settings.tax_ppm)),
        other_fen=costs.other_fen,
    )


@dataclass(frozen=True)
class LayerLoss:
    """One layer's part of a case's principal loss."""

    layer: Layer
    share: Fraction
    loss_fen: int
    dispersed_fen: int  # passed on to a re-guarantor or reinsurer
    base_fen: int  # what the fund's ratio applies to


@dataclass(frozen=True)
class Statement:
    """A case's settlement statement: proceeds, costs, interest, principal, and the loss per layer."""

    channel_recovery_fen: int
    forfeited_fen: int
    later_recoveries_fen: int
    costs: DisposalCosts
    unpaid_interest_fen: int
    principal_fen: int
    applied: RecoveryApplied
    layers: tuple[LayerLoss, ...]

    @property
    def gross_proceeds_fen(self) -> int:
        """Everything the disposal brought in."""
        return self.channel_recovery_fen + self.forfeited_fen + self.later_recoveries_fen

    @property
    def principal_loss_fen(self) -> int:
        """Principal outstanding minus what the proceeds paid of it."""
        return self.applied.principal_loss

    def layer(self, layer: Layer) -> LayerLoss:
        """The line of one layer."""
        return next(line for line in self.layers if line.layer == layer)


def assemble_statement(
    *,
    channel_recovery_fen: int,
    forfeited_fen: int,
    later_recoveries_fen: int,
    costs: DisposalCosts,
    unpaid_interest_fen: int,
    principal_fen: int,
    shares: LayerShares,
) -> Statement:
    """Apply the proceeds (costs, then interest, then principal) and split the principal loss over the layers."""
    gross = channel_recovery_fen + forfeited_fen + later_recoveries_fen
    applied = apply_recovery(gross, costs.total_fen, unpaid_interest_fen, principal_fen)
    losses = split_largest_remainder(applied.principal_loss, shares.by_layer())
    bases = compensation_base(losses, shares)
    lines = tuple(
        LayerLoss(layer, shares.of(layer), losses[layer], losses[layer] - bases[layer], bases[layer])
        for layer in LAYERS
    )
    return Statement(channel_recovery_fen, forfeited_fen, later_recoveries_fen, costs, unpaid_interest_fen,
                     principal_fen, applied, lines)


@dataclass(frozen=True)
class Payouts:
    """What the trading centre pays out of a case's proceeds: its commission, other costs, the bank, the debtor."""

    commission_fen: int = 0
    costs_fen: int = 0
    bank_fen: int = 0
    surplus_fen: int = 0

    @property
    def total_fen(self) -> int:
        """All payouts together."""
        return self.commission_fen + self.costs_fen + self.bank_fen + self.surplus_fen


def payout_targets(statement: Statement) -> Payouts:
    """Where the statement sends the proceeds: commission first among the costs, then the rest in order."""
    to_costs = statement.applied.to_costs
    commission = min(statement.costs.commission_fen, to_costs)
    return Payouts(
        commission_fen=commission,
        costs_fen=to_costs - commission,
        bank_fen=statement.applied.to_interest + statement.applied.to_principal,
        surplus_fen=statement.applied.surplus,
    )


def payouts_due(statement: Statement, already: Payouts, held_fen: int) -> Payouts:
    """What to pay now out of the money the centre holds for the case, in the statement's order."""
    target = payout_targets(statement)
    left = max(0, held_fen)
    due = {}
    for name in ("commission_fen", "costs_fen", "bank_fen", "surplus_fen"):
        amount = min(max(0, getattr(target, name) - getattr(already, name)), left)
        due[name] = amount
        left -= amount
    return Payouts(**due)


# --- compensation claims: kinds, states and the review ---------------------------------------------


class ClaimKind(enum.StrEnum):
    """What a claim on the fund is for."""

    COMPENSATION = "compensation"  # a share of a principal loss (DOMAIN.md section 4)
    INTEREST_SUBSIDY = "interest_subsidy"  # 贴息
    APPRAISAL_SUBSIDY = "appraisal_subsidy"  # 评估费补贴
    PREMIUM_SUBSIDY = "premium_subsidy"  # 担保费 / 保费补贴

    @property
    def is_subsidy(self) -> bool:
        """Subsidies come out of the subsidy budget line."""
        return self is not ClaimKind.COMPENSATION


class ClaimState(enum.StrEnum):
    """Where a claim on the fund stands."""

    DRAFTED = "drafted"  # computed by the system from a statement; the institution has not filed it
    FILED = "filed"  # waiting for the bureau's review
    AWAITING_SECOND_APPROVAL = "awaiting_second_approval"  # four eyes: a second bureau user must approve
    APPROVED = "approved"  # queued for payment in order of approval
    PENDING = "pending"  # the fund could not pay all of it yet; the rest waits in order
    PAID = "paid"
    LAPSED = "lapsed"  # the unpaid part lapsed under the shortfall policy
    REJECTED = "rejected"
    CLAWED_BACK = "clawed_back"  # a later recovery made part of the payment repayable

    @property
    def in_payment_queue(self) -> bool:
        """Approved and still owed something."""
        return self in (ClaimState.APPROVED, ClaimState.PENDING)


class ReviewDecision(enum.StrEnum):
    """What a bureau reviewer decides."""

    APPROVE = "approve"
    REDUCE = "reduce"
    REJECT = "reject"


class ClaimNotReviewable(RuleBroken):
    """Only filed claims and claims awaiting a second approval can be reviewed."""

    code, kind, fields = "claim_not_reviewable", Kind.CONFLICT, ("state",)


class FourEyesRequired(RuleBroken):
    """A claim above the four-eyes amount needs a second, different bureau user."""

    code = "four_eyes_required"


class ReductionInvalid(RuleBroken):
    """A reduced amount must be above zero and below the amount under review."""

    code, fields = "reduction_invalid", ("under_review_fen",)


class AboveYearCap(RuleBroken):
    """An approval may not take an institution or firm above its yearly cap."""

    code, fields = "above_year_cap", ("room_fen",)


class ReasonRequiredForClaim(RuleBroken):
    """Reducing or rejecting a claim needs a reason the claimant can read."""

    code = "claim_reason_required"


@dataclass(frozen=True)
class ReviewOutcome:
    """The result of one review step."""

    step: int  # 1 or 2
    next_state: ClaimState
    amount_fen: int  # the amount approved at this step (0 for a rejection)


def review_claim(
    *,
    state: ClaimState,
    claimed_fen: int,
    first_reviewer_id: int | None,
    first_amount_fen: int | None,
    reviewer_id: int,
    decision: ReviewDecision,
    amount_fen: int | None = None,
    reason: str = "",
    four_eyes_above_fen: int | None,
    year_room_fen: int | None,
) -> ReviewOutcome:
    """One bureau review step: approve, reduce with reason, or reject with reason; four eyes above the threshold."""
    if state == ClaimState.FILED:
        step, under_review = 1, claimed_fen
    elif state == ClaimState.AWAITING_SECOND_APPROVAL:
        if reviewer_id == first_reviewer_id:
            raise FourEyesRequired()
        step, under_review = 2, first_amount_fen or 0
    else:
        raise ClaimNotReviewable(state=state)
    if decision != ReviewDecision.APPROVE and not reason.strip():
        raise ReasonRequiredForClaim()
    if decision == ReviewDecision.REJECT:
        return ReviewOutcome(step, ClaimState.REJECTED, 0)
    amount = under_review
    if decision == ReviewDecision.REDUCE:
        if amount_fen is None or not 0 < amount_fen < under_review:
            raise ReductionInvalid(under_review_fen=under_review)
        amount = amount_fen
    if year_room_fen is not None and amount > year_room_fen:
        raise AboveYearCap(room_fen=year_room_fen)
    needs_second = step == 1 and four_eyes_above_fen is not None and amount > four_eyes_above_fen
    return ReviewOutcome(step, ClaimState.AWAITING_SECOND_APPROVAL if needs_second else ClaimState.APPROVED, amount)


def state_after_payment(*, due_fen: int, paid_fen: int, pending_fen: int, lapsed_fen: int) -> ClaimState:
    """Where a claim stands after a payment run: paid, still pending, or lapsed."""
    if pending_fen > 0:
        return ClaimState.PENDING
    if lapsed_fen > 0:
        return ClaimState.LAPSED
    if paid_fen >= due_fen:
        return ClaimState.PAID
    return ClaimState.APPROVED
