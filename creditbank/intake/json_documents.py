"""JSON documents as the service reads them: numbers as exact decimals, bounded nesting and
digits, only text that can be kept, and validation errors flattened to the field paths clients
see (``items.0.hours``)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from decimal import Decimal
from typing import Any, NoReturn

import orjson

from creditbank.domain.errors import MalformedJson, ValidationFailed
from creditbank.intake.text import NUL_MESSAGE, SURROGATE_MESSAGE, excerpt, unkeepable

# Arrays and objects nested in a request body, the outermost counting as 1.
MAX_DEPTH = 32
# Digits of a whole number in a body: far beyond any count, score or amount, far below the
# 4,300 at which Python refuses to convert (which would read as "not JSON").
MAX_INT_DIGITS = 40
# Strings that cannot be kept, named one path each, at most: the answer stays small however many
# a body holds.
MAX_REPORTED_PATHS = 50
# In JSON text a NUL or a lone surrogate can only be written as a \u escape (a raw NUL is not
# JSON, a raw surrogate not UTF-8), so a body without such an escape need not be walked.
_ESCAPED_UNKEEPABLE = re.compile(rb"\\u(?:0000|[dD][89a-fA-F])")
# What orjson would read otherwise than as written: a fraction or an exponent (a float, not a
# Decimal) and a whole number of 19 digits or more (beyond 64 bits, a float). A body without
# them anywhere (in strings too: then it is only read the slower way) reads the same both ways.
_NOT_FOR_ORJSON = re.compile(rb"[0-9](?:[.eE]|[0-9]{18})")


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
    (a ``RecursionError``) gets the same 422 instead of a 500. A string (or key) holding a lone
    surrogate is a 400, one holding a NUL a 422, keyed by its path (:mod:`creditbank.intake.text`).
    A body of strings, small whole numbers and the rest is read by orjson (ten times as fast);
    one it refuses is read again by the standard library, whose errors are the ones answered.
    """
    document = _orjson_document(raw)
    if document is _UNREAD:
        document = _stdlib_document(raw)
    if nesting_exceeds(document, MAX_DEPTH):
        raise _too_deep()
    if _ESCAPED_UNKEEPABLE.search(raw):
        _refuse_unkeepable_text(document)
    return document


_UNREAD = object()


def _orjson_document(raw: bytes) -> Any:
    if _NOT_FOR_ORJSON.search(raw):
        return _UNREAD
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError:
        return _UNREAD


def _stdlib_document(raw: bytes) -> Any:
    try:
        return json.loads(
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


def _refuse_unkeepable_text(document: Any) -> None:
    """400 when a string holds a lone surrogate (it is no text), else 422 when one holds a NUL;
    either keyed by the path of each such string."""
    found: dict[str, dict[str, list[str]]] = {SURROGATE_MESSAGE: {}, NUL_MESSAGE: {}}
    for path, text in _strings(document):
        message = unkeepable(text)
        if message is not None and len(found[message]) < MAX_REPORTED_PATHS:
            found[message][path] = [message]
    if found[SURROGATE_MESSAGE]:
        raise MalformedJson(
            "The body holds a string that is not text", errors=found[SURROGATE_MESSAGE]
        )
    if found[NUL_MESSAGE]:
        raise ValidationFailed("The body holds a NUL character", errors=found[NUL_MESSAGE])


def _strings(document: Any) -> Iterator[tuple[str, str]]:
    """Every string in ``document`` with its path (``items.0.title``, ``body`` for the document
    itself); a key is a string at the path of its own member. Iterative, in document order."""
    stack: list[tuple[Any, str]] = [(document, "")]
    while stack:
        value, path = stack.pop()
        if isinstance(value, str):
            yield path or "body", value
        elif isinstance(value, dict):
            members = [(_member(path, excerpt(key)), key, child) for key, child in value.items()]
            yield from ((member, key) for member, key, _ in members)
            stack.extend((child, member) for member, _, child in reversed(members))
        elif isinstance(value, list):
            indexed = [(child, _member(path, str(index))) for index, child in enumerate(value)]
            stack.extend(reversed(indexed))


def _member(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name


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
