"""Refusals as data: the problem a service answers with, its detail, the paths it names and,
for the three cap problems, the ``cap`` member (PROGRAMMES.md § Caps and checks).

The services turn a :class:`Refusal` into the ``DomainError`` of the same slug; the rules here
only decide which one, and never raise it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from creditbank.domain.amounts import format_tenths


class Problem(StrEnum):
    """The API's problem slugs the transfer rules can answer with."""

    VALIDATION_ERROR = "validation_error"  # 422: a course not in the catalogue
    INVALID_SOURCE = "invalid_source"  # 422
    OUTCOME_CLAIMED = "outcome_claimed"
    COURSE_ALREADY_RECOGNISED = "course_already_recognised"
    COURSE_IN_APPLICATION = "course_in_application"
    NOT_PENDING = "not_pending"
    ALREADY_DECIDED = "already_decided"
    NOT_ENROLLED = "not_enrolled"
    SOURCE_UNAVAILABLE = "source_unavailable"
    SOURCE_CAP_EXCEEDED = "source_cap_exceeded"
    ONLINE_CAP_EXCEEDED = "online_cap_exceeded"
    SHARE_CAP_EXCEEDED = "share_cap_exceeded"
    NOT_APPROVED = "not_approved"
    ALREADY_REVOKED = "already_revoked"
    NOT_FLAGGED = "not_flagged"


class CapName(StrEnum):
    PER_SOURCE = "per_source"
    ONLINE = "online"
    SHARE = "share"


CAP_PROBLEMS = {
    CapName.PER_SOURCE: Problem.SOURCE_CAP_EXCEEDED,
    CapName.ONLINE: Problem.ONLINE_CAP_EXCEEDED,
    CapName.SHARE: Problem.SHARE_CAP_EXCEEDED,
}


@dataclass(frozen=True)
class CapBreach:
    """A cap an approval would pass: its limit, what is recognised already, what was asked."""

    name: CapName
    key: str | None  # the claim key, for the per-source cap
    limit: int  # tenths of a course credit
    recognised: int
    requested: int

    def document(self) -> dict[str, Any]:
        """The problem body's ``cap`` member, amounts as strings."""
        return {
            "name": self.name.value,
            "key": self.key,
            "limit": format_tenths(self.limit),
            "recognised": format_tenths(self.recognised),
            "requested": format_tenths(self.requested),
        }

    def detail(self) -> str:
        what = self.key if self.key is not None else _WHAT[self.name]
        return (
            f"{what} recognises {format_tenths(self.recognised)} credits already; "
            f"{format_tenths(self.requested)} more would pass its cap of "
            f"{format_tenths(self.limit)}"
        )


_WHAT = {
    CapName.PER_SOURCE: "The source",
    CapName.ONLINE: "The programme's online share",
    CapName.SHARE: "The programme",
}


@dataclass(frozen=True)
class Refusal:
    """Why a filing or a decision is refused; nothing may be written after one."""

    problem: Problem
    detail: str
    errors: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    cap: CapBreach | None = None

    def error_lists(self) -> dict[str, list[str]]:
        """``errors`` as ``DomainError(errors=...)`` takes them."""
        return {path: list(messages) for path, messages in self.errors.items()}


def refused(
    problem: Problem, detail: str, errors: Mapping[str, list[str]] | None = None
) -> Refusal:
    return Refusal(problem, detail, {k: tuple(v) for k, v in (errors or {}).items()})


def cap_refusal(breach: CapBreach) -> Refusal:
    return Refusal(CAP_PROBLEMS[breach.name], breach.detail(), cap=breach)
