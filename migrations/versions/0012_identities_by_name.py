"""Identities by name: the console's search by name reads a page of the learners of one name,
in learner order, instead of every identity (bench/learner_pages.py, 100,000 learners).

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-07 11:30:00.000000

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index('ix_identities_name_learner', 'identities', ['name', 'learner_id'])


def downgrade():
    op.drop_index('ix_identities_name_learner', table_name='identities')
