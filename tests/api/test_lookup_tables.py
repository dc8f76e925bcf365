"""The bank-wide lookups (creditbank/lookup_models.py): every opening, correction, erasure and
import writes the national ID's and the account number's row with the identity or account, a
duplicate is still a 409, and every read by either value goes through the row (docs/scaling.md
§ Distributed PostgreSQL)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, select

from creditbank.context import keyring
from creditbank.domain.roles import Principal, Role
from creditbank.extensions import db
from creditbank.lookup_models import AccountNumberIndex, NationalIdIndex
from creditbank.models import Account
from creditbank.services.openings import open_sheet
from tests.api.helpers import assert_problem, national_id

LEARNERS = "/api/v1/learners"
FIRST_ID = national_id(serial="311")
SECOND_ID = national_id(serial="322")
PASSWORD = "correct horse battery"


def fingerprint(whole: str) -> str:
    return keyring().pii.fingerprint(whole)


def national_ids() -> dict[str, str]:
    """fingerprint → learner, as the lookup table holds them."""
    db.session.expire_all()
    return dict(
        db.session.execute(
            select(NationalIdIndex.national_id_fingerprint, NationalIdIndex.learner_id)
        ).all()
    )


def account_numbers() -> dict[str, str]:
    """account number → learner, as the lookup table holds them."""
    db.session.expire_all()
    return dict(
        db.session.execute(
            select(AccountNumberIndex.account_number, AccountNumberIndex.learner_id)
        ).all()
    )


def number_of(learner: str) -> str:
    return db.session.get(Account, learner).account_number  # type: ignore[union-attr]


def correct(api: Any, learner: str, body: dict[str, Any]) -> Any:
    return api.call("PATCH", f"{LEARNERS}/{learner}", api.workstation, json=body)


def search(api: Any, national: str) -> list[str]:
    found = api.post(f"{LEARNERS}/search", api.workstation, json={"national_id": national})
    return [item["learner_id"] for item in found.get_json()["items"]]


def test_an_opening_writes_both_lookup_rows_with_the_account(api):
    learner = api.new_learner(national_id=FIRST_ID)
    without_id = api.new_learner()

    assert national_ids() == {fingerprint(FIRST_ID): learner}
    assert account_numbers() == {number_of(learner): learner, number_of(without_id): without_id}


def test_a_duplicate_national_id_is_the_same_409_and_leaves_no_row_behind(api):
    first = api.new_learner(national_id=FIRST_ID)

    response = api.post(LEARNERS, api.workstation, json={"name": "王五", "national_id": FIRST_ID})

    assert_problem(response, 409, "conflict")
    assert response.get_json()["detail"] == "An account with this national ID already exists"
    assert national_ids() == {fingerprint(FIRST_ID): first}
    assert list(account_numbers().values()) == [first]


def test_a_corrected_national_id_moves_its_lookup_row(api):
    learner = api.new_learner(national_id=FIRST_ID)

    assert correct(api, learner, {"national_id": SECOND_ID}).status_code == 200

    assert national_ids() == {fingerprint(SECOND_ID): learner}
    assert search(api, SECOND_ID) == [learner] and search(api, FIRST_ID) == []
    assert api.new_learner(name="李四", national_id=FIRST_ID)  # the old one is free again


def test_a_correction_to_another_accounts_national_id_is_409_and_moves_nothing(api):
    learner = api.new_learner(national_id=FIRST_ID)
    other = api.new_learner(name="李四", national_id=SECOND_ID)

    assert_problem(correct(api, learner, {"national_id": SECOND_ID}), 409, "conflict")

    assert national_ids() == {fingerprint(FIRST_ID): learner, fingerprint(SECOND_ID): other}


def test_a_removed_or_erased_national_id_leaves_the_lookup(api):
    removed = api.new_learner(national_id=FIRST_ID)
    erased = api.new_learner(name="李四", national_id=SECOND_ID)

    assert correct(api, removed, {"national_id": None}).status_code == 200
    assert api.call("DELETE", f"{LEARNERS}/{erased}/identity", api.workstation).status_code == 204

    assert national_ids() == {}
    assert set(account_numbers().values()) == {removed, erased}  # the accounts stay


def test_an_imported_sheet_writes_the_rows_and_marks_a_held_id_registered(api):
    held = api.new_learner(national_id=FIRST_ID)
    data = f"姓名,身份证号\n张三,{FIRST_ID}\n李四,{SECOND_ID}\n".encode()

    opened = open_sheet(Principal("ws", Role.WORKSTATION), data, batch="b1")

    [new] = [o.learner.learner_id for o in opened.opened]
    assert [line.row for line in opened.check.registered] == [2]
    assert national_ids() == {fingerprint(FIRST_ID): held, fingerprint(SECOND_ID): new}
    assert account_numbers()[number_of(new)] == new


def test_reads_by_account_number_or_national_id_go_through_the_lookup(api):
    learner = api.new_learner(national_id=FIRST_ID)
    number = number_of(learner)
    listed = api.get(f"{LEARNERS}?account_number={number}", api.workstation).get_json()["items"]
    grant = {"grant_type": "password", "username": number, "password": PASSWORD}
    assert [item["learner_id"] for item in listed] == [learner]
    assert api.post("/api/v1/auth/token", json=grant).status_code == 200
    assert search(api, FIRST_ID) == [learner]

    db.session.execute(delete(AccountNumberIndex))  # the rows gone, account and identity kept
    db.session.execute(delete(NationalIdIndex))
    db.session.commit()

    assert api.get(f"{LEARNERS}?account_number={number}", api.workstation).get_json()["items"] == []
    assert_problem(api.post("/api/v1/auth/token", json=grant), 401, "unauthorized")
    assert search(api, FIRST_ID) == []
