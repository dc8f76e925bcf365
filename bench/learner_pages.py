"""The console's learner pages at 100,000 learners: as fast as at 1,000?

Two banks, one of 1,000 learners and one of 100,000 (written in bulk, rows rather than
requests: :func:`add_many_learners`), each on a real gunicorn of its own. On each, a clerk
signs in to the workstation console (the sign-in form, its CSRF token, the session cookie, as
a browser does) and 4 clients (a county office's counters) read in turn:

- ``GET /workstation/learners``: the paged list of learners, its first page and a page near
  its end (a keyset cursor);
- ``GET /workstation/learners/<id>``: one learner's page (identity, balance, outcomes, journal);
- ``POST /workstation/learners/search``: the search form, by a name five learners share and by
  one learner's account number.

The two banks are read in alternate rounds (4 rounds of 1 s of pages and 1 s of searches
each, in the order small, large, large, small, …), their latencies pooled: on a shared
machine, whatever else runs weighs on both banks alike, where reading one bank after the
other compared two moments of the machine. Target:
each page's p99 at 100,000 learners ≤ 1.3 × its p99 at 1,000, as the balance reads are held
(bench/reads.py): a bank that grows from a district to a county must not make its counter
slower.
"""

from __future__ import annotations

import http.client
import itertools
import os
import re
import time
import urllib.parse
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from bench import Figure, Options, Result
from bench._bank import fresh_account_numbers, fresh_ids
from bench._harness import gunicorn, migrated_app, on_each_backend, summary
from bench._load import run_load
from creditbank.extensions import db
from creditbank.models import Account, Identity
from creditbank.services.pagination import encode_cursor
from tests.support.databases import scratch_postgres
from tests.support.gunicorn import Gunicorn

SMALL, LARGE = 1_000, 100_000
CLIENTS = 4
ROUNDS = 4
SECONDS = 1.0  # each round, each bank, the pages and then the searches
WARMUP_SECONDS = 0.3  # each load run: its connections opened
MAX_P99_RATIO = 1.3
CLERK, PASSWORD = "bench.clerk", "bench-clerk-password"
SHARED_NAME, SHARING = "欧阳书敏", 5  # a compound surname: no generated name is it
_SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
_GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰红梅建国"
_CSRF_FIELD = re.compile(r'name="csrf_token" value="([^"]+)"')
_ROWS_PER_BATCH = 10_000


def run(options: Options, small: int = SMALL, large: int = LARGE) -> Result:
    details = {"clients": CLIENTS, "rounds": ROUNDS, "seconds": SECONDS, "learners": [small, large]}
    return on_each_backend(
        options,
        Result(details=details),
        lambda backend, url, folder: measure(url, folder, small, large),
        figures,
    )


@dataclass(frozen=True)
class Bank:
    """A bank of learners ready to be read: who to look at, and where its list ends."""

    size: int
    learner_id: str  # one of the learners who share SHARED_NAME
    account_number: str  # that learner's
    near_end: str  # the learner id after which the list's last page starts
    load_seconds: float


def measure(
    url: str, folder: Path, small: int, large: int, seconds: float = SECONDS, rounds: int = ROUNDS
) -> dict[str, Any]:
    """Two banks, of ``small`` and ``large`` learners, each on a gunicorn of its own, read in
    alternate rounds: whatever else the machine does meanwhile weighs on both alike."""
    with twin_database(url, folder) as small_url:
        banks = [prepare(small_url, folder / "small", small), prepare(url, folder / "large", large)]
        with (
            gunicorn(small_url, folder / "small") as small_server,
            gunicorn(url, folder / "large") as large_server,
        ):
            readers = [
                _Reader(server, bank)
                for server, bank in zip((small_server, large_server), banks, strict=True)
            ]
            for reader in readers:  # templates compiled, pools filled: not measured
                reader.read(min(seconds, 1.0))
            samples: dict[int, dict[str, list[float]]] = {bank.size: {} for bank in banks}
            for round_ in range(rounds):  # small, large; large, small; …: a drift cancels out
                for reader in readers if round_ % 2 == 0 else readers[::-1]:
                    for page, latencies in reader.read(seconds).items():
                        samples[reader.bank.size].setdefault(page, []).extend(latencies)
    measured: dict[str, Any] = {"load_seconds": {bank.size: bank.load_seconds for bank in banks}}
    for size, pages in samples.items():
        measured[str(size)] = {
            page: {**summary(latencies), "requests": len(latencies)}
            for page, latencies in pages.items()
        }
    return measured


@contextmanager
def twin_database(url: str, folder: Path) -> Iterator[str]:
    """A second empty database beside ``url``, of the same kind, dropped afterwards."""
    if not url.startswith("postgres"):
        folder.mkdir(parents=True, exist_ok=True)
        yield f"sqlite:///{folder / 'twin.sqlite3'}"
        return
    prefix = os.environ.get("CREDITBANK_BENCH_DATABASE_PREFIX", "creditbank_bench")
    with scratch_postgres(url, f"{prefix}_twin") as twin:
        yield twin


def prepare(url: str, folder: Path, size: int) -> Bank:
    """A migrated bank of ``size`` learners and its clerk."""
    from creditbank.domain.roles import Role
    from creditbank.services.staff import create_staff

    folder.mkdir(parents=True, exist_ok=True)
    with migrated_app(url, folder):
        create_staff(CLERK, Role.WORKSTATION, PASSWORD)
        started = time.perf_counter()
        (shared, *_) = add_many_learners(SHARING, itertools.repeat(SHARED_NAME))
        add_many_learners(size - SHARING, generated_names())
        analyze()
        loaded = time.perf_counter() - started
        number = db.session.scalar(
            sa.select(Account.account_number).where(Account.learner_id == shared)
        )
        near_end = sa.select(Account.learner_id).order_by(Account.learner_id.desc()).offset(25)
        last = db.session.scalars(near_end.limit(1)).first() or shared
    return Bank(size, shared, str(number), last, round(loaded, 1))


class _Reader:
    """The clerk's clients on one bank's server, signed in once."""

    def __init__(self, server: Gunicorn, bank: Bank) -> None:
        self.server, self.bank = server, bank
        self.cookie, self.csrf = sign_in(server, CLERK, PASSWORD)

    def read(self, seconds: float) -> dict[str, list[float]]:
        """Every page's latencies (ms) over ``seconds``, the pages read in turn."""
        bank, search = self.bank, "/workstation/learners/search"
        pages = {
            "list, first page": "/workstation/learners",
            "list, last page": f"/workstation/learners?cursor={encode_cursor(bank.near_end)}",
            "one learner's page": f"/workstation/learners/{bank.learner_id}",
        }
        read = self._load("GET", list(pages.values()), [], seconds)
        # The same path twice: each body is told apart by its position in the cycle.
        searches = {
            "search by name": (f"{search}?by=name", SHARED_NAME),
            "search by account number": (f"{search}?by=account", bank.account_number),
        }
        forms = [
            urllib.parse.urlencode({"q": q, "csrf_token": self.csrf}) for _, q in searches.values()
        ]
        found = self._load("POST", [path for path, _ in searches.values()], forms, seconds)
        by_path = {**read, **found}
        paths = {**pages, **{name: path for name, (path, _) in searches.items()}}
        return {name: by_path[path]["samples_ms"] for name, path in paths.items()}

    def _load(
        self, method: str, paths: list[str], forms: list[str], seconds: float
    ) -> dict[str, Any]:
        spec = {
            "host": self.server.host,
            "port": self.server.port,
            "connections": CLIENTS,
            "seconds": seconds,
            "warmup_seconds": WARMUP_SECONDS,
            "headers": {"Cookie": self.cookie},
            "by_path": "samples",
            "method": method,
            "paths": paths,
        }
        if forms:
            spec |= {"bodies": forms, "content_type": "application/x-www-form-urlencoded"}
        return dict(run_load(spec)["by_path"])


def sign_in(server: Gunicorn, username: str, password: str) -> tuple[str, str]:
    """The session cookie of a clerk signed in through the sign-in form, and the CSRF token of
    the console's forms in that session."""
    connection = http.client.HTTPConnection(server.host, server.port, timeout=30)
    cookie, page = _exchange(connection, "GET", "/workstation/login", "")
    form = {"username": username, "password": password, "csrf_token": _csrf(page)}
    cookie, _ = _exchange(connection, "POST", "/workstation/login", cookie, form, expect=302)
    latest, page = _exchange(connection, "GET", "/workstation/learners/search", cookie)
    connection.close()
    return latest or cookie, _csrf(page)


def _exchange(
    connection: http.client.HTTPConnection,
    method: str,
    path: str,
    cookie: str,
    form: dict[str, str] | None = None,
    expect: int = 200,
) -> tuple[str, str]:
    headers = {"Cookie": cookie} if cookie else {}
    body = None
    if form is not None:
        body = urllib.parse.urlencode(form)
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    connection.request(method, path, body=body, headers=headers)
    answer = connection.getresponse()
    text = answer.read().decode("utf-8", "replace")
    if answer.status != expect:
        raise RuntimeError(f"{method} {path}: {answer.status} {text[:300]}")
    set_cookie = answer.getheader("Set-Cookie") or ""
    return set_cookie.split(";", 1)[0] or cookie, text


def _csrf(page: str) -> str:
    found = _CSRF_FIELD.search(page)
    if found is None:
        raise RuntimeError("the page carries no CSRF token")
    return found.group(1)


def generated_names() -> Iterator[str]:
    """Names as a county's register holds them: a common surname and two given characters,
    18,000 of them, each shared by about five learners at 100,000."""
    while True:
        for given in itertools.product(_GIVEN, repeat=2):
            for surname in _SURNAMES:
                yield surname + "".join(given)


def add_many_learners(count: int, names: Iterator[str]) -> list[str]:
    """``count`` new learners, accounts and identities, written as rows in batches (on
    PostgreSQL several rows a statement): 100,000 in seconds, where the API would take
    minutes. Their ids."""
    from creditbank.services.transaction import utcnow

    now = utcnow()
    ids, numbers = fresh_ids("L"), fresh_account_numbers()
    made: list[str] = []
    while len(made) < count:
        batch = [next(ids) for _ in range(min(_ROWS_PER_BATCH, count - len(made)))]
        accounts = [
            {"learner_id": i, "account_number": next(numbers), "opened_at": now} for i in batch
        ]
        identities = [{"learner_id": i, "name": next(names), "updated_at": now} for i in batch]
        with db.engine.begin() as connection:
            connection.execute(sa.insert(Account), accounts)
            connection.execute(sa.insert(Identity), identities)
        made += batch
    return made


def analyze() -> None:
    """Fresh planner statistics on PostgreSQL after a bulk load, as a bank at rest has."""
    if db.engine.dialect.name != "postgresql":
        return
    with db.engine.connect() as connection:
        connection = connection.execution_options(isolation_level="AUTOCOMMIT")
        connection.exec_driver_sql("VACUUM (ANALYZE) accounts, identities")


def figures(backend: str, measured: dict[str, Any]) -> list[Figure]:
    small, large = (key for key in measured if key.isdigit())
    return [
        Figure(
            f"{backend}: console {page} p99, {int(large):,} vs {int(small):,} learners",
            measured[large][page]["p99"],
            baseline=measured[small][page]["p99"],
            max_ratio=MAX_P99_RATIO,
        )
        for page in measured[small]
    ]
