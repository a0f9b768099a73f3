"""Two-factor login (encrypted TOTP secret, hashed one-time recovery codes) and a per-user
session version that ends every session of a user at once.

Revision ID: 0008
Revises: 0007
"""
from alembic import op
import sqlalchemy as sa

# Column types as the app's duidingspool.db types rendered them when this was written
# (a migration is history, so it imports nothing of the app): UTCDateTime is a
# timezone-aware DATETIME (timestamptz on PostgreSQL).
UTC_DATETIME = sa.DateTime(timezone=True)

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.add_column(sa.Column('session_version', sa.Integer(), server_default='0',
                                      nullable=False))
        batch_op.add_column(sa.Column('totp_secret', sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column('totp_enabled_at', UTC_DATETIME, nullable=True))
        batch_op.add_column(sa.Column('totp_last_step', sa.BigInteger(), nullable=True))
        batch_op.create_check_constraint(op.f('ck_user_account_session_version'),
                                         'session_version >= 0')
        batch_op.create_check_constraint(op.f('ck_user_account_totp_secret'),
                                         'totp_enabled_at IS NULL OR totp_secret IS NOT NULL')

    op.create_table(
        'recovery_code',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('code_hash', sa.String(length=64), nullable=False),
        sa.Column('created_at', UTC_DATETIME, nullable=False),
        sa.Column('used_at', UTC_DATETIME, nullable=True),
        sa.ForeignKeyConstraint(['user_id'], ['user_account.id'],
                                name=op.f('fk_recovery_code_user_id_user_account'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_recovery_code')),
        sa.UniqueConstraint('code_hash', name=op.f('uq_recovery_code_code_hash')),
    )
    with op.batch_alter_table('recovery_code', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_recovery_code_user_id'), ['user_id'], unique=False)


def downgrade():
    with op.batch_alter_table('recovery_code', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_recovery_code_user_id'))
    op.drop_table('recovery_code')
    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_user_account_totp_secret'), type_='check')
        batch_op.drop_constraint(op.f('ck_user_account_session_version'), type_='check')
        batch_op.drop_column('totp_last_step')
        batch_op.drop_column('totp_enabled_at')
        batch_op.drop_column('totp_secret')
        batch_op.drop_column('session_version')
