"""``creditbank.db.one_round_trip``: statements sent together take effect together, and an
error among them is the SQLAlchemy error the services handle (posting retries a duplicate
external_ref on ``IntegrityError``, and answers 503 for a lost server), on both databases."""

from __future__ import annotations

import threading

import pytest
from flask import Flask
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError, OperationalError

from creditbank.api.problems import is_connection_error
from creditbank.db import one_round_trip
from creditbank.extensions import db

CREATE = text("CREATE TEMPORARY TABLE round_trip (id INTEGER PRIMARY KEY, name VARCHAR(10))")
INSERT = text("INSERT INTO round_trip (id, name) VALUES (:id, :name)")
ROWS = text("SELECT id, name FROM round_trip ORDER BY id")


def test_the_statements_of_a_round_trip_all_take_effect(app: Flask) -> None:
    with app.app_context():
        connection = db.session.connection()
        connection.execute(CREATE)
        with one_round_trip(connection):
            connection.execute(INSERT, {"id": 1, "name": "一"})
            connection.execute(INSERT, [{"id": 2, "name": "二"}, {"id": 3, "name": "三"}])
            connection.execute(text("UPDATE round_trip SET name = 'x' WHERE id = 2"))
        assert [tuple(row) for row in connection.execute(ROWS)] == [(1, "一"), (2, "x"), (3, "三")]
        db.session.rollback()


def test_a_duplicate_key_in_a_round_trip_is_an_integrity_error(app: Flask) -> None:
    with app.app_context():
        connection = db.session.connection()
        connection.execute(CREATE)
        db.session.commit()
        connection = db.session.connection()
        with pytest.raises(IntegrityError), one_round_trip(connection):
            connection.execute(INSERT, {"id": 1, "name": "一"})
            connection.execute(INSERT, {"id": 1, "name": "again"})
        db.session.rollback()
        assert db.session.connection().execute(ROWS).all() == []
        db.session.rollback()


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_a_server_lost_while_the_round_trip_waits_is_a_clean_disconnect(app: Flask) -> None:
    """The server ends the connection after the statements went out and before they were
    answered (a restart): the error surfaces at the block's end, outside SQLAlchemy, and must
    still read as a lost server (the 503), and leave a session that closes cleanly (at request
    teardown) and connects afresh."""
    with app.app_context():
        connection = db.session.connection()
        connection.execute(CREATE)
        pid = connection.exec_driver_sql("SELECT pg_backend_pid()").scalar_one()
        killer = threading.Timer(0.5, terminate_backend, args=(app, pid))
        killer.start()
        with pytest.raises(OperationalError) as raised, one_round_trip(connection):
            connection.execute(
                text("INSERT INTO round_trip (id) SELECT 1 FROM pg_sleep(5)"),
            )
            connection.execute(INSERT, {"id": 2, "name": "二"})
        killer.join()
        assert raised.value.connection_invalidated
        assert is_connection_error(raised.value)
        db.session.remove()  # what Flask-SQLAlchemy does at teardown: it must not raise
        assert db.session.execute(text("SELECT 1")).scalar_one() == 1
        db.session.remove()


def terminate_backend(app: Flask, pid: int) -> None:
    with app.app_context(), db.engine.connect() as other:
        assert other.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid}).scalar()
