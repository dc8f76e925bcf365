"""``creditbank keys``: the signing keys."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from creditbank.cli import emit


@click.group(cls=AppGroup)
def keys() -> None:
    """Signing keys."""


@keys.command("generate", with_appcontext=False)
def keys_generate() -> None:
    """Add a new Ed25519 signing key; it becomes the active one, old ones stay published."""
    # No app (and so no key loaded first): this also makes a production server's first key.
    from config.settings import Settings
    from creditbank.security.keys import generate_signing_key

    emit({"kid": generate_signing_key(Settings.from_env().keys_dir)})


COMMANDS = (keys,)
