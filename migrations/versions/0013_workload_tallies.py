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

revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


# Frozen: the trigger helpers this migration took from the app (duidingspool/triggers.py)
# when it was written, copied here as they were, with the SQL they wrote as literal text (a
# migration is history, so it imports nothing of the app).
def _local_year_month(dialect: str, column: str) -> tuple[str, str]:
    """SQL for the Europe/Amsterdam year and month (integers) of a UTC datetime column.

    PostgreSQL converts with its time zone database. SQLite has none: there the EU rule
    (summer time from the last Sunday of March 01:00 UTC to the last Sunday of October
    01:00 UTC, +2 hours, else +1 hour; the first Sunday on or after 25 March (October) is
    the last Sunday of that month) is spelled out on the 'YYYY-MM-DD HH:MM:SS...' UTC text
    SQLite's datetime columns hold, so text comparison is time comparison.
    """
    if dialect == "postgresql":
        year = ("CAST(EXTRACT(YEAR FROM CAST(timezone('Europe/Amsterdam', {c}) AS DATE))"
                " AS INTEGER)")
        month = ("CAST(EXTRACT(MONTH FROM CAST(timezone('Europe/Amsterdam', {c}) AS DATE))"
                 " AS INTEGER)")
    else:
        year = ("CAST(substr(date({c}, CASE WHEN {c} >= date(substr({c}, 1, 4) || '-03-25',"
                " 'weekday 0') || ' 01:00:00' AND {c} < date(substr({c}, 1, 4) || '-10-25',"
                " 'weekday 0') || ' 01:00:00' THEN '+2 hours' ELSE '+1 hours' END), 1, 4)"
                " AS INTEGER)")
        month = ("CAST(substr(date({c}, CASE WHEN {c} >= date(substr({c}, 1, 4) || '-03-25',"
                 " 'weekday 0') || ' 01:00:00' AND {c} < date(substr({c}, 1, 4) || '-10-25',"
                 " 'weekday 0') || ' 01:00:00' THEN '+2 hours' ELSE '+1 hours' END), 6, 2)"
                 " AS INTEGER)")
    return year.replace("{c}", column), month.replace("{c}", column)


def _is_distinct(dialect: str) -> str:
    """The NULL-safe "differs" operator."""
    return "IS DISTINCT FROM" if dialect == "postgresql" else "IS NOT"


def _create_triggers(dialect: str, triggers: list[tuple[str, str, str, str, list[str]]]) -> None:
    """(name, timing and event, table, condition, statements): on PostgreSQL a plpgsql
    function plus a row trigger, on SQLite a row trigger with the statements as its body."""
    for name, event, table, condition, statements in triggers:
        body = ";\n".join(statements)
        if dialect == "postgresql":
            op.execute(f"CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$\n"
                       f"BEGIN\n{body};\nRETURN NULL;\nEND\n$$")
            op.execute(f"CREATE TRIGGER {name} {event} ON {table} FOR EACH ROW"
                       f" WHEN ({condition}) EXECUTE FUNCTION {name}()")
        else:
            op.execute(f"CREATE TRIGGER {name} {event} ON {table} FOR EACH ROW"
                       f" WHEN {condition}\nBEGIN\n{body};\nEND")


def _drop_triggers(dialect: str, triggers: list[tuple[str, str, str, str, list[str]]]) -> None:
    for name, _event, table, _condition, _statements in triggers:
        if dialect == "postgresql":
            op.execute(f"DROP TRIGGER IF EXISTS {name} ON {table}")
            op.execute(f"DROP FUNCTION IF EXISTS {name}()")
        else:
            op.execute(f"DROP TRIGGER IF EXISTS {name}")


COUNTED = "('confirmed', 'completed')"
WATCHED = ("status", "starts_at", "expert_id", "estimated_minutes", "case_table_id")


def _apply(dialect: str, row: str, sign: str) -> list[str]:
    """Add `sign` x the booking `row` (NEW or OLD) to both tallies, if it counts."""
    year, month = _local_year_month(dialect, f"{row}.starts_at")
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
    distinct = _is_distinct(dialect)
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
    year, month = _local_year_month(dialect, "b.starts_at")
    counted = f"FROM booking AS b WHERE b.status IN {COUNTED}"
    op.execute("INSERT INTO workload_tally (expert_id, year, month, minutes, bookings)"
               f" SELECT b.expert_id, {year}, {month}, SUM(b.estimated_minutes), COUNT(*)"
               f" {counted} GROUP BY 1, 2, 3")
    op.execute("INSERT INTO case_table_tally (expert_id, year, case_table_id, bookings)"
               f" SELECT b.expert_id, {year}, b.case_table_id, COUNT(*) {counted}"
               " GROUP BY 1, 2, 3")
    _create_triggers(dialect, _triggers(dialect))


def downgrade():
    dialect = op.get_bind().dialect.name
    _drop_triggers(dialect, _triggers(dialect))
    op.drop_table('case_table_tally')
    op.drop_table('workload_tally')
