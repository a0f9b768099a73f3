"""A standing specialist per case table: a series (one expert for every session of a table
in a period, answered with one offer) and its dates (each session's request and booking).

Revision ID: 0019
Revises: 0016
"""
import sqlalchemy as sa
from alembic import op

revision = "0019"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "standing_series",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_table_id", sa.Integer(), nullable=False),
        sa.Column("expert_id", sa.Integer(), nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=False),
        sa.Column("estimated_minutes", sa.Integer(), nullable=False),
        sa.Column("mode", sa.String(length=20), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        # The app's UTCDateTime columns are DateTime(timezone=True) underneath.
        sa.Column("offered_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("responded_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decline_reason", sa.String(length=500), nullable=True),
        sa.Column("cancelled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("cancel_reason", sa.String(length=500), nullable=True),
        sa.Column("created_by_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "status IN ('offered', 'accepted', 'declined', 'expired', 'cancelled')",
            name=op.f("ck_standing_series_status")),
        sa.CheckConstraint("ends_on >= starts_on", name=op.f("ck_standing_series_period")),
        sa.CheckConstraint("estimated_minutes BETWEEN 15 AND 2400",
                           name=op.f("ck_standing_series_estimated_minutes")),
        sa.CheckConstraint("mode IN ('in_person', 'online')",
                           name=op.f("ck_standing_series_mode")),
        sa.CheckConstraint("expires_at > offered_at", name=op.f("ck_standing_series_expiry")),
        sa.CheckConstraint("status <> 'cancelled' OR cancelled_at IS NOT NULL",
                           name=op.f("ck_standing_series_cancelled_has_time")),
        sa.ForeignKeyConstraint(["case_table_id"], ["case_table.id"],
                                name=op.f("fk_standing_series_case_table_id_case_table"),
                                ondelete="RESTRICT"),
        sa.ForeignKeyConstraint(["expert_id"], ["expert.id"],
                                name=op.f("fk_standing_series_expert_id_expert"),
                                ondelete="RESTRICT"),
        sa.ForeignKeyConstraint(["created_by_id"], ["user_account.id"],
                                name=op.f("fk_standing_series_created_by_id_user_account"),
                                ondelete="RESTRICT"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_standing_series")),
    )
    with op.batch_alter_table("standing_series", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_standing_series_case_table_id"), ["case_table_id"],
                              unique=False)
        batch_op.create_index(batch_op.f("ix_standing_series_expert_id"), ["expert_id"],
                              unique=False)
    op.create_table(
        "standing_date",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("series_id", sa.Integer(), nullable=False),
        sa.Column("sitting_id", sa.Integer(), nullable=False),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("referral_id", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("conflict", sa.String(length=50), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "status IN ('offered', 'booked', 'declined', 'conflict', 'lapsed', 'cancelled')",
            name=op.f("ck_standing_date_status")),
        sa.CheckConstraint("status <> 'conflict' OR conflict IS NOT NULL",
                           name=op.f("ck_standing_date_conflict_has_rule")),
        sa.ForeignKeyConstraint(["series_id"], ["standing_series.id"],
                                name=op.f("fk_standing_date_series_id_standing_series"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["sitting_id"], ["sitting.id"],
                                name=op.f("fk_standing_date_sitting_id_sitting"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["referral_id"], ["referral.id"],
                                name=op.f("fk_standing_date_referral_id_referral"),
                                ondelete="RESTRICT"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_standing_date")),
        sa.UniqueConstraint("series_id", "sitting_id",
                            name=op.f("uq_standing_date_series_id_sitting_id")),
    )
    with op.batch_alter_table("standing_date", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_standing_date_sitting_id"), ["sitting_id"],
                              unique=False)
        batch_op.create_index(batch_op.f("ix_standing_date_referral_id"), ["referral_id"],
                              unique=False)


def downgrade():
    with op.batch_alter_table("standing_date", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_standing_date_referral_id"))
        batch_op.drop_index(batch_op.f("ix_standing_date_sitting_id"))
    op.drop_table("standing_date")
    with op.batch_alter_table("standing_series", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_standing_series_expert_id"))
        batch_op.drop_index(batch_op.f("ix_standing_series_case_table_id"))
    op.drop_table("standing_series")
