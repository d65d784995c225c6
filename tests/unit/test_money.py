"""Money is integer fen; people's amounts are parsed strictly."""

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


@given(st.integers(min_value=1, max_value=MAX_FEN))
def test_every_amount_round_trips_through_its_decimal_string(fen):
    assert parse_yuan(fen_to_decimal_string(fen)) == fen


@given(st.integers(min_value=1, max_value=MAX_FEN))
def test_every_amount_round_trips_through_its_display_form(fen):
    assert parse_yuan(format_yuan(fen)) == fen


def test_zero_round_trips_where_zero_is_allowed():
    assert parse_yuan(fen_to_decimal_string(0), allow_zero=True) == 0


@pytest.mark.parametrize(
    "text, fen",
    [("1234.50", 123450), ("1,234.5", 123450), ("¥1,234,567.89", 123456789), (" 7 ", 700),
     ("0.01", 1), ("100.", 10000), ("00012.30", 1230)],
)
def test_amounts_people_type_are_read_to_the_fen(text, fen):
    assert parse_yuan(text) == fen


@pytest.mark.parametrize(
    "text, words",
    [
        ("NaN", "not an amount"), ("nan", "not an amount"), ("sNaN", "not an amount"),
        ("Infinity", "not an amount"), ("-Infinity", "not an amount"), ("inf", "not an amount"),
        ("1e9999", "not an amount"), ("1E3", "not an amount"), ("100.005", "two decimals"),
        ("0", "greater than zero"), ("0.00", "greater than zero"), ("-5", "positive"),
        ("-0.01", "positive"), ("99999999999999999999", "too large"), ("10000000000000.01", "too large"),
        ("", "Enter an amount"), ("   ", "Enter an amount"), ("12 34", "not an amount"),
        ("1.2.3", "not an amount"), ("0x10", "not an amount"), ("١٢٣", "not an amount"),
        ("12a", "not an amount"), (None, "Enter an amount"),
    ],
)
def test_bad_amounts_are_refused_with_a_message_that_says_why(text, words):
    with pytest.raises(InvalidAmount, match=words):
        parse_yuan(text)


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
