"""Many rows in one statement: ``COPY`` to insert them and ``UPDATE … FROM unnest`` to move
them on PostgreSQL; an ``executemany`` of the same INSERT or UPDATE on SQLite.

A batch of 500 outcomes writes 1,000 journal entries, 500 projections, 500 idempotency keys
and 500 account heads. Through ``executemany`` each row is a statement of its own (psycopg
pipelines them, but every row is still bound, sent, planned and executed alone); here each
table costs the server one statement and the worker no per-row SQLAlchemy work. The values
go through each column's own bind processing (``creditbank.db.UTCDateTime`` and the like), so
what is stored is exactly what the ORM would have stored — tests/integration/test_bulk.py
holds both ways to the same rows and the same hashes.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import psycopg
from sqlalchemy import Connection, Table, bindparam, insert, text, update

from creditbank.db import driver_errors

Row = Mapping[str, Any]
# COPY costs a round trip more than an INSERT (the server first answers that it is ready for
# the data), so a single post's few rows go in as an INSERT still.
COPY_FROM_ROWS = 50


def insert_rows(connection: Connection, table: Table, rows: Sequence[Row]) -> None:
    """Insert ``rows`` (each a mapping of every column to write) into ``table``: by COPY on
    PostgreSQL from :data:`COPY_FROM_ROWS` rows on (outside a pipeline, where psycopg has
    no COPY: :func:`creditbank.db.one_round_trip`)."""
    if not rows:
        return
    if not copies(connection, len(rows)):
        connection.execute(insert(table), list(rows))
        return
    names = list(rows[0])
    processors = _processors(connection, table, names)
    statement = f"COPY {table.name} ({', '.join(names)}) FROM STDIN"
    driver = connection.connection.driver_connection
    with (
        driver_errors(connection, statement),
        driver.cursor() as cursor,  # type: ignore[union-attr]
        cursor.copy(statement) as copy,
    ):
        for row in rows:
            copy.write_row([process(row[name]) for name, process in processors])


def copies(connection: Connection, count: int) -> bool:
    """Whether :func:`insert_rows` writes ``count`` rows by COPY on this connection."""
    if connection.dialect.name != "postgresql" or count < COPY_FROM_ROWS:
        return False
    driver = connection.connection.driver_connection
    assert isinstance(driver, psycopg.Connection)
    return driver.pgconn.pipeline_status == psycopg.pq.PipelineStatus.OFF


def update_rows(connection: Connection, table: Table, key: str, rows: Sequence[Row]) -> None:
    """Set, in each row of ``table`` whose ``key`` column equals ``row[key]``, the other
    columns of ``row`` (every row names the same columns): from :data:`COPY_FROM_ROWS` rows on
    PostgreSQL by one ``UPDATE … FROM unnest``; fewer (a single post's one account) by the
    plain UPDATE, whose cached statement costs the worker less than building the arrays."""
    if not rows:
        return
    names = list(rows[0])
    values = [name for name in names if name != key]
    if connection.dialect.name != "postgresql" or len(rows) < COPY_FROM_ROWS:
        statement = (
            update(table)
            .where(table.c[key] == bindparam(f"_{key}"))
            .values({name: bindparam(name) for name in values})
        )
        params = [{**{n: row[n] for n in values}, f"_{key}": row[key]} for row in rows]
        connection.execute(statement, params)
        return
    processors = _processors(connection, table, names)
    arrays = {name: [process(row[name]) for row in rows] for name, process in processors}
    dialect = connection.dialect
    columns = ", ".join(
        f"CAST(:{name} AS {table.c[name].type.compile(dialect=dialect)}[])" for name in names
    )
    # Only the table's own names go into the text; every value is a bound array.
    sql = (
        f"UPDATE {table.name} SET {', '.join(f'{n} = v.{n}' for n in values)} "  # noqa: S608
        f"FROM unnest({columns}) AS v({', '.join(names)}) "
        f"WHERE {table.name}.{key} = v.{key}"
    )
    connection.execute(text(sql), arrays)


def _processors(
    connection: Connection, table: Table, names: Sequence[str]
) -> list[tuple[str, Callable[[Any], Any]]]:
    """Each column's bind processing, as SQLAlchemy applies it to a parameter."""
    found: list[tuple[str, Callable[[Any], Any]]] = []
    for name in names:
        process = table.c[name].type.bind_processor(connection.dialect)
        found.append((name, process or _same))
    return found


def _same(value: Any) -> Any:
    return value
