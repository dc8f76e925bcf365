"""The bank-wide lookups move to tables keyed by what they look up (docs/scaling.md).

``national_id_index`` (fingerprint → learner) and ``account_number_index`` (number →
learner) are filled from ``identities`` and ``accounts``; their primary keys take over the
uniqueness that the unique index on ``identities.national_id_fingerprint`` and the one on
``accounts.account_number`` kept, which a table distributed by learner cannot enforce. Both
indexes go: every read by national ID or number goes through the new tables. A downgrade puts
the unique indexes back (the tables' keys guarantee they still hold) and drops the tables.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-07 11:30:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'national_id_index',
        sa.Column('national_id_fingerprint', sa.String(length=64), nullable=False),
        sa.Column('learner_id', sa.String(length=40), nullable=False),
        sa.PrimaryKeyConstraint('national_id_fingerprint', name=op.f('pk_national_id_index')),
    )
    op.create_table(
        'account_number_index',
        sa.Column('account_number', sa.String(length=12), nullable=False),
        sa.Column('learner_id', sa.String(length=40), nullable=False),
        sa.PrimaryKeyConstraint('account_number', name=op.f('pk_account_number_index')),
    )
    op.execute(
        "INSERT INTO national_id_index (national_id_fingerprint, learner_id) "
        "SELECT national_id_fingerprint, learner_id FROM identities "
        "WHERE national_id_fingerprint IS NOT NULL"
    )
    op.execute(
        "INSERT INTO account_number_index (account_number, learner_id) "
        "SELECT account_number, learner_id FROM accounts"
    )
    with op.batch_alter_table('identities') as batch:
        batch.drop_constraint('uq_identities_national_id_fingerprint', type_='unique')
    op.drop_index('ix_accounts_account_number', table_name='accounts')


def downgrade():
    op.create_index('ix_accounts_account_number', 'accounts', ['account_number'], unique=True)
    with op.batch_alter_table('identities') as batch:
        batch.create_unique_constraint(
            'uq_identities_national_id_fingerprint', ['national_id_fingerprint']
        )
    op.drop_table('account_number_index')
    op.drop_table('national_id_index')
