"""The learner portal: a password set by the workstation must be changed at first sign-in.

``identities.must_change_password`` is true after the workstation sets or resets a learner's
password (opening an account with one, a reset) and false once the learner has chosen its own.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-07 03:30:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('identities') as batch:
        batch.add_column(
            sa.Column(
                'must_change_password', sa.Boolean(), nullable=False, server_default=sa.false()
            )
        )


def downgrade():
    with op.batch_alter_table('identities') as batch:
        batch.drop_column('must_change_password')
