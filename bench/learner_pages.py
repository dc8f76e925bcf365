"""The console's learner pages at 100,000 learners: as fast as at 1,000?

A clerk signs in to the workstation console of a real gunicorn (the sign-in form, its CSRF
token, the session cookie, as a browser does) and 4 clients (a county office's counters) read,
each for a bounded time, in turn:

- ``GET /workstation/learners``: the paged list of learners, its first page and a page near
  its end (a keyset cursor);
- ``GET /workstation/learners/<id>``: one learner's page (identity, balance, outcomes, journal);
- ``POST /workstation/learners/search``: the search form, by a name five learners share and by
  one learner's account number.

First with 1,000 learners, then with 99,000 more written in bulk (rows, not requests: see
:func:`add_many_learners`), on the same server. Target: each page's p99 at 100,000 learners
≤ 1.3 × its p99 at 1,000, as the balance reads are held (bench/reads.py): a bank that grows
from a district to a county must not make its counter slower.
"""

from __future__ import annotations

import http.client
import itertools
import re
import time
import urllib.parse
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from bench import Figure, Options, Result
from bench._bank import fresh_account_numbers, fresh_ids
from bench._harness import gunicorn, migrated_app, on_each_backend
from bench._load import run_load
from creditbank.extensions import db
from creditbank.models import Account, Identity
from creditbank.services.pagination import encode_cursor
from tests.support.gunicorn import Gunicorn

SMALL, LARGE = 1_000, 100_000
CLIENTS = 4
SECONDS = 5
WARMUP_SECONDS = 1
MAX_P99_RATIO = 1.3
CLERK, PASSWORD = "bench.clerk", "bench-clerk-password"
SHARED_NAME, SHARING = "欧阳书敏", 5  # a compound surname: no generated name is it
_SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
_GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰红梅建国"
_CSRF_FIELD = re.compile(r'name="csrf_token" value="([^"]+)"')
_ROWS_PER_BATCH = 10_000


def run(options: Options, small: int = SMALL, large: int = LARGE) -> Result:
    result = Result(details={"clients": CLIENTS, "seconds": SECONDS, "learners": [small, large]})
    return on_each_backend(
        options,
        result,
        lambda backend, url, folder: measure(url, folder, small, large),
        figures,
    )


def measure(
    url: str, folder: Path, small: int, large: int, seconds: float = SECONDS
) -> dict[str, Any]:
    from creditbank.domain.roles import Role
    from creditbank.services.staff import create_staff

    names = generated_names()
    with migrated_app(url, folder):
        create_staff(CLERK, Role.WORKSTATION, PASSWORD)
        shared = add_many_learners(SHARING, itertools.repeat(SHARED_NAME))
        add_many_learners(small - SHARING, names)
        analyze()
        with gunicorn(url, folder) as server:
            measured: dict[str, Any] = {"gunicorn": f"{server.workers}×{server.threads}"}
            measured[str(small)] = _read_pages(server, shared, seconds)
            started = time.perf_counter()
            add_many_learners(large - small, names)
            analyze()
            measured["load_seconds"] = round(time.perf_counter() - started, 1)
            measured[str(large)] = _read_pages(server, shared, seconds)
    return measured


def _read_pages(server: Gunicorn, shared: list[str], seconds: float) -> dict[str, Any]:
    """p99 and the rest of every page, read by the clerk's clients in turn."""
    cookie, csrf = sign_in(server, CLERK, PASSWORD)
    (number,) = db.session.execute(
        sa.select(Account.account_number).where(Account.learner_id == shared[0])
    ).one()
    near_end = sa.select(Account.learner_id).order_by(Account.learner_id.desc()).offset(25)
    last = db.session.scalars(near_end.limit(1)).first() or shared[0]
    db.session.remove()
    common = {
        "host": server.host,
        "port": server.port,
        "connections": CLIENTS,
        "seconds": seconds,
        "warmup_seconds": min(WARMUP_SECONDS, seconds / 5),
        "headers": {"Cookie": cookie},
        "by_path": True,
    }
    pages = {
        "list, first page": "/workstation/learners",
        "list, last page": f"/workstation/learners?cursor={encode_cursor(last)}",
        "one learner's page": f"/workstation/learners/{shared[0]}",
    }
    read = run_load({**common, "method": "GET", "paths": list(pages.values())})
    searches = {"search by name": SHARED_NAME, "search by account number": number}
    search = "/workstation/learners/search"
    found = run_load(
        {
            **common,
            "method": "POST",
            # The same path twice: each body is told apart by its position in the cycle.
            "paths": [f"{search}?by=name", f"{search}?by=account"],
            "bodies": [
                urllib.parse.urlencode({"q": q, "csrf_token": csrf}) for q in searches.values()
            ],
            "content_type": "application/x-www-form-urlencoded",
        }
    )
    by_path = {**read["by_path"], **found["by_path"]}
    paths = [*pages.values(), f"{search}?by=name", f"{search}?by=account"]
    return {
        name: by_path[path]["latency_ms"] | {"requests": by_path[path]["requests"]}
        for name, path in zip([*pages, *searches], paths, strict=True)
    }


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
