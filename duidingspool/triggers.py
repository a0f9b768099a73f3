"""SQL for the database triggers that keep derived tables (migrations 0011-0013), written once
for SQLite and PostgreSQL, and the Europe/Amsterdam date of a UTC column in SQL.

A trigger is given as (name, timing and event, table, condition, statements): on
PostgreSQL it becomes a plpgsql function plus a row trigger, on SQLite a row trigger with
the statements as its body. Both run the same statements, with NEW and OLD.
"""

from __future__ import annotations

Trigger = tuple[str, str, str, str, list[str]]


def local_date_sql(dialect: str, column: str) -> str:
    """SQL for the Europe/Amsterdam calendar date of a UTC datetime column.

    PostgreSQL converts with its time zone database. SQLite has none: there the EU rule
    (summer time from the last Sunday of March 01:00 UTC to the last Sunday of October
    01:00 UTC, +2 hours, else +1 hour) is spelled out; UTCDateTime stores UTC wall time as
    'YYYY-MM-DD HH:MM:SS...' text, so text comparison is time comparison.
    """
    c = column
    if dialect == "postgresql":
        return f"CAST(timezone('Europe/Amsterdam', {c}) AS DATE)"
    # The first Sunday on or after 25 March (October) is the last Sunday of that month.
    return (f"date({c}, CASE WHEN {c} >= date(substr({c}, 1, 4) || '-03-25', 'weekday 0')"
            f" || ' 01:00:00' AND {c} < date(substr({c}, 1, 4) || '-10-25', 'weekday 0')"
            f" || ' 01:00:00' THEN '+2 hours' ELSE '+1 hours' END)")


def local_year_month_sql(dialect: str, column: str) -> tuple[str, str]:
    """SQL for the Europe/Amsterdam year and month (integers) of a UTC datetime column."""
    day = local_date_sql(dialect, column)
    if dialect == "postgresql":
        return (f"CAST(EXTRACT(YEAR FROM {day}) AS INTEGER)",
                f"CAST(EXTRACT(MONTH FROM {day}) AS INTEGER)")
    return f"CAST(substr({day}, 1, 4) AS INTEGER)", f"CAST(substr({day}, 6, 2) AS INTEGER)"


def is_distinct(dialect: str) -> str:
    """The NULL-safe "differs" operator."""
    return "IS DISTINCT FROM" if dialect == "postgresql" else "IS NOT"


def create_triggers(op, dialect: str, triggers: list[Trigger]) -> None:
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


def drop_triggers(op, dialect: str, triggers: list[Trigger]) -> None:
    for name, _event, table, _condition, _statements in triggers:
        if dialect == "postgresql":
            op.execute(f"DROP TRIGGER IF EXISTS {name} ON {table}")
            op.execute(f"DROP FUNCTION IF EXISTS {name}()")
        else:
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
