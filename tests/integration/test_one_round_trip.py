"""``creditbank.db.one_round_trip``: statements sent together take effect together, and an
error among them is the SQLAlchemy error the services handle (posting retries a duplicate
external_ref on ``IntegrityError``), on both databases."""

from __future__ import annotations

import pytest
from flask import Flask
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

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
