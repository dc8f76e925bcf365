"""``creditbank rules | import``: publishing rulesets and posting outcomes from a sheet."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click
from flask.cli import AppGroup, with_appcontext

from creditbank.cli import emit, fail_on_domain_errors
from creditbank.domain.roles import SHELL, Role


@click.group(cls=AppGroup)
def rules() -> None:
    """Conversion rulesets."""


@rules.command("publish")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--if-none", is_flag=True, help="Publish only if no ruleset exists yet.")
@with_appcontext
@fail_on_domain_errors
def rules_publish(path: Path, if_none: bool) -> None:
    """Publish a ruleset document (JSON, as POST /rulesets takes it)."""
    from creditbank.intake.json_documents import parse_json_bytes
    from creditbank.services.rulesets import list_rulesets, publish_ruleset

    if if_none and list_rulesets(None, 1).items:
        click.echo("a ruleset is already published; nothing done", err=True)
        return
    published = publish_ruleset(parse_json_bytes(path.read_bytes()), SHELL.subject)
    emit({"id": published["id"], "version": published["version"], "name": published["name"]})


@click.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--provider", "provider_code", required=True, help="The provider's code.")
@click.option("--dry-run", is_flag=True, help="Check every row and report; post nothing.")
@with_appcontext
@fail_on_domain_errors
def import_outcomes(path: Path, provider_code: str, dry_run: bool) -> None:
    """Post outcomes from a CSV or XLSX file for a provider, as POST /outcomes/upload does."""
    from sqlalchemy import select

    from creditbank.domain.roles import Principal
    from creditbank.extensions import db
    from creditbank.models import Provider
    from creditbank.services.uploads import import_sheet

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
    emit(report)
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


COMMANDS = (rules, import_outcomes)
