"""Every error the service can answer with: pure exceptions, no framework.

Services (and the pure packages: intake, conversion) raise :class:`DomainError` subclasses, each
with an HTTP status and a stable ``type`` slug that clients rely on (API.md § Conventions);
:mod:`creditbank.api.problems` renders every one of them as ``application/problem+json``.
"""

from __future__ import annotations

from collections.abc import Mapping


class DomainError(Exception):
    """An error with a status and a slug that clients can rely on (API.md § Conventions)."""

    status = 400
    slug = "bad_request"
    title = "Bad request"

    def __init__(
        self,
        detail: str | None = None,
        *,
        errors: Mapping[str, list[str]] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(detail or self.title)
        self.detail = detail or self.title
        self.errors = dict(errors) if errors else None
        self.headers = dict(headers or {})


class MalformedJson(DomainError):
    status, slug, title = 400, "malformed_json", "The body is not valid JSON"


class Unauthorized(DomainError):
    status, slug, title = 401, "unauthorized", "Authentication required"

    def __init__(self, detail: str | None = None) -> None:
        super().__init__(detail, headers={"WWW-Authenticate": 'Bearer realm="creditbank"'})


class InvalidCredentials(Unauthorized):
    title = "Wrong credentials"


class Forbidden(DomainError):
    status, slug, title = 403, "forbidden", "Not allowed for this token"


class NotFound(DomainError):
    status, slug, title = 404, "not_found", "Not found"


class MethodNotAllowed(DomainError):
    status, slug, title = 405, "method_not_allowed", "Method not allowed"


class NotAcceptable(DomainError):
    status, slug, title = 406, "not_acceptable", "None of the accepted media types is available"


class Conflict(DomainError):
    status, slug, title = 409, "conflict", "Conflicts with an existing record"


class IdempotencyConflict(Conflict):
    slug, title = "idempotency_conflict", "external_ref already used with a different body"


class AlreadyVoided(Conflict):
    slug, title = "already_voided", "The outcome is already voided"


class NotPendingReview(Conflict):
    slug, title = "not_pending_review", "The outcome is not waiting for review"


class PayloadTooLarge(DomainError):
    status, slug, title = 413, "payload_too_large", "The body is too large"


class UnsupportedMediaType(DomainError):
    status, slug, title = 415, "unsupported_media_type", "Unsupported content type"


class ValidationFailed(DomainError):
    status, slug, title = 422, "validation_error", "The request is not valid"


class UnknownLearner(ValidationFailed):
    slug, title = "unknown_learner", "No such learner"


class TooManyRequests(DomainError):
    status, slug, title = 429, "too_many_requests", "Too many requests"


class ServiceUnavailable(DomainError):
    status, slug, title = 503, "service_unavailable", "The database is unreachable"

    def __init__(self, detail: str | None = None) -> None:
        super().__init__(detail, headers={"Retry-After": "5"})


class DatabaseBusy(ServiceUnavailable):
    """The database answered, but not within the time a request may wait (a lock held, a
    statement stalled, every pooled connection in use)."""

    title = "The database is busy; try again shortly"


class InternalError(DomainError):
    status, slug, title = 500, "internal_error", "Internal error"
