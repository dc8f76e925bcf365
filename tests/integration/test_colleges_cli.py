"""``creditbank colleges create``, ``clients create --role college --college`` and ``staff create
--role college --college`` (PROGRAMMES.md § Words and roles, *College accounts*), from a shell,
on SQLite and PostgreSQL."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner, Result

from config.settings import Settings
from creditbank.cli import main
from creditbank.college_models import College
from creditbank.extensions import db
from creditbank.models import Client, StaffAccount
from creditbank.services.clients import issue_client_token
from creditbank.services.staff import verify_staff_password

pytestmark = pytest.mark.usefixtures("cheap_secret_hashing")
PASSWORD = "a-long-password"


def environment(settings: Settings) -> dict[str, str]:
    return {
        "CREDITBANK_ENV": "development",
        "CREDITBANK_DATABASE_URL": settings.database_url,
        "CREDITBANK_INSTANCE_PATH": str(settings.instance_path),
        "CREDITBANK_KEYS_DIR": str(settings.keys_dir),
        "CREDITBANK_LOG_LEVEL": "WARNING",
    }


def run(settings: Settings, *args: str) -> Result:
    return CliRunner().invoke(main, list(args), env=environment(settings))


def create_college(settings: Settings, *extra: str, school_code: str = "CQ1024") -> Result:
    return run(
        settings,
        "colleges",
        "create",
        "--school-code",
        school_code,
        "--name",
        "渝东北职业技术学院",
        *extra,
    )


def test_colleges_create_prints_the_college(app, settings):
    result = create_college(settings)

    assert result.exit_code == 0, result.output
    printed = json.loads(result.stdout)
    assert printed["school_code"] == "CQ1024" and printed["name"] == "渝东北职业技术学院"
    assert printed["id"].startswith("col_") and printed["disabled_at"] is None
    assert "client_secret" not in printed
    db.session.expire_all()
    assert db.session.get(College, printed["id"]).school_code == "CQ1024"


def test_with_client_prints_a_college_client_s_secret_once_and_it_gets_a_token(app, settings):
    result = create_college(settings, "--with-client")

    assert result.exit_code == 0, result.output
    printed = json.loads(result.stdout)
    db.session.expire_all()
    client = db.session.get(Client, printed["client_id"])
    assert client.role == "college" and client.college_id == printed["id"]
    assert client.name == "渝东北职业技术学院"
    assert issue_client_token(printed["client_id"], printed["client_secret"]).access_token


def test_a_taken_or_malformed_school_code_fails_with_status_1(app, settings):
    assert create_college(settings).exit_code == 0

    taken = create_college(settings)
    malformed = create_college(settings, school_code="cq 1024")

    assert taken.exit_code == 1 and "error (conflict)" in taken.output
    assert malformed.exit_code == 1 and "school_code" in malformed.output
    db.session.expire_all()
    assert db.session.query(College).count() == 1


def test_clients_create_for_a_college_by_its_school_code(app, settings):
    college_id = json.loads(create_college(settings).stdout)["id"]

    result = run(
        settings,
        "clients",
        "create",
        "--role",
        "college",
        "--college",
        "CQ1024",
        "--name",
        "教务处 李老师",
    )

    assert result.exit_code == 0, result.output
    printed = json.loads(result.stdout)
    db.session.expire_all()
    client = db.session.get(Client, printed["client_id"])
    assert (client.role, client.college_id, client.name) == ("college", college_id, "教务处 李老师")
    assert issue_client_token(printed["client_id"], printed["client_secret"]).access_token


def test_a_college_client_needs_a_known_college_and_only_it_takes_one(app, settings):
    create_college(settings)

    unknown = run(
        settings, "clients", "create", "--role", "college", "--college", "NOPE", "--name", "x"
    )
    without = run(settings, "clients", "create", "--role", "college", "--name", "x")
    misplaced = run(
        settings, "clients", "create", "--role", "auditor", "--college", "CQ1024", "--name", "x"
    )

    assert unknown.exit_code == 1 and "error (not_found)" in unknown.output
    assert without.exit_code == 2 and "--college" in without.output
    assert misplaced.exit_code == 2 and "--college" in misplaced.output
    db.session.expire_all()
    assert db.session.query(Client).count() == 0


def staff(settings: Settings, *extra: str) -> Result:
    return run(
        settings, "staff", "create", "--username", "li.laoshi", *extra, "--password", PASSWORD
    )


def test_staff_create_binds_a_college_staff_account_to_its_college(app, settings):
    college_id = json.loads(create_college(settings).stdout)["id"]

    result = staff(settings, "--role", "college", "--college", "CQ1024")

    assert result.exit_code == 0, result.output
    printed = json.loads(result.stdout)
    assert (printed["role"], printed["college_id"]) == ("college", college_id)
    db.session.expire_all()
    account = db.session.get(StaffAccount, "li.laoshi")
    assert (account.role, account.college_id) == ("college", college_id)
    # It signs in through the shared form (to the college's pages: the guards keep it off the
    # workstation's, tests/api/test_college_pages.py).
    signed_in = verify_staff_password("li.laoshi", PASSWORD)
    assert signed_in is not None and signed_in.college_id == college_id


def test_college_staff_need_their_college_and_workstation_staff_take_none(app, settings):
    create_college(settings)

    without = staff(settings, "--role", "college")
    unknown = staff(settings, "--role", "college", "--college", "NOPE")
    misplaced = staff(settings, "--role", "workstation", "--college", "CQ1024")

    assert without.exit_code == 2 and "--college" in without.output
    assert unknown.exit_code == 1 and "error (not_found)" in unknown.output
    assert misplaced.exit_code == 2
    db.session.expire_all()
    assert db.session.get(StaffAccount, "li.laoshi") is None
    assert staff(settings, "--role", "workstation").exit_code == 0
    assert verify_staff_password("li.laoshi", PASSWORD) is not None
