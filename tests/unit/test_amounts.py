"""Amounts: exact one-place decimals in, integer tenths inside, decimal strings out."""

from decimal import Decimal

import pytest

from creditbank.domain.amounts import AmountError, format_tenths, parse_tenths


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
