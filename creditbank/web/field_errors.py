"""A refused form's errors as its page shows them: by field, in Chinese, beside the field."""

from __future__ import annotations

from collections.abc import Mapping

from creditbank.check_messages import message_text
from creditbank.domain.errors import DomainError


def field_errors(exc: DomainError, field: str = "file") -> dict[str, list[str]]:
    """``exc``'s messages by field (its own keys), or its detail on ``field`` when it has none."""
    if not exc.errors:
        return {field: [message_text(exc.detail)]}
    return {key: [message_text(m) for m in messages] for key, messages in exc.errors.items()}


def field_messages(errors: Mapping[str, list[str]]) -> dict[str, str]:
    """``{"field": ["…", …]}`` → ``{"field": "…；…"}``: one line beside each field."""
    return {name: "；".join(message_text(m) for m in messages) for name, messages in errors.items()}
