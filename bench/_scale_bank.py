"""A county-to-province journal for the scale curve (``make bench-scale``), built by ``COPY``.

A few template learners are posted through the API (the real conversion engine decides every
credit, so an audit's replay agrees); then each template is cloned for new learners, about a
hundred entries each, by two processes at once. A template's rows are read back with
``COPY … TO STDOUT``, so a clone writes exactly the text its template's rows hold, with the
template's ids swapped: every occurrence of the template's learner id and outcome ids (in ids,
external references, the ``data`` of an entry) becomes a slot, and so does each entry's
``prev_hash`` and ``hash``. Each clone's chain is hashed anew from its canonical text
(``journal.entry_document`` → ``canonical.canonical_bytes``, the bytes the audit re-hashes),
and the first clone of every template is checked against :func:`canonical.entry_hash` itself.

Cloned with the journal: the account (its head hash is the clone's own last hash), the
outcomes' current state (the review queue and the exports read it) and the idempotency keys.
Every learner gets an identity of its own: a name from a pool (a name is shared by a few
learners, as in a county), and a valid national ID, encrypted and fingerprinted by the bank's
keys as an opening stores it.

On PostgreSQL the secondary indexes and the foreign keys of the loaded tables are dropped for
the load and rebuilt after it (two connections at once), then the tables are vacuumed and
analyzed. On SQLite (the integration test's tiny bank) the same lines go in with
``executemany``.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, timedelta
from functools import partial
from multiprocessing import get_context
from types import SimpleNamespace
from typing import Any

import psycopg
import sqlalchemy as sa

from bench._bank import posted_learner
from bench._harness import Api
from creditbank.context import keyring
from creditbank.domain.account_numbers import complete_account_number
from creditbank.domain.canonical import GENESIS_HASH, canonical_bytes, entry_hash
from creditbank.domain.ids import new_id
from creditbank.domain.national_id import check_character, mask_national_id
from creditbank.extensions import db
from creditbank.journal import entry_document
from creditbank.models import JournalEntry
from creditbank.services.transaction import utcnow

# Outcomes of the templates: about 100 entries a learner on average (scale.py reports it).
TEMPLATE_OUTCOMES = (18, 66, 130)
LEARNERS_PER_TRANSACTION = 2_000
PROCESSES = 2
NAME_POOL = 40_000
_PREV, _HASH = "<<prev>>", "<<hash>>"
_CLONED = ("outcomes", "idempotency_keys")  # besides the account and the journal
_LOOKUPS = ("account_number_index", "national_id_index")  # as an opening writes them
_LOADED = ("accounts", "identities", *_LOOKUPS, "journal_entries", *_CLONED)
_JOURNAL_OWN = ("prev_hash", "hash")
_JOURNAL_REST = tuple(c.name for c in JournalEntry.__table__.columns if c.name not in _JOURNAL_OWN)
_ACCOUNT_OWN = ("learner_id", "account_number", "head_hash")
_IDENTITY = (
    "learner_id",
    "name",
    "national_id_encrypted",
    "national_id_fingerprint",
    "national_id_masked",
    "token_version",
    "must_change_password",
    "updated_at",
)
_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡"
    "余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯"
    "龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
)
_GIVEN = (  # characters of given names, each once
    "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红建文辉力永健世广志义兴良"
    "海山仁波宁贵福生龙元全国胜学祥才发武新利清飞彬富顺信子昌成康星光天达安岩中茂进林"
    "有坚和彪博诚先敬震振壮会思群豪心邦承乐绍功松善厚庆民友裕河哲江浩亮政谦亨奇固之轮"
    "翰朗伯宏言若鸣朋斌梁栋维启克伦翔旭鹏泽晨辰士以家致树炎德行时泰盛雄琛钧冠策腾楠榕"
    "风航弘"
)


@dataclass(frozen=True)
class Template:
    """A template learner's rows as text with ``%(slot)s`` where a clone's values go."""

    texts: list[str]  # each entry's canonical text (what is hashed)
    lines: list[str]  # each entry's COPY line: prev_hash, hash, then _JOURNAL_REST
    account: str  # the account's COPY line after _ACCOUNT_OWN
    cloned: dict[str, list[str]]  # table -> COPY lines of its rows
    outcomes: int  # how many outcome ids a clone needs
    entries: list[dict[str, Any]]  # the entries as the audit reads them (for the check)
    slots: dict[str, str]  # the template's own values of its slots

    def clone(self, slots: dict[str, str]) -> tuple[str, list[str], dict[str, list[str]]]:
        """The account line, journal lines and other tables' lines of a clone whose
        ``learner_id``, ``acct`` and ``o0`` … are given in ``slots`` (which this fills in)."""
        prev = GENESIS_HASH
        journal = []
        for text, line in zip(self.texts, self.lines, strict=True):
            slots["prev"] = prev
            slots["hash"] = prev = hashlib.sha256((text % slots).encode()).hexdigest()
            journal.append(line % slots)
        account = f"{slots['learner_id']}\t{slots['acct']}\t{prev}\t{self.account % slots}"
        others = {table: [line % slots for line in lines] for table, lines in self.cloned.items()}
        return account, journal, others

    def check(self, slots: dict[str, str], journal: Sequence[str]) -> None:
        """Re-hash a clone's entries as the audit does: the generator must not be wrong."""
        renamed = {value: slots[name] for name, value in self.slots.items()}
        prev = GENESIS_HASH
        for entry, line in zip(self.entries, journal, strict=True):
            values = {k: renamed.get(v, v) if isinstance(v, str) else v for k, v in entry.items()}
            for old, new in renamed.items():
                values["data"] = values["data"].replace(old, new)
            values["prev_hash"] = prev
            del values["hash"]
            prev = entry_hash(entry_document(SimpleNamespace(**values)))  # type: ignore[arg-type]
            if line.split("\t", 2)[:2] != [values["prev_hash"], prev]:
                raise AssertionError(f"a generated entry does not hash as audited: {line}")


def make_template(api: Api, provider: dict[str, str], outcomes: int) -> Template:
    """A learner with ``outcomes`` outcomes of every kind, one void and one review, posted
    through the API, read back as a template."""
    learner = posted_learner(api, provider, outcomes)
    journal = JournalEntry.__table__
    query = sa.select(journal).where(journal.c.learner_id == learner).order_by(journal.c.seq)
    entries = [dict(row._mapping) for row in db.session.execute(query)]
    outcome_ids = list(dict.fromkeys(e["outcome_id"] for e in entries if e["outcome_id"]))
    own = {"learner_id": learner, **{f"o{n}": o for n, o in enumerate(outcome_ids)}}
    marked = _marker(own)
    texts = []
    for entry in entries:
        document = entry_document(SimpleNamespace(**{**entry, "prev_hash": _PREV}))  # type: ignore[arg-type]
        texts.append(marked(canonical_bytes(document).decode()))
    rest = _copied("journal_entries", _JOURNAL_REST, learner, "seq")
    lines = [f"%(prev)s\t%(hash)s\t{marked(line)}" for line in rest]
    account_columns = [c for c in _columns("accounts") if c not in _ACCOUNT_OWN]
    (account,) = _copied("accounts", account_columns, learner)
    cloned = {
        table: [marked(x) for x in _copied(table, _columns(table), learner)] for table in _CLONED
    }
    db.session.remove()
    return Template(texts, lines, marked(account), cloned, len(outcome_ids), entries, own)


def _marker(own: dict[str, str]) -> Callable[[str], str]:
    """A function that turns a template's text into a ``%``-format with its slots."""

    def marked(text: str) -> str:
        text = text.replace("%", "%%").replace(_PREV, "%(prev)s")
        for slot, value in own.items():
            text = text.replace(value, f"%({slot})s")
        return text

    return marked


def _columns(table: str) -> list[str]:
    return [c.name for c in db.metadata.tables[table].columns]


def _copied(table: str, columns: Sequence[str], learner_id: str, order: str = "") -> list[str]:
    """The rows of ``learner_id`` in ``table`` as lines of COPY's text format (on SQLite: the
    same format, made here), in ``order``."""
    names = ", ".join(columns)
    where = f"FROM {table} WHERE learner_id = '{learner_id}'" + (
        f" ORDER BY {order}" if order else ""
    )
    connection = db.session.connection()
    if connection.dialect.name == "postgresql":
        driver = connection.connection.driver_connection
        lines = []
        with (
            driver.cursor() as cursor,
            cursor.copy(f"COPY (SELECT {names} {where}) TO STDOUT") as copy,
        ):
            for line in copy:
                lines.append(bytes(line).decode().rstrip("\n"))
        return lines
    rows = connection.exec_driver_sql(f"SELECT {names} {where}")
    return ["\t".join(_sqlite_text(v) for v in row) for row in rows]


def _sqlite_text(value: Any) -> str:
    if value is None:
        return r"\N"
    return str(value).replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n")


# --- the clones' own values ---------------------------------------------------------------


def nth_id(head: str, n: int) -> str:
    """The ``n``-th id of a series: ``head`` (a ULID's first 20 characters) and six base-32
    digits of ``n``: ids in the order made, as a new ULID's are."""
    digits = []
    for _ in range(6):
        n, low = divmod(n, 32)
        digits.append(_CROCKFORD[low])
    return head + "".join(reversed(digits))


def account_number(start: int, n: int) -> str:
    """A valid account number unique to learner ``n``: the ten digits ``start + n``, then the
    last digit of the body 0, or 1 when 0 would make the check X (the last digit moves the
    check by twice itself, mod 11, so at most one of 0 … 9 does)."""
    prefix = str(start + n)
    return complete_account_number(prefix + "0") or complete_account_number(prefix + "1") or ""


def national_id(n: int) -> str:
    """A valid national ID unique to ``n``: a birth date and a sequence number from it."""
    born = date(1960, 1, 1) + timedelta(days=n // 1000)
    first17 = f"330127{born:%Y%m%d}{n % 1000:03d}"
    return first17 + check_character(first17)


def learner_name(n: int) -> str:
    """A name of a pool of NAME_POOL: a bank of 100,000 has each two or three times."""
    m = n % NAME_POOL
    surnames, given = len(_SURNAMES), len(_GIVEN)
    second = _GIVEN[m // (surnames * given) - 1] if m >= surnames * given else ""
    return _SURNAMES[m % surnames] + _GIVEN[(m // surnames) % given] + second


@dataclass(frozen=True)
class Plan:
    """What the processes make: learners ``0 … learners-1``, template ``n % len(templates)``."""

    templates: list[Template]
    learners: int
    learner_head: str
    outcome_head: str
    account_start: int
    pii: Any  # the bank's PersonalDataCipher
    now: str  # updated_at, as the database's text
    false: str  # must_change_password, likewise

    def learner(self, n: int) -> str:
        return nth_id(self.learner_head, n)

    def rows(self, first: int, last: int, check: bool) -> dict[str, list[str]]:
        """COPY lines of every loaded table for learners ``first … last-1``."""
        tables: dict[str, list[str]] = {name: [] for name in _LOADED}
        most = max(t.outcomes for t in self.templates)
        for n in range(first, last):
            template = self.templates[n % len(self.templates)]
            slots = {"learner_id": self.learner(n), "acct": account_number(self.account_start, n)}
            slots.update(
                {f"o{k}": nth_id(self.outcome_head, n * most + k) for k in range(template.outcomes)}
            )
            account, journal, others = template.clone(slots)
            if check and n < len(self.templates):
                template.check(slots, journal)
            tables["accounts"].append(account)
            tables["identities"].append(self.identity(n, slots["learner_id"]))
            tables["account_number_index"].append(f"{slots['acct']}\t{slots['learner_id']}")
            fingerprint = self.pii.fingerprint(national_id(n))
            tables["national_id_index"].append(f"{fingerprint}\t{slots['learner_id']}")
            tables["journal_entries"].extend(journal)
            for table, lines in others.items():
                tables[table].extend(lines)
        return tables

    def identity(self, n: int, learner_id: str) -> str:
        number = national_id(n)
        values = (
            learner_id,
            learner_name(n),
            self.pii.encrypt(number),
            self.pii.fingerprint(number),
            mask_national_id(number),
            "0",
            self.false,
            self.now,
        )
        return "\t".join(values)


def columns_of(table: str) -> list[str]:
    if table == "journal_entries":
        return [*_JOURNAL_OWN, *_JOURNAL_REST]
    if table == "accounts":
        return [*_ACCOUNT_OWN, *(c for c in _columns("accounts") if c not in _ACCOUNT_OWN)]
    if table == "identities":
        return list(_IDENTITY)
    if table == "account_number_index":
        return ["account_number", "learner_id"]
    if table == "national_id_index":
        return ["national_id_fingerprint", "learner_id"]
    return _columns(table)


def build_journal(
    api: Api, entries: int, provider: dict[str, str], *, processes: int = PROCESSES
) -> dict[str, Any]:
    """About ``entries`` journal entries (whole learners: at least that many) for new learners
    cloned from templates posted through ``api``; what was made."""
    templates = [make_template(api, provider, count) for count in TEMPLATE_OUTCOMES]
    postgres, now = db.engine.dialect.name == "postgresql", utcnow()
    per_round = sum(len(t.texts) for t in templates)
    rounds, left = divmod(entries, per_round)
    learners = rounds * len(templates)
    for template in templates:
        if left <= 0:
            break
        learners, left = learners + 1, left - len(template.texts)
    plan = Plan(
        templates,
        learners,
        learner_head=_new_head("L"),
        outcome_head=_new_head("o"),
        account_start=random.randrange(10**9, 8 * 10**9),
        pii=keyring().pii,
        now=str(now if postgres else now.replace(tzinfo=None)),
        false="f" if postgres else "0",
    )
    if postgres:
        conninfo = db.engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
        with without_indexes(conninfo):
            _in_processes(plan, conninfo, processes)
    else:
        load(plan, 0, learners, db.engine.raw_connection)
    sizes = [len(t.texts) for t in templates]
    made = sum(sizes) + sum(sizes[n % len(sizes)] for n in range(learners))
    # the templates stay, with their journals
    return {
        "entries": made,
        "learners": len(templates) + learners,
        "template_entries": sizes,
        "plan": plan,
    }


def _new_head(prefix: str) -> str:
    """A new id's first characters, which the series of :func:`nth_id` completes."""
    return new_id(prefix)[:-6]


def _in_processes(plan: Plan, conninfo: str, processes: int) -> None:
    context = get_context("fork")  # the templates and the keys are inherited, not pickled
    bounds = [plan.learners * k // processes for k in range(processes + 1)]
    workers = [
        context.Process(target=_load_part, args=(plan, conninfo, bounds[k], bounds[k + 1]))
        for k in range(processes)
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
        if worker.exitcode != 0:
            raise RuntimeError(f"a loading process failed: exit {worker.exitcode}")


def _load_part(plan: Plan, conninfo: str, first: int, last: int) -> None:
    load(plan, first, last, lambda: psycopg.connect(conninfo))


def load(plan: Plan, first: int, last: int, connect: Callable[[], Any]) -> None:
    """Learners ``first … last-1`` in transactions of LEARNERS_PER_TRANSACTION."""
    connection = connect()
    try:
        for start in range(first, last, LEARNERS_PER_TRANSACTION):
            stop = min(last, start + LEARNERS_PER_TRANSACTION)
            tables = plan.rows(start, stop, check=start == first)
            cursor = connection.cursor()
            for table in _LOADED:
                _write(cursor, table, tables[table])
            connection.commit()
    finally:
        connection.close()


def _write(cursor: Any, table: str, lines: list[str]) -> None:
    columns = columns_of(table)
    if isinstance(cursor, psycopg.Cursor):
        with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
            for start in range(0, len(lines), 5_000):
                copy.write("".join(line + "\n" for line in lines[start : start + 5_000]))
        return
    marks = ", ".join("?" * len(columns))
    rows = [tuple(_from_copy(v) for v in line.split("\t")) for line in lines]
    cursor.executemany(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})", rows)


def _from_copy(value: str) -> str | None:
    if value == r"\N":
        return None
    return value.replace("\\t", "\t").replace("\\n", "\n").replace("\\\\", "\\")


# --- PostgreSQL: the load without secondary indexes and foreign keys -----------------------


_SECONDARY = (
    "FROM pg_index i WHERE i.indrelid = ANY(%s::regclass[]) AND NOT EXISTS "
    "(SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)"
)


@contextmanager
def without_indexes(conninfo: str) -> Iterator[None]:
    """The loaded tables without their secondary indexes and foreign keys for the block; then
    the indexes are rebuilt (two connections at once), the keys added back (and so checked)
    and the tables vacuumed and analyzed."""
    tables = list(_LOADED)
    with psycopg.connect(conninfo, autocommit=True) as connection:
        indexes = connection.execute(
            f"SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid) {_SECONDARY}",
            (tables,),
        ).fetchall()
        keys = connection.execute(
            "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) "
            "FROM pg_constraint WHERE contype = 'f' AND conrelid = ANY(%s::regclass[])",
            (tables,),
        ).fetchall()
        for table, name, _ in keys:
            connection.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
        for name, _ in indexes:
            connection.execute(f"DROP INDEX {name}")
    yield
    with ThreadPoolExecutor(PROCESSES) as pool:
        list(pool.map(partial(_run, conninfo), [definition for _, definition in indexes]))
    for table, name, definition in keys:  # each locks the accounts: one at a time
        _run(conninfo, f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')
    with ThreadPoolExecutor(PROCESSES) as pool:
        list(pool.map(partial(_run, conninfo), [f"VACUUM (ANALYZE) {t}" for t in tables]))


def _run(conninfo: str, statement: str) -> None:
    with psycopg.connect(conninfo, autocommit=True) as connection:
        connection.execute("SET maintenance_work_mem = '256MB'")
        connection.execute(statement)  # type: ignore[arg-type]
