"""The scenario model: frozen dataclasses for everything a simulation needs (built by sim.scenario)."""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction

from market.domain.levers import PolicyLevers
from market.domain.loss import CompensationPolicy, LayerShares, Shortfall
from sim.distributions import Distribution


@dataclass(frozen=True)
class LoanRow:
    """One loan of a portfolio file."""

    principal_fen: int
    segment: str
    rate: float
    pledge_rate: float
    bank: str = "all"


@dataclass(frozen=True)
class Portfolio:
    """The initial book (generated from a principal distribution, or rows of a file) and its growth.

    A file's book grows by resampling its rows; principal_yuan, if also given, then sets new loans' principal.
    """

    loans: int
    principal_yuan: Distribution | None
    rows: tuple[LoanRow, ...] | None
    rate: float
    term_years: int
    pledge_rate: float
    growth: float
    # the lending banks (a file's: its bank column, in order of first appearance), each a share of
    # every (vintage, segment) cell of a generated book; only risk contributions read them
    banks: tuple[Bank, ...] = ()
    # upper edges of the loan-size bands (yuan): a loan of principal <= edge falls in that band
    size_bands_yuan: tuple[float, ...] = (5_000_000.0, 10_000_000.0)

    @property
    def bank_names(self) -> tuple[str, ...]:
        """The banks' names; a book without banks is one bank, "all"."""
        return tuple(bank.name for bank in self.banks) or ("all",)


@dataclass(frozen=True)
class Bank:
    """A lending bank and its share of a generated book."""

    name: str
    share: Fraction


@dataclass(frozen=True)
class Segment:
    """A group of loans with one annual probability of default (industry, IP type)."""

    name: str
    share: Fraction
    pd_annual: float


@dataclass(frozen=True)
class DefaultModel:
    """The segments' (sectors') PDs, the asset correlation R and the copula (sim.copula): one
    Gaussian factor by default; with `factor_correlation`, one factor per sector, correlated; with
    copula "t", every asset value divided by sqrt(W / nu), W ~ chi-squared(nu), one W a year."""

    segments: tuple[Segment, ...]
    asset_correlation: float
    factor_correlation: tuple[tuple[float, ...], ...] | None = None  # sectors x sectors
    copula: str = "gaussian"  # or "t"
    degrees_of_freedom: float | None = None  # nu, for the t copula

    @property
    def one_factor_gaussian(self) -> bool:
        """The default model: one Gaussian factor for every loan."""
        return self.factor_correlation is None and self.copula == "gaussian"


@dataclass(frozen=True)
class RecoveryModel:
    """How a defaulted loan turns into cash: a recovery-rate distribution or a simulated auction."""

    model: str  # "rate" or "auction"
    rate: Distribution
    costs_rate: Fraction
    delay_days: Distribution


@dataclass(frozen=True)
class AuctionModel:
    """The trading centre's disposal: rounds, cuts, bidders, timings and what happens after failure."""

    start_share: float
    cut: float
    rounds: int
    bidders_mean: float
    bidder_count: str  # "poisson" or "fixed"
    values: str  # "lognormal" or "uniform"
    value_sigma: float
    macro_sensitivity: float
    filing_days: float
    notice_days: float
    renotice_days: float
    round_days: float
    negotiated_days: float  # 0: no negotiated sale after the last round
    fallback: str  # "licence", "conversion" or "none"
    fallback_share: float
    fallback_days: float
    operators: int | None  # None: unlimited capacity


@dataclass(frozen=True)
class CompensationModel:
    """The fund: policy, budget, balance, shortfall policy and claim timing."""

    policy: CompensationPolicy
    annual_budget_fen: int | None  # None: no budget limit
    initial_balance_fen: int | None  # None: no balance limit
    annual_contribution_fen: int
    shortfall: Shortfall
    claim_days: float | None  # None: claims are filed when the disposal completes
    payment_lag_days: float
    settlements_per_year: int
    joint_pot: bool = False  # the fund's budget and balance also pay the subsidies
    # ratios by size band and bank, the annual cap, the stop-loss line (market/domain/levers.py)
    levers: PolicyLevers = field(default_factory=PolicyLevers)


@dataclass(frozen=True)
class SubsidyModel:
    """The subsidy lines: each a share of a cost (interest, appraisal fee, guarantee or insurance
    premium), capped per firm (per year for the yearly ones), for eligible loans only."""

    interest_share: Fraction
    interest_cap_fen: int | None
    appraisal_fee_rate: float = 0.0  # the appraisal fee, as a share of the appraised value
    appraisal_fee_share: Fraction = Fraction(0)
    appraisal_fee_cap_fen: int | None = None
    premium_rate: float = 0.0  # the yearly guarantee fee or insurance premium, a share of principal
    premium_share: Fraction = Fraction(0)
    premium_cap_fen: int | None = None
    eligible_share: Fraction = Fraction(1)  # of each vintage's loans in the eligible segments
    eligible_segments: tuple[str, ...] = ()  # () : every segment
    annual_budget_fen: int | None = None  # the subsidies' own pot a year; None: no limit


@dataclass(frozen=True)
class Scenario:
    """Everything one simulation needs; built only by `load`/`parse`, so it is always valid."""

    name: str
    horizon_years: int
    seed: int
    portfolio: Portfolio
    default: DefaultModel
    recovery: RecoveryModel
    auction: AuctionModel
    layers: LayerShares
    compensation: CompensationModel
    subsidy: SubsidyModel
