"""The ``creditbank`` command (also ``flask --app wsgi``): the same services as the API."""

from __future__ import annotations

import dataclasses
import json
import os
import sys
from datetime import datetime
from typing import Any

import click
from flask import Flask
from flask.cli import FlaskGroup, with_appcontext
from flask_migrate import upgrade as migrate_upgrade

from creditbank.domain.errors import DomainError


def _create_app() -> Flask:
    # Commands count nothing in the server's metrics: each run would leave its own files in
    # gunicorn's PROMETHEUS_MULTIPROC_DIR until the next server start (creditbank/metrics.py).
    os.environ.pop("PROMETHEUS_MULTIPROC_DIR", None)
    from config.settings import Settings
    from creditbank.app import create_app

    settings = Settings.from_env()
    _refuse_new_keys_for_existing_identities(settings)
    # Only the shell may generate missing development keys (never a server worker). Its
    # statements run as long as they need: a whole-bank audit or export is long on purpose,
    # and whoever runs it can stop it (SQLite's busy timeout still applies).
    return create_app(settings, create_missing_keys=True, limit_statements=False)


def _refuse_new_keys_for_existing_identities(settings: Any) -> None:
    """New personal-data keys would make every stored national ID unreadable and unmatched:
    when keys are missing but identities exist, the key files were lost — restore, never mint."""
    import sqlalchemy as sa

    from creditbank.security.keys import MissingSecret, load_keyring

    try:
        load_keyring(settings.keys_dir, create_missing=False)
        return
    except MissingSecret as missing:
        engine = sa.create_engine(settings.database_url)
        try:
            with engine.connect() as connection:
                if not sa.inspect(connection).has_table("identities"):
                    return
                held = connection.execute(sa.text("SELECT count(*) FROM identities")).scalar()
        except sa.exc.SQLAlchemyError:
            return  # no database yet: nothing can be lost
        finally:
            engine.dispose()
        if held:
            raise click.ClickException(
                f"{missing} — but the database already holds {held} identities encrypted under "
                f"the old keys. Restore {settings.keys_dir} from the backup; new keys would make "
                "their national IDs unreadable."
            ) from None


def emit(value: Any) -> None:
    """One JSON document on stdout: dataclasses as objects, instants in RFC 3339 UTC."""
    click.echo(json.dumps(value, ensure_ascii=False, default=_jsonable))


def _jsonable(value: Any) -> Any:
    from creditbank.domain.canonical import format_instant

    if isinstance(value, datetime):
        return format_instant(value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return dataclasses.asdict(value)
    return str(value)


def fail_on_domain_errors(callback: Any) -> Any:
    """Domain errors become a one-line message and exit status 1, not a traceback."""

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return callback(*args, **kwargs)
        except DomainError as exc:
            message = exc.detail
            if exc.errors:
                message += ": " + "; ".join(f"{k}: {' '.join(v)}" for k, v in exc.errors.items())
            click.echo(f"error ({exc.slug}): {message}", err=True)
            sys.exit(1)

    wrapper.__name__ = callback.__name__
    wrapper.__doc__ = callback.__doc__
    return wrapper


@click.group(cls=FlaskGroup, create_app=_create_app, add_default_commands=False)
def main() -> None:
    """creditbank — the ledger of the Yunyang county credit bank (学分银行)."""


@main.group()
def db() -> None:
    """The database schema."""


@db.command("upgrade")
@with_appcontext
def db_upgrade() -> None:
    """Migrate the database to head (and create any missing development keys)."""
    migrate_upgrade()
    click.echo("database at head", err=True)


@db.command("distribution-sql")
def db_distribution_sql() -> None:
    """Print the Citus calls that distribute a migrated database, in order (docs/scaling.md);
    run them on the coordinator after ``creditbank db upgrade``. Needs no database."""
    from creditbank import models  # noqa: F401 (every table of the metadata)
    from creditbank.distribution import calls
    from creditbank.extensions import db as flask_db

    for statement in calls(flask_db.metadata):
        click.echo(statement)


def _register_commands() -> None:
    """The commands live in modules named after what they manage; each adds itself to ``main``."""
    from creditbank.cli import accounts, audit, catalogues, colleges, keys, ledger

    for module in (accounts, colleges, catalogues, ledger, keys, audit):
        for command in module.COMMANDS:
            main.add_command(command)


_register_commands()
