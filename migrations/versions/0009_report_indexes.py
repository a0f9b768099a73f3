"""Covering indexes for the budget figures and the year report.

- referral (created_at, status, municipality_id) replaces the plain created_at index: the
  requests of a year with what the report counts, no table rows read;
- hour_line (booking_id, status, category, minutes, amount) replaces the plain booking_id
  index: every hour figure is read from the index alone;
- booking (status, starts_at, ends_at, expert_id, estimated_minutes) gains referral_id:
  committed work (region through the request, rate, estimate) from the index;
- booking (referral_id, status, expert_id) gains created_at: the first booking of a
  request (time to booking) from the index.

Revision ID: 0009
Revises: 0008
"""
from alembic import op

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade():
    op.drop_index('ix_referral_created_at', table_name='referral')
    op.create_index('ix_referral_created_at_status', 'referral',
                    ['created_at', 'status', 'municipality_id'])
    op.drop_index('ix_hour_line_booking_id', table_name='hour_line')
    op.create_index('ix_hour_line_booking_id_status', 'hour_line',
                    ['booking_id', 'status', 'category', 'minutes', 'amount'])
    op.drop_index('ix_booking_status_starts_at', table_name='booking')
    op.create_index('ix_booking_status_starts_at', 'booking',
                    ['status', 'starts_at', 'ends_at', 'expert_id', 'estimated_minutes',
                     'referral_id'])
    op.drop_index('ix_booking_referral_id', table_name='booking')
    op.create_index('ix_booking_referral_id', 'booking',
                    ['referral_id', 'status', 'expert_id', 'created_at'])


def downgrade():
    op.drop_index('ix_booking_referral_id', table_name='booking')
    op.create_index('ix_booking_referral_id', 'booking', ['referral_id', 'status', 'expert_id'])
    op.drop_index('ix_booking_status_starts_at', table_name='booking')
    op.create_index('ix_booking_status_starts_at', 'booking',
                    ['status', 'starts_at', 'ends_at', 'expert_id', 'estimated_minutes'])
    op.drop_index('ix_hour_line_booking_id_status', table_name='hour_line')
    op.create_index('ix_hour_line_booking_id', 'hour_line', ['booking_id'])
    op.drop_index('ix_referral_created_at_status', table_name='referral')
    op.create_index('ix_referral_created_at', 'referral', ['created_at'])
