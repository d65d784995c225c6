"""A strict reader for one TOML table: every key is typed and checked, and unknown keys are an error."""

from __future__ import annotations

import math
from fractions import Fraction
from typing import Any

from market.domain.loss import LossRuleBroken, exact_share
from market.domain.money import yuan_to_fen
from sim.distributions import Distribution, parse_distribution
from sim.errors import ScenarioError
from sim.limits import MAX_AMOUNT_YUAN

_MISSING: Any = object()


class Table:
    """One table of a scenario file; keys read are remembered so `done` can reject the others."""

    def __init__(self, data: object, prefix: str) -> None:
        if not isinstance(data, dict):
            raise ScenarioError(prefix or "scenario", "must be a table")
        self.data: dict[str, Any] = data
        self.prefix = prefix
        self.read: set[str] = set()

    def key(self, name: str) -> str:
        """The full dotted name of a key, for messages."""
        return f"{self.prefix}.{name}" if self.prefix else name

    def has(self, name: str) -> bool:
        """True when the file gives this key."""
        return name in self.data

    def raw(self, name: str, default: Any = _MISSING) -> Any:
        """The value as written (or the default); a missing required key is an error."""
        self.read.add(name)
        if name in self.data:
            return self.data[name]
        if default is _MISSING:
            raise ScenarioError(self.key(name), "is required")
        return default

    def number(
        self,
        name: str,
        default: Any = _MISSING,
        *,
        low: float = -math.inf,
        high: float = math.inf,
        high_open: bool = False,
        low_open: bool = False,
    ) -> float:
        """A finite number within [low, high] (or open at either end)."""
        value = self.raw(name, default)
        if (
            isinstance(value, bool)
            or not isinstance(value, int | float)
            or not math.isfinite(value)
        ):
            raise ScenarioError(self.key(name), f"must be a number (got {value!r})")
        if (
            value < low
            or value > high
            or (low_open and value == low)
            or (high_open and value == high)
        ):
            left, right = "(" if low_open else "[", ")" if high_open else "]"
            raise ScenarioError(
                self.key(name), f"must lie in {left}{low:g}, {high:g}{right} (got {value:g})"
            )
        return float(value)

    def integer(
        self, name: str, default: Any = _MISSING, *, low: int = 0, high: int = 10**12
    ) -> int:
        """A whole number within [low, high]."""
        value = self.raw(name, default)
        if isinstance(value, bool) or not isinstance(value, int):
            raise ScenarioError(self.key(name), f"must be a whole number (got {value!r})")
        if not low <= value <= high:
            raise ScenarioError(self.key(name), f"must lie in [{low}, {high}] (got {value})")
        return value

    def share(self, name: str, default: Any = _MISSING) -> Fraction:
        """An exact share in [0, 1]."""
        value = self.raw(name, default)
        try:
            return exact_share(value, self.key(name))
        except LossRuleBroken as exc:
            raise ScenarioError(
                self.key(name), f"must be a number between 0 and 1 (got {value!r})"
            ) from exc

    def yuan(self, name: str, default: Any = _MISSING) -> int | None:
        """An amount of yuan in [0, MAX_AMOUNT_YUAN], returned in fen (None when optional and absent)."""
        value = self.raw(name, default)
        if value is None:
            return None
        if (
            isinstance(value, bool)
            or not isinstance(value, int | float)
            or not math.isfinite(value)
            or not 0 <= value <= MAX_AMOUNT_YUAN
        ):
            raise ScenarioError(
                self.key(name),
                f"must be an amount of yuan from 0 to {MAX_AMOUNT_YUAN:,} (got {value!r})",
            )
        return yuan_to_fen(value)

    def boolean(self, name: str, default: Any = _MISSING) -> bool:
        """true or false."""
        value = self.raw(name, default)
        if not isinstance(value, bool):
            raise ScenarioError(self.key(name), f"must be true or false (got {value!r})")
        return value

    def choice(self, name: str, choices: tuple[str, ...], default: Any = _MISSING) -> str:
        """One of a few words."""
        value = self.raw(name, default)
        if value not in choices:
            raise ScenarioError(
                self.key(name), f"must be one of {', '.join(map(repr, choices))} (got {value!r})"
            )
        return value

    def text(self, name: str, default: Any = _MISSING) -> str:
        """A non-empty string."""
        value = self.raw(name, default)
        if not isinstance(value, str) or not value.strip():
            raise ScenarioError(self.key(name), f"must be a non-empty string (got {value!r})")
        return value

    def distribution(
        self,
        name: str,
        default: Any = _MISSING,
        *,
        low: float = 0.0,
        high: float = math.inf,
        cut: float | None = None,
    ) -> Distribution:
        """A distribution table, or a bare number meaning fixed (see parse_distribution for `cut`)."""
        return parse_distribution(
            self.raw(name, default), self.key(name), low=low, high=high, cut=cut
        )

    def table(self, name: str) -> Table:
        """A sub-table; an absent one reads as empty (its keys' defaults apply)."""
        return Table(self.raw(name, {}), self.key(name))

    def done(self) -> None:
        """Reject keys nobody read: they are typos or unsupported settings."""
        for name in self.data:
            if name not in self.read:
                raise ScenarioError.unknown(self.key(name), [])
