"""Staff sessions: a generation per staff account, raised on sign-out, that session cookies
must match (a cookie copied before the sign-out dies with it).

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-06 21:02:36.188815

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade():
    # Existing accounts start at generation 0; cookies issued before this migration carry
    # none and are refused, so everyone signs in once more.
    with op.batch_alter_table('staff_accounts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('session_generation', sa.Integer(), server_default='0', nullable=False))


def downgrade():
    with op.batch_alter_table('staff_accounts', schema=None) as batch_op:
        batch_op.drop_column('session_generation')
