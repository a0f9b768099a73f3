"""Urgent requests and the on-call rota: a request's urgent answer deadline (set when it is
filed less than URGENT_LEAD_HOURS before its session), the rota's weekly pattern (a start
week and the experts in turn) and its overrides per week (another expert, or nobody).

Revision ID: 0020
Revises: 0019
"""
import sqlalchemy as sa
from alembic import op

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("referral", schema=None) as batch_op:
        batch_op.add_column(sa.Column("urgent_answer_hours", sa.SmallInteger(), nullable=True))
        batch_op.add_column(sa.Column("answer_due_at", sa.DateTime(timezone=True),
                                      nullable=True))
    op.create_table(
        "oncall_rota",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("id = 1", name=op.f("ck_oncall_rota_single")),
        sa.CheckConstraint("version >= 0", name=op.f("ck_oncall_rota_version")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_oncall_rota")),
    )
    op.create_table(
        "oncall_member",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("expert_id", sa.Integer(), nullable=False),
        sa.CheckConstraint("position >= 0", name=op.f("ck_oncall_member_position")),
        sa.ForeignKeyConstraint(["expert_id"], ["expert.id"],
                                name=op.f("fk_oncall_member_expert_id_expert"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_oncall_member")),
        sa.UniqueConstraint("position", name=op.f("uq_oncall_member_position")),
        sa.UniqueConstraint("expert_id", name=op.f("uq_oncall_member_expert_id")),
    )
    op.create_table(
        "oncall_override",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("week_start", sa.Date(), nullable=False),
        sa.Column("expert_id", sa.Integer(), nullable=True),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("kind IN ('holiday', 'swap', 'other')",
                           name=op.f("ck_oncall_override_kind")),
        sa.ForeignKeyConstraint(["expert_id"], ["expert.id"],
                                name=op.f("fk_oncall_override_expert_id_expert"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["created_by_id"], ["user_account.id"],
                                name=op.f("fk_oncall_override_created_by_id_user_account"),
                                ondelete="RESTRICT"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_oncall_override")),
        sa.UniqueConstraint("week_start", name=op.f("uq_oncall_override_week_start")),
    )


def downgrade():
    op.drop_table("oncall_override")
    op.drop_table("oncall_member")
    op.drop_table("oncall_rota")
    if op.get_bind().dialect.name == "sqlite":
        # Natively (SQLite 3.35+): a batch rebuild of the table would drop its triggers.
        op.execute("ALTER TABLE referral DROP COLUMN answer_due_at")
        op.execute("ALTER TABLE referral DROP COLUMN urgent_answer_hours")
    else:
        with op.batch_alter_table("referral", schema=None) as batch_op:
            batch_op.drop_column("answer_due_at")
            batch_op.drop_column("urgent_answer_hours")
