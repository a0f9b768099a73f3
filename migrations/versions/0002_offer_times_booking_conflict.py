"""Proposed times on offers (date-window requests) and a conflict marker on bookings.

Revision ID: 0002
Revises: 0001
"""
from alembic import op
import sqlalchemy as sa

# Column types as the app's duidingspool.db types rendered them when this was written
# (a migration is history, so it imports nothing of the app): UTCDateTime is a
# timezone-aware DATETIME (timestamptz on PostgreSQL).
UTC_DATETIME = sa.DateTime(timezone=True)

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('offer', schema=None) as batch_op:
        batch_op.add_column(sa.Column('starts_at', UTC_DATETIME, nullable=True))
        batch_op.add_column(sa.Column('ends_at', UTC_DATETIME, nullable=True))
        batch_op.create_check_constraint(
            'proposed_time', '(starts_at IS NULL AND ends_at IS NULL) OR ends_at > starts_at')
    with op.batch_alter_table('booking', schema=None) as batch_op:
        batch_op.add_column(sa.Column('conflict', sa.String(length=50), nullable=True))


def downgrade():
    with op.batch_alter_table('booking', schema=None) as batch_op:
        batch_op.drop_column('conflict')
    with op.batch_alter_table('offer', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_offer_proposed_time'), type_='check')
        batch_op.drop_column('ends_at')
        batch_op.drop_column('starts_at')
