"""The trading centre's disposal rules (DOMAIN.md section 3): every number is a setting with a default."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import timedelta
from fractions import Fraction

from market.domain.errors import Refusal


class RuleBroken(Refusal):
    """A business rule of the trading centre was broken (a refusal of kind invalid unless it says otherwise)."""

    code = "rule_broken"


class StartPriceNotPositive(RuleBroken):
    """A round starts at a price above zero."""

    code = "start_price_not_positive"


class StartPriceTooLow(RuleBroken):
    """A first auction must start at no less than the minimum share of the appraised value."""

    code = "start_price_too_low"
    fields = ("min_share", "minimum_fen")


class PriceCutTooDeep(RuleBroken):
    """A re-auction may cut the previous starting price by at most the configured share."""

    code = "price_cut_too_deep"
    fields = ("max_cut", "minimum_fen")


class DepositOutOfRange(RuleBroken):
    """The deposit must lie within the configured share of the starting price."""

    code = "deposit_out_of_range"
    fields = ("low_share", "high_share", "low_fen", "high_fen")


class BiddingWindowTooShort(RuleBroken):
    """Bidding must stay open for at least the configured number of hours."""

    code = "bidding_window_too_short"
    fields = ("hours",)


class NoticeTooShort(RuleBroken):
    """Bidding may open only after the public notice period has run."""

    code = "notice_too_short"
    fields = ("days",)


@dataclass(frozen=True)
class DisposalRules:
    """The trading centre's settings; defaults follow the SPC online judicial-auction rules (2016)."""

    min_start_share: Fraction = Fraction(7, 10)  # art. 10
    max_price_cut: Fraction = Fraction(2, 10)  # art. 26
    notice_days: int = 30  # art. 12, property rights such as IP
    min_deposit_share: Fraction = Fraction(5, 100)  # art. 17
    max_deposit_share: Fraction = Fraction(20, 100)
    min_bidding_hours: int = 24  # art. 20
    extension_minutes: int = 5  # art. 20, anti-sniping, no cap
    failed_rounds_before_negotiated_sale: int = 2
    negotiated_sale_days: int = 60
    winner_payment_days: int = 10
    first_refusal_hours: int = 24
    licence_recordal_days: int = 90  # three months from signing
    valuation_max_age_days: int = 365
    deposit_refund_hours: int = 24  # art. 24

    def with_overrides(self, **overrides: object) -> DisposalRules:
        """A copy with some settings changed (e.g. a centre's own configuration)."""
        return replace(self, **overrides)

    @property
    def notice_period(self) -> timedelta:
        """How long the public notice must run before bidding opens."""
        return timedelta(days=self.notice_days)

    @property
    def extension(self) -> timedelta:
        """How far a late valid bid pushes the end of bidding."""
        return timedelta(minutes=self.extension_minutes)


DEFAULT_RULES = DisposalRules()


def min_first_start_fen(appraised_value_fen: int, rules: DisposalRules = DEFAULT_RULES) -> int:
    """Lowest allowed starting price of the first auction round (rounded up to the fen)."""
    return _ceil(appraised_value_fen * rules.min_start_share)


def min_next_start_fen(previous_start_fen: int, rules: DisposalRules = DEFAULT_RULES) -> int:
    """Lowest allowed starting price of a re-auction after a failed round (rounded up to the fen)."""
    return _ceil(previous_start_fen * (1 - rules.max_price_cut))


def check_start_price(
    start_fen: int,
    *,
    appraised_value_fen: int,
    previous_start_fen: int | None,
    rules: DisposalRules = DEFAULT_RULES,
) -> None:
    """Raise if a round's starting price breaks the first-round floor or the re-auction cut limit."""
    if start_fen <= 0:
        raise StartPriceNotPositive()
    if previous_start_fen is None:
        floor = min_first_start_fen(appraised_value_fen, rules)
        if start_fen < floor:
            raise StartPriceTooLow(min_share=rules.min_start_share, minimum_fen=floor)
        return
    floor = min_next_start_fen(previous_start_fen, rules)
    if start_fen < floor:
        raise PriceCutTooDeep(max_cut=rules.max_price_cut, minimum_fen=floor)


def deposit_range_fen(start_fen: int, rules: DisposalRules = DEFAULT_RULES) -> tuple[int, int]:
    """The lowest and highest deposit allowed for a starting price."""
    return _ceil(start_fen * rules.min_deposit_share), int(start_fen * rules.max_deposit_share)


def check_deposit(deposit_fen: int, start_fen: int, rules: DisposalRules = DEFAULT_RULES) -> None:
    """Raise if a round's deposit lies outside the allowed share of its starting price."""
    low, high = deposit_range_fen(start_fen, rules)
    if not low <= deposit_fen <= high:
        raise DepositOutOfRange(low_share=rules.min_deposit_share, high_share=rules.max_deposit_share,
                                low_fen=low, high_fen=high)


def _ceil(value: Fraction) -> int:
    return -((-value.numerator) // value.denominator)
