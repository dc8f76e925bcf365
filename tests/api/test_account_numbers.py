"""Account numbers (学习账号): every learner has one, random with a check digit; it is on the
learner's views and documents, finds the learner in the list, and signs the learner in. The
national ID is never shown beyond its last 4 characters (DESIGN.md § personal data)."""

from __future__ import annotations

import re
import secrets
import shutil
import subprocess
import uuid

import pytest

from tests.api.helpers import assert_problem, national_id

LEARNERS = "/api/v1/learners"
TOKEN = "/api/v1/auth/token"
PASSWORD = "correct horse battery"
NATIONAL_ID = national_id("500235", "19900307", "417")
HIDDEN = (NATIONAL_ID[:6], NATIONAL_ID[6:14], NATIONAL_ID[:14])  # region, birth date, both
_WEIGHTS = [pow(2, 11 - i, 11) for i in range(11)]  # ISO 7064 MOD 11-2 over 11 digits


def is_account_number(text: str) -> bool:
    """Twelve digits, the first not 0, whose MOD 11-2 sum is 1 (written here, not imported)."""
    if not re.fullmatch(r"[1-9][0-9]{11}", text):
        return False
    total = sum(int(d) * w for d, w in zip(text[:11], _WEIGHTS, strict=True)) + int(text[11])
    return total % 11 == 1


def printed(number: str) -> str:
    return f"{number[:4]} {number[4:8]} {number[8:]}"


def learner_view(api, learner: str) -> dict:
    return api.get(f"{LEARNERS}/{learner}", api.workstation).get_json()


def sign_in(api, username: str, password: str = PASSWORD):
    grant = {"grant_type": "password", "username": username, "password": password}
    return api.post(TOKEN, json=grant)


# -- on the learner's views -----------------------------------------------------------------------


def test_every_new_learner_gets_a_distinct_valid_account_number(api):
    opened = [
        api.post(LEARNERS, api.workstation, json={"name": f"学员{n}"}).get_json() for n in range(5)
    ]

    numbers = [body["account_number"] for body in opened]
    assert all(is_account_number(number) for number in numbers), numbers
    assert len(set(numbers)) == 5
    for body in opened:
        assert learner_view(api, body["learner_id"])["account_number"] == body["account_number"]


def test_the_learner_and_the_list_show_the_account_number(api):
    learner = api.new_learner(national_id=NATIONAL_ID)
    number = learner_view(api, learner)["account_number"]

    own = api.get(f"{LEARNERS}/{learner}", api.learner_headers(learner)).get_json()
    (listed,) = api.get(f"{LEARNERS}?limit=500", api.auditor).get_json()["items"]

    assert own["account_number"] == listed["account_number"] == number
    assert own["national_id_masked"] == listed["national_id_masked"] == "*" * 14 + NATIONAL_ID[-4:]


# -- looking a learner up -----------------------------------------------------------------------


def test_the_list_finds_a_learner_by_account_number_as_stored_or_as_printed(api):
    learner, other = api.new_learner(), api.new_learner()
    number = learner_view(api, learner)["account_number"]

    for form in (number, printed(number), number.replace(" ", "-")):
        response = api.get(f"{LEARNERS}?account_number={form}", api.workstation)
        assert [item["learner_id"] for item in response.get_json()["items"]] == [learner], form
    assert other != learner


def test_a_valid_number_nobody_holds_finds_nobody(api):
    api.new_learner()
    taken = {
        item["account_number"] for item in api.get(LEARNERS, api.workstation).get_json()["items"]
    }
    unused = next(n for n in (f"{10**11 + k:012d}" for k in range(100)) if is_account_number(n))
    assert unused not in taken

    response = api.get(f"{LEARNERS}?account_number={unused}", api.workstation)

    assert response.status_code == 200
    assert response.get_json()["items"] == []


def swapped(number: str) -> str:
    """The number with its first two unequal neighbours swapped."""
    i = next(i for i in range(11) if number[i] != number[i + 1])
    return number[:i] + number[i + 1] + number[i] + number[i + 2 :]


@pytest.mark.parametrize("typo", ["swap", "digit", "short"])
def test_a_mistyped_account_number_is_422_naming_it(api, typo):
    number = learner_view(api, api.new_learner())["account_number"]
    mistyped = {
        "swap": swapped(number),
        "digit": number[:5] + str((int(number[5]) + 1) % 10) + number[6:],
        "short": number[:11],
    }[typo]

    response = api.get(f"{LEARNERS}?account_number={mistyped}", api.workstation)

    body = assert_problem(response, 422, "validation_error", "account_number")
    assert "account number" in body["errors"]["account_number"][0]


# -- signing in -----------------------------------------------------------------------------------


def test_a_learner_signs_in_with_its_account_number_as_stored_or_as_printed(api):
    learner = api.new_learner()
    number = learner_view(api, learner)["account_number"]

    for username in (number, printed(number), learner):
        response = sign_in(api, username)
        assert response.status_code == 200, (username, response.get_json())
        headers = {"Authorization": f"Bearer {response.get_json()['access_token']}"}
        own = api.get(f"{LEARNERS}/{learner}/balance", headers)
        assert own.status_code == 200 and own.get_json()["learner_id"] == learner


def test_a_wrong_password_or_an_unknown_number_is_401_either_way(api):
    learner = api.new_learner()
    number = learner_view(api, learner)["account_number"]
    wrong_check = number[:-1] + str((int(number[-1]) + 1) % 10)

    for username, password in ((number, "not the password"), (wrong_check, PASSWORD)):
        assert_problem(sign_in(api, username, password), 401, "unauthorized")


# -- opening an account when the drawn number is taken ------------------------------------------


def scripted_draws(monkeypatch, bodies):
    """The random source gives these 11-digit bodies (as offsets from 10**10) first, then
    goes back to being random: the standard library's randbelow, not our code, is replaced."""
    real, queue = secrets.randbelow, list(bodies)

    def randbelow(bound: int) -> int:
        return queue.pop(0) if queue and bound == 9 * 10**10 else real(bound)

    monkeypatch.setattr(secrets, "randbelow", randbelow)


def body_offset(number: str) -> int:
    return int(number[:11]) - 10**10


def test_a_drawn_number_that_is_taken_is_drawn_again(api, monkeypatch):
    first = api.post(LEARNERS, api.workstation, json={"name": "甲"}).get_json()
    scripted_draws(monkeypatch, [body_offset(first["account_number"])])

    second = api.post(LEARNERS, api.workstation, json={"name": "乙", "national_id": NATIONAL_ID})

    assert second.status_code == 201, second.get_json()
    assert is_account_number(second.get_json()["account_number"])
    assert second.get_json()["account_number"] != first["account_number"]
    items = api.get(f"{LEARNERS}?limit=500", api.workstation).get_json()["items"]
    assert sorted(item["name"] for item in items) == ["乙", "甲"]


def test_when_every_draw_is_taken_the_answer_is_503_and_nothing_is_opened(api, monkeypatch):
    first = api.post(LEARNERS, api.workstation, json={"name": "甲"}).get_json()
    scripted_draws(monkeypatch, [body_offset(first["account_number"])] * 50)

    response = api.post(LEARNERS, api.workstation, json={"name": "乙"})

    assert_problem(response, 503, "service_unavailable")
    monkeypatch.undo()
    items = api.get(f"{LEARNERS}?limit=500", api.workstation).get_json()["items"]
    assert [item["name"] for item in items] == ["甲"]


def test_the_same_national_id_is_still_409_not_a_redraw(api):
    api.new_learner(national_id=NATIONAL_ID)

    response = api.post(LEARNERS, api.workstation, json={"name": "乙", "national_id": NATIONAL_ID})

    assert_problem(response, 409, "conflict")


# -- the transcript shows the number and at most the last 4 characters of the ID ----------------


def pdf_text(pdf: bytes, tmp_path) -> str:
    tool = shutil.which("pdftotext")
    if tool is None:
        pytest.skip("pdftotext is not installed (Debian: apt-get install poppler-utils)")
    (tmp_path / "transcript.pdf").write_bytes(pdf)
    command = [tool, "-enc", "UTF-8", "transcript.pdf", "-"]
    return subprocess.run(command, cwd=tmp_path, capture_output=True, check=True).stdout.decode()


@pytest.fixture
def credited(api):
    """A learner with a national ID and one credited outcome: (api, learner, account number)."""
    api.publish_ruleset()
    learner = api.new_learner(name="欧阳小满", national_id=NATIONAL_ID)
    _, provider = api.new_provider()
    posted = api.post_outcome(provider, learner, hours="16", external_ref=f"r-{uuid.uuid4()}")
    assert posted.status_code == 201, posted.get_json()
    return api, learner, learner_view(api, learner)["account_number"]


def assert_at_most_the_last_four(text: str) -> None:
    for hidden in (NATIONAL_ID, *HIDDEN):
        assert hidden not in text, hidden
    assert "*" * 14 + NATIONAL_ID[-4:] in text


@pytest.mark.parametrize("reader", ["learner", "workstation", "auditor"])
def test_the_json_transcript_has_the_account_number_and_the_id_masked_to_its_last_4(
    credited, reader
):
    api, learner, number = credited
    headers = api.learner_headers(learner) if reader == "learner" else getattr(api, reader)

    response = api.get(f"{LEARNERS}/{learner}/transcript", headers)

    assert response.get_json()["learner"]["account_number"] == number
    assert_at_most_the_last_four(response.get_data(as_text=True))


def test_the_printable_transcript_shows_the_account_number_in_groups_of_four(credited):
    api, learner, number = credited

    response = api.get(
        f"{LEARNERS}/{learner}/transcript", {**api.workstation, "Accept": "text/html"}
    )

    html = response.get_data(as_text=True)
    assert printed(number) in html and "学习账号" in html
    assert_at_most_the_last_four(html)


def test_the_pdf_transcript_shows_the_account_number_and_at_most_the_last_4(credited, tmp_path):
    api, learner, number = credited
    headers = {**api.learner_headers(learner), "Accept": "application/pdf"}

    text = pdf_text(api.get(f"{LEARNERS}/{learner}/transcript", headers).get_data(), tmp_path)

    assert printed(number) in text
    assert_at_most_the_last_four(text)
