"""``creditbank staff create|disable``: the accounts that sign in to /workstation/, made from a
shell, on SQLite and PostgreSQL; the password is asked for on a terminal when not given."""

from __future__ import annotations

import fcntl
import os
import select
import subprocess
import sys
import termios
import time
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from flask import Flask

from config.settings import Settings
from creditbank.cli import main
from creditbank.extensions import db
from creditbank.models import StaffAccount
from creditbank.security.passwords import verify_secret
from creditbank.services.staff import verify_staff_password

pytestmark = pytest.mark.usefixtures("cheap_secret_hashing")


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


def stored(username: str) -> StaffAccount | None:
    db.session.expire_all()
    return db.session.get(StaffAccount, username)


@pytest.mark.parametrize("role", ["workstation", "auditor"])
def test_staff_create_stores_a_hashed_password_and_prints_the_account(app, settings, role):
    result = run(
        settings,
        "staff",
        "create",
        "--username",
        "zhao.lei",
        "--role",
        role,
        "--password",
        "a-long-password",
    )

    assert result.exit_code == 0, result.output
    assert '"username": "zhao.lei"' in result.stdout and f'"role": "{role}"' in result.stdout
    assert "a-long-password" not in result.stdout
    account = stored("zhao.lei")
    assert account.role == role and account.disabled_at is None
    assert account.password_hash.startswith("scrypt$")
    assert verify_secret("a-long-password", account.password_hash)


def test_a_taken_username_short_password_or_unknown_role_is_refused(app, settings):
    assert (
        run(
            settings,
            "staff",
            "create",
            "--username",
            "zhao.lei",
            "--role",
            "auditor",
            "--password",
            "a-long-password",
        ).exit_code
        == 0
    )

    taken = run(
        settings,
        "staff",
        "create",
        "--username",
        "zhao.lei",
        "--role",
        "auditor",
        "--password",
        "another-password",
    )
    short = run(
        settings,
        "staff",
        "create",
        "--username",
        "qian",
        "--role",
        "auditor",
        "--password",
        "short",
    )
    provider = run(
        settings,
        "staff",
        "create",
        "--username",
        "sun",
        "--role",
        "provider",
        "--password",
        "a-long-password",
    )

    newline = run(
        settings,
        "staff",
        "create",
        "--username",
        "zhou\n",
        "--role",
        "auditor",
        "--password",
        "a-long-password",
    )

    assert taken.exit_code == 1 and "error (conflict)" in taken.output
    assert short.exit_code == 1 and "password" in short.output
    assert provider.exit_code == 2  # not a staff role
    assert newline.exit_code == 1 and "username" in newline.output
    assert stored("qian") is None and stored("sun") is None and stored("zhou\n") is None


def test_without_a_terminal_the_password_must_be_given(app, settings):
    result = run(settings, "staff", "create", "--username", "li", "--role", "auditor")

    assert result.exit_code == 2
    assert "--password is required" in result.output
    assert stored("li") is None


def test_staff_disable_stops_the_account_signing_in(app: Flask, settings):
    run(
        settings,
        "staff",
        "create",
        "--username",
        "zhou",
        "--role",
        "workstation",
        "--password",
        "a-long-password",
    )
    assert verify_staff_password("zhou", "a-long-password") is not None

    result = run(settings, "staff", "disable", "--username", "zhou")

    assert result.exit_code == 0, result.output
    assert '"disabled_at": "' in result.stdout
    assert verify_staff_password("zhou", "a-long-password") is None
    assert run(settings, "staff", "disable", "--username", "nobody").exit_code == 1


def test_on_a_terminal_the_password_is_asked_for_twice_and_not_echoed(app, settings):
    if sys.platform != "linux":
        pytest.skip("needs a Linux pseudo-terminal")
    creditbank = Path(sys.executable).parent / "creditbank"
    env = {**os.environ, **environment(settings)}
    typed = "typed-on-a-tty"
    output = run_on_a_terminal(
        [str(creditbank), "staff", "create", "--username", "wu", "--role", "auditor"],
        env,
        answers=[typed, typed],
    )

    assert output.count("Password") == 1 and "Repeat for confirmation" in output, output
    assert typed not in output  # hidden input
    assert '"username": "wu"' in output
    assert verify_staff_password("wu", typed) is not None


def run_on_a_terminal(command: list[str], env: dict[str, str], answers: list[str]) -> str:
    """Run ``command`` with a pseudo-terminal as its controlling terminal, answering each
    prompt (a line ending in ':') in turn; everything it wrote. Bounded to 60 s."""
    leader, follower = os.openpty()

    def take_terminal() -> None:
        os.setsid()
        fcntl.ioctl(0, termios.TIOCSCTTY, 0)

    process = subprocess.Popen(
        command,
        stdin=follower,
        stdout=follower,
        stderr=follower,
        env=env,
        preexec_fn=take_terminal,
        close_fds=True,
    )
    os.close(follower)
    output, pending, deadline = b"", list(answers), time.monotonic() + 60
    answered = 0
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([leader], [], [], 0.5)
            if ready:
                try:
                    chunk = os.read(leader, 4096)
                except OSError:  # the child closed the terminal
                    break
                if not chunk:
                    break
                output += chunk
                # Answer a prompt only once it is shown: getpass flushes what was typed before.
                if pending and output[answered:].rstrip().endswith(b":"):
                    os.write(leader, pending.pop(0).encode() + b"\n")
                    answered = len(output)
            elif process.poll() is not None:
                break
        assert process.wait(timeout=10) == 0, output.decode(errors="replace")
    finally:
        if process.poll() is None:
            process.kill()  # only the command started here
        os.close(leader)
    return output.decode(errors="replace")


def test_a_new_username_fits_the_records_that_name_its_account(app):
    """A staff member stands in the records as ``staff:<username>`` (audits requested, rulesets
    published, transfer items decided: 40-character columns), so a new name has 32 at most."""
    from creditbank.domain.errors import ValidationFailed
    from creditbank.domain.roles import Role
    from creditbank.services.staff import create_staff

    assert create_staff("a" * 32, Role.WORKSTATION, "long-enough-pw").username == "a" * 32
    with pytest.raises(ValidationFailed) as refused:
        create_staff("a" * 33, Role.WORKSTATION, "long-enough-pw")
    assert list(refused.value.errors) == ["username"]
    assert len(f"staff:{'a' * 32}") <= 40
