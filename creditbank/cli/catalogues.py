"""``creditbank catalogues``: publishing a programme's catalogue from the shell."""

from __future__ import annotations

from pathlib import Path

import click
from flask.cli import AppGroup, with_appcontext

from creditbank.cli import emit, fail_on_domain_errors
from creditbank.domain.roles import SHELL


@click.group(cls=AppGroup)
def catalogues() -> None:
    """Programmes' catalogues (专业学分转换目录)."""


@catalogues.command("publish")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--programme",
    "programme_ref",
    required=True,
    metavar="SCHOOL_CODE/PROGRAMME_CODE",
    help="The programme, by its college's school code and its own code: CQ1024/510203.",
)
@with_appcontext
@fail_on_domain_errors
def catalogues_publish(path: Path, programme_ref: str) -> None:
    """Publish a catalogue document (JSON, as POST /programmes/{id}/catalogues takes it) as
    the programme's next version; a bad document prints every bad path and exits 1."""
    from creditbank.intake.json_documents import parse_json_bytes
    from creditbank.services.catalogues import programme_by_codes, publish_catalogue

    school_code, slash, programme_code = programme_ref.partition("/")
    if not slash or not school_code or not programme_code:
        raise click.BadParameter(
            "give SCHOOL_CODE/PROGRAMME_CODE, e.g. CQ1024/510203", param_hint="--programme"
        )
    programme = programme_by_codes(school_code, programme_code)
    published = publish_catalogue(SHELL, programme.id, parse_json_bytes(path.read_bytes()))
    emit(
        {
            "id": published["id"],
            "programme_id": published["programme_id"],
            "version": published["version"],
            "name": published["name"],
            "effective_from": published["effective_from"],
        }
    )


COMMANDS = (catalogues,)
