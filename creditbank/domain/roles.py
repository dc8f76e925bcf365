"""The roles of API.md and PROGRAMMES.md, and the caller a verified token stands for."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Role(StrEnum):
    WORKSTATION = "workstation"  # manages learners, providers, rulesets, reviews; runs audits
    AUDITOR = "auditor"  # reads everything, runs audits, changes nothing
    PROVIDER = "provider"  # posts and voids its own outcomes, reads what it posted
    LEARNER = "learner"  # reads only its own account
    COLLEGE = "college"  # a college's academic office: its programmes, enrolments, decisions


STAFF = (Role.WORKSTATION, Role.AUDITOR)
CLIENT_ROLES = (Role.WORKSTATION, Role.AUDITOR, Role.PROVIDER, Role.COLLEGE)
EVERYONE = tuple(Role)


@dataclass(frozen=True)
class Principal:
    """The caller behind a verified token (or the shell, for CLI commands)."""

    subject: str  # client_id, or the learner_id for learners
    role: Role
    provider_id: str | None = None
    college_id: str | None = None

    @property
    def is_staff(self) -> bool:
        return self.role in STAFF

    def may_read_learner(self, learner_id: str) -> bool:
        return self.is_staff or (self.role is Role.LEARNER and self.subject == learner_id)


SHELL = Principal(subject="shell", role=Role.WORKSTATION)
