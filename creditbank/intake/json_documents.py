"""JSON documents as the service reads them: numbers as exact decimals, bounded nesting and
digits, and validation errors flattened to the field paths clients see (``items.0.hours``)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from decimal import Decimal
from typing import Any, NoReturn

from creditbank.domain.errors import MalformedJson, ValidationFailed

# Arrays and objects nested in a request body, the outermost counting as 1.
MAX_DEPTH = 32
# Digits of a whole number in a body: far beyond any count, score or amount, far below the
# 4,300 at which Python refuses to convert (which would read as "not JSON").
MAX_INT_DIGITS = 40


class _NumberTooLong(ValueError):
    """A whole number with more than MAX_INT_DIGITS digits."""


def _bounded_int(text: str) -> int:
    if len(text.lstrip("-")) > MAX_INT_DIGITS:
        raise _NumberTooLong(text[:8])
    return int(text)


def _refuse_constant(name: str) -> NoReturn:
    raise ValueError(f"{name} is not a number")


def parse_json_bytes(raw: bytes) -> Any:
    """JSON with numbers as :class:`~decimal.Decimal`, so ``3.25`` is seen as written.

    No request needs more than a few levels (a ruleset's tables are the deepest); a document
    nested deeper than :data:`MAX_DEPTH` is refused here, before any recursive code (schemas,
    error flattening, canonical hashing) walks it, and one too deep for the decoder itself
    (a ``RecursionError``) gets the same 422 instead of a 500.
    """
    try:
        document = json.loads(
            raw.decode("utf-8"),
            parse_float=Decimal,
            parse_int=_bounded_int,
            parse_constant=_refuse_constant,
        )
    except RecursionError:
        raise _too_deep() from None
    except _NumberTooLong:
        raise ValidationFailed(
            "A number in the body is too long",
            errors={"body": [f"Whole numbers may have at most {MAX_INT_DIGITS} digits."]},
        ) from None
    except (UnicodeDecodeError, ValueError) as exc:
        raise MalformedJson("The body is not valid UTF-8 JSON") from exc
    if nesting_exceeds(document, MAX_DEPTH):
        raise _too_deep()
    return document


def nesting_exceeds(document: Any, limit: int) -> bool:
    """True when arrays and objects nest more than ``limit`` deep (iterative: no recursion)."""
    stack = [(document, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, dict):
            children = list(value.values())
        elif isinstance(value, list):
            children = value
        else:
            continue
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in children)
    return False


def _too_deep() -> ValidationFailed:
    return ValidationFailed(
        "The body is nested too deeply",
        errors={"body": [f"Arrays and objects may nest at most {MAX_DEPTH} levels deep."]},
    )


def flatten_errors(messages: Any, prefix: str = "") -> dict[str, list[str]]:
    """``{"items": {0: {"hours": [...]}}}`` → ``{"items.0.hours": [...]}``.

    Errors about an object as a whole (marshmallow's ``_schema``) are keyed by the object's
    own path, or ``body`` at the top.
    """
    if isinstance(messages, Mapping):
        flat: dict[str, list[str]] = {}
        for key, value in messages.items():
            if key == "_schema":
                path = prefix or "body"
            else:
                path = f"{prefix}.{key}" if prefix else str(key)
            for name, texts in flatten_errors(value, path).items():
                flat.setdefault(name, []).extend(texts)
        return flat
    if isinstance(messages, list):
        if all(isinstance(message, str) for message in messages):
            return {prefix or "body": list(messages)}
        flat = {}
        for message in messages:
            for name, texts in flatten_errors(message, prefix).items():
                flat.setdefault(name, []).extend(texts)
        return flat
    return {prefix or "body": [str(messages)]}
