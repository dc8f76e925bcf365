"""Verifiable documents: numbered transcripts and certificates, and the credential status list.

``documents`` (by learner) keeps every issued document's number, content hash and status;
``document_counters`` (coordinator) hands out the numbers and status-list indexes;
``credential_status`` (by learner) keeps each learner's index in the revocation list.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-07 04:00:00.000000

"""
from alembic import op
import sqlalchemy as sa

from creditbank.db import UTCDateTime


# revision identifiers, used by Alembic.
revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'documents',
        sa.Column('learner_id', sa.String(40), sa.ForeignKey('accounts.learner_id'), nullable=False),
        sa.Column('number', sa.String(32), nullable=False),
        sa.Column('kind', sa.String(20), nullable=False),
        sa.Column('subject_id', sa.String(40), nullable=False),
        sa.Column('media_type', sa.String(40), nullable=False),
        sa.Column('sha256', sa.String(64), nullable=False),
        sa.Column('issued_at', UTCDateTime(), nullable=False),
        sa.Column('issued_by', sa.String(200), nullable=True),
        sa.Column('holder_name_masked', sa.String(200), nullable=True),
        sa.Column('holder_id_masked', sa.String(40), nullable=True),
        sa.Column('status', sa.String(20), nullable=False),
        sa.Column('superseded_by', sa.String(32), nullable=True),
        sa.Column('revoked_at', UTCDateTime(), nullable=True),
        sa.Column('revoked_reason', sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint('learner_id', 'number'),
    )
    op.create_index('ix_documents_number', 'documents', ['number'])
    op.create_table(
        'document_counters',
        sa.Column('series', sa.String(40), nullable=False),
        sa.Column('year', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('last_serial', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('series', 'year'),
    )
    op.create_table(
        'credential_status',
        sa.Column('learner_id', sa.String(40), sa.ForeignKey('accounts.learner_id'), nullable=False),
        sa.Column('status_list', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('status_index', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('issued_at', UTCDateTime(), nullable=False),
        sa.Column('revoked_at', UTCDateTime(), nullable=True),
        sa.Column('revoked_reason', sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint('learner_id', 'status_list', 'status_index'),
    )


def downgrade():
    op.drop_table('credential_status')
    op.drop_table('document_counters')
    op.drop_index('ix_documents_number', table_name='documents')
    op.drop_table('documents')
