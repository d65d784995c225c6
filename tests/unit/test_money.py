"""Money is integer fen; people's amounts are parsed by one strict grammar."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from market.domain.money import (
    MAX_FEN,
    AmountNotText,
    InvalidAmount,
    fen_to_decimal_string,
    format_yuan,
    parse_yuan,
    yuan_to_fen,
)


@st.composite
def written_amounts(draw) -> tuple[str, int]:
    """A valid amount as a person may write it, and the fen it means."""
    fen = draw(st.integers(min_value=1, max_value=MAX_FEN))
    whole, part = divmod(fen, 100)
    text = f"{whole:,}" if draw(st.booleans()) else str(whole)
    decimals = draw(st.sampled_from(["none", "one", "two"] if part % 10 == 0 else ["two"]))
    if decimals == "none" and part == 0:
        pass
    elif decimals in ("none", "one"):
        text += f".{part // 10}"
    else:
        text += f".{part:02d}"
    return draw(st.sampled_from(["", "¥", "￥"])) + text, fen


@given(written_amounts())
def test_every_valid_amount_is_read_to_its_fen_and_round_trips_through_its_display_form(written):
    text, fen = written
    assert parse_yuan(text) == fen
    assert parse_yuan(format_yuan(parse_yuan(text))) == fen
    assert parse_yuan(fen_to_decimal_string(parse_yuan(text))) == fen


def spellings(fen: int) -> set[str]:
    """Every way the grammar lets a person write `fen`."""
    whole, part = divmod(fen, 100)
    fractions = {f".{part:02d}"} | ({f".{part // 10}"} if part % 10 == 0 else set()) | ({""} if part == 0 else set())
    return {sign + number + fraction for sign in ("", "¥", "￥") for number in {str(whole), f"{whole:,}"}
            for fraction in fractions}


@given(st.text(alphabet="0123456789,.¥￥+-eE _１", max_size=14))
def test_whatever_is_accepted_is_one_of_the_valid_spellings_of_its_amount(text):
    try:
        fen = parse_yuan(text, allow_zero=True)
    except InvalidAmount:
        return
    assert text in spellings(fen)


def test_zero_round_trips_where_zero_is_allowed():
    assert parse_yuan(fen_to_decimal_string(0), allow_zero=True) == 0
    assert parse_yuan("0.00", allow_zero=True) == 0


@pytest.mark.parametrize(
    "text, fen",
    [("1234.50", 123450), ("1,234.5", 123450), ("¥1,234,567.89", 123456789), ("￥7", 700),
     ("0.01", 1), ("0.5", 50), ("100", 10000), (1234, 123400)],
)
def test_amounts_people_type_are_read_to_the_fen(text, fen):
    assert parse_yuan(text) == fen


@pytest.mark.parametrize(
    "text",
    ["1,2,3,4", "+100", "100.", " 100", "100 ", "100\n", "000000001", "01", "00.5", "¥¥5", "1e3", "１００",
     "12 34", "1.2.3", "0x10", "١٢٣", "12a", "1,23", "1234,567", ",123", "123,", "1,234.", ".5", "¥",
     "NaN", "Infinity", "inf", "5¥", "¥ 5", "1_000", "0,123"],
)
def test_anything_outside_the_grammar_is_refused_naming_the_field_and_showing_an_example(text):
    with pytest.raises(InvalidAmount) as refused:
        parse_yuan(text, field="deposit")
    assert refused.value.params["field"] == "deposit"
    assert "1,234.50" in str(refused.value)


@pytest.mark.parametrize(
    "text, code",
    [("100.005", "amount_too_precise"), ("0", "amount_zero"), ("0.00", "amount_zero"), ("-5", "amount_negative"),
     ("-0.01", "amount_negative"), ("99999999999999999999", "amount_too_large"),
     ("10000000000000.01", "amount_too_large"), ("9" * 5000, "amount_too_large"), ("", "amount_missing"),
     (None, "amount_missing"), ("abc", "invalid_amount")],
)
def test_bad_amounts_are_refused_with_a_code_that_says_why(text, code):
    with pytest.raises(InvalidAmount) as refused:
        parse_yuan(text)
    assert refused.value.code == code


def test_a_float_is_refused_because_it_has_already_lost_exactness():
    with pytest.raises(AmountNotText):
        parse_yuan(0.1)


def test_amounts_display_with_the_yuan_sign_and_thousands_separators():
    assert format_yuan(123456789) == "¥1,234,567.89"
    assert format_yuan(5) == "¥0.05"
    assert format_yuan(None) == "—"


def test_configured_yuan_figures_convert_half_up():
    assert yuan_to_fen(30_000_000) == 3_000_000_000
    assert yuan_to_fen(0.005) == 1
