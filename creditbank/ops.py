"""Operational endpoints outside ``/api/v1``: liveness, readiness, the public keys (the set,
and each key at ``/keys/<kid>``, the URL a credential's ``kid`` names)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Flask, Response, abort, current_app, jsonify, request
from sqlalchemy.exc import SQLAlchemyError

from creditbank.extensions import db

blp = Blueprint("ops", __name__)
VC_JWT = "application/vc+jwt"


@blp.get("/healthz")
def healthz() -> Any:
    """The process is up (no database involved)."""
    return jsonify(status="ok")


@blp.get("/readyz")
def readyz() -> Any:
    """The database answers and its schema is at the migrations' head; 503 otherwise."""
    from alembic.runtime.migration import MigrationContext  # Alembic loads only when asked

    try:
        with db.engine.connect() as connection:
            current = MigrationContext.configure(connection).get_current_heads()
    except SQLAlchemyError:
        db.session.remove()
        return _not_ready("database unreachable")
    head = migration_heads(current_app)
    if set(current) != head:
        return _not_ready(f"schema at {sorted(current)}, migrations at {sorted(head)}")
    return jsonify(status="ready", database="ok", migrations=sorted(head))


@blp.get("/.well-known/jwks.json")
def jwks() -> Any:
    """The public keys that sign tokens, credentials and checkpoints."""
    return public_resource(jsonify(current_app.extensions["creditbank.keyring"].jwks()))


@blp.get("/keys/<kid>")
def key(kid: str) -> Any:
    """One public key as a JWK: what a credential's ``kid`` (``<base>/keys/<kid>``) resolves to."""
    for jwk in current_app.extensions["creditbank.keyring"].jwks()["keys"]:
        if jwk["kid"] == kid:
            return public_resource(jsonify(jwk))
    abort(404)


@blp.get("/credentials/status/<int:status_list>")
def status_list(status_list: int) -> Any:
    """The credential status list (a W3C BitstringStatusListCredential): JSON, or a VC-JWT
    signed like the credentials when ``Accept`` asks for ``application/vc+jwt``."""
    from creditbank.context import keyring, public_base_url
    from creditbank.security.tokens import sign_jws
    from creditbank.services.credential_status import status_list_credential

    if status_list < 1:
        abort(404)
    credential = status_list_credential(status_list)
    if request.accept_mimetypes.best_match(["application/json", VC_JWT]) == VC_JWT:
        token = sign_jws(
            keyring(), credential, typ="vc+jwt", kid_prefix=f"{public_base_url()}keys/"
        )
        return public_resource(Response(token, mimetype=VC_JWT), max_age=60)
    return public_resource(jsonify(credential), max_age=60)


def public_resource(response: Response, max_age: int = 300) -> Response:
    """Anyone's to read, from any site's script (a verifier in a browser), cached briefly."""
    response.headers["Access-Control-Allow-Origin"] = "*"
    response.cache_control.max_age = max_age
    response.cache_control.public = True
    return response


def _not_ready(reason: str) -> Any:
    response = jsonify(status="unavailable", reason=reason)
    response.status_code = 503
    response.headers["Retry-After"] = "5"
    return response


def migration_heads(app: Flask) -> set[str]:
    """The head revision(s) of the migrations shipped with this code (read once, when first
    asked, so that start-up does not pay for importing Alembic)."""
    cached = app.extensions.get("creditbank.migration_heads")
    if cached is not None:
        return cached
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    config = Config()
    config.set_main_option("script_location", app.extensions["migrate"].directory)
    heads = set(ScriptDirectory.from_config(config).get_heads())
    app.extensions["creditbank.migration_heads"] = heads
    return heads
