"""Which inputs move the recommended budget most: each one moved down and up (e.g. by 20%), same seed.

Every variant is run with the same seed as the base (common random numbers), so the differences come
from the input, not from a new draw of the future; fewer paths than the main run are enough for that.
"Recovery" scales what a disposal brings in: the recovery rate (rate model) or the appraised value of
the pledged IP (auction model, through the pledge rate), so every price and licence fee moves with it.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from fractions import Fraction

from market.domain.loss import LAYERS, CompensationPolicy
from sim.distributions import Beta, Distribution, Fixed, LogNormal, Uniform
from sim.model import Scenario

INPUTS = {
    "pd": "default probability (PD)",
    "correlation": "asset correlation",
    "recovery": "recovery",
    "ratios": "compensation ratios",
    "growth": "loan growth",
}
_ALMOST_ONE = 0.999


@dataclass(frozen=True)
class Swing:
    """The recommended budget with one input moved down and up (yuan), around the base."""

    input: str
    label: str
    low_factor: float
    high_factor: float
    low_yuan: float
    high_yuan: float

    @property
    def width_yuan(self) -> float:
        """How far apart the two ends are."""
        return abs(self.high_yuan - self.low_yuan)


@dataclass(frozen=True)
class LineSwings:
    """One budget line's (or the total's) recommended amount on the base run, and its swings."""

    line: str  # a budget line (sim.budget_lines) or "total"
    label: str
    base_yuan: float
    swings: tuple[Swing, ...]


def vary(scenario: Scenario, name: str, factor: float) -> Scenario:
    """The scenario with one input (a key of INPUTS) multiplied by `factor`, kept within its range."""
    if name == "pd":
        segments = tuple(
            replace(s, pd_annual=min(s.pd_annual * factor, _ALMOST_ONE))
            for s in scenario.default.segments
        )
        return replace(scenario, default=replace(scenario.default, segments=segments))
    if name == "correlation":
        r = min(scenario.default.asset_correlation * factor, _ALMOST_ONE)
        return replace(scenario, default=replace(scenario.default, asset_correlation=r))
    if name == "recovery":
        return _vary_recovery(scenario, factor)
    if name == "ratios":
        policy = scenario.compensation.policy
        f = Fraction(str(factor))
        ratio = {layer: min(Fraction(1), policy.ratio_of(layer) * f) for layer in LAYERS}
        scaled = CompensationPolicy(
            ratio,
            dict(policy.cap_per_layer_fen),
            cap_per_loan_fen=policy.cap_per_loan_fen,
            cap_per_institution_year_fen=policy.cap_per_institution_year_fen,
        )
        return replace(scenario, compensation=replace(scenario.compensation, policy=scaled))
    if name == "growth":
        portfolio = replace(scenario.portfolio, growth=scenario.portfolio.growth * factor)
        return replace(scenario, portfolio=portfolio)
    raise ValueError(f"unknown input {name!r}; use one of {', '.join(INPUTS)}")


def _vary_recovery(scenario: Scenario, factor: float) -> Scenario:
    if scenario.recovery.model == "rate":
        rate = _scaled(scenario.recovery.rate, factor)
        return replace(scenario, recovery=replace(scenario.recovery, rate=rate))
    portfolio = scenario.portfolio  # appraisal = principal / pledge rate
    rows = portfolio.rows
    if rows is not None:
        rows = tuple(replace(row, pledge_rate=min(1.0, row.pledge_rate / factor)) for row in rows)
    pledge = min(1.0, portfolio.pledge_rate / factor)
    return replace(scenario, portfolio=replace(portfolio, pledge_rate=pledge, rows=rows))


def _scaled(dist: Distribution, factor: float) -> Distribution:
    """A recovery-rate distribution with its mean times `factor`, kept within [0, 1]."""
    if isinstance(dist, Fixed):
        return Fixed(min(1.0, dist.value * factor))
    if isinstance(dist, Beta):
        mean = min(dist.mean * factor, _ALMOST_ONE)
        return Beta(mean, min(dist.sd, _ALMOST_ONE * (mean * (1 - mean)) ** 0.5))
    if isinstance(dist, Uniform):
        return Uniform(min(1.0, dist.low * factor), min(1.0, dist.high * factor))
    if isinstance(dist, LogNormal):
        return LogNormal(dist.median * factor, dist.sigma)
    raise TypeError(f"cannot scale {dist!r}")


def variants(scenario: Scenario, step: float = 0.2) -> list[tuple[str, float, Scenario]]:
    """(input, factor, scenario) for every input moved down and up by `step`."""
    return [
        (name, factor, vary(scenario, name, factor))
        for name in INPUTS
        for factor in (1 - step, 1 + step)
    ]


def swings(results: list[tuple[str, float, float]]) -> list[Swing]:
    """Pair (input, factor, recommended yuan) results into swings, the widest first."""
    by_input: dict[str, dict[float, float]] = {}
    for name, factor, value in results:
        by_input.setdefault(name, {})[factor] = value
    out = []
    for name, ends in by_input.items():
        (low_f, low), (high_f, high) = sorted(ends.items())
        out.append(Swing(name, INPUTS[name], low_f, high_f, low, high))
    return sorted(out, key=lambda s: s.width_yuan, reverse=True)
