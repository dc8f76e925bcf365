"""Uploads of providers' outcome sheets from the workstation console: one row per upload,
its progress (rows done of the total) and its result.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-07 03:10:00.000000

"""
from alembic import op
import sqlalchemy as sa

from creditbank.db import UTCDateTime


# revision identifiers, used by Alembic.
revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'uploads',
        sa.Column('id', sa.String(length=40), nullable=False),
        sa.Column('provider_id', sa.String(length=40), nullable=False),
        sa.Column('staff', sa.String(length=64), nullable=False),
        sa.Column('file_name', sa.String(length=255), nullable=False),
        sa.Column('sha256', sa.String(length=64), nullable=False),
        sa.Column('rows_total', sa.Integer(), nullable=False),
        sa.Column('rows_done', sa.Integer(), nullable=False),
        sa.Column('posted', sa.Integer(), nullable=False),
        sa.Column('rejected', sa.Integer(), nullable=False),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('error', sa.Text(), nullable=True),
        sa.Column('started_at', UTCDateTime(), nullable=False),
        sa.Column('finished_at', UTCDateTime(), nullable=True),
        sa.Column('heartbeat_at', UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ['provider_id'], ['providers.id'], name=op.f('fk_uploads_provider_id_providers')
        ),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_uploads')),
    )


def downgrade():
    op.drop_table('uploads')
