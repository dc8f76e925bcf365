"""Providers, their clients, and client management (workstation)."""

from __future__ import annotations

from typing import Any

from creditbank.api import Blueprint
from creditbank.api.access import allow
from creditbank.api.docs import problem
from creditbank.api.schemas import (
    ClientCreate,
    ClientSchema,
    CredentialsSchema,
    PageArgs,
    ProviderCreate,
    ProviderPage,
    ProviderSchema,
)
from creditbank.domain.roles import STAFF, Role
from creditbank.services import clients

blp = Blueprint("providers", __name__, description="Training providers and API clients")


@blp.route("/providers", methods=["POST"])
@allow(Role.WORKSTATION)
@blp.arguments(ProviderCreate)
@blp.response(201, ProviderSchema)
@blp.doc(responses=problem(409))  # the code is taken
def register_provider(body: dict[str, Any]) -> Any:
    """Register a training provider (its code is unique)."""
    return clients.register_provider(body["code"], body["name"])


@blp.route("/providers", methods=["GET"])
@allow(*STAFF, Role.PROVIDER)
@blp.arguments(PageArgs, location="query")
@blp.page(ProviderPage)
def list_providers(query: dict[str, Any]) -> Any:
    """List providers."""
    return clients.list_providers(query["cursor"], query["limit"])


@blp.route("/providers/<provider_id>", methods=["GET"])
@allow(*STAFF, Role.PROVIDER)
@blp.response(200, ProviderSchema)
def get_provider(provider_id: str) -> Any:
    """One provider."""
    return clients.get_provider(provider_id)


@blp.route("/providers/<provider_id>/clients", methods=["POST"])
@allow(Role.WORKSTATION)
@blp.arguments(ClientCreate, required=False)
@blp.response(201, CredentialsSchema)
def create_provider_client(body: dict[str, Any], provider_id: str) -> Any:
    """Create an API client for a provider; the secret is shown only this once."""
    provider = clients.get_provider(provider_id)
    name = (body or {}).get("name") or provider.name
    return clients.create_client(Role.PROVIDER, name, provider_id)


@blp.route("/clients/<client_id>/disable", methods=["POST"])
@allow(Role.WORKSTATION)
@blp.response(200, ClientSchema)
def disable_client(client_id: str) -> Any:
    """Disable a client: its tokens stop working at once."""
    clients.disable_client(client_id)
    return {"client_id": client_id, "disabled": True}


@blp.route("/clients/<client_id>/rotate", methods=["POST"])
@allow(Role.WORKSTATION)
@blp.response(200, CredentialsSchema)
def rotate_client(client_id: str) -> Any:
    """Issue a new secret; the old secret and its tokens stop working."""
    return clients.rotate_client_secret(client_id)
