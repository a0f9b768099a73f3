"""Running totals of each expert's booked work, kept by the database, for the matcher.

Ranking a request weighs every eligible expert's booked minutes this month (the monthly
hours rule) and this year (fairness), and how often they worked at the request's case table
this year (continuity). Summing those from the bookings costs a scan of a year of bookings
per expert on every ranking; two tally tables hold the sums instead:

- workload_tally (expert, year, month): minutes and number of counted bookings;
- case_table_tally (expert, year, case table): number of counted bookings.

A booking counts when confirmed or completed, with its estimated minutes, in the
Europe/Amsterdam year and month of its start. Triggers on booking insert, update (status,
start, expert, minutes, case table) and delete apply each change as "take out the old, add
the new", whatever code path makes it. Rows are never deleted (a total may drop to zero) and
carry no foreign keys: derived data keyed by ids. tests/matching/test_workload_tallies.py
compares them with the bookings after every kind of change, on both databases.

Revision ID: 0013
Revises: 0012
"""
import sqlalchemy as sa
from alembic import op

from duidingspool.triggers import (
    create_triggers,
    drop_triggers,
    is_distinct,
    local_year_month_sql,
)

revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None

COUNTED = "('confirmed', 'completed')"
WATCHED = ("status", "starts_at", "expert_id", "estimated_minutes", "case_table_id")


def _apply(dialect: str, row: str, sign: str) -> list[str]:
    """Add `sign` x the booking `row` (NEW or OLD) to both tallies, if it counts."""
    year, month = local_year_month_sql(dialect, f"{row}.starts_at")
    counts = f"WHERE {row}.status IN {COUNTED}"
    return [
        "INSERT INTO workload_tally (expert_id, year, month, minutes, bookings)"
        f" SELECT {row}.expert_id, {year}, {month}, {sign} * {row}.estimated_minutes, {sign}"
        f" {counts} ON CONFLICT (expert_id, year, month) DO UPDATE SET"
        " minutes = workload_tally.minutes + excluded.minutes,"
        " bookings = workload_tally.bookings + excluded.bookings",
        "INSERT INTO case_table_tally (expert_id, year, case_table_id, bookings)"
        f" SELECT {row}.expert_id, {year}, {row}.case_table_id, {sign}"
        f" {counts} ON CONFLICT (expert_id, year, case_table_id) DO UPDATE SET"
        " bookings = case_table_tally.bookings + excluded.bookings",
    ]


def _triggers(dialect: str) -> list[tuple[str, str, str, str, list[str]]]:
    """(name, timing and event, table, condition, statements) of every trigger."""
    distinct = is_distinct(dialect)
    changed = " OR ".join(f"OLD.{c} {distinct} NEW.{c}" for c in WATCHED)
    return [
        ("workload_booking_insert", "AFTER INSERT", "booking", f"NEW.status IN {COUNTED}",
         _apply(dialect, "NEW", "1")),
        ("workload_booking_update", "AFTER UPDATE", "booking",
         f"(OLD.status IN {COUNTED} OR NEW.status IN {COUNTED}) AND ({changed})",
         _apply(dialect, "OLD", "-1") + _apply(dialect, "NEW", "1")),
        ("workload_booking_delete", "AFTER DELETE", "booking", f"OLD.status IN {COUNTED}",
         _apply(dialect, "OLD", "-1")),
    ]


def upgrade():
    dialect = op.get_bind().dialect.name
    op.create_table(
        'workload_tally',
        sa.Column('expert_id', sa.Integer(), nullable=False),
        sa.Column('year', sa.Integer(), nullable=False),
        sa.Column('month', sa.Integer(), nullable=False),
        sa.Column('minutes', sa.Integer(), nullable=False),
        sa.Column('bookings', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('expert_id', 'year', 'month', name=op.f('pk_workload_tally')),
    )
    op.create_table(
        'case_table_tally',
        sa.Column('expert_id', sa.Integer(), nullable=False),
        sa.Column('year', sa.Integer(), nullable=False),
        sa.Column('case_table_id', sa.Integer(), nullable=False),
        sa.Column('bookings', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('expert_id', 'year', 'case_table_id',
                                name=op.f('pk_case_table_tally')),
    )
    year, month = local_year_month_sql(dialect, "b.starts_at")
    counted = f"FROM booking AS b WHERE b.status IN {COUNTED}"
    op.execute("INSERT INTO workload_tally (expert_id, year, month, minutes, bookings)"
               f" SELECT b.expert_id, {year}, {month}, SUM(b.estimated_minutes), COUNT(*)"
               f" {counted} GROUP BY 1, 2, 3")
    op.execute("INSERT INTO case_table_tally (expert_id, year, case_table_id, bookings)"
               f" SELECT b.expert_id, {year}, b.case_table_id, COUNT(*) {counted}"
               " GROUP BY 1, 2, 3")
    create_triggers(op, dialect, _triggers(dialect))


def downgrade():
    dialect = op.get_bind().dialect.name
    drop_triggers(op, dialect, _triggers(dialect))
    op.drop_table('case_table_tally')
    op.drop_table('workload_tally')
