"""Running totals for the budget figures and the year report, kept by the database.

The year report and the budget add up every approved and submitted hour line of a year;
with hundreds of thousands of lines that is most of a second per figure. Two tally tables
hold those sums instead, and triggers keep them exact on every write, whatever code path
(or bulk statement) makes it:

- hour_tally (year, expert, category): approved lines, minutes and amount, and submitted
  (pending) lines, minutes and amount;
- money_tally (year, month, municipality of the request): approved (spent) and submitted
  (pending) amounts.

The year and month are those of the booking's session start in Europe/Amsterdam, as
everywhere in the budget. A line counts when approved or submitted. The triggers apply a
change as "take out the old contribution, add the new one": on hour_line insert, update and
delete; on booking when its start, expert or request changes; on referral when its
municipality changes. Tally rows are never deleted (a total may drop to zero) and carry no
foreign keys: they are derived data keyed by ids.

Also: referral.first_booked_at, the time its first booking was made (kept by triggers on
booking insert, update and delete), so the median time to booking needs no per-request subquery; and indexes
for the report's request counts per municipality and per expertise area.

Tests compare the tallies with the sums recomputed from the lines after every kind of change
(tests/reports/test_tallies.py), on both databases.

Revision ID: 0011
Revises: 0010
"""
import sqlalchemy as sa
from alembic import op

revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


# Frozen: what this migration took from the app when it was written, copied here as it was
# (a migration is history, so it imports nothing of the app). The column types as the app's
# UTCDateTime and Money rendered them: a timezone-aware DATETIME (timestamptz on PostgreSQL)
# and NUMERIC(12, 2), integer cents on SQLite. The trigger helpers of duidingspool/triggers.py,
# with the SQL they wrote as literal text.
UTC_DATETIME = sa.DateTime(timezone=True)
MONEY = sa.Numeric(12, 2).with_variant(sa.Integer(), 'sqlite')


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


COUNTED = "('approved', 'submitted')"
HOUR_FIGURES = ("approved_lines", "approved_minutes", "approved_amount",
                "pending_lines", "pending_minutes", "pending_amount")
MONEY_FIGURES = ("spent", "pending")


def _when(status: str, value: str) -> str:
    return f"SUM(CASE WHEN l.status = '{status}' THEN {value} ELSE 0 END)"


def _upserts(dialect: str, *, lines: str, starts_at: str, expert_id: str,
             municipality_id: str, sign: str, hours: bool = True) -> list[str]:
    """Statements adding `sign` x the contribution of the lines `lines` (a FROM clause with
    alias l, ending in a WHERE) to the tallies of bookings with the given start, expert and
    request municipality (SQL expressions). Grouped by the tally's key (ordinals: the key
    expressions may be per line), so no row is touched twice and no lines, no change."""
    year, month = _local_year_month(dialect, starts_at)
    statements = []
    if hours:
        figures = [_when("approved", "1"), _when("approved", "l.minutes"),
                   _when("approved", "l.amount"), _when("submitted", "1"),
                   _when("submitted", "l.minutes"), _when("submitted", "l.amount")]
        statements.append(
            f"INSERT INTO hour_tally (year, expert_id, category, {', '.join(HOUR_FIGURES)}) "
            f"SELECT {year}, {expert_id}, l.category, "
            + ", ".join(f"{sign} * {f}" for f in figures)
            + f" FROM {lines} AND l.status IN {COUNTED} GROUP BY 1, 2, 3"
            " ON CONFLICT (year, expert_id, category) DO UPDATE SET "
            + ", ".join(f"{c} = hour_tally.{c} + excluded.{c}" for c in HOUR_FIGURES))
    figures = [_when("approved", "l.amount"), _when("submitted", "l.amount")]
    statements.append(
        f"INSERT INTO money_tally (year, month, municipality_id, {', '.join(MONEY_FIGURES)}) "
        f"SELECT {year}, {month}, {municipality_id}, "
        + ", ".join(f"{sign} * {f}" for f in figures)
        + f" FROM {lines} AND l.status IN {COUNTED} GROUP BY 1, 2, 3"
        " ON CONFLICT (year, month, municipality_id) DO UPDATE SET "
        + ", ".join(f"{c} = money_tally.{c} + excluded.{c}" for c in MONEY_FIGURES))
    return statements


def _one_line(row: str) -> str:
    """The FROM clause for a single line row (NEW or OLD) of a trigger."""
    return (f"(SELECT {row}.category AS category, {row}.status AS status, "
            f"{row}.minutes AS minutes, {row}.amount AS amount) AS l WHERE true")


def _line_change(dialect: str, row: str, sign: str) -> list[str]:
    """Statements applying one hour line (NEW or OLD) to the tallies through its booking."""
    booking = f"(SELECT {{}} FROM booking WHERE booking.id = {row}.booking_id)"
    municipality = (f"(SELECT referral.municipality_id FROM booking JOIN referral"
                    f" ON referral.id = booking.referral_id WHERE booking.id = {row}.booking_id)")
    return _upserts(dialect, lines=_one_line(row), starts_at=booking.format("starts_at"),
                    expert_id=booking.format("expert_id"), municipality_id=municipality,
                    sign=sign)


def _first_booked(row: str) -> str:
    """Set the request's first_booked_at to the creation time of its earliest booking."""
    return ("UPDATE referral SET first_booked_at = (SELECT MIN(booking.created_at) FROM booking"
            f" WHERE booking.referral_id = {row}.referral_id) WHERE referral.id = {row}.referral_id")


def _triggers(dialect: str) -> list[tuple[str, str, str, str, list[str]]]:
    """(name, timing and event, table, condition, statements) of every trigger."""
    municipality_of = "(SELECT municipality_id FROM referral WHERE referral.id = {}.referral_id)"
    booking_lines = "hour_line AS l WHERE l.booking_id = NEW.id"
    referral_lines = ("hour_line AS l JOIN booking AS b ON b.id = l.booking_id"
                      " WHERE b.referral_id = NEW.id")
    distinct = _is_distinct(dialect)
    return [
        ("tally_hour_line_insert", "AFTER INSERT", "hour_line",
         f"NEW.status IN {COUNTED}", _line_change(dialect, "NEW", "1")),
        ("tally_hour_line_update", "AFTER UPDATE", "hour_line",
         f"OLD.status IN {COUNTED} OR NEW.status IN {COUNTED}",
         _line_change(dialect, "OLD", "-1") + _line_change(dialect, "NEW", "1")),
        ("tally_hour_line_delete", "AFTER DELETE", "hour_line",
         f"OLD.status IN {COUNTED}", _line_change(dialect, "OLD", "-1")),
        ("tally_booking_update", "AFTER UPDATE", "booking",
         " OR ".join(f"OLD.{c} {distinct} NEW.{c}"
                     for c in ("starts_at", "expert_id", "referral_id")),
         _upserts(dialect, lines=booking_lines, starts_at="OLD.starts_at",
                  expert_id="OLD.expert_id", municipality_id=municipality_of.format("OLD"),
                  sign="-1")
         + _upserts(dialect, lines=booking_lines, starts_at="NEW.starts_at",
                    expert_id="NEW.expert_id", municipality_id=municipality_of.format("NEW"),
                    sign="1")),
        ("tally_referral_update", "AFTER UPDATE", "referral",
         f"OLD.municipality_id {distinct} NEW.municipality_id",
         _upserts(dialect, lines=referral_lines, starts_at="b.starts_at", expert_id="b.expert_id",
                  municipality_id="OLD.municipality_id", sign="-1", hours=False)
         + _upserts(dialect, lines=referral_lines, starts_at="b.starts_at",
                    expert_id="b.expert_id", municipality_id="NEW.municipality_id", sign="1",
                    hours=False)),
        ("first_booking_insert", "AFTER INSERT", "booking", "true",
         [_first_booked("NEW")]),
        ("first_booking_update", "AFTER UPDATE", "booking",
         f"OLD.created_at {distinct} NEW.created_at OR OLD.referral_id {distinct} NEW.referral_id",
         [_first_booked("NEW"), _first_booked("OLD")]),
        ("first_booking_delete", "AFTER DELETE", "booking", "true", [_first_booked("OLD")]),
    ]


def _grouped_statements(dialect: str) -> list[str]:
    """Fill the tallies from the data already there (one grouped pass)."""
    year, month = _local_year_month(dialect, "b.starts_at")
    figures = [_when("approved", "1"), _when("approved", "l.minutes"),
               _when("approved", "l.amount"), _when("submitted", "1"),
               _when("submitted", "l.minutes"), _when("submitted", "l.amount")]
    counted = (f"FROM hour_line AS l JOIN booking AS b ON b.id = l.booking_id"
               f" JOIN referral AS r ON r.id = b.referral_id WHERE l.status IN {COUNTED}")
    return [
        f"INSERT INTO hour_tally (year, expert_id, category, {', '.join(HOUR_FIGURES)}) "
        f"SELECT {year}, b.expert_id, l.category, {', '.join(figures)} {counted} "
        "GROUP BY 1, 2, 3",
        f"INSERT INTO money_tally (year, month, municipality_id, {', '.join(MONEY_FIGURES)}) "
        f"SELECT {year}, {month}, r.municipality_id, "
        f"{_when('approved', 'l.amount')}, {_when('submitted', 'l.amount')} {counted} "
        "GROUP BY 1, 2, 3",
        "UPDATE referral SET first_booked_at = (SELECT MIN(booking.created_at) FROM booking"
        " WHERE booking.referral_id = referral.id)",
    ]


def upgrade():
    dialect = op.get_bind().dialect.name
    op.create_table(
        'hour_tally',
        sa.Column('year', sa.Integer(), nullable=False),
        sa.Column('expert_id', sa.Integer(), nullable=False),
        sa.Column('category', sa.String(length=20), nullable=False),
        sa.Column('approved_lines', sa.Integer(), nullable=False),
        sa.Column('approved_minutes', sa.Integer(), nullable=False),
        sa.Column('approved_amount', MONEY, nullable=False),
        sa.Column('pending_lines', sa.Integer(), nullable=False),
        sa.Column('pending_minutes', sa.Integer(), nullable=False),
        sa.Column('pending_amount', MONEY, nullable=False),
        sa.PrimaryKeyConstraint('year', 'expert_id', 'category', name=op.f('pk_hour_tally')),
    )
    op.create_table(
        'money_tally',
        sa.Column('year', sa.Integer(), nullable=False),
        sa.Column('month', sa.Integer(), nullable=False),
        sa.Column('municipality_id', sa.Integer(), nullable=False),
        sa.Column('spent', MONEY, nullable=False),
        sa.Column('pending', MONEY, nullable=False),
        sa.PrimaryKeyConstraint('year', 'month', 'municipality_id',
                                name=op.f('pk_money_tally')),
    )
    with op.batch_alter_table('referral') as batch:
        batch.add_column(sa.Column('first_booked_at', UTC_DATETIME, nullable=True))
    op.drop_index('ix_referral_created_at_status', table_name='referral')
    op.create_index('ix_referral_created_at_status', 'referral',
                    ['created_at', 'status', 'municipality_id', 'first_booked_at'])
    op.drop_index('ix_referral_municipality_id', table_name='referral')
    op.create_index('ix_referral_municipality_id_created_at', 'referral',
                    ['municipality_id', 'created_at', 'status'])
    op.drop_index('ix_referral_expertise_expertise_area_id', table_name='referral_expertise')
    op.create_index('ix_referral_expertise_expertise_area_id', 'referral_expertise',
                    ['expertise_area_id', 'referral_id'])

    for statement in _grouped_statements(dialect):
        op.execute(statement)
    _create_triggers(dialect, _triggers(dialect))


def downgrade():
    dialect = op.get_bind().dialect.name
    _drop_triggers(dialect, _triggers(dialect))
    op.drop_index('ix_referral_expertise_expertise_area_id', table_name='referral_expertise')
    op.create_index('ix_referral_expertise_expertise_area_id', 'referral_expertise',
                    ['expertise_area_id'])
    op.drop_index('ix_referral_municipality_id_created_at', table_name='referral')
    op.create_index('ix_referral_municipality_id', 'referral', ['municipality_id'])
    op.drop_index('ix_referral_created_at_status', table_name='referral')
    op.create_index('ix_referral_created_at_status', 'referral',
                    ['created_at', 'status', 'municipality_id'])
    with op.batch_alter_table('referral') as batch:
        batch.drop_column('first_booked_at')
    op.drop_table('money_tally')
    op.drop_table('hour_tally')
