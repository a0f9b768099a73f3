"""One local date: the Europe/Amsterdam date, year and month of a UTC instant are the same in
Python (timeutil.local_date), in app queries (db.local_date, local_year, local_month) and in
the tally triggers, on each database, at every daylight saving switch from 2000 to 2100 and
at every local month start around them. The expected values come from zoneinfo itself."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from functools import cache
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Integer, column, literal, literal_column, select, text, update, values

from duidingspool import timeutil
from duidingspool.bookings.models import Booking, WorkloadTally
from duidingspool.db import UTCDateTime, local_date, local_month, local_year
from duidingspool.extensions import db
from duidingspool.hours.models import HourTally, MoneyTally
from tests.hours.helpers import Priced

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
UTC = timezone.utc
FIRST_YEAR, LAST_YEAR = 2000, 2100
MINUTE = timedelta(minutes=1)


@cache
def _switches() -> tuple[datetime, ...]:
    """The UTC instants (to the second) at which Amsterdam's UTC offset changes."""

    def offset(seconds: int) -> timedelta:
        return datetime.fromtimestamp(seconds, AMSTERDAM).utcoffset()

    day = 86400
    start = int(datetime(FIRST_YEAR, 1, 1, tzinfo=UTC).timestamp())
    end = int(datetime(LAST_YEAR + 1, 1, 1, tzinfo=UTC).timestamp())
    found = []
    for at in range(start, end, day):
        if offset(at) != offset(at + day):
            low, high = at, at + day  # the old offset at low, the new one at high
            while high - low > 1:
                middle = (low + high) // 2
                low, high = (middle, high) if offset(middle) == offset(low) else (low, middle)
            found.append(datetime.fromtimestamp(high, UTC))
    return tuple(found)


def _month_starts() -> list[datetime]:
    """The UTC instants at which each local month of the years starts."""
    return [datetime(year, month, 1, tzinfo=AMSTERDAM).astimezone(UTC)
            for year in range(FIRST_YEAR, LAST_YEAR + 1) for month in range(1, 13)]


def _around(instants) -> list[datetime]:
    return [at + step for at in instants for step in (-MINUTE, timedelta(0), MINUTE)]


def _expected(at: datetime) -> tuple[date, int, int]:
    local = at.astimezone(AMSTERDAM)
    return local.date(), local.year, local.month


def test_zoneinfo_has_two_switches_a_year():
    switches = _switches()
    assert len(switches) == 2 * (LAST_YEAR - FIRST_YEAR + 1)
    assert [at.year for at in switches] == sorted(
        2 * list(range(FIRST_YEAR, LAST_YEAR + 1)))


def test_local_date_in_python_is_zoneinfo_around_every_switch():
    moments = _around(_switches()) + _around(_month_starts())
    assert [timeutil.local_date(at) for at in moments] == [_expected(at)[0] for at in moments]


def test_local_date_in_python_refuses_a_naive_datetime():
    with pytest.raises(ValueError):
        timeutil.local_date(datetime(2026, 3, 29, 1, 0))


def test_local_date_year_and_month_in_sql_are_zoneinfo_around_every_switch(app):
    moments = _around(_switches()) + _around(_month_starts())
    table = values(column("i", Integer()), column("at", UTCDateTime()), name="moments").data(
        list(enumerate(moments))).cte("moments")
    rows = db.session.execute(
        select(table.c.i, local_date(table.c.at), local_year(table.c.at),
               local_month(table.c.at))
        .order_by(table.c.i)).all()
    assert [tuple(row) for row in rows] == [
        (i, *_expected(at)) for i, at in enumerate(moments)]


def test_local_date_of_null_is_null(app):
    assert db.session.execute(
        select(local_date(literal(None, UTCDateTime())), local_year(literal(None, UTCDateTime())))
    ).one() == (None, None)


def test_tally_triggers_compute_year_and_month_with_the_app_sql(app):
    """The triggers run exactly the SQL db.local_year and db.local_month render, and none
    spells out a summer-time rule of its own."""
    connection = db.session.connection()
    if connection.dialect.name == "postgresql":
        bodies = dict(db.session.execute(text(
            "SELECT t.tgname, pg_get_functiondef(t.tgfoid) FROM pg_trigger AS t"
            " WHERE NOT t.tgisinternal")).all())
    else:
        bodies = dict(db.session.execute(text(
            "SELECT name, sql FROM sqlite_master WHERE type = 'trigger'")).all())
    starts_at = literal_column("NEW.starts_at")
    year, month = (str(expression.compile(connection)) for expression in (
        local_year(starts_at), local_month(starts_at)))
    assert (f"NEW.expert_id, {year}, {month}, 1 * NEW.estimated_minutes"
            in bodies["workload_booking_insert"])
    assert [name for name, body in bodies.items() if "weekday" in body] == []


def _nonzero_keys():
    db.session.flush()
    return (
        set(db.session.execute(select(WorkloadTally.expert_id, WorkloadTally.year,
                                      WorkloadTally.month).where(WorkloadTally.bookings != 0))),
        set(db.session.execute(select(HourTally.year, HourTally.expert_id)
                               .where(HourTally.approved_lines != 0))),
        set(db.session.execute(select(MoneyTally.year, MoneyTally.month,
                                      MoneyTally.municipality_id)
                               .where(MoneyTally.spent != 0))),
    )


def test_tally_triggers_keep_the_local_month_of_a_moved_booking(app):
    world = Priced()
    booking = world.booking("2026-03-10T10:00", minutes=60)
    world.line(booking, minutes=60, amount="80.00")
    expert, town = world.expert.id, world.town.id
    # Month starts right after each switch (April, November) and at the new year, where the
    # offset decides the month and year, a minute before and on the instant; in every tenth
    # year (the SQL itself is checked for every year above).
    starts = [at for at in _month_starts()
              if at.astimezone(AMSTERDAM).month in (1, 4, 11)
              and at.astimezone(AMSTERDAM).year % 10 in (0, 6)]
    for at in [at + step for at in starts for step in (-MINUTE, timedelta(0))]:
        db.session.execute(update(Booking).where(Booking.id == booking.id)
                           .values(starts_at=at, ends_at=at + timedelta(hours=2)))
        _day, year, month = _expected(at)
        assert _nonzero_keys() == ({(expert, year, month)}, {(year, expert)},
                                   {(year, month, town)}), at
