"""The distributions a scenario may name: fixed, lognormal, beta, uniform. Each samples with a given rng."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from sim.errors import ScenarioError


class Distribution(Protocol):
    """Something a scenario draws from: has a mean and samples with a numpy Generator."""

    @property
    def mean(self) -> float:
        """The expected value."""
        ...

    @property
    def largest(self) -> float:
        """No draw is above this (inf: unbounded)."""
        ...

    def sample(self, rng: np.random.Generator, size: int | tuple[int, ...]) -> np.ndarray:
        """Independent draws, using only `rng`."""
        ...


@dataclass(frozen=True)
class Fixed:
    """Always the same value (the textbook case)."""

    value: float

    @property
    def mean(self) -> float:
        """The value itself."""
        return self.value

    @property
    def largest(self) -> float:
        """The value itself."""
        return self.value

    def sample(self, rng: np.random.Generator, size: int | tuple[int, ...]) -> np.ndarray:
        """An array of the value; draws nothing from rng."""
        return np.full(size, float(self.value))


@dataclass(frozen=True)
class LogNormal:
    """A lognormal given by its median and the sigma of its log; draws above `cut` are cut to it."""

    median: float
    sigma: float
    cut: float = math.inf

    @property
    def largest(self) -> float:
        """The cut."""
        return self.cut

    @property
    def mean(self) -> float:
        """The mean, median x exp(sigma^2 / 2)."""
        return self.median * math.exp(self.sigma**2 / 2)

    def sample(self, rng: np.random.Generator, size: int | tuple[int, ...]) -> np.ndarray:
        """Draws."""
        draws = self.median * np.exp(self.sigma * rng.standard_normal(size))
        return draws if self.cut == math.inf else np.minimum(draws, self.cut)


@dataclass(frozen=True)
class Beta:
    """A beta on [0, 1] given by its mean and standard deviation."""

    mean: float
    sd: float

    @property
    def largest(self) -> float:
        """1."""
        return 1.0

    @property
    def concentration(self) -> float:
        """alpha + beta."""
        return self.mean * (1 - self.mean) / self.sd**2 - 1

    def sample(self, rng: np.random.Generator, size: int | tuple[int, ...]) -> np.ndarray:
        """Draws."""
        k = self.concentration
        return rng.beta(self.mean * k, (1 - self.mean) * k, size)


@dataclass(frozen=True)
class Uniform:
    """Uniform on [low, high]."""

    low: float
    high: float

    @property
    def mean(self) -> float:
        """The midpoint."""
        return (self.low + self.high) / 2

    @property
    def largest(self) -> float:
        """The upper end."""
        return self.high

    def sample(self, rng: np.random.Generator, size: int | tuple[int, ...]) -> np.ndarray:
        """Draws."""
        return rng.uniform(self.low, self.high, size)


def parse_distribution(
    spec: object, key: str, *, low: float = 0.0, high: float = math.inf, cut: float | None = None
) -> Distribution:
    """Read {dist = ..., ...} (or a bare number, meaning fixed) and check its support lies in [low, high].

    With `cut`, values are at most `cut` too, and a lognormal (median at most `cut`) is allowed: its
    draws are cut at the smaller of `cut` and 6 sigma above the median (one draw in 10^9 is cut)."""
    if cut is not None:
        high = min(high, cut)
    if isinstance(spec, int | float) and not isinstance(spec, bool):
        spec = {"dist": "fixed", "value": spec}
    if not isinstance(spec, dict) or "dist" not in spec:
        raise ScenarioError(key, 'must be a number or a table such as {dist = "fixed", value = 1}')
    kinds = {
        "fixed": ("value",),
        "lognormal": ("median", "sigma"),
        "beta": ("mean", "sd"),
        "uniform": ("low", "high"),
    }
    kind = spec["dist"]
    if kind not in kinds:
        raise ScenarioError(
            f"{key}.dist", f"unknown distribution {kind!r}; use one of {', '.join(kinds)}"
        )
    wanted = kinds[kind]
    for name in spec:
        if name != "dist" and name not in wanted:
            raise ScenarioError(
                f"{key}.{name}",
                f"unknown key for a {kind} distribution (it takes {', '.join(wanted)})",
            )
    values = {}
    for name in wanted:
        value = spec.get(name)
        if (
            isinstance(value, bool)
            or not isinstance(value, int | float)
            or not math.isfinite(value)
        ):
            raise ScenarioError(f"{key}.{name}", "is missing or not a finite number")
        values[name] = float(value)
    dist: Distribution
    if kind == "fixed":
        _within(key + ".value", values["value"], low, high)
        dist = Fixed(values["value"])
    elif kind == "lognormal":
        if values["median"] <= 0 or values["sigma"] < 0:
            raise ScenarioError(key, "a lognormal needs median > 0 and sigma >= 0")
        if cut is not None:
            _within(key + ".median", values["median"], low, cut)
            dist = LogNormal(
                values["median"], values["sigma"], min(cut, values["median"] * math.exp(6 * values["sigma"]))
            )
        elif high < math.inf:
            raise ScenarioError(key, f"must stay within [{low:g}, {high:g}]; a lognormal does not")
        else:
            dist = LogNormal(values["median"], values["sigma"])
    elif kind == "beta":
        if low > 0 or high < 1:
            raise ScenarioError(key, "a beta distribution is not allowed here")
        mean, sd = values["mean"], values["sd"]
        if not 0 < mean < 1 or not 0 < sd**2 < mean * (1 - mean):
            raise ScenarioError(key, "a beta needs 0 < mean < 1 and 0 < sd^2 < mean x (1 - mean)")
        dist = Beta(mean, sd)
    else:
        _within(key + ".low", values["low"], low, high)
        _within(key + ".high", values["high"], values["low"], high)
        dist = Uniform(values["low"], values["high"])
    return dist


def _within(key: str, value: float, low: float, high: float) -> None:
    if not low <= value <= high:
        raise ScenarioError(key, f"must lie between {low:g} and {high:g} (got {value:g})")
