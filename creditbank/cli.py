"""The ``creditbank`` command (also ``flask --app wsgi``): the same services as the API."""

from __future__ import annotations

import json
import os
import sys
from datetime import datetime
from pathlib import Path
from typing import Any

import click
from flask import Flask
from flask.cli import FlaskGroup, with_appcontext
from flask_migrate import upgrade as migrate_upgrade

from creditbank import cli_audit
from creditbank.domain.roles import CLIENT_ROLES, SHELL, STAFF, Role
from creditbank.errors import DomainError


def _create_app() -> Flask:
    # Commands count nothing in the server's metrics: each run would leave its own files in
    # gunicorn's PROMETHEUS_MULTIPROC_DIR until the next server start (creditbank/metrics.py).
    os.environ.pop("PROMETHEUS_MULTIPROC_DIR", None)
    from config.settings import Settings
    from creditbank.app import create_app

    settings = Settings.from_env()
    _refuse_new_keys_for_existing_identities(settings)
    # Only the shell may generate missing development keys (never a server worker).
    return create_app(settings, create_missing_keys=True)


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


def _emit(value: Any) -> None:
    click.echo(json.dumps(value, ensure_ascii=False, default=str))


def _instant(value: datetime | None) -> str | None:
    from creditbank.domain.canonical import format_instant

    return format_instant(value) if value else None


def _fail_on_domain_errors(callback: Any) -> Any:
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


@main.group()
def clients() -> None:
    """API clients."""


@clients.command("create")
@click.option(
    "--role",
    type=click.Choice([r.value for r in CLIENT_ROLES if r is not Role.PROVIDER]),
    required=True,
)
@click.option("--name", required=True)
@with_appcontext
@_fail_on_domain_errors
def clients_create(role: str, name: str) -> None:
    """Create a workstation or auditor client; prints {"client_id", "client_secret"} once."""
    from creditbank.services.clients import create_client

    credentials = create_client(Role(role), name)
    _emit({"client_id": credentials.client_id, "client_secret": credentials.client_secret})


@main.group()
def staff() -> None:
    """Staff accounts for the workstation's web pages (/workstation/)."""


@staff.command("create")
@click.option("--username", required=True)
@click.option("--role", type=click.Choice([r.value for r in STAFF]), required=True)
@click.option("--password", default=None, help="Asked for when omitted and a terminal is attached.")
@with_appcontext
@_fail_on_domain_errors
def staff_create(username: str, role: str, password: str | None) -> None:
    """Create a staff account that signs in at /workstation/; prints it as JSON."""
    from creditbank.services.staff import create_staff

    if password is None:
        if not sys.stdin.isatty():
            raise click.UsageError("--password is required without a terminal to ask on")
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    account = create_staff(username, Role(role), password)
    _emit(
        {
            "username": account.username,
            "role": account.role,
            "created_at": _instant(account.created_at),
        }
    )


@staff.command("disable")
@click.option("--username", required=True)
@with_appcontext
@_fail_on_domain_errors
def staff_disable(username: str) -> None:
    """Stop a staff account from signing in (its open sessions end at their next page)."""
    from creditbank.services.staff import disable_staff

    account = disable_staff(username)
    _emit({"username": account.username, "disabled_at": _instant(account.disabled_at)})


@main.group()
def learners() -> None:
    """Learner accounts."""


@learners.command("create")
@click.option("--name", required=True)
@click.option("--national-id", default=None)
@click.option("--password", default=None, help="Asked for when omitted and a terminal is attached.")
@with_appcontext
@_fail_on_domain_errors
def learners_create(name: str, national_id: str | None, password: str | None) -> None:
    """Open a learner's account; prints the learner as JSON."""
    from creditbank.api.schemas import LearnerSchema
    from creditbank.services.learners import open_learner

    if password is None and sys.stdin.isatty():
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    _emit(LearnerSchema().dump(open_learner(name, national_id, password)))


@main.group()
def providers() -> None:
    """Training providers."""


@providers.command("create")
@click.option("--code", required=True)
@click.option("--name", required=True)
@click.option("--with-client", is_flag=True, help="Also create an API client for it.")
@with_appcontext
@_fail_on_domain_errors
def providers_create(code: str, name: str, with_client: bool) -> None:
    """Register a provider; prints it as JSON (and a client's credentials with --with-client)."""
    from creditbank.api.schemas import ProviderSchema
    from creditbank.services.clients import create_client, register_provider

    provider = register_provider(code, name)
    result: dict[str, Any] = ProviderSchema().dump(provider)
    if with_client:
        credentials = create_client(Role.PROVIDER, name, provider.id)
        result.update(client_id=credentials.client_id, client_secret=credentials.client_secret)
    _emit(result)


@main.group()
def rules() -> None:
    """Conversion rulesets."""


@rules.command("publish")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--if-none", is_flag=True, help="Publish only if no ruleset exists yet.")
@with_appcontext
@_fail_on_domain_errors
def rules_publish(path: Path, if_none: bool) -> None:
    """Publish a ruleset document (JSON, as POST /rulesets takes it)."""
    from creditbank.api.parsing import parse_json_bytes
    from creditbank.services.rulesets import list_rulesets, publish_ruleset

    if if_none and list_rulesets(None, 1).items:
        click.echo("a ruleset is already published; nothing done", err=True)
        return
    published = publish_ruleset(parse_json_bytes(path.read_bytes()), SHELL.subject)
    _emit({"id": published["id"], "version": published["version"], "name": published["name"]})


@main.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--provider", "provider_code", required=True, help="The provider's code.")
@click.option("--dry-run", is_flag=True, help="Check every row and report; post nothing.")
@with_appcontext
@_fail_on_domain_errors
def import_outcomes(path: Path, provider_code: str, dry_run: bool) -> None:
    """Post outcomes from a CSV or XLSX file for a provider, as POST /outcomes/upload does."""
    from sqlalchemy import select

    from creditbank.api.uploads import import_sheet
    from creditbank.domain.roles import Principal
    from creditbank.extensions import db
    from creditbank.models import Provider

    provider = db.session.scalar(select(Provider).where(Provider.code == provider_code))
    if provider is None:
        raise click.BadParameter(f"no provider with code {provider_code}", param_hint="--provider")
    principal = Principal(subject=SHELL.subject, role=Role.PROVIDER, provider_id=provider.id)
    bar = _ImportBar()
    try:
        with path.open("rb") as stream:
            report = import_sheet(principal, stream, dry_run=dry_run, progress=bar)
    finally:
        bar.close()
    report.pop("items", None)  # one line per row: GET /outcomes has them
    _emit(report)
    if dry_run and not report["valid"]:
        sys.exit(1)


class _ImportBar:
    """click's progress bar on stderr, drawn only on a terminal, sized once rows are read."""

    def __init__(self) -> None:
        self._bar: Any = None

    def begin(self, total: int) -> None:
        self._bar = click.progressbar(length=total, label="posting rows", file=sys.stderr)
        self._bar.__enter__()

    def advance(self, count: int) -> None:
        if self._bar is not None:
            self._bar.update(count)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.__exit__(None, None, None)


@main.group()
def keys() -> None:
    """Signing keys."""


@keys.command("generate", with_appcontext=False)
def keys_generate() -> None:
    """Add a new Ed25519 signing key; it becomes the active one, old ones stay published."""
    # No app (and so no key loaded first): this also makes a production server's first key.
    from config.settings import Settings
    from creditbank.security.keys import generate_signing_key

    _emit({"kid": generate_signing_key(Settings.from_env().keys_dir)})


# Audits, checkpoints, export and offline verification live in their own module.
for _command in cli_audit.COMMANDS:
    main.add_command(_command)
