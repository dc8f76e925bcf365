"""``creditbank learners create``: the account it opens, printed as JSON, with its account
number (学习账号) and the national ID masked to its last 4 characters."""

from __future__ import annotations

import json

import pytest

from creditbank.domain.account_numbers import parse_account_number
from tests.api.helpers import national_id
from tests.integration.test_staff_cli import run

pytestmark = pytest.mark.usefixtures("cheap_secret_hashing")


def test_learners_create_prints_the_account_number_and_the_masked_id(app, settings):
    whole_id = national_id(region="500235", born="19900307", serial="417")

    result = run(
        settings,
        *("learners", "create", "--name", "王五", "--national-id", whole_id),
        *("--password", "abcdefgh12"),
    )

    assert result.exit_code == 0, result.output
    printed = json.loads(result.output)
    assert parse_account_number(printed["account_number"]) == printed["account_number"]
    assert printed["national_id_masked"] == "*" * 14 + whole_id[-4:]
    assert whole_id[:6] not in result.output and whole_id[6:14] not in result.output
