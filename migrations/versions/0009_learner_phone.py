"""A learner's mobile phone number, kept as the national ID is: encrypted with the PII cipher,
shown only masked (138****5678). Opening an account at the workstation (alone or from a sheet)
may record one; erasing the identity removes it with the rest.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-07 04:00:00.000000

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("identities") as batch:
        batch.add_column(sa.Column("phone_encrypted", sa.Text(), nullable=True))
        batch.add_column(sa.Column("phone_masked", sa.String(length=20), nullable=True))


def downgrade():
    with op.batch_alter_table("identities") as batch:
        batch.drop_column("phone_masked")
        batch.drop_column("phone_encrypted")
