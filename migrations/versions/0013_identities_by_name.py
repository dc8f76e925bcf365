"""Identities by name: the learner search by name read every identity (a sequential scan that
grew with the learners: bench/learner_pages.py at 100,000 learners, the scale curve at 10 M
entries, docs/performance.md); ``(name, learner_id)`` reads a page of the learners of one name,
in learner order.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-07 12:00:00.000000

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index('ix_identities_name_learner', 'identities', ['name', 'learner_id'])


def downgrade():
    op.drop_index('ix_identities_name_learner', table_name='identities')
