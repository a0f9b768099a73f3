"""Calendar feed subscriptions (token hashes) and the mail outbox.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22 10:54:52.569590

"""
from alembic import op
import sqlalchemy as sa

# Column types as the app's duidingspool.db types rendered them when this was written
# (a migration is history, so it imports nothing of the app): UTCDateTime is a
# timezone-aware DATETIME (timestamptz on PostgreSQL).
UTC_DATETIME = sa.DateTime(timezone=True)


# revision identifiers, used by Alembic.
revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('calendar_feed',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('scope', sa.String(length=20), nullable=False),
    sa.Column('case_table_id', sa.Integer(), nullable=True),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', UTC_DATETIME, nullable=False),
    sa.Column('revoked_at', UTC_DATETIME, nullable=True),
    sa.CheckConstraint("(scope = 'case_table') = (case_table_id IS NOT NULL)", name=op.f('ck_calendar_feed_case_table_scope')),
    sa.CheckConstraint("scope IN ('expert', 'case_table', 'all')", name=op.f('ck_calendar_feed_scope')),
    sa.ForeignKeyConstraint(['case_table_id'], ['case_table.id'], name=op.f('fk_calendar_feed_case_table_id_case_table'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_calendar_feed_user_id_user_account'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_calendar_feed')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_calendar_feed_token_hash'))
    )
    with op.batch_alter_table('calendar_feed', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_calendar_feed_user_id'), ['user_id'], unique=False)

    op.create_table('outbox_message',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('created_at', UTC_DATETIME, nullable=False),
    sa.Column('to_address', sa.String(length=254), nullable=False),
    sa.Column('subject', sa.String(length=250), nullable=False),
    sa.Column('body_text', sa.Text(), nullable=False),
    sa.Column('ics', sa.Text(), nullable=True),
    sa.Column('ics_method', sa.String(length=10), nullable=True),
    sa.Column('booking_id', sa.Integer(), nullable=True),
    sa.Column('dedupe_key', sa.String(length=200), nullable=True),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', UTC_DATETIME, nullable=True),
    sa.Column('last_error', sa.String(length=500), nullable=True),
    sa.Column('sent_at', UTC_DATETIME, nullable=True),
    sa.CheckConstraint("ics_method IS NULL OR ics_method IN ('REQUEST', 'CANCEL')", name=op.f('ck_outbox_message_ics_method')),
    sa.CheckConstraint("status IN ('queued', 'sent', 'failed')", name=op.f('ck_outbox_message_status')),
    sa.CheckConstraint('attempts >= 0', name=op.f('ck_outbox_message_attempts')),
    sa.ForeignKeyConstraint(['booking_id'], ['booking.id'], name=op.f('fk_outbox_message_booking_id_booking'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_outbox_message')),
    sa.UniqueConstraint('dedupe_key', name=op.f('uq_outbox_message_dedupe_key'))
    )
    with op.batch_alter_table('outbox_message', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_outbox_message_booking_id'), ['booking_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_outbox_message_created_at'), ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_outbox_message_status'), ['status'], unique=False)
    # One live feed per user and scope, and per user and case table.
    op.create_index(
        'uq_calendar_feed_live_scope', 'calendar_feed', ['user_id', 'scope'], unique=True,
        sqlite_where=sa.text('revoked_at IS NULL AND case_table_id IS NULL'),
        postgresql_where=sa.text('revoked_at IS NULL AND case_table_id IS NULL'),
    )
    op.create_index(
        'uq_calendar_feed_live_case_table', 'calendar_feed', ['user_id', 'case_table_id'],
        unique=True,
        sqlite_where=sa.text('revoked_at IS NULL AND case_table_id IS NOT NULL'),
        postgresql_where=sa.text('revoked_at IS NULL AND case_table_id IS NOT NULL'),
    )


def downgrade():
    op.drop_index('uq_calendar_feed_live_case_table', table_name='calendar_feed')
    op.drop_index('uq_calendar_feed_live_scope', table_name='calendar_feed')
    with op.batch_alter_table('outbox_message', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_outbox_message_status'))
        batch_op.drop_index(batch_op.f('ix_outbox_message_created_at'))
        batch_op.drop_index(batch_op.f('ix_outbox_message_booking_id'))

    op.drop_table('outbox_message')
    with op.batch_alter_table('calendar_feed', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_calendar_feed_user_id'))

    op.drop_table('calendar_feed')
