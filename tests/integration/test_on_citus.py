"""Locking many accounts takes the one-statement path everywhere but on Citus
(``creditbank.distribution.on_citus``; the Citus path is run by ``make bench-citus``)."""

from __future__ import annotations

from creditbank.distribution import on_citus
from creditbank.extensions import db


def test_sqlite_and_plain_postgresql_are_not_citus_and_the_answer_is_kept(app):
    session = db.session
    assert on_citus(session) is False
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        assert connection.info["creditbank_on_citus"] is False
    else:
        assert "creditbank_on_citus" not in connection.info
