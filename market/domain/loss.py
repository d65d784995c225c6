"""Recovery, loss and compensation (DOMAIN.md section 4): the one rule the marketplace and the simulator share.

All money is integer fen; shares and ratios are exact fractions. Rounding: a share of an amount is
rounded DOWN to the fen (the fund never owes a fen the rule does not give); a whole split into parts
(layer losses, a capped sum) uses largest-remainder rounding so the parts add up to the whole.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from decimal import Decimal
from enum import Enum
from fractions import Fraction
from types import MappingProxyType

from market.domain.errors import Refusal

ShareLike = Fraction | Decimal | int | str | float


class LossRuleBroken(Refusal, ValueError):
    """A loss or compensation input breaks the rule (the simulator's scenario checks catch it as ValueError)."""

    code = "loss_rule_broken"


class InvalidShare(LossRuleBroken):
    """A share, fraction or ratio is not an exact number such as 0.3 or 3/10."""

    code, fields = "invalid_share", ("name", "value")


class ShareOutOfRange(InvalidShare):
    """A share lies between 0 and 1."""

    code = "share_out_of_range"


class SharesDoNotSumToOne(LossRuleBroken):
    """The layer shares of a loan must add up to exactly 1."""

    code, fields = "shares_do_not_sum_to_one", ("total",)


class NegativeAmount(LossRuleBroken):
    """Money amounts in this rule are never negative."""

    code, fields = "negative_amount", ("name", "amount_fen")


class Layer(Enum):
    """The parties that bear a share of a loan's principal loss, in tie-break order."""

    BANK = "bank"
    GUARANTOR = "guarantor"
    INSURER = "insurer"
    AGENCY = "agency"


LAYERS: tuple[Layer, ...] = tuple(Layer)


def exact_share(value: ShareLike, name: str = "share") -> Fraction:
    """Read a share as an exact fraction in [0, 1]; a float is read by its shortest repr (0.1 -> 1/10)."""
    if isinstance(value, bool):
        raise InvalidShare(name=name, value=repr(value))
    try:
        share = Fraction(str(value)) if isinstance(value, float | Decimal) else Fraction(value)
    except (ValueError, TypeError, ZeroDivisionError) as exc:
        raise InvalidShare(name=name, value=repr(value)) from exc
    if not 0 <= share <= 1:
        raise ShareOutOfRange(name=name, value=str(value))
    return share


def fen_share(amount_fen: int, share: Fraction) -> int:
    """A share of an amount, rounded down to the fen."""
    return amount_fen * share.numerator // share.denominator


def _non_negative(**amounts: int | None) -> None:
    for name, fen in amounts.items():
        if fen is not None and fen < 0:
            raise NegativeAmount(name=name, amount_fen=fen)


@dataclass(frozen=True)
class RecoveryApplied:
    """How disposal proceeds were applied (Civil Code art. 561) and the principal loss left."""

    to_costs: int
    to_interest: int
    to_principal: int
    surplus: int
    principal_loss: int


def apply_recovery(
    proceeds_fen: int, costs_fen: int, unpaid_interest_fen: int, principal_fen: int
) -> RecoveryApplied:
    """Apply proceeds to costs, then unpaid interest, then principal; the rest is surplus."""
    _non_negative(
        proceeds=proceeds_fen,
        costs=costs_fen,
        interest=unpaid_interest_fen,
        principal=principal_fen,
    )
    to_costs = min(proceeds_fen, costs_fen)
    to_interest = min(proceeds_fen - to_costs, unpaid_interest_fen)
    to_principal = min(proceeds_fen - to_costs - to_interest, principal_fen)
    surplus = proceeds_fen - to_costs - to_interest - to_principal
    return RecoveryApplied(
        to_costs, to_interest, to_principal, surplus, principal_fen - to_principal
    )


def largest_remainder(total_fen: int, weights: Iterable[Fraction]) -> list[int]:
    """Split a total by weights summing to 1 so the parts add up exactly; ties go to the earlier weight."""
    _non_negative(total=total_fen)
    weights = list(weights)
    if sum(weights) != 1:
        raise SharesDoNotSumToOne(total=str(sum(weights)))
    exact = [total_fen * w for w in weights]
    parts = [int(x) for x in exact]  # floor: weights and total are non-negative
    left = total_fen - sum(parts)
    order = sorted(range(len(weights)), key=lambda i: (-(exact[i] - parts[i]), i))
    for i in order[:left]:
        parts[i] += 1
    return parts


def split_largest_remainder(total_fen: int, shares: Mapping[Layer, ShareLike]) -> dict[Layer, int]:
    """Split a total across layers by exact shares summing to 1; the parts add up to the total to the fen."""
    layers = [layer for layer in LAYERS if layer in shares]
    weights = [exact_share(shares[layer], layer.value) for layer in layers]
    return dict(zip(layers, largest_remainder(total_fen, weights), strict=True))


@dataclass(frozen=True)
class LayerShares:
    """Who bears a loan's loss (bank, guarantor, insurer, agency: sum 1) and what they passed on."""

    bank: Fraction = Fraction(0)
    guarantor: Fraction = Fraction(0)
    insurer: Fraction = Fraction(0)
    agency: Fraction = Fraction(0)
    reguarantee: Fraction = Fraction(0)  # share of the guarantor's loss passed to a re-guarantor
    reinsurance: Fraction = Fraction(0)  # share of the insurer's loss passed to a reinsurer

    def __post_init__(self) -> None:
        for name in ("bank", "guarantor", "insurer", "agency", "reguarantee", "reinsurance"):
            object.__setattr__(self, name, exact_share(getattr(self, name), name))
        total = self.bank + self.guarantor + self.insurer + self.agency
        if total != 1:
            raise SharesDoNotSumToOne(total=str(total))

    def of(self, layer: Layer) -> Fraction:
        """The share of the loss this layer bears."""
        return getattr(self, layer.value)

    def by_layer(self) -> dict[Layer, Fraction]:
        """The four layer shares, in layer order."""
        return {layer: self.of(layer) for layer in LAYERS}

    def passed_on(self, layer: Layer) -> Fraction:
        """The fraction of this layer's loss passed on (re-guarantee, reinsurance), outside the base."""
        return {Layer.GUARANTOR: self.reguarantee, Layer.INSURER: self.reinsurance}.get(
            layer, Fraction(0)
        )


@dataclass(frozen=True)
class CompensationPolicy:
    """The fund's ratios per layer and its optional caps (per layer per loan, per loan, per institution-year)."""

    ratio: Mapping[Layer, Fraction]
    cap_per_layer_fen: Mapping[Layer, int] = field(default_factory=dict)
    cap_per_loan_fen: int | None = None
    cap_per_institution_year_fen: int | None = None

    def __post_init__(self) -> None:
        ratio = {layer: exact_share(r, f"ratio.{layer.value}") for layer, r in self.ratio.items()}
        object.__setattr__(self, "ratio", MappingProxyType(ratio))
        object.__setattr__(
            self, "cap_per_layer_fen", MappingProxyType(dict(self.cap_per_layer_fen))
        )
        _non_negative(
            cap_per_loan=self.cap_per_loan_fen, cap_per_year=self.cap_per_institution_year_fen
        )
        _non_negative(**{f"cap.{k.value}": v for k, v in self.cap_per_layer_fen.items()})

    @classmethod
    def uniform(cls, ratio: ShareLike, **caps: int | None) -> CompensationPolicy:
        """The same ratio on every layer, with optional caps."""
        return cls(ratio={layer: exact_share(ratio, "ratio") for layer in LAYERS}, **caps)

    def ratio_of(self, layer: Layer) -> Fraction:
        """The compensation ratio of a layer (0 when the policy names none)."""
        return self.ratio.get(layer, Fraction(0))

    def cap_of(self, layer: Layer) -> int | None:
        """The per-loan cap on a layer's claim, if any."""
        return self.cap_per_layer_fen.get(layer)


def compensation_base(layer_losses: Mapping[Layer, int], shares: LayerShares) -> dict[Layer, int]:
    """Each layer's loss minus what it passed on (re-guarantee, reinsurance), rounded down to the fen."""
    return {
        layer: fen_share(loss, 1 - shares.passed_on(layer)) for layer, loss in layer_losses.items()
    }


@dataclass(frozen=True)
class LayerClaim:
    """One layer's line of a loan's compensation claim."""

    layer: Layer
    share: Fraction
    loss_fen: int
    dispersed_fen: int  # passed on to a re-guarantor or reinsurer
    base_fen: int
    ratio: Fraction
    cap_fen: int | None
    claim_fen: int


@dataclass(frozen=True)
class ClaimBreakdown:
    """A loan's claims on the fund, layer by layer, after the per-layer and per-loan caps."""

    principal_loss_fen: int
    lines: tuple[LayerClaim, ...]

    @property
    def total_fen(self) -> int:
        """The loan's total claim."""
        return sum(line.claim_fen for line in self.lines)

    def claim_of(self, layer: Layer) -> int:
        """The claim of one layer."""
        return self.by_layer()[layer]

    def by_layer(self) -> dict[Layer, int]:
        """Claims per layer, in layer order."""
        return {line.layer: line.claim_fen for line in self.lines}


def compute_claims(
    principal_loss_fen: int, shares: LayerShares, policy: CompensationPolicy
) -> ClaimBreakdown:
    """Split a principal loss over the layers and compute each claim: min(ratio x base, cap), then the loan cap."""
    losses = split_largest_remainder(principal_loss_fen, shares.by_layer())
    bases = compensation_base(losses, shares)
    claims = {}
    for layer in LAYERS:
        claim = fen_share(bases[layer], policy.ratio_of(layer))
        cap = policy.cap_of(layer)
        claims[layer] = claim if cap is None else min(claim, cap)
    total = sum(claims.values())
    if policy.cap_per_loan_fen is not None and total > policy.cap_per_loan_fen:
        weights = [Fraction(claims[layer], total) for layer in LAYERS]
        claims = dict(zip(LAYERS, largest_remainder(policy.cap_per_loan_fen, weights), strict=True))
    lines = tuple(
        LayerClaim(
            layer=layer,
            share=shares.of(layer),
            loss_fen=losses[layer],
            dispersed_fen=losses[layer] - bases[layer],
            base_fen=bases[layer],
            ratio=policy.ratio_of(layer),
            cap_fen=policy.cap_of(layer),
            claim_fen=claims[layer],
        )
        for layer in LAYERS
    )
    return ClaimBreakdown(principal_loss_fen, lines)


def cap_for_institution_year(
    claim_fen: int, approved_this_year_fen: int, policy: CompensationPolicy
) -> int:
    """What of a claim fits under the institution's yearly cap, given what was already approved this year."""
    cap = policy.cap_per_institution_year_fen
    return claim_fen if cap is None else max(0, min(claim_fen, cap - approved_this_year_fen))


class Shortfall(Enum):
    """What happens to the part of a claim the fund cannot pay now."""

    WAIT = "wait"  # it waits, in order of approval, for the next money
    LAPSE = "lapse"  # it is not paid


@dataclass(frozen=True)
class ApprovedClaim:
    """A claim the bureau approved and still owes (the unpaid part, for a waiting claim)."""

    claim_id: Hashable
    amount_fen: int
    layer: Layer | None = None


@dataclass(frozen=True)
class Fund:
    """The risk-compensation fund: its balance, what is left of this year's budget, and the waiting claims."""

    balance_fen: int
    budget_left_fen: int
    waiting: tuple[ApprovedClaim, ...] = ()

    @property
    def waiting_fen(self) -> int:
        """Total owed to waiting claims."""
        return sum(claim.amount_fen for claim in self.waiting)

    def start_year(self, budget_fen: int, contribution_fen: int = 0) -> Fund:
        """A new budget year: the budget is reset and the year's contribution is added to the balance."""
        _non_negative(budget=budget_fen, contribution=contribution_fen)
        return replace(
            self, budget_left_fen=budget_fen, balance_fen=self.balance_fen + contribution_fen
        )

    def receive(self, amount_fen: int) -> Fund:
        """Money coming back into the fund (a clawback); it adds to the balance, not to the budget."""
        _non_negative(amount=amount_fen)
        return replace(self, balance_fen=self.balance_fen + amount_fen)

    def revise_waiting(self, claim_id: Hashable, amount_fen: int) -> Fund:
        """Change what a waiting claim is still owed (after a late recovery); 0 removes it."""
        _non_negative(amount=amount_fen)
        waiting = tuple(
            replace(claim, amount_fen=amount_fen) if claim.claim_id == claim_id else claim
            for claim in self.waiting
        )
        return replace(self, waiting=tuple(claim for claim in waiting if claim.amount_fen > 0))


@dataclass(frozen=True)
class Payment:
    """What the fund did with one claim in a settlement."""

    claim_id: Hashable
    paid_fen: int
    waiting_fen: int
    lapsed_fen: int


@dataclass(frozen=True)
class Settlement:
    """The fund after paying a batch of claims, and the payment of each claim."""

    fund: Fund
    payments: tuple[Payment, ...]

    @property
    def paid_fen(self) -> int:
        """Total paid out in this settlement."""
        return sum(p.paid_fen for p in self.payments)

    @property
    def short(self) -> bool:
        """True when the budget or balance left some claim not fully paid."""
        return any(p.waiting_fen or p.lapsed_fen for p in self.payments)


def pay_claims(
    fund: Fund, claims: Iterable[ApprovedClaim], shortfall: Shortfall = Shortfall.WAIT
) -> Settlement:
    """Pay the waiting claims, then the new ones, in order of approval, as far as budget and balance allow."""
    available = max(0, min(fund.balance_fen, fund.budget_left_fen))
    paid_total, waiting, payments = 0, [], []
    for claim in (*fund.waiting, *claims):
        _non_negative(claim=claim.amount_fen)
        paid = min(claim.amount_fen, available - paid_total)
        paid_total += paid
        unpaid = claim.amount_fen - paid
        keep = unpaid if shortfall is Shortfall.WAIT else 0
        if keep:
            waiting.append(replace(claim, amount_fen=keep))
        payments.append(Payment(claim.claim_id, paid, keep, unpaid - keep))
    after = Fund(fund.balance_fen - paid_total, fund.budget_left_fen - paid_total, tuple(waiting))
    return Settlement(after, tuple(payments))


@dataclass(frozen=True)
class Clawback:
    """A claim recomputed after a late recovery: the excess already paid comes back, the rest is still due."""

    claims: ClaimBreakdown
    clawed_back: Mapping[Layer, int]
    still_due: Mapping[Layer, int]

    @property
    def total_fen(self) -> int:
        """Total money returned to the fund."""
        return sum(self.clawed_back.values())


def clawback(
    paid: Mapping[Layer, int],
    principal_loss_fen: int,
    shares: LayerShares,
    policy: CompensationPolicy,
) -> Clawback:
    """Recompute a loan's claims with the new (smaller) loss; claw back what was paid above the new claim."""
    claims = compute_claims(principal_loss_fen, shares, policy)
    new = claims.by_layer()
    paid_by = {layer: paid.get(layer, 0) for layer in LAYERS}
    _non_negative(**{f"paid.{k.value}": v for k, v in paid_by.items()})
    back = {layer: max(0, paid_by[layer] - new[layer]) for layer in LAYERS}
    due = {layer: max(0, new[layer] - paid_by[layer]) for layer in LAYERS}
    return Clawback(claims, MappingProxyType(back), MappingProxyType(due))


def interest_subsidy_fen(
    interest_paid_fen: int, share: ShareLike, cap_fen: int | None, subsidised_this_year_fen: int = 0
) -> int:
    """The interest subsidy owed to a firm: a share of the interest paid, within its yearly cap."""
    _non_negative(interest=interest_paid_fen, subsidised=subsidised_this_year_fen, cap=cap_fen)
    subsidy = fen_share(interest_paid_fen, exact_share(share, "interest share"))
    return subsidy if cap_fen is None else max(0, min(subsidy, cap_fen - subsidised_this_year_fen))
