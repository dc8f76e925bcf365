"""Account numbers (学习账号): random, twelve digits, an ISO 7064 MOD 11-2 check digit that
catches every single-digit mistake and every swap of adjacent digits."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from creditbank.domain.account_numbers import (
    AccountNumberError,
    complete_account_number,
    format_account_number,
    new_account_number,
    parse_account_number,
)


def iso7064_check(body: str) -> str:
    """MOD 11-2 written from ISO 7064 here, not taken from creditbank: position i (0-based)
    of n digits weighs 2**(n-i) mod 11, and the check c makes the whole sum ≡ 1 (mod 11)."""
    total = sum(int(d) * pow(2, len(body) - i, 11) for i, d in enumerate(body))
    check = (1 - total) % 11
    return "X" if check == 10 else str(check)


bodies = st.from_regex(r"[1-9][0-9]{10}", fullmatch=True)
issued = bodies.map(complete_account_number).filter(lambda number: number is not None)


def test_a_new_number_is_twelve_digits_with_its_check_digit():
    number = new_account_number()

    assert len(number) == 12 and number.isascii() and number.isdigit()
    assert number[0] != "0"
    assert number[-1] == iso7064_check(number[:-1])
    assert parse_account_number(number) == number


def test_new_numbers_are_random_not_a_sequence():
    numbers = {new_account_number() for _ in range(200)}

    assert len(numbers) == 200
    assert len({number[:4] for number in numbers}) > 50


@given(body=bodies)
def test_a_body_is_completed_by_the_iso_7064_check_or_never_issued(body):
    number = complete_account_number(body)

    if iso7064_check(body) == "X":
        assert number is None
    else:
        assert number == body + iso7064_check(body)
        assert parse_account_number(number) == number


@given(number=issued, position=st.integers(0, 11), digit=st.sampled_from("0123456789"))
def test_every_single_digit_mistake_is_caught(number, position, digit):
    typo = number[:position] + digit + number[position + 1 :]
    if typo != number:
        with pytest.raises(AccountNumberError):
            parse_account_number(typo)


@given(number=issued, position=st.integers(0, 10))
def test_every_swap_of_two_adjacent_digits_is_caught(number, position):
    swapped = number[:position] + number[position + 1] + number[position] + number[position + 2 :]
    if swapped != number:
        with pytest.raises(AccountNumberError):
            parse_account_number(swapped)


@given(number=issued)
def test_the_printed_form_reads_back_as_the_same_number(number):
    printed = format_account_number(number)

    assert printed == f"{number[:4]} {number[4:8]} {number[8:]}"
    assert parse_account_number(printed) == number


def test_hyphens_blanks_and_full_width_digits_are_normalised():
    number = new_account_number()
    full_width = number.translate(str.maketrans("0123456789", "０１２３４５６７８９"))

    assert parse_account_number(f" {number[:4]}-{number[4:8]}-{number[8:]}\n") == number
    assert parse_account_number(full_width) == number


@pytest.mark.parametrize(
    "text",
    [
        "",
        "12345678901",  # 11 digits
        "1234567890123",  # 13
        "012345678901",  # never issued with a leading 0
        "1234567890X1",
        "L01JABCDEFGHJKMNPQRSTVWXYZ0",  # a learner id
        "١٢٣٤٥٦٧٨٩٠١٢",  # Arabic-Indic digits are digits to Python, not to the bank
    ],
)
def test_malformed_text_is_refused(text):
    with pytest.raises(AccountNumberError, match="12 digits"):
        parse_account_number(text)


def test_a_wrong_check_digit_says_so():
    number = new_account_number()
    wrong = number[:-1] + str((int(number[-1]) + 1) % 10)

    with pytest.raises(AccountNumberError, match="check digit"):
        parse_account_number(wrong)
