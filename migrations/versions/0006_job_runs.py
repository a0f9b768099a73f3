"""Background job runs; (name, slot) is unique so each scheduled run happens once.

Revision ID: 0006
Revises: 0005
"""
from alembic import op
import sqlalchemy as sa

# Column types as the app's duidingspool.db types rendered them when this was written
# (a migration is history, so it imports nothing of the app): UTCDateTime is a
# timezone-aware DATETIME (timestamptz on PostgreSQL).
UTC_DATETIME = sa.DateTime(timezone=True)

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'job_run',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(length=50), nullable=False),
        sa.Column('slot', sa.String(length=40), nullable=False),
        sa.Column('host', sa.String(length=100), nullable=True),
        sa.Column('started_at', UTC_DATETIME, nullable=False),
        sa.Column('finished_at', UTC_DATETIME, nullable=True),
        sa.Column('outcome', sa.String(length=20), nullable=False),
        sa.Column('processed', sa.Integer(), nullable=False),
        sa.Column('detail', sa.String(length=500), nullable=True),
        sa.CheckConstraint("outcome IN ('running', 'ok', 'failed')", name=op.f('ck_job_run_outcome')),
        sa.CheckConstraint('processed >= 0', name=op.f('ck_job_run_processed')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_job_run')),
        sa.UniqueConstraint('name', 'slot', name=op.f('uq_job_run_name_slot')),
    )


def downgrade():
    op.drop_table('job_run')
