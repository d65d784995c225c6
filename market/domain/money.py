"""Money is integer fen. Parse people's input strictly at the edge; format for display."""

from __future__ import annotations

import re
from decimal import Decimal

from market.domain.errors import Refusal

FEN_PER_YUAN = 100
# ¥10 trillion: larger than any single IP-pledge loan or disposal we can imagine.
MAX_FEN = 10**15

# The one grammar of an amount people type: an optional single yuan sign (¥, or the full-width ￥ a Chinese
# keyboard gives), whole yuan as a single 0 or digits without a leading zero, written plainly or in correct
# groups of three ("1,234,567"), then an optional point and one or two decimals. Nothing else: no sign, no
# exponent, no spaces, no full-width digits, no "100.".
_AMOUNT = re.compile(r"[¥￥]?(?P<whole>0|[1-9][0-9]*|[1-9][0-9]{0,2}(?:,[0-9]{3})+)(?:\.(?P<frac>[0-9]+))?", re.ASCII)
_NEGATIVE = re.compile(r"-[¥￥]?[0-9][0-9,]*(?:\.[0-9]+)?", re.ASCII)
EXAMPLE = "1,234.50"


class InvalidAmount(Refusal, ValueError):
    """What a person typed in `field` is not an amount in yuan (the grammar above)."""

    code, fields = "invalid_amount", ("field", "text")


class AmountMissing(InvalidAmount):
    """No amount was given."""

    code, fields = "amount_missing", ("field",)


class AmountNotText(InvalidAmount):
    """An amount comes as the text a person typed (a float has already lost exactness)."""

    code, fields = "amount_not_text", ("field",)


class AmountTooPrecise(InvalidAmount):
    """Amounts have at most two decimals (fen)."""

    code, fields = "amount_too_precise", ("field",)


class AmountTooLarge(InvalidAmount):
    """The amount is above the ceiling."""

    code, fields = "amount_too_large", ("field", "ceiling_fen")


class AmountNegative(InvalidAmount):
    """The amount is negative."""

    code, fields = "amount_negative", ("field",)


class AmountZero(InvalidAmount):
    """The amount must be greater than zero."""

    code, fields = "amount_zero", ("field",)


def parse_yuan(
    text: str | int | None,
    *,
    field: object = "amount",
    allow_zero: bool = False,
    max_fen: int = MAX_FEN,
) -> int:
    """Parse a yuan amount such as "1,234.50" or "¥1234.5" into fen, or raise InvalidAmount naming `field`."""
    if text is None:
        raise AmountMissing(field=field)
    if isinstance(text, bool) or not isinstance(text, str | int):
        # floats have already lost exactness; the caller must pass the text the person typed
        raise AmountNotText(field=field)
    raw = str(text)
    if not raw:
        raise AmountMissing(field=field)
    match = _AMOUNT.fullmatch(raw)
    if match is None:
        if _NEGATIVE.fullmatch(raw):
            raise AmountNegative(field=field)
        raise InvalidAmount(field=field, text=_shorten(raw))
    whole, frac = match["whole"].replace(",", ""), match["frac"] or ""
    if len(frac) > 2:
        raise AmountTooPrecise(field=field)
    if len(whole) > 16:
        raise AmountTooLarge(field=field, ceiling_fen=max_fen)
    fen = int(whole) * FEN_PER_YUAN + int(frac.ljust(2, "0"))
    if fen == 0 and not allow_zero:
        raise AmountZero(field=field)
    if fen > max_fen:
        raise AmountTooLarge(field=field, ceiling_fen=max_fen)
    return fen


def fen_to_decimal_string(fen: int) -> str:
    """Render fen as a plain decimal yuan string for APIs: 123450 -> "1234.50"."""
    sign = "-" if fen < 0 else ""
    whole, part = divmod(abs(int(fen)), FEN_PER_YUAN)
    return f"{sign}{whole}.{part:02d}"


def format_yuan(fen: int | None, symbol: str = "¥") -> str:
    """Render fen for people: 123456789 -> "¥1,234,567.89"."""
    if fen is None:
        return "—"
    sign = "-" if fen < 0 else ""
    whole, part = divmod(abs(int(fen)), FEN_PER_YUAN)
    return f"{sign}{symbol}{whole:,}.{part:02d}"


def yuan_to_fen(yuan: int | float) -> int:
    """Convert a configured yuan figure (scenario or setting, not user input) to fen, rounding half up."""
    return int((Decimal(str(yuan)) * FEN_PER_YUAN).to_integral_value(rounding="ROUND_HALF_UP"))


def _shorten(text: str, limit: int = 40) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
