"""Start-up: development mints its keys once; production refuses to start without secrets."""

from __future__ import annotations

import dataclasses

import pytest
import sqlalchemy as sa

from config.settings import Settings, SettingsError
from creditbank.app import create_app
from creditbank.security.keys import MissingSecret


def test_production_without_a_database_url_stops_with_a_message_naming_it():
    with pytest.raises(SettingsError, match="CREDITBANK_DATABASE_URL"):
        Settings.from_env({"CREDITBANK_ENV": "production"})


def test_production_refuses_the_test_only_fault_pause_and_development_takes_it(tmp_path):
    environ = {"CREDITBANK_DATABASE_URL": "sqlite://", "CREDITBANK_FAULT_PAUSE_DIR": str(tmp_path)}

    with pytest.raises(SettingsError, match="CREDITBANK_FAULT_PAUSE_DIR"):
        Settings.from_env({**environ, "CREDITBANK_ENV": "production"})
    assert Settings.from_env(environ).fault_pause_dir == tmp_path.resolve()
    assert Settings.from_env({}).fault_pause_dir is None


def test_production_without_signing_keys_stops_start_up(settings, tmp_path):
    production = dataclasses.replace(settings, env="production", keys_dir=tmp_path / "none")

    with pytest.raises(MissingSecret, match="signing"):
        create_app(production, create_missing_keys=True)
    assert not (tmp_path / "none" / "signing").exists()


def test_a_server_never_generates_keys_even_in_development(settings, tmp_path):
    empty = dataclasses.replace(settings, keys_dir=tmp_path / "fresh")

    with pytest.raises(MissingSecret):
        create_app(empty)  # what gunicorn's workers call


def test_the_shell_generates_development_keys_once(settings, tmp_path):
    fresh = dataclasses.replace(settings, keys_dir=tmp_path / "fresh")

    first = create_app(fresh, create_missing_keys=True).extensions["creditbank.keyring"]
    second = create_app(fresh, create_missing_keys=True).extensions["creditbank.keyring"]

    assert first.active_kid == second.active_kid
    assert second.jwks() == first.jwks()


def test_db_upgrade_refuses_to_mint_personal_data_keys_over_existing_identities(tmp_path):
    from click.testing import CliRunner

    from creditbank.cli import main

    env = {"CREDITBANK_INSTANCE_PATH": str(tmp_path), "CREDITBANK_ENV": "development"}
    runner = CliRunner()
    assert runner.invoke(main, ["db", "upgrade"], env=env).exit_code == 0
    created = runner.invoke(
        main, ["learners", "create", "--name", "王五", "--password", "abcdefgh12"], env=env
    )
    assert created.exit_code == 0, created.output
    (tmp_path / "keys" / "pii-hmac.key").unlink()

    again = runner.invoke(main, ["db", "upgrade"], env=env)

    assert again.exit_code == 1
    assert "Restore" in again.output
    assert not (tmp_path / "keys" / "pii-hmac.key").exists()


def test_a_database_wait_not_below_gunicorns_timeout_stops_start_up():
    """A request must get its 503 before gunicorn's worker timeout, so every wait on the
    database is refused unless it is below it (config/settings.py)."""
    with pytest.raises(
        SettingsError, match=r"CREDITBANK_DB_STATEMENT_TIMEOUT_MS.*CREDITBANK_TIMEOUT"
    ):
        Settings.from_env({"CREDITBANK_TIMEOUT": "15"})  # the statement timeout is 20 s
    for name in ("DB_STATEMENT_TIMEOUT_MS", "DB_LOCK_TIMEOUT_MS", "SQLITE_BUSY_TIMEOUT_MS"):
        with pytest.raises(SettingsError, match=f"CREDITBANK_{name}"):
            Settings.from_env({f"CREDITBANK_{name}": "60000"})

    shorter = Settings.from_env(
        {"CREDITBANK_TIMEOUT": "15", "CREDITBANK_DB_STATEMENT_TIMEOUT_MS": "14000"}
    )
    defaults = Settings.from_env({})
    assert (shorter.worker_timeout_seconds, shorter.db_statement_timeout_ms) == (15, 14000)
    assert (defaults.db_statement_timeout_ms, defaults.db_lock_timeout_ms) == (20000, 10000)
    assert (defaults.sqlite_busy_timeout_ms, defaults.worker_timeout_seconds) == (10000, 60)


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_the_server_limits_statements_and_the_command_line_does_not(settings, monkeypatch):
    from creditbank.cli import _create_app
    from creditbank.extensions import db

    for name, value in (
        ("DATABASE_URL", settings.database_url),
        ("INSTANCE_PATH", str(settings.instance_path)),
        ("KEYS_DIR", str(settings.keys_dir)),
        ("DB_STATEMENT_TIMEOUT_MS", "1500"),
        ("DB_LOCK_TIMEOUT_MS", "700"),
    ):
        monkeypatch.setenv(f"CREDITBANK_{name}", value)
    shown = {}
    for name, app in (("server", create_app()), ("shell", _create_app())):
        with app.app_context():
            shown[name] = tuple(
                db.session.execute(sa.text(f"SHOW {setting}")).scalar_one()
                for setting in ("statement_timeout", "lock_timeout")
            )
            db.session.remove()
            db.engine.dispose()

    assert shown == {"server": ("1500ms", "700ms"), "shell": ("0", "0")}
