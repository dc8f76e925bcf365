"""The pure rules' refusals (:class:`creditbank.transfer.Refusal`) as the service's errors."""

from __future__ import annotations

from typing import NoReturn

from creditbank.domain import errors
from creditbank.transfer import Problem, Refusal

ERRORS: dict[Problem, type[errors.DomainError]] = {
    Problem.VALIDATION_ERROR: errors.ValidationFailed,
    Problem.INVALID_SOURCE: errors.InvalidSource,
    Problem.OUTCOME_CLAIMED: errors.OutcomeClaimed,
    Problem.COURSE_ALREADY_RECOGNISED: errors.CourseAlreadyRecognised,
    Problem.COURSE_IN_APPLICATION: errors.CourseInApplication,
    Problem.NOT_PENDING: errors.NotPending,
    Problem.ALREADY_DECIDED: errors.AlreadyDecided,
    Problem.NOT_ENROLLED: errors.NotEnrolled,
    Problem.SOURCE_UNAVAILABLE: errors.SourceUnavailable,
    Problem.SOURCE_CAP_EXCEEDED: errors.SourceCapExceeded,
    Problem.ONLINE_CAP_EXCEEDED: errors.OnlineCapExceeded,
    Problem.SHARE_CAP_EXCEEDED: errors.ShareCapExceeded,
    Problem.NOT_APPROVED: errors.NotApproved,
    Problem.ALREADY_REVOKED: errors.AlreadyRevoked,
    Problem.NOT_FLAGGED: errors.NotFlagged,
}


def refuse(refusal: Refusal) -> NoReturn:
    """Raise the error ``refusal`` stands for, with its paths and its ``cap``."""
    members = {"cap": refusal.cap.document()} if refusal.cap is not None else None
    raise ERRORS[refusal.problem](
        refusal.detail, errors=refusal.error_lists() or None, members=members
    )
