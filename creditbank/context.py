"""The application's settings and key material, for services that need them."""

from __future__ import annotations

from flask import current_app

from config.settings import Settings
from creditbank.security.keys import KeyRing


def settings() -> Settings:
    return current_app.extensions["creditbank.settings"]


def keyring() -> KeyRing:
    return current_app.extensions["creditbank.keyring"]


def public_base_url() -> str:
    """The bank's public address, ending in ``/``, that printed QR codes, verify links and the
    credential status list use: ``CREDITBANK_PUBLIC_BASE_URL``, else the address the request
    came in on, else the issuer's URL."""
    from flask import has_request_context, request

    base = settings().public_base_url
    if not base:
        base = request.url_root if has_request_context() else settings().issuer_profile_url
    return base if base.endswith("/") else base + "/"


def verify_url(number: str) -> str:
    return f"{public_base_url()}verify/{number}"
