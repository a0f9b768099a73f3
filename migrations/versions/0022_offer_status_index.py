"""An index on offer (status, expires_at): the offers waiting for an answer, soonest
deadline first, without reading every answered offer.

Revision ID: 0022
Revises: 0021
"""
from alembic import op

revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("offer", schema=None) as batch_op:
        batch_op.create_index("ix_offer_status_expires_at", ["status", "expires_at"], unique=False)


def downgrade():
    with op.batch_alter_table("offer", schema=None) as batch_op:
        batch_op.drop_index("ix_offer_status_expires_at")
