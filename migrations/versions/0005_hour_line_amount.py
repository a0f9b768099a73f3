"""Hour lines keep their cost once submitted.

Revision ID: 0005
Revises: 0004
"""
from alembic import op
import sqlalchemy as sa

# Column types as the app's duidingspool.db types rendered them when this was written
# (a migration is history, so it imports nothing of the app): Money is NUMERIC(12, 2),
# integer cents on SQLite.
MONEY = sa.Numeric(12, 2).with_variant(sa.Integer(), 'sqlite')

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('hour_line', schema=None) as batch_op:
        batch_op.add_column(sa.Column('amount', MONEY, nullable=True))
        batch_op.create_check_constraint('priced_when_submitted',
                                         "status = 'draft' OR amount IS NOT NULL")
        batch_op.create_check_constraint('amount', 'amount IS NULL OR amount >= 0')


def downgrade():
    with op.batch_alter_table('hour_line', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_hour_line_amount'), type_='check')
        batch_op.drop_constraint(op.f('ck_hour_line_priced_when_submitted'), type_='check')
        batch_op.drop_column('amount')
