"""Request bodies and JSON answers read and written by orjson exactly as the standard library
(with exact decimals) reads and Flask's own provider writes them."""

from __future__ import annotations

import dataclasses
import json
import uuid
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest
from flask import Flask
from markupsafe import Markup

from creditbank.domain.errors import MalformedJson, ValidationFailed
from creditbank.intake.json_documents import parse_json_bytes
from creditbank.json_responses import OrjsonProvider


def stdlib(raw: bytes) -> Any:
    return json.loads(raw.decode("utf-8"), parse_float=Decimal)


def typed(value: Any) -> Any:
    """``value`` with the type of every scalar beside it: 1, 1.0 and Decimal('1') differ."""
    if isinstance(value, dict):
        return {key: typed(item) for key, item in value.items()}
    if isinstance(value, list):
        return [typed(item) for item in value]
    return (type(value).__name__, value)


BODIES = [
    b'{"learner_id": "L01", "hours": "6", "achieved_on": "2026-11-07", "kind": "course"}',
    b'{"hours": 6.5, "score": 90}',  # a fraction: Decimal, never float
    b'{"credits": 1e2}',  # an exponent
    b'{"n": 123456789012345678}',  # 18 digits
    b'{"n": 12345678901234567890123}',  # beyond 64 bits: an int, never a float
    b'{"n": -9223372036854775809}',
    b'{"a": 1, "a": 2}',  # the last one wins, both ways
    b'{"name": "\xe5\xbc\xa0\xe4\xb8\x89", "escaped": "\\u5f20", "pair": "\\ud83d\\ude00"}',
    b'  [true, false, null, -0, 0, {"x": []}]  \n',
    b'"v1.2 in a string"',
]


@pytest.mark.parametrize("raw", BODIES)
def test_a_body_reads_as_the_standard_library_reads_it(raw: bytes) -> None:
    assert typed(parse_json_bytes(raw)) == typed(stdlib(raw))


@pytest.mark.parametrize(
    ("raw", "error"),
    [
        (b"\xef\xbb\xbf{}", MalformedJson),  # a byte-order mark
        (b'{"a": NaN}', MalformedJson),
        (b'{"a": 1,}', MalformedJson),
        (b"\xff", MalformedJson),
        (b'{"n": ' + b"9" * 41 + b"}", ValidationFailed),  # too many digits: 422, not 400
        (b"[" * 40 + b"]" * 40, ValidationFailed),  # too deep
        (b'{"a": "\\ud800"}', MalformedJson),  # a lone surrogate
        (b'{"a": "\\u0000"}', ValidationFailed),  # a NUL
    ],
)
def test_a_refused_body_is_refused_as_before(raw: bytes, error: type[Exception]) -> None:
    with pytest.raises(error):
        parse_json_bytes(raw)


@dataclasses.dataclass
class Pair:
    first: int
    on: date


DOCUMENT = {
    "id": "o01",
    "name": "张三",
    "on": date(2026, 1, 2),
    "at": datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC),
    "amount": Decimal("1.50"),
    "uuid": uuid.UUID(int=5),
    "pair": Pair(1, date(2020, 1, 1)),
    "markup": Markup("<b>"),
    "list": [1, 2.5, None, True],
}


@pytest.mark.parametrize(
    "document",
    [DOCUMENT, {**DOCUMENT, "big": 10**30}, {1: "a key that is not a string"}, [1, "二"]],
)
def test_an_answer_is_the_json_flask_writes(document: Any) -> None:
    ours, flasks = Flask("ours"), Flask("flasks")
    ours.json = OrjsonProvider(ours)
    flasks.json.sort_keys = False  # type: ignore[attr-defined]
    with ours.app_context():
        answer = ours.json.response(document)
    with flasks.app_context():
        expected = flasks.json.response(document)
    assert answer.mimetype == expected.mimetype == "application/json"
    assert json.loads(answer.get_data()) == json.loads(expected.get_data())
    assert list(json.loads(answer.get_data())) == list(json.loads(expected.get_data()))  # order


def test_an_answer_sends_chinese_as_utf8() -> None:
    app = Flask("ours")
    app.json = OrjsonProvider(app)
    with app.app_context():
        body = app.json.response({"name": "张三"}).get_data()
    assert body == '{"name":"张三"}\n'.encode()
