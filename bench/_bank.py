"""A generated bank of N journal entries, built in seconds rather than hours.

A few template learners are posted through the API, so that every credit comes from the real
conversion engine (an audit's replay must agree with it); then each template is cloned for new
learners. A clone differs from its template only in its learner id, its account number, its
outcome ids and its hash chain, so all the per-template work is done once: each entry's
canonical text (``journal.entry_document``, ``canonical.canonical_bytes``) with slots where
those values go, and its other columns as stored, ready for the driver. A clone's entry is
hashed by filling in the slots (the very bytes the audit re-hashes) and written as the new
values before the template's own: ``COPY`` on PostgreSQL, a plain ``executemany`` on SQLite,
in large transactions. The clones are as valid as the templates: an untouched generated bank
passes the audit, and the first clone of each template is re-hashed here the audit's way.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

import sqlalchemy as sa

from bench._harness import Api, settle
from bench.posting_history import outcome
from creditbank.domain.account_numbers import complete_account_number, new_account_number
from creditbank.domain.canonical import GENESIS_HASH, canonical_bytes, entry_hash
from creditbank.domain.ids import new_id
from creditbank.extensions import db
from creditbank.journal import entry_document
from creditbank.models import Account, JournalEntry

TEMPLATE_OUTCOMES = (6, 18, 40)  # a newcomer, a regular, a busy learner
ROWS_PER_TRANSACTION = 100_000
_SLOTS = ("learner_id", "outcome_id", "prev_hash")  # what a clone's canonical text fills in
_CHANGED = (*_SLOTS, "hash")  # the journal columns a clone gives values of its own
_KEPT = tuple(c.name for c in JournalEntry.__table__.columns if c.name not in _CHANGED)
_ACCOUNT_CHANGED = ("learner_id", "account_number", "head_hash")
_ACCOUNT_KEPT = tuple(c.name for c in Account.__table__.columns if c.name not in _ACCOUNT_CHANGED)
_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # the digits of a ULID (domain/ids.py)
_DIGIT_PAIRS = [high + low for high in _CROCKFORD for low in _CROCKFORD]
_COPY_LINES = 10_000  # lines handed to the driver at a time
_COPY_NULL = r"\N"
_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})

# A row as written: a clone's own values, then its template's others (encoded once), all as the
# driver is handed them (_encoded: on PostgreSQL, text in COPY's format, NULL being \N).
Row = tuple[Any, ...]


@dataclass(frozen=True)
class Template:
    """A template learner's chain, ready to be cloned."""

    texts: list[str]  # each entry's canonical text, with %(slot)s for every slot it has
    outcome_ids: list[str | None]  # each entry's outcome id
    kept: list[Any]  # each entry's values of _KEPT, encoded for the driver (_encoded)
    account: Any  # the account's values of _ACCOUNT_KEPT, encoded likewise
    null: str | None  # NULL, encoded likewise
    entries: list[dict[str, Any]]  # each entry's columns, as the audit reads them

    def clone(
        self, learner_id: str, account_number: str, new_outcome_ids: Iterator[str]
    ) -> tuple[Row, list[Row]]:
        """The account and journal rows of this chain for ``learner_id``, hashed anew."""
        renamed = {old: next(new_outcome_ids) for old in dict.fromkeys(self.outcome_ids) if old}
        slots = {"learner_id": learner_id, "outcome_id": self.null, "prev_hash": GENESIS_HASH}
        rows = []
        for text, old, kept in zip(self.texts, self.outcome_ids, self.kept, strict=True):
            slots["outcome_id"] = renamed.get(old, self.null)
            digest = hashlib.sha256((text % slots).encode()).hexdigest()
            rows.append((learner_id, slots["outcome_id"], slots["prev_hash"], digest, kept))
            slots["prev_hash"] = digest
        return (learner_id, account_number, slots["prev_hash"], self.account), rows

    def check(self, rows: Sequence[Row]) -> None:
        """Re-hash a clone's ``rows`` as the audit will: the generator must not be wrong."""
        for entry, row in zip(self.entries, rows, strict=True):
            learner_id, outcome_id, prev_hash, expected = row[:4]
            values = {**entry, "learner_id": learner_id, "prev_hash": prev_hash}
            if entry["outcome_id"] is not None:
                values["outcome_id"] = outcome_id
            del values["hash"]
            if entry_hash(entry_document(SimpleNamespace(**values))) != expected:  # type: ignore[arg-type]
                raise AssertionError(f"a generated entry does not hash as audited: {row}")


def build_bank(api: Api, entries: int, provider: dict[str, str]) -> dict[str, int]:
    """At least ``entries`` journal entries over as many learners as that takes."""
    templates = [template(api, provider, count) for count in TEMPLATE_OUTCOMES]
    made = sum(len(t.texts) for t in templates)
    learners = len(templates)
    learner_ids, outcome_ids = fresh_ids("L"), fresh_ids("o")
    account_numbers = fresh_account_numbers()
    pending_rows: list[Row] = []
    pending_accounts: list[Row] = []
    while made < entries:
        chosen = templates[learners % len(templates)]
        account, rows = chosen.clone(next(learner_ids), next(account_numbers), outcome_ids)
        if learners < 2 * len(templates):
            chosen.check(rows)
        pending_rows.extend(rows)
        pending_accounts.append(account)
        made += len(rows)
        learners += 1
        if len(pending_rows) >= ROWS_PER_TRANSACTION or made >= entries:
            insert(pending_accounts, pending_rows)
            pending_rows, pending_accounts = [], []
    index_account_numbers()
    settle()
    return {"entries": made, "learners": learners}


def index_account_numbers() -> None:
    """The cloned accounts' numbers into account_number_index, as an opening writes them
    (lookup_models.py): a search or sign-in by number finds them. One statement, after COPY."""
    with db.engine.begin() as connection:
        connection.exec_driver_sql(
            "INSERT INTO account_number_index (account_number, learner_id) "
            "SELECT a.account_number, a.learner_id FROM accounts a WHERE NOT EXISTS "
            "(SELECT 1 FROM account_number_index i WHERE i.account_number = a.account_number)"
        )


def posted_learner(api: Api, provider: dict[str, str], outcomes: int) -> str:
    """A new learner with ``outcomes`` outcomes of every kind posted through the API, the first
    voided and the first pending one reviewed; its id."""
    learner = api.new_learner()
    items = [outcome(i, learner) for i in range(outcomes)]
    posted = api.expect(201, api.post("/api/v1/outcomes", provider, {"items": items}))["items"]
    first = posted[0]["outcome"]["id"]
    api.expect(201, api.post(f"/api/v1/outcomes/{first}/void", provider, {"reason": "录入错误"}))
    pending = [p["outcome"]["id"] for p in posted if p["outcome"]["status"] == "pending_review"]
    if pending:
        review = {"credits": "1.0", "category": "general", "note": "工作站认定"}
        api.expect(201, api.post(f"/api/v1/reviews/{pending[0]}", api.workstation, review))
    db.session.remove()
    return learner


def template(api: Api, provider: dict[str, str], outcomes: int) -> Template:
    """A learner with ``outcomes`` outcomes of every kind, one void and one review."""
    learner = posted_learner(api, provider, outcomes)
    journal = JournalEntry.__table__
    typed = db.session.execute(
        sa.select(journal).where(journal.c.learner_id == learner).order_by(journal.c.seq)
    )
    entries = [dict(row._mapping) for row in typed]
    kept = _stored("journal_entries", _KEPT, learner, order_by="seq")
    (account,) = _stored("accounts", _ACCOUNT_KEPT, learner)
    db.session.remove()
    return Template(
        texts=[canonical_text(entry) for entry in entries],
        outcome_ids=[entry["outcome_id"] for entry in entries],
        kept=[_encoded(values) for values in kept],
        account=_encoded(account),
        null=_COPY_NULL if db.engine.dialect.name == "postgresql" else None,
        entries=entries,
    )


def _stored(
    table: str, columns: Sequence[str], learner_id: str, order_by: str | None = None
) -> list[tuple[Any, ...]]:
    """Rows as the database driver gives them (untyped columns: no conversion either way), so
    that a clone writes back exactly what its template's row holds."""
    untyped = sa.table(table, *(sa.column(name) for name in (*columns, "learner_id")))
    query = sa.select(*(untyped.c[name] for name in columns))
    query = query.where(untyped.c.learner_id == learner_id)
    if order_by:
        query = query.order_by(sa.column(order_by))
    return [tuple(row) for row in db.session.execute(query)]


def canonical_text(entry: dict[str, Any]) -> str:
    """The canonical text of ``entry`` with ``%(slot)s`` where a clone's values go."""
    marked = {**entry, **{slot: f"<{slot}>" for slot in _SLOTS if entry[slot] is not None}}
    del marked["hash"]
    text = canonical_bytes(entry_document(SimpleNamespace(**marked))).decode()  # type: ignore[arg-type]
    text = text.replace("%", "%%")
    for slot in _SLOTS:
        if entry[slot] is not None:
            if text.count(f'"<{slot}>"') != 1:
                raise ValueError(f"{slot} is not exactly one value of the document: {text}")
            text = text.replace(f'"<{slot}>"', f'"%({slot})s"')
    return text


def fresh_ids(prefix: str) -> Iterator[str]:
    """Ids as ``new_id(prefix)`` makes them, without a new ULID's cost each: one ULID's time
    and first random bits, then a count in its last six base-32 digits (30 bits)."""
    head = new_id(prefix)[:-6]
    for count in range(32**6):
        high, middle, low = count >> 20, count >> 10 & 1023, count & 1023
        yield head + _DIGIT_PAIRS[high] + _DIGIT_PAIRS[middle] + _DIGIT_PAIRS[low]


def fresh_account_numbers() -> Iterator[str]:
    """Valid account numbers without a random draw each, and unique however many are made
    (random draws would repeat within a million or so): consecutive bodies from a random
    start, those whose check would be X skipped, as ``new_account_number`` skips them."""
    body = int(new_account_number()[:-1])
    while True:
        number = complete_account_number(str(body))
        if number is not None:
            yield number
        body = body + 1 if body < 99_999_999_999 else 10**10


def insert(accounts: list[Row], rows: list[Row]) -> None:
    """The accounts, then their journals (the foreign key wants them first), in one transaction."""
    with db.engine.begin() as connection:
        _write(connection, "accounts", (*_ACCOUNT_CHANGED, *_ACCOUNT_KEPT), accounts)
        _write(connection, "journal_entries", (*_CHANGED, *_KEPT), rows)


def _encoded(values: tuple[Any, ...]) -> Any:
    """A template's values as :func:`_write` hands them to the driver, worked out once rather
    than once per clone: on PostgreSQL the tail of a line of COPY's text format (NULL is
    ``\\N``; backslash, tab and line breaks escaped), on SQLite the values as they are."""
    if db.engine.dialect.name != "postgresql":
        return values
    return "\t".join(
        _COPY_NULL if value is None else str(value).translate(_COPY_ESCAPES) for value in values
    )


def _write(connection: sa.Connection, table: str, columns: Sequence[str], rows: list[Row]) -> None:
    """``rows`` into ``columns`` of ``table``, through the driver alone. A clone's own values
    are ids and hashes, which COPY's text format takes as they are."""
    names = ", ".join(columns)
    if connection.dialect.name == "postgresql":
        driver = connection.connection.driver_connection
        with driver.cursor() as cursor, cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
            for start in range(0, len(rows), _COPY_LINES):
                copy.write(
                    "".join("\t".join(row) + "\n" for row in rows[start : start + _COPY_LINES])
                )
    else:
        marks = ", ".join("?" * len(columns))
        values = [(*row[:-1], *row[-1]) for row in rows]
        connection.exec_driver_sql(f"INSERT INTO {table} ({names}) VALUES ({marks})", values)
