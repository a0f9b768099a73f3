"""Bookings keep their estimated minutes and case table; covering indexes for the matcher.

Revision ID: 0003
Revises: 0002
"""
from alembic import op
import sqlalchemy as sa

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('booking', schema=None) as batch_op:
        batch_op.add_column(sa.Column('estimated_minutes', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('case_table_id', sa.Integer(), nullable=True))
    op.execute(
        "UPDATE booking SET "
        "estimated_minutes = (SELECT referral.estimated_minutes FROM referral"
        " WHERE referral.id = booking.referral_id), "
        "case_table_id = (SELECT referral.case_table_id FROM referral"
        " WHERE referral.id = booking.referral_id)"
    )
    with op.batch_alter_table('booking', schema=None) as batch_op:
        batch_op.alter_column('estimated_minutes', existing_type=sa.Integer(), nullable=False)
        batch_op.alter_column('case_table_id', existing_type=sa.Integer(), nullable=False)
        batch_op.create_foreign_key('fk_booking_case_table_id_case_table', 'case_table',
                                    ['case_table_id'], ['id'], ondelete='RESTRICT')
        batch_op.create_check_constraint('estimated_minutes', 'estimated_minutes > 0')
        batch_op.drop_index('ix_booking_expert_id_starts_at')
        batch_op.create_index('ix_booking_expert_id_starts_at',
                              ['expert_id', 'starts_at', 'status', 'estimated_minutes',
                               'case_table_id'])
        batch_op.create_index('ix_booking_status_starts_at',
                              ['status', 'starts_at', 'ends_at', 'expert_id', 'estimated_minutes'])
        batch_op.create_index('ix_booking_referral_id', ['referral_id', 'status', 'expert_id'])


def downgrade():
    with op.batch_alter_table('booking', schema=None) as batch_op:
        batch_op.drop_index('ix_booking_referral_id')
        batch_op.drop_index('ix_booking_status_starts_at')
        batch_op.drop_index('ix_booking_expert_id_starts_at')
        batch_op.create_index('ix_booking_expert_id_starts_at', ['expert_id', 'starts_at'])
        batch_op.drop_constraint(op.f('ck_booking_estimated_minutes'), type_='check')
        batch_op.drop_constraint('fk_booking_case_table_id_case_table', type_='foreignkey')
        batch_op.drop_column('case_table_id')
        batch_op.drop_column('estimated_minutes')
