"""Start-up: development mints its keys once; production refuses to start without secrets."""

from __future__ import annotations

import dataclasses

import pytest

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
