"""GB 11643-1999 national ID numbers: checksum, birth date, normalisation, masking."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from creditbank.domain.national_id import (
    NationalIdError,
    check_character,
    mask_national_id,
    validate_national_id,
)

TODAY = date(2026, 5, 1)


def with_check(first17: str) -> str:
    """Append the check character, computed from ISO 7064 MOD 11-2 itself, not the GB table.

    Position i (1-based, from the left) weighs 2**(18-i) mod 11; the check character c makes
    the weighted sum of all 18 positions ≡ 1 (mod 11), with 10 written as X.
    """
    total = sum(int(d) * pow(2, 17 - i, 11) for i, d in enumerate(first17))
    check = (1 - total) % 11
    return first17 + ("X" if check == 10 else str(check))


def make_id(born: date, region: str = "500235", sequence: str = "123") -> str:
    return with_check(f"{region}{born:%Y%m%d}{sequence}")


def test_the_standard_sample_id_is_valid_and_its_x_uppercased():
    # The sample number printed in GB 11643-1999 (Beijing, Chaoyang, born 1949-12-31).
    assert validate_national_id("11010519491231002x", today=TODAY) == "11010519491231002X"
    assert validate_national_id("11010519491231002X", today=TODAY) == "11010519491231002X"


def test_constructed_ids_validate_and_come_back_unchanged():
    for born in (date(1900, 1, 1), date(1985, 2, 28), date(2000, 2, 29), TODAY):
        national_id = make_id(born)
        assert validate_national_id(national_id, today=TODAY) == national_id


def test_check_character_matches_the_iso_7064_definition():
    assert check_character("11010519491231002") == "X"
    for body in ("50023519850228123", "44052418800101001", "00000000000000000"):
        assert body + check_character(body) == with_check(body)


@given(
    born=st.dates(min_value=date(1900, 1, 1), max_value=TODAY),
    region=st.from_regex(r"[1-8][0-9]{5}", fullmatch=True),
    sequence=st.from_regex(r"[0-9]{3}", fullmatch=True),
)
def test_any_well_formed_id_validates(born, region, sequence):
    national_id = make_id(born, region, sequence)
    assert validate_national_id(national_id, today=TODAY) == national_id


@given(
    born=st.dates(min_value=date(1900, 1, 1), max_value=TODAY),
    position=st.integers(min_value=0, max_value=17),
    replacement=st.sampled_from("0123456789X"),
)
def test_every_single_character_mistake_is_caught(born, position, replacement):
    national_id = make_id(born)
    typo = national_id[:position] + replacement + national_id[position + 1 :]
    if typo != national_id:
        with pytest.raises(NationalIdError):
            validate_national_id(typo, today=TODAY)


def test_wrong_check_character_is_refused_without_echoing_the_id():
    good = make_id(date(1985, 2, 28))
    wrong = good[:17] + ("0" if good[17] != "0" else "1")
    with pytest.raises(NationalIdError, match="check character") as caught:
        validate_national_id(wrong, today=TODAY)
    assert wrong not in str(caught.value)
    assert wrong[:17] not in str(caught.value)


@pytest.mark.parametrize(
    ("birth", "message"),
    [
        ("19851301", "not a real date"),  # month 13
        ("19850230", "not a real date"),  # 30 February
        ("19850000", "not a real date"),
        ("20250229", "not a real date"),  # 2025 is not a leap year
        ("19000229", "not a real date"),  # nor is 1900
        ("18991231", "before 1900"),
        ("20260502", "in the future"),  # one day after TODAY
        ("29991231", "in the future"),
    ],
)
def test_birth_date_must_be_real_past_and_not_before_1900(birth, message):
    national_id = with_check(f"500235{birth}123")
    with pytest.raises(NationalIdError, match=message) as caught:
        validate_national_id(national_id, today=TODAY)
    assert national_id not in str(caught.value)


def test_future_is_judged_by_todays_date():
    tomorrow = date.today() + timedelta(days=2)  # two: Asia/Shanghai may be a day ahead
    with pytest.raises(NationalIdError, match="in the future"):
        validate_national_id(make_id(tomorrow))
    assert validate_national_id(make_id(date(1990, 6, 1))) == make_id(date(1990, 6, 1))


@pytest.mark.parametrize(
    "text",
    [
        "",
        "5002351985022812",  # 16 characters
        "50023519850228123",  # 17: the check character is missing
        "5002351985022812344",  # 19
        "50023519850228X234",  # X only as the last character
        "5002351985022812Y4",
        "50023519850228123 4",
        "٥٠٠٢٣٥١٩٨٥٠٢٢٨١٢٣٤",  # Arabic-Indic digits are digits to Python, not to GB 11643
    ],
)
def test_malformed_text_is_refused(text):
    with pytest.raises(NationalIdError, match="17 digits"):
        validate_national_id(text, today=TODAY)


def test_non_string_is_refused_as_a_value_error():
    with pytest.raises(ValueError, match="string"):
        validate_national_id(500235198502281234, today=TODAY)  # type: ignore[arg-type]


def test_blanks_and_full_width_digits_are_normalised():
    national_id = make_id(date(1985, 2, 28))
    full_width = national_id.translate(str.maketrans("0123456789X", "０１２３４５６７８９Ｘ"))
    assert validate_national_id(f"  {national_id}\n", today=TODAY) == national_id
    assert validate_national_id(full_width, today=TODAY) == national_id


def test_mask_keeps_only_the_last_four():
    # Find a birth date whose check character makes the last four "1234", as in API.md.
    born = date(1985, 1, 1)
    while make_id(born)[-4:] != "1234":
        born += timedelta(days=1)
    assert mask_national_id(make_id(born)) == "**************1234"


def test_mask_of_an_id_ending_in_x():
    assert mask_national_id("11010519491231002X") == "**************002X"


@pytest.mark.parametrize("text", ["", "123", "11010519491231002X1"])
def test_mask_refuses_what_is_not_18_characters(text):
    with pytest.raises(NationalIdError):
        mask_national_id(text)
