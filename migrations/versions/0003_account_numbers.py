"""Account numbers (学习账号) for every account; national IDs masked to their last 4 characters.

Every existing account is given a random account number here, then the numbers are made
unique. The masked national IDs lose their first 6 characters (the region), which with the
last 4 left little more than a birth date to guess. A downgrade drops the account numbers
and keeps the shorter mask: the first 6 cannot come back without the personal-data key.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-02 09:00:00.000000

"""
import secrets

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None

BACKFILL_SLICE = 10_000
ACCOUNTS = sa.table('accounts', sa.column('learner_id'), sa.column('account_number'))


def upgrade():
    # SQLite adds a NOT NULL column only with a default, and cannot drop the default again
    # without rebuilding the table, which the journal's foreign keys to it refuse while it
    # holds rows. The empty default is never used: every row gets its number below, and the
    # application always gives one. PostgreSQL drops it.
    op.add_column('accounts', sa.Column('account_number', sa.String(length=12), nullable=False, server_default=''))
    backfill_account_numbers()
    if op.get_bind().dialect.name == 'postgresql':
        op.alter_column('accounts', 'account_number', server_default=None)
    op.create_index(op.f('ix_accounts_account_number'), 'accounts', ['account_number'], unique=True)
    # Characters 15-18 are the last 4 of the 18-character masked form.
    op.execute(
        "UPDATE identities SET national_id_masked = '**************' || substr(national_id_masked, 15) "
        "WHERE national_id_masked IS NOT NULL"
    )


def downgrade():
    op.drop_index(op.f('ix_accounts_account_number'), table_name='accounts')
    op.drop_column('accounts', 'account_number')


def backfill_account_numbers():
    bind = op.get_bind()
    learner_ids = bind.execute(sa.select(ACCOUNTS.c.learner_id)).scalars().all()
    given = set()
    assign = (
        ACCOUNTS.update()
        .where(ACCOUNTS.c.learner_id == sa.bindparam('learner'))
        .values(account_number=sa.bindparam('number'))
    )
    for start in range(0, len(learner_ids), BACKFILL_SLICE):
        rows = []
        for learner_id in learner_ids[start:start + BACKFILL_SLICE]:
            number = new_account_number()
            while number in given:
                number = new_account_number()
            given.add(number)
            rows.append({'learner': learner_id, 'number': number})
        bind.execute(assign, rows)


def new_account_number():
    """creditbank/domain/account_numbers.py's scheme as it stood at this revision, copied so
    that this migration never changes with the application: eleven random digits, the first
    not 0, and the ISO 7064 MOD 11-2 check digit; a body whose check would be X is redrawn."""
    while True:
        body = str(10**10 + secrets.randbelow(9 * 10**10))
        total = sum(int(digit) * pow(2, 11 - i, 11) for i, digit in enumerate(body))
        check = (1 - total) % 11
        if check < 10:
            return body + str(check)
