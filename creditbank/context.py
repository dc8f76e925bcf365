"""The application's settings and key material, for services that need them."""

from __future__ import annotations

from flask import current_app

from config.settings import Settings
from creditbank.security.keys import KeyRing


def settings() -> Settings:
    return current_app.extensions["creditbank.settings"]


def keyring() -> KeyRing:
    return current_app.extensions["creditbank.keyring"]
