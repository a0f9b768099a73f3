"""A covering index for finding the bookings around a time (matching).

Revision ID: 0003
Revises: 0002
"""
from alembic import op

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index('ix_booking_status_starts_at', 'booking',
                    ['status', 'starts_at', 'ends_at', 'expert_id'], unique=False)


def downgrade():
    op.drop_index('ix_booking_status_starts_at', table_name='booking')
