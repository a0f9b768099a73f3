"""Covering index for an expert's calendar feed.

Every poll of a feed URL answers from an aggregate over the expert's bookings (how many,
and the latest change); with (expert_id, updated_at) it reads one index range, and the
latest change is the range's last entry.

Revision ID: 0010
Revises: 0009
"""
from alembic import op

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index('ix_booking_expert_id_feed', 'booking',
                    ['expert_id', 'updated_at'])


def downgrade():
    op.drop_index('ix_booking_expert_id_feed', table_name='booking')
