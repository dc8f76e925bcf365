"""The console learner pages benchmark (bench/learner_pages.py) at a tiny size, on both
databases: a clerk signs in through the form, every page and search answers 200 on a real
gunicorn at both sizes (the load generator refuses anything else), and the figures are there,
so that the benchmark cannot rot between runs of ``make bench``."""

from __future__ import annotations

import itertools

import sqlalchemy as sa

from bench._harness import migrated_app
from bench.learner_pages import add_many_learners, figures, generated_names, measure
from creditbank.extensions import db

PAGES = 5


def test_every_page_is_read_signed_in_at_both_sizes(database_url, tmp_path):
    measured = measure(database_url, tmp_path, 20, 60, seconds=0.5, rounds=2)

    for size in ("20", "60"):
        assert len(measured[size]) == PAGES
        assert all(page["requests"] > 0 and page["p99"] > 0 for page in measured[size].values())
    found = figures("db", measured)
    assert len(found) == PAGES and all(f.baseline and f.ratio for f in found)
    assert found[0].name == "db: console list, first page p99, 60 vs 20 learners"


def test_learners_written_in_bulk_have_accounts_and_identities(database_url, tmp_path):
    with migrated_app(database_url, tmp_path):
        made = add_many_learners(30, itertools.islice(generated_names(), 30))
        with db.engine.connect() as connection:
            names = connection.execute(
                sa.text(
                    "SELECT i.name FROM accounts a JOIN identities i USING (learner_id) "
                    "WHERE a.head_seq = 0 AND a.balance = 0"
                )
            ).scalars()
            assert len(set(names)) == len(made) == 30
