"""``creditbank clients | staff | learners | providers``: accounts, as the API opens them."""

from __future__ import annotations

import sys
from typing import Any

import click
from flask.cli import AppGroup, with_appcontext

from creditbank.cli import emit, fail_on_domain_errors
from creditbank.domain.roles import CLIENT_ROLES, STAFF, Role


@click.group(cls=AppGroup)
def clients() -> None:
    """API clients."""


@clients.command("create")
@click.option(
    "--role",
    type=click.Choice([r.value for r in CLIENT_ROLES if r is not Role.PROVIDER]),
    required=True,
)
@click.option("--name", required=True)
@click.option("--college", "school_code", default=None, help="A college client's school code.")
@with_appcontext
@fail_on_domain_errors
def clients_create(role: str, name: str, school_code: str | None) -> None:
    """Create a workstation, auditor or college client (a college's with --college
    <school code>); prints {"client_id", "client_secret"} once."""
    from creditbank.services.clients import create_client

    college_id = _college_id(role, school_code)
    credentials = create_client(Role(role), name, college_id=college_id)
    emit({"client_id": credentials.client_id, "client_secret": credentials.client_secret})


def _college_id(role: str, school_code: str | None) -> str | None:
    """The college a ``--role college`` account belongs to; --college only goes with it."""
    from creditbank.services.colleges import college_by_school_code

    if (role == Role.COLLEGE) != (school_code is not None):
        raise click.UsageError("--college <school code> goes with --role college, and only with it")
    return None if school_code is None else college_by_school_code(school_code).id


@click.group(cls=AppGroup)
def staff() -> None:
    """Staff accounts for the workstation's web pages (/workstation/)."""


@staff.command("create")
@click.option("--username", required=True)
@click.option("--role", type=click.Choice([r.value for r in (*STAFF, Role.COLLEGE)]), required=True)
@click.option("--college", "school_code", default=None, help="A college staff's school code.")
@click.option("--password", default=None, help="Asked for when omitted and a terminal is attached.")
@with_appcontext
@fail_on_domain_errors
def staff_create(username: str, role: str, school_code: str | None, password: str | None) -> None:
    """Create a staff account that signs in at /workstation/login (a college's, with --college
    <school code>, is bound to that college and lands on /college/); prints it as JSON."""
    from creditbank.services.staff import create_staff

    college_id = _college_id(role, school_code)
    if password is None:
        if not sys.stdin.isatty():
            raise click.UsageError("--password is required without a terminal to ask on")
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    account = create_staff(username, Role(role), password, college_id=college_id)
    emit(
        {
            "username": account.username,
            "role": account.role,
            "college_id": account.college_id,
            "created_at": account.created_at,
        }
    )


@staff.command("disable")
@click.option("--username", required=True)
@with_appcontext
@fail_on_domain_errors
def staff_disable(username: str) -> None:
    """Stop a staff account from signing in (its open sessions end at their next page)."""
    from creditbank.services.staff import disable_staff

    account = disable_staff(username)
    emit({"username": account.username, "disabled_at": account.disabled_at})


@click.group(cls=AppGroup)
def learners() -> None:
    """Learner accounts."""


@learners.command("create")
@click.option("--name", required=True)
@click.option("--national-id", default=None)
@click.option("--password", default=None, help="Asked for when omitted and a terminal is attached.")
@with_appcontext
@fail_on_domain_errors
def learners_create(name: str, national_id: str | None, password: str | None) -> None:
    """Open a learner's account; prints the learner as JSON."""
    from creditbank.services.learners import open_learner

    if password is None and sys.stdin.isatty():
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    emit(open_learner(name, national_id, password))


@click.group(cls=AppGroup)
def providers() -> None:
    """Training providers."""


@providers.command("create")
@click.option("--code", required=True)
@click.option("--name", required=True)
@click.option("--with-client", is_flag=True, help="Also create an API client for it.")
@with_appcontext
@fail_on_domain_errors
def providers_create(code: str, name: str, with_client: bool) -> None:
    """Register a provider; prints it as JSON (and a client's credentials with --with-client)."""
    from creditbank.services.clients import create_client, register_provider

    provider = register_provider(code, name)
    result: dict[str, Any] = {
        "id": provider.id,
        "code": provider.code,
        "name": provider.name,
        "created_at": provider.created_at,
    }
    if with_client:
        credentials = create_client(Role.PROVIDER, name, provider.id)
        result.update(client_id=credentials.client_id, client_secret=credentials.client_secret)
    emit(result)


COMMANDS = (clients, staff, learners, providers)
