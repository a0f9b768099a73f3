"""SQL building blocks for money figures: rates on a date, year and month bounds.

Everything here runs as aggregates in the database (GROUP BY), so the number of statements
behind a budget page or year report does not grow with the number of bookings.
"""

from __future__ import annotations

from datetime import date, datetime, time, timezone
from decimal import Decimal

from sqlalchemy import Float, Numeric, case, select
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.expression import FunctionElement

from duidingspool.db import to_money
from duidingspool.experts.models import ExpertRate
from duidingspool.extensions import db
from duidingspool.timeutil import LOCAL_TZ

# A plain exact numeric for raw sums (Money would convert cents on SQLite twice).
RAW = Numeric(30, 6, asdecimal=True)


class seconds_between(FunctionElement):  # noqa: N801
    """Seconds from the first datetime column to the second, as a float, in SQL."""

    type = Float()
    inherit_cache = True
    name = "seconds_between"


@compiles(seconds_between, "postgresql")
def _seconds_pg(element, compiler, **kw):
    start, end = (compiler.process(c, **kw) for c in element.clauses)
    return f"EXTRACT(EPOCH FROM ({end} - {start}))"


@compiles(seconds_between)
def _seconds_sqlite(element, compiler, **kw):
    start, end = (compiler.process(c, **kw) for c in element.clauses)
    return f"((julianday({end}) - julianday({start})) * 86400.0)"


def local_midnight(day: date) -> datetime:
    """The UTC instant at which `day` starts in Europe/Amsterdam."""
    return datetime.combine(day, time.min, LOCAL_TZ).astimezone(timezone.utc)


def year_bounds(year: int) -> tuple[datetime, datetime]:
    """UTC start and end of a calendar year in Europe/Amsterdam."""
    return local_midnight(date(year, 1, 1)), local_midnight(date(year + 1, 1, 1))


def month_starts(year: int) -> list[datetime]:
    """The 13 UTC instants at which the year's months (and the next year) start locally."""
    return [local_midnight(date(year, m, 1)) for m in range(1, 13)] + [
        local_midnight(date(year + 1, 1, 1))]


def month_of(column, year: int):
    """SQL: the local month (1-12) of a datetime column known to lie within `year`."""
    starts = month_starts(year)
    return case(*[(column < starts[m], m) for m in range(1, 12)], else_=12)


def rate_on(expert_id_column, day_expression):
    """SQL: the hourly rate of the expert valid on the day (latest valid_from <= day)."""
    return (
        select(ExpertRate.hourly_rate)
        .where(ExpertRate.expert_id == expert_id_column, ExpertRate.valid_from <= day_expression)
        .order_by(ExpertRate.valid_from.desc())
        .limit(1)
        .correlate_except(ExpertRate)
        .scalar_subquery()
    )


def money_factor() -> Decimal:
    """What a raw SQL sum of Money columns must be divided by to give euros.

    Money is integer cents on SQLite and NUMERIC euros on PostgreSQL.
    """
    return Decimal(100) if db.session.get_bind().dialect.name == "sqlite" else Decimal(1)


def raw_money(value, *, per: int = 1) -> Decimal:
    """A raw SQL sum of Money (times `per`, e.g. minutes per hour: 60) in euros, exact."""
    if value is None:
        return Decimal("0.00")
    return Decimal(value) / (money_factor() * per)


def cents(value: Decimal) -> Decimal:
    """Rounded to the cent, half up."""
    return to_money(value) if value is not None else Decimal("0.00")

