"""SQLite refuses an upsert of an append-only row; audits beat; outcomes know their certificate.

- SQLite's ``INSERT OR REPLACE`` / ``REPLACE INTO`` deletes the row it collides with without
  firing the delete trigger (``recursive_triggers`` is off, and it is a per-connection
  setting that another connection need not turn on), so the append-only tables also refuse,
  BEFORE INSERT, a row whose key is already there. PostgreSQL needs nothing more: its
  ``ON CONFLICT DO UPDATE`` and ``MERGE`` fire the update and delete triggers of 0001.
- ``audits.heartbeat_at``: when a running audit last finished a slice, so that one whose
  worker died can be told from one that is slow (services/audits.py).
- ``outcomes.certificate_key``: a certificate's or skill level's number, kind and code
  (services/certificate_reuse.py), indexed, so that posting finds the same number already
  credited on another learner's account with one query; filled in from the journal.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02 09:00:00.000000

"""
from alembic import op
import sqlalchemy as sa

from creditbank.db import UTCDateTime


# revision identifiers, used by Alembic.
revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None

# Every unique key of each append-only table (an INSERT OR REPLACE collides on any of them).
UNIQUE_KEYS = {
    "journal_entries": (("learner_id", "seq"),),
    "rulesets": (("id",), ("version",)),
}


def upgrade():
    op.add_column('audits', sa.Column('heartbeat_at', UTCDateTime(), nullable=True))
    op.add_column('outcomes', sa.Column('certificate_key', sa.String(length=160), nullable=True))
    op.create_index('ix_outcomes_certificate_key', 'outcomes', ['certificate_key'], unique=False)
    fill_certificate_keys()
    if op.get_bind().dialect.name == "sqlite":
        for table, keys in UNIQUE_KEYS.items():
            collides = " OR ".join(
                "(" + " AND ".join(f"{column} = NEW.{column}" for column in key) + ")"
                for key in keys
            )
            op.execute(
                f"CREATE TRIGGER {table}_no_replace BEFORE INSERT ON {table} "
                f"WHEN EXISTS (SELECT 1 FROM {table} WHERE {collides}) "
                f"BEGIN SELECT RAISE(ABORT, 'INSERT over an existing row of {table} is "
                "refused: the table is append-only'); END"
            )


def downgrade():
    if op.get_bind().dialect.name == "sqlite":
        for table in UNIQUE_KEYS:
            op.execute(f"DROP TRIGGER IF EXISTS {table}_no_replace")
    op.drop_index('ix_outcomes_certificate_key', table_name='outcomes')
    with op.batch_alter_table('outcomes') as batch:
        batch.drop_column('certificate_key')
    with op.batch_alter_table('audits') as batch:
        batch.drop_column('heartbeat_at')


def fill_certificate_keys():
    """``kind:<length of code>:code:number``, as services/certificate_reuse.certificate_key
    writes it (the length keeps a code that holds a colon from running into the number)."""
    if op.get_bind().dialect.name == "postgresql":
        code = "(CASE o.kind WHEN 'certificate' THEN d ->> 'certificate_code' " \
            "ELSE d ->> 'occupation_code' END)"
        op.execute(
            f"UPDATE outcomes AS o SET certificate_key = o.kind || ':' || length({code}) "
            f"|| ':' || {code} || ':' || (d ->> 'certificate_no') "
            "FROM (SELECT learner_id, seq, data::jsonb AS d FROM journal_entries) AS j "
            "WHERE j.learner_id = o.learner_id AND j.seq = o.seq "
            "AND o.kind IN ('certificate', 'skill_level')"
        )
        return
    code = "json_extract(j.data, CASE outcomes.kind WHEN 'certificate' " \
        "THEN '$.certificate_code' ELSE '$.occupation_code' END)"
    op.execute(
        f"UPDATE outcomes SET certificate_key = (SELECT outcomes.kind || ':' || length({code}) "
        f"|| ':' || {code} || ':' || json_extract(j.data, '$.certificate_no') "
        "FROM journal_entries AS j WHERE j.learner_id = outcomes.learner_id "
        "AND j.seq = outcomes.seq) WHERE kind IN ('certificate', 'skill_level')"
    )
