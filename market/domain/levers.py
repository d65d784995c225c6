"""The levers city funds pull beyond a ratio per layer (Guangzhou 2025: 40/30/20% by loan size, a
yearly cap on the fund, compensation paused for a bank past its loss line): pure rules the
marketplace and both simulator engines share.

- **Ratio by loan size or bank.** A loan's compensation ratio, on every layer, is its bank's ratio
  when the policy names one, else its size band's, else the layer's own ratio (loss.CompensationPolicy).
  A band is the first whose upper edge the principal does not exceed; the last band is "above".
- **Annual cap.** The fund approves at most `annual_cap_fen` of compensation a year; claims are cut
  in order of approval (the last one partly), like the cap per institution-year.
- **Stop-loss line.** A bank's IP-pledge losses (the principal losses of its loans, counted when their
  claims are approved) over its loans (principal lent up to that year): past the line, the fund pays
  the bank's claims nothing. With `StopLossResume.YEAR_END` the losses are counted within the year, so
  the pause lasts until the year ends; with `BELOW`, over the whole programme, so it lasts until
  new lending brings the bank back below the line.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import Enum
from fractions import Fraction
from types import MappingProxyType

from market.domain.loss import (
    LAYERS,
    CompensationPolicy,
    LossRuleBroken,
    _non_negative,
    exact_share,
)


class SizeBandRatiosMismatch(LossRuleBroken):
    """A ratio per size band and one above the last edge: len(edges) + 1 of them."""

    code, fields = "size_band_ratios_mismatch", ("bands", "ratios")


class SizeBandEdgesNotIncreasing(LossRuleBroken):
    """Each size band's upper edge lies above the one before."""

    code = "size_band_edges_not_increasing"


class StopLossResume(Enum):
    """When a bank past its stop-loss line is compensated again."""

    YEAR_END = "year_end"  # losses counted within the year: paused for the rest of it
    BELOW = "below"  # losses counted over the programme: paused while above the line


@dataclass(frozen=True)
class PolicyLevers:
    """Ratios by size band and by bank, the annual cap and the stop-loss line (all optional)."""

    size_band_edges_fen: tuple[int, ...] = ()  # upper edges, increasing
    size_band_ratios: tuple[Fraction, ...] = ()  # one per band: len(edges) + 1, or none
    bank_ratios: Mapping[str, Fraction] = field(default_factory=dict)
    annual_cap_fen: int | None = None
    stop_loss_share: Fraction | None = None
    stop_loss_resume: StopLossResume = StopLossResume.YEAR_END

    def __post_init__(self) -> None:
        ratios = tuple(exact_share(r, "size_band_ratio") for r in self.size_band_ratios)
        object.__setattr__(self, "size_band_ratios", ratios)
        banks = {name: exact_share(r, f"bank_ratio.{name}") for name, r in self.bank_ratios.items()}
        object.__setattr__(self, "bank_ratios", MappingProxyType(banks))
        if self.stop_loss_share is not None:
            object.__setattr__(
                self, "stop_loss_share", exact_share(self.stop_loss_share, "stop_loss_share")
            )
        _non_negative(annual_cap=self.annual_cap_fen)
        edges = self.size_band_edges_fen
        if ratios and len(ratios) != len(edges) + 1:
            raise SizeBandRatiosMismatch(bands=len(edges) + 1, ratios=len(ratios))
        if any(b <= a for a, b in zip(edges, edges[1:], strict=False)):
            raise SizeBandEdgesNotIncreasing()

    @property
    def any(self) -> bool:
        """True when some lever is set (without any, the plain policy applies)."""
        return bool(
            self.size_band_ratios
            or self.bank_ratios
            or self.annual_cap_fen is not None
            or self.stop_loss_share is not None
        )

    @property
    def varies_ratio(self) -> bool:
        """True when a loan's ratio depends on its size or bank."""
        return bool(self.size_band_ratios or self.bank_ratios)


def size_band(principal_fen: int, edges_fen: tuple[int, ...]) -> int:
    """The band of a principal: the first whose upper edge it does not exceed (len(edges): above)."""
    return bisect_left(edges_fen, principal_fen)


def loan_ratio(levers: PolicyLevers, principal_fen: int, bank: str | None) -> Fraction | None:
    """The ratio every layer of this loan gets: its bank's, else its size band's; None: the layers'."""
    if bank is not None and bank in levers.bank_ratios:
        return levers.bank_ratios[bank]
    if levers.size_band_ratios:
        return levers.size_band_ratios[size_band(principal_fen, levers.size_band_edges_fen)]
    return None


def policy_for_loan(
    policy: CompensationPolicy, levers: PolicyLevers, principal_fen: int, bank: str | None
) -> CompensationPolicy:
    """The policy a loan's claims are computed with (loss.compute_claims): its ratio on every layer
    when the levers set one, the caps unchanged."""
    ratio = loan_ratio(levers, principal_fen, bank)
    if ratio is None:
        return policy
    return CompensationPolicy(
        ratio={layer: ratio for layer in LAYERS},
        cap_per_layer_fen=policy.cap_per_layer_fen,
        cap_per_loan_fen=policy.cap_per_loan_fen,
        cap_per_institution_year_fen=policy.cap_per_institution_year_fen,
    )


def within_annual_cap(claim_fen: int, approved_this_year_fen: int, levers: PolicyLevers) -> int:
    """What of a claim the fund may still approve this year under its annual cap."""
    _non_negative(claim=claim_fen, approved=approved_this_year_fen)
    cap = levers.annual_cap_fen
    return claim_fen if cap is None else max(0, min(claim_fen, cap - approved_this_year_fen))


def past_stop_loss(bank_losses_fen: int, bank_loans_fen: int, levers: PolicyLevers) -> bool:
    """True when a bank's counted losses exceed the stop-loss share of its loans (compensation paused)."""
    _non_negative(losses=bank_losses_fen, loans=bank_loans_fen)
    share = levers.stop_loss_share
    if share is None:
        return False
    return bank_losses_fen * share.denominator > share.numerator * bank_loans_fen
