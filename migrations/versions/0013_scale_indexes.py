"""Indexes the scale curve found missing (docs/performance.md § Scale curve): the learner
search by name read every identity (a sequential scan, ten times longer at ten times the
learners); ``ix_identities_name`` makes it a lookup.

Revision ID: 0013
Revises: 0011
Create Date: 2026-12-07 12:00:00.000000

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0013'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index('ix_identities_name', 'identities', ['name'], unique=False)


def downgrade():
    op.drop_index('ix_identities_name', table_name='identities')
