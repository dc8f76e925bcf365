"""The application's settings and key material, for services that need them."""

from __future__ import annotations

from collections.abc import Callable

from flask import current_app

from config.settings import Settings
from creditbank.domain.roles import Principal
from creditbank.security.keys import KeyRing

# The web layer registers here how to find the staff member signed in to the pages, so that
# the API can let such a browser read an HTML report without importing the pages.
BROWSER_PRINCIPAL = "creditbank.browser_principal"


def settings() -> Settings:
    return current_app.extensions["creditbank.settings"]


def keyring() -> KeyRing:
    return current_app.extensions["creditbank.keyring"]


def browser_principal() -> Principal | None:
    """The staff member signed in to the pages, when the web layer has registered a finder."""
    find: Callable[[], Principal | None] | None = current_app.extensions.get(BROWSER_PRINCIPAL)
    return find() if find is not None else None
