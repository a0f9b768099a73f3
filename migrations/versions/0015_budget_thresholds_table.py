"""Budget warning thresholds as rows of their own instead of a comma-separated string.

budget.thresholds held text such as "75,90,100"; every reader split and parsed it, and
nothing in the database kept it to whole percentages. budget_threshold holds one row per
(budget, percent), each a whole number from 1 to 1000, and is copied from the old column,
which is then dropped. Downgrade writes the string back from the rows.

Revision ID: 0015
Revises: 0014
"""
import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "budget_threshold",
        sa.Column("budget_id", sa.Integer(), nullable=False),
        sa.Column("percent", sa.Integer(), nullable=False),
        sa.CheckConstraint("percent BETWEEN 1 AND 1000", name=op.f("ck_budget_threshold_percent")),
        sa.ForeignKeyConstraint(["budget_id"], ["budget.id"],
                                name=op.f("fk_budget_threshold_budget_id_budget"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("budget_id", "percent", name=op.f("pk_budget_threshold")),
    )
    bind = op.get_bind()
    rows = bind.execute(sa.text("SELECT id, thresholds FROM budget")).all()
    threshold = sa.table("budget_threshold", sa.column("budget_id"), sa.column("percent"))
    values = [{"budget_id": budget_id, "percent": percent}
              for budget_id, text in rows
              for percent in sorted({int(part) for part in (text or "").split(",")
                                     if part.strip()})]
    if values:
        op.bulk_insert(threshold, values)
    with op.batch_alter_table("budget", schema=None) as batch_op:
        batch_op.drop_column("thresholds")


def downgrade():
    with op.batch_alter_table("budget", schema=None) as batch_op:
        batch_op.add_column(sa.Column("thresholds", sa.String(length=50), nullable=False,
                                      server_default="75,90,100"))
    bind = op.get_bind()
    rows = bind.execute(sa.text(
        "SELECT budget_id, percent FROM budget_threshold ORDER BY budget_id, percent")).all()
    by_budget: dict[int, list[str]] = {}
    for budget_id, percent in rows:
        by_budget.setdefault(budget_id, []).append(str(percent))
    for budget_id, percents in by_budget.items():
        bind.execute(sa.text("UPDATE budget SET thresholds = :t WHERE id = :id"),
                     {"t": ",".join(percents), "id": budget_id})
    with op.batch_alter_table("budget", schema=None) as batch_op:
        batch_op.alter_column("thresholds", server_default=None)
    op.drop_table("budget_threshold")
