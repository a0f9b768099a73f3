"""SQLite's tally triggers take the local date from the app's one definition.

The tally triggers of migrations 0011 (hour_tally, money_tally) and 0013 (workload_tally,
case_table_tally) key their rows by the Europe/Amsterdam year and month of a booking's start.
On SQLite they worked these out with the EU summer-time rule spelled out in SQL, while the
app works them out from the time zone database (timeutil.local_date, zoneinfo): two
definitions of one thing. The app now registers timeutil.local_date on every SQLite
connection as the SQL function local_date(ts) (db._configure_sqlite_connection), and the
eight triggers whose SQL held the EU rule call it instead:

    year:  CAST(substr(local_date(ts), 1, 4) AS INTEGER)
    month: CAST(substr(local_date(ts), 6, 2) AS INTEGER)

which is what db.local_year and db.local_month render on SQLite. The other triggers do not
compute local dates and stay. PostgreSQL's triggers already convert with
timezone('Europe/Amsterdam', ...), the server's time zone database; they stay as they are.

Both definitions agree on every instant since 1996, when the EU rule took its present form
(tests/test_local_date.py checks every switch from 2000 to 2100), so the tallies kept so far
stay valid and are not recomputed.

Consequence: on SQLite, writing hour lines, bookings or requests needs local_date(), which
only the app's connections have (the app, `duidingspool db upgrade`, `duidingspool demo`, the
other CLI commands). A plain sqlite3 shell can still read everything, but its writes to those
tables fail with "no such function: local_date".

Like every migration this one is history and imports nothing of the app: the triggers are
built here by copies of the 0011 and 0013 builders, and the downgrade writes 0013's SQL back.

Revision ID: 0014
Revises: 0013
"""
from alembic import op

revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def _eu_rule_year_month(column: str) -> tuple[str, str]:
    """The SQL of 0011 and 0013 on SQLite: the EU summer-time rule (+2 hours from the last
    Sunday of March 01:00 UTC to the last Sunday of October 01:00 UTC, else +1 hour)."""
    year = ("CAST(substr(date({c}, CASE WHEN {c} >= date(substr({c}, 1, 4) || '-03-25',"
            " 'weekday 0') || ' 01:00:00' AND {c} < date(substr({c}, 1, 4) || '-10-25',"
            " 'weekday 0') || ' 01:00:00' THEN '+2 hours' ELSE '+1 hours' END), 1, 4)"
            " AS INTEGER)")
    month = ("CAST(substr(date({c}, CASE WHEN {c} >= date(substr({c}, 1, 4) || '-03-25',"
             " 'weekday 0') || ' 01:00:00' AND {c} < date(substr({c}, 1, 4) || '-10-25',"
             " 'weekday 0') || ' 01:00:00' THEN '+2 hours' ELSE '+1 hours' END), 6, 2)"
             " AS INTEGER)")
    return year.replace("{c}", column), month.replace("{c}", column)


def _function_year_month(column: str) -> tuple[str, str]:
    """The app's local_date() function, registered on every SQLite connection."""
    return (f"CAST(substr(local_date({column}), 1, 4) AS INTEGER)",
            f"CAST(substr(local_date({column}), 6, 2) AS INTEGER)")


# The triggers of 0011 that compute a local year and month, built as 0011 builds them on
# SQLite, with the year and month SQL given by `year_month`.

LINES_COUNTED = "('approved', 'submitted')"
HOUR_FIGURES = ("approved_lines", "approved_minutes", "approved_amount",
                "pending_lines", "pending_minutes", "pending_amount")
MONEY_FIGURES = ("spent", "pending")


def _when(status: str, value: str) -> str:
    return f"SUM(CASE WHEN l.status = '{status}' THEN {value} ELSE 0 END)"


def _upserts(year_month, *, lines: str, starts_at: str, expert_id: str,
             municipality_id: str, sign: str, hours: bool = True) -> list[str]:
    """Statements adding `sign` x the contribution of the lines `lines` (a FROM clause with
    alias l, ending in a WHERE) to the tallies of bookings with the given start, expert and
    request municipality (SQL expressions)."""
    year, month = year_month(starts_at)
    statements = []
    if hours:
        figures = [_when("approved", "1"), _when("approved", "l.minutes"),
                   _when("approved", "l.amount"), _when("submitted", "1"),
                   _when("submitted", "l.minutes"), _when("submitted", "l.amount")]
        statements.append(
            f"INSERT INTO hour_tally (year, expert_id, category, {', '.join(HOUR_FIGURES)}) "
            f"SELECT {year}, {expert_id}, l.category, "
            + ", ".join(f"{sign} * {f}" for f in figures)
            + f" FROM {lines} AND l.status IN {LINES_COUNTED} GROUP BY 1, 2, 3"
            " ON CONFLICT (year, expert_id, category) DO UPDATE SET "
            + ", ".join(f"{c} = hour_tally.{c} + excluded.{c}" for c in HOUR_FIGURES))
    figures = [_when("approved", "l.amount"), _when("submitted", "l.amount")]
    statements.append(
        f"INSERT INTO money_tally (year, month, municipality_id, {', '.join(MONEY_FIGURES)}) "
        f"SELECT {year}, {month}, {municipality_id}, "
        + ", ".join(f"{sign} * {f}" for f in figures)
        + f" FROM {lines} AND l.status IN {LINES_COUNTED} GROUP BY 1, 2, 3"
        " ON CONFLICT (year, month, municipality_id) DO UPDATE SET "
        + ", ".join(f"{c} = money_tally.{c} + excluded.{c}" for c in MONEY_FIGURES))
    return statements


def _one_line(row: str) -> str:
    return (f"(SELECT {row}.category AS category, {row}.status AS status, "
            f"{row}.minutes AS minutes, {row}.amount AS amount) AS l WHERE true")


def _line_change(year_month, row: str, sign: str) -> list[str]:
    booking = f"(SELECT {{}} FROM booking WHERE booking.id = {row}.booking_id)"
    municipality = (f"(SELECT referral.municipality_id FROM booking JOIN referral"
                    f" ON referral.id = booking.referral_id WHERE booking.id = {row}.booking_id)")
    return _upserts(year_month, lines=_one_line(row), starts_at=booking.format("starts_at"),
                    expert_id=booking.format("expert_id"), municipality_id=municipality,
                    sign=sign)


def _tally_triggers(year_month) -> list[tuple[str, str, str, str, list[str]]]:
    municipality_of = "(SELECT municipality_id FROM referral WHERE referral.id = {}.referral_id)"
    booking_lines = "hour_line AS l WHERE l.booking_id = NEW.id"
    referral_lines = ("hour_line AS l JOIN booking AS b ON b.id = l.booking_id"
                      " WHERE b.referral_id = NEW.id")
    return [
        ("tally_hour_line_insert", "AFTER INSERT", "hour_line",
         f"NEW.status IN {LINES_COUNTED}", _line_change(year_month, "NEW", "1")),
        ("tally_hour_line_update", "AFTER UPDATE", "hour_line",
         f"OLD.status IN {LINES_COUNTED} OR NEW.status IN {LINES_COUNTED}",
         _line_change(year_month, "OLD", "-1") + _line_change(year_month, "NEW", "1")),
        ("tally_hour_line_delete", "AFTER DELETE", "hour_line",
         f"OLD.status IN {LINES_COUNTED}", _line_change(year_month, "OLD", "-1")),
        ("tally_booking_update", "AFTER UPDATE", "booking",
         " OR ".join(f"OLD.{c} IS NOT NEW.{c}" for c in ("starts_at", "expert_id", "referral_id")),
         _upserts(year_month, lines=booking_lines, starts_at="OLD.starts_at",
                  expert_id="OLD.expert_id", municipality_id=municipality_of.format("OLD"),
                  sign="-1")
         + _upserts(year_month, lines=booking_lines, starts_at="NEW.starts_at",
                    expert_id="NEW.expert_id", municipality_id=municipality_of.format("NEW"),
                    sign="1")),
        ("tally_referral_update", "AFTER UPDATE", "referral",
         "OLD.municipality_id IS NOT NEW.municipality_id",
         _upserts(year_month, lines=referral_lines, starts_at="b.starts_at",
                  expert_id="b.expert_id", municipality_id="OLD.municipality_id", sign="-1",
                  hours=False)
         + _upserts(year_month, lines=referral_lines, starts_at="b.starts_at",
                    expert_id="b.expert_id", municipality_id="NEW.municipality_id", sign="1",
                    hours=False)),
    ]


# The triggers of 0013, built as 0013 builds them on SQLite.

BOOKINGS_COUNTED = "('confirmed', 'completed')"
WATCHED = ("status", "starts_at", "expert_id", "estimated_minutes", "case_table_id")


def _apply(year_month, row: str, sign: str) -> list[str]:
    year, month = year_month(f"{row}.starts_at")
    counts = f"WHERE {row}.status IN {BOOKINGS_COUNTED}"
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


def _workload_triggers(year_month) -> list[tuple[str, str, str, str, list[str]]]:
    changed = " OR ".join(f"OLD.{c} IS NOT NEW.{c}" for c in WATCHED)
    return [
        ("workload_booking_insert", "AFTER INSERT", "booking",
         f"NEW.status IN {BOOKINGS_COUNTED}", _apply(year_month, "NEW", "1")),
        ("workload_booking_update", "AFTER UPDATE", "booking",
         f"(OLD.status IN {BOOKINGS_COUNTED} OR NEW.status IN {BOOKINGS_COUNTED})"
         f" AND ({changed})",
         _apply(year_month, "OLD", "-1") + _apply(year_month, "NEW", "1")),
        ("workload_booking_delete", "AFTER DELETE", "booking",
         f"OLD.status IN {BOOKINGS_COUNTED}", _apply(year_month, "OLD", "-1")),
    ]


def _replace_triggers(year_month) -> None:
    for name, event, table, condition, statements in (
            _tally_triggers(year_month) + _workload_triggers(year_month)):
        body = ";\n".join(statements)
        op.execute(f"DROP TRIGGER IF EXISTS {name}")
        op.execute(f"CREATE TRIGGER {name} {event} ON {table} FOR EACH ROW"
                   f" WHEN {condition}\nBEGIN\n{body};\nEND")


def upgrade():
    if op.get_bind().dialect.name == "sqlite":
        _replace_triggers(_function_year_month)


def downgrade():
    if op.get_bind().dialect.name == "sqlite":
        _replace_triggers(_eu_rule_year_month)
