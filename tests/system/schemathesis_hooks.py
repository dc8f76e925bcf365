"""Schemathesis hooks for ``test_openapi_fuzzing`` (loaded with ``SCHEMATHESIS_HOOKS``).

The document says every rule of a request that JSON Schema can (OpenAPI 3.0); for the few it
cannot, a field has a format of its own and says the rule in words, and here each format gets
a generator of values that keep the rule, so that the positive cases really are acceptable:

- ``cursor``: a cursor is issued by the API (a page's ``next_cursor``); the only one a client
  can make up is the empty one, the first page. Real cursors come from the stateful phase,
  which follows each list's link to its next page (``creditbank.api.links``); forged ones are
  tests/api/test_paging's (422).
- ``national-id``: GB 11643 numbers with a check character that matches and a real birth date.
- ``account-number``: twelve digits whose last is their check digit, as accounts are numbered.
- ``learner-id`` (a body's reference to an account) and ``hours-category`` (a key of the ruleset
  in force): the seeded bank's own: its learners from ``CREDITBANK_FUZZ_LEARNERS``
  (comma-separated, as the test sets them), the categories of its ruleset.
- ``external-ref``: a provider's idempotency key, once per batch: each one drawn is new.
- ``date``: an outcome is achieved on a day not after today, in Asia/Shanghai; dates are drawn
  from 2000 to yesterday.
- ``text/csv``: an upload's file is a spreadsheet of outcomes: a CSV of training hours of the
  seeded learners.
- ``text/csv; header=present``: a catalogue's sheet: some of catalogue C1's rows, each course
  whole (``config/catalogues/example-510203.json``), under the sheet's Chinese headers.
- ``application/pdf``, ``image/png``, ``image/jpeg``: a deposit's evidence files, each
  starting with its type's magic bytes (the server judges a file by them).
- ``effective-from``: a catalogue's start, an RFC 3339 instant or a bare date, of a real day.

And in a ruleset's tables keyed by names (``hours_per_credit``, ``certificates``,
``caps.per_category``), a key is a name: 1 to 64 characters, no dot, no surrounding space, no
NUL. OpenAPI 3.0 has no ``propertyNames`` (3.1 has, but the Swagger UI the app serves reads
3.0 only), so the document says it in words, and a ruleset's keys are made names here; no
schema keyword looks at a key, so this turns no negative case into a positive one.

And one request is never sent: a query string so long that the request line passes gunicorn's
``limit_request_line`` (4094 bytes). gunicorn answers those itself, with its own HTML 414 page,
before the application sees them. Deployed, nginx answers first, at 2 KiB, with the
problem+json 414 the document lists (docs/operations.md § 5); the server under test here has
no nginx in front. Only negative cases are that long: every query the document allows fits
gunicorn's line (tests/api/test_openapi_contract.py).

Negative cases are the schema's own (wrong types, lengths, patterns, enums, missing fields),
which none of this narrows.
"""

from __future__ import annotations

import csv
import io
import itertools
import json
import os
from datetime import date, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import schemathesis
from gunicorn.config import Config
from hypothesis import strategies as st

from creditbank.domain.account_numbers import complete_account_number
from creditbank.intake.catalogue_rows import catalogue_rows
from creditbank.intake.catalogue_sheets import COLUMNS as CATALOGUE_COLUMNS
from creditbank.transfer import validate_catalogue_document
from tests.api.helpers import national_id
from tests.system.servers import BASE_RULESET

_LAST_DAY = date.today() - timedelta(days=1)  # yesterday anywhere is not after today in Shanghai
# gunicorn's limit_request_line (config/gunicorn.conf.py keeps its default), less the method,
# the longest path and the protocol
QUERY_LIMIT = Config().limit_request_line - 200


def _listed(variable: str) -> list[str]:
    values = [value for value in os.environ[variable].split(",") if value]
    assert values, f"{variable} lists none"
    return values


_LEARNERS = st.sampled_from(_listed("CREDITBANK_FUZZ_LEARNERS"))
_CATEGORIES = st.sampled_from(sorted(BASE_RULESET["hours_per_credit"]))
_PAST = st.dates(min_value=date(2000, 1, 1), max_value=_LAST_DAY)

schemathesis.openapi.format("cursor", st.just(""))
schemathesis.openapi.format(
    "national-id",
    st.builds(
        national_id,
        region=st.integers(110000, 659999).map(str),
        born=st.dates(min_value=date(1900, 1, 1), max_value=_LAST_DAY).map("{:%Y%m%d}".format),
        serial=st.integers(0, 999).map("{:03d}".format),
    ),
)
schemathesis.openapi.format(
    "account-number",
    st.integers(10**10, 10**11 - 1).map(str).map(complete_account_number).filter(bool),
)
schemathesis.openapi.format("learner-id", _LEARNERS)
_REFERENCES = itertools.count()
schemathesis.openapi.format("external-ref", st.builds(lambda: f"fuzz-{next(_REFERENCES)}"))
schemathesis.openapi.format("hours-category", _CATEGORIES)
schemathesis.openapi.format("date", _PAST.map(date.isoformat))


def _csv(rows: list[tuple[str, str, date, str, int]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["learner_id", "external_ref", "kind", "achieved_on", "category", "hours"])
    for learner, reference, achieved_on, category, hours in rows:
        writer.writerow([learner, reference, "training_hours", achieved_on, category, hours])
    return buffer.getvalue().encode("utf-8")


_ROW = st.tuples(
    _LEARNERS,
    st.text("abcdefghjkmnpqrstuvwxyz0123456789-", min_size=8, max_size=32),
    _PAST,
    _CATEGORIES,
    st.integers(1, 40),
)
schemathesis.openapi.media_type(
    "text/csv", st.lists(_ROW, min_size=1, max_size=3, unique_by=lambda row: row[1]).map(_csv)
)


_C1 = json.loads(
    (Path(__file__).resolve().parents[2] / "config/catalogues/example-510203.json").read_text(
        encoding="utf-8"
    )
)


def _catalogue_csv(courses: list[dict[str, Any]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([column.header for column in CATALOGUE_COLUMNS])
    for row in catalogue_rows(validate_catalogue_document({**_C1, "courses": courses})):
        writer.writerow(["" if cell is None else cell for cell in row])
    return buffer.getvalue().encode("utf-8")


schemathesis.openapi.media_type(
    "text/csv; header=present",
    st.lists(
        st.sampled_from(_C1["courses"]), min_size=1, max_size=6, unique_by=lambda c: c["code"]
    ).map(_catalogue_csv),
)
# A deposit's evidence: a file whose first bytes are those of its type (the server judges a
# file by them, filetype), whatever follows.
for media_type, magic in (
    ("application/pdf", b"%PDF-1.4\n"),
    ("image/png", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"),
    ("image/jpeg", b"\xff\xd8\xff\xe0\x00\x10JFIF\x00"),
):
    schemathesis.openapi.media_type(
        media_type, st.binary(max_size=64).map(lambda rest, magic=magic: magic + rest)
    )
_DAYS = st.dates(date(2000, 1, 1), date(2099, 12, 31))
schemathesis.openapi.format(
    "effective-from",
    st.one_of(
        _DAYS.map(date.isoformat),
        _DAYS.map(lambda day: f"{day.isoformat()}T00:00:00+08:00"),
    ),
)


@schemathesis.hook
def filter_query(context: Any, query: dict[str, Any] | None) -> bool:
    """No query string longer than the HTTP server reads (see the module docstring)."""
    return not query or len(urlencode(query, doseq=True)) < QUERY_LIMIT


_RULESETS = "POST /api/v1/rulesets"
_NAMED_TABLES = (("hours_per_credit",), ("certificates",), ("caps", "per_category"))


@schemathesis.hook
def map_body(context: Any, body: Any) -> Any:
    """A ruleset's table keys as names (see the module docstring)."""
    if context.operation is None or context.operation.label != _RULESETS:
        return body
    for path in _NAMED_TABLES:
        parent, table = None, body
        for key in path:
            parent, table = table, table.get(key) if isinstance(table, dict) else None
        if isinstance(table, dict) and isinstance(parent, dict):
            parent[path[-1]] = {
                _name(key, index): value for index, (key, value) in enumerate(table.items())
            }
    return body


def _name(key: str, index: int) -> str:
    named = key.strip().replace(".", "-").replace("\x00", "")[:64].strip()
    return named or f"name-{index}"
