"""Amounts: exact one-place decimals in, integer tenths inside, decimal strings out."""

import re
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from creditbank.domain.amounts import AmountError, amount_pattern, format_tenths, parse_tenths


@pytest.mark.parametrize(
    ("given", "tenths"),
    [
        (3, 30),
        ("3", 30),
        ("3.0", 30),
        ("2.5", 25),
        (Decimal("2.5"), 25),
        ("-0.5", -5),
        (Decimal("1E+3"), 10000),
    ],
)
def test_accepts_numbers_and_plain_decimal_strings(given, tenths):
    assert parse_tenths(given) == tenths


@pytest.mark.parametrize(
    "given",
    [
        "3.25",
        "3.10",
        Decimal("3.25"),
        2.5,
        True,
        "1E+3",
        " 2.5",
        "2.5 ",
        "2.5\n",
        "+2",
        "NaN",
        "",
        "0x10",
        Decimal("NaN"),
        Decimal("1E+999999999"),
        None,
        [1],
    ],
)
def test_refuses_anything_else_without_rounding(given):
    with pytest.raises(AmountError):
        parse_tenths(given)


@pytest.mark.parametrize(("tenths", "text"), [(25, "2.5"), (-5, "-0.5"), (0, "0.0"), (100, "10.0")])
def test_formats_with_exactly_one_place(tenths, text):
    assert format_tenths(tenths) == text


@pytest.mark.parametrize(
    "given",
    [10**18, Decimal("1E+18"), Decimal("1.0000000000000001E+18"), "1000000000000000000"],
)
def test_refuses_more_whole_digits_than_its_string_may_have(given):
    """An amount is stored as its string, which must read back: 19 whole digits never do."""
    with pytest.raises(AmountError):
        parse_tenths(given)


@pytest.mark.parametrize(
    "given", [10**18 - 1, Decimal("999999999999999999.9"), "999999999999999999.9", -(10**18) + 1]
)
def test_every_amount_it_accepts_reads_back_from_its_string(given):
    tenths = parse_tenths(given)

    assert parse_tenths(format_tenths(tenths)) == tenths


@given(
    bounds=st.tuples(st.integers(0, 10**19 - 1), st.integers(0, 10**19 - 1)).map(sorted),
    tenths=st.integers(0, 10**19 + 100),
    fraction=st.booleans(),
)
def test_amount_pattern_matches_exactly_the_plain_strings_of_its_range(bounds, tenths, fraction):
    """The OpenAPI document's pattern for an amount's string (no leading zeros, as written)."""
    low, high = bounds
    whole, tenth = divmod(tenths, 10)
    text = f"{whole}.{tenth}" if fraction or tenth else f"{whole}"

    matched = re.fullmatch(amount_pattern(low, high), text) is not None

    assert matched == (len(str(whole)) <= 18 and low <= tenths <= high)


@pytest.mark.parametrize("text", ["", ".5", "1.", "01", "-0", "1.25", "1e1", " 1", "+1"])
def test_amount_pattern_matches_no_other_form(text):
    assert re.fullmatch(amount_pattern(0, 10**19 - 1), text) is None
