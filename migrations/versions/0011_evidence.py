"""Evidence files of deposited outcomes: one row per file and outcome, by learner.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-07 04:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'evidence',
        sa.Column('learner_id', sa.String(length=40), nullable=False),
        sa.Column('sha256', sa.String(length=64), nullable=False),
        sa.Column('outcome_id', sa.String(length=40), nullable=False),
        sa.Column('media_type', sa.String(length=64), nullable=False),
        sa.Column('size', sa.Integer(), nullable=False),
        sa.Column('original_name', sa.String(length=255), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['learner_id'], ['accounts.learner_id']),
        sa.PrimaryKeyConstraint('learner_id', 'sha256', 'outcome_id'),
    )


def downgrade():
    op.drop_table('evidence')
