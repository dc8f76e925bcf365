"""Every error the service can answer with: pure exceptions, no framework.

Services (and the pure packages: intake, conversion) raise :class:`DomainError` subclasses, each
with an HTTP status and a stable ``type`` slug that clients rely on (API.md § Conventions);
:mod:`creditbank.api.problems` renders every one of them as ``application/problem+json``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


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
        members: Mapping[str, Any] | None = None,
    ) -> None:
        super().__init__(detail or self.title)
        self.detail = detail or self.title
        self.errors = dict(errors) if errors else None
        self.headers = dict(headers or {})
        self.members = dict(members or {})  # extension members of the problem body (``cap``)


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


# The college half (PROGRAMMES.md § Endpoints, Conventions): all 409 but invalid_source.
class NotEnrolled(Conflict):
    slug, title = "not_enrolled", "The learner is not enrolled in the programme"


class ProgrammeDisabled(Conflict):
    slug, title = "programme_disabled", "The programme is disabled"


class CollegeDisabled(Conflict):
    slug, title = "college_disabled", "The college is disabled"


class NoCatalogue(Conflict):
    slug, title = "no_catalogue", "The programme has no catalogue in force"


class OutcomeClaimed(Conflict):
    slug, title = "outcome_claimed", "An outcome is held by another application"


class CourseAlreadyRecognised(Conflict):
    slug, title = "course_already_recognised", "The course is recognised already"


class CourseInApplication(Conflict):
    slug, title = "course_in_application", "The course is pending in another application"


class AlreadyDecided(Conflict):
    slug, title = "already_decided", "The item is decided already"


class NotPending(Conflict):
    slug, title = "not_pending", "Nothing is pending"


class SourceUnavailable(Conflict):
    slug, title = "source_unavailable", "A source outcome cannot be spent any more"


class SourceCapExceeded(Conflict):
    slug, title = "source_cap_exceeded", "The source would recognise more than its cap"


class OnlineCapExceeded(Conflict):
    slug, title = "online_cap_exceeded", "Online courses would pass the programme's online cap"


class ShareCapExceeded(Conflict):
    slug, title = "share_cap_exceeded", "The programme's share of recognised credits is full"


class NotApproved(Conflict):
    slug, title = "not_approved", "The item is not approved"


class AlreadyRevoked(Conflict):
    slug, title = "already_revoked", "The item is revoked already"


class NotFlagged(Conflict):
    slug, title = "not_flagged", "The item is not flagged"


class CertificateNotIssued(Conflict):
    slug, title = "certificate_not_issued", "No conversion certificate has been issued"


class PayloadTooLarge(DomainError):
    status, slug, title = 413, "payload_too_large", "The body is too large"


class UnsupportedMediaType(DomainError):
    status, slug, title = 415, "unsupported_media_type", "Unsupported content type"


class ValidationFailed(DomainError):
    status, slug, title = 422, "validation_error", "The request is not valid"


class UnknownLearner(ValidationFailed):
    slug, title = "unknown_learner", "No such learner"


class InvalidSource(ValidationFailed):
    slug, title = "invalid_source", "An outcome cannot be offered for this course"


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
