"""``creditbank colleges``: colleges (院校), as the API registers them."""

from __future__ import annotations

from typing import Any

import click
from flask.cli import AppGroup, with_appcontext

from creditbank.cli import emit, fail_on_domain_errors
from creditbank.domain.roles import SHELL


@click.group(cls=AppGroup)
def colleges() -> None:
    """Colleges that accept banked credits."""


@colleges.command("create")
@click.option("--school-code", required=True, help="转换学校代码: 1–16 of A–Z, 0–9 and '-'.")
@click.option("--name", required=True)
@click.option("--with-client", is_flag=True, help="Also create an API client for it.")
@with_appcontext
@fail_on_domain_errors
def colleges_create(school_code: str, name: str, with_client: bool) -> None:
    """Register a college; prints it as JSON (and a client's credentials, once, with
    --with-client)."""
    from creditbank.services.colleges import create_college_client, register_college

    college = register_college(SHELL, school_code, name)
    result: dict[str, Any] = {
        "id": college.id,
        "school_code": college.school_code,
        "name": college.name,
        "created_at": college.created_at,
        "disabled_at": college.disabled_at,
    }
    if with_client:
        credentials = create_college_client(college.id)
        result.update(client_id=credentials.client_id, client_secret=credentials.client_secret)
    emit(result)


COMMANDS = (colleges,)
