"""Time zone helpers: UTC inside, Europe/Amsterdam at the edge."""

from __future__ import annotations

from datetime import date, datetime, time, timezone
from zoneinfo import ZoneInfo

LOCAL_TZ = ZoneInfo("Europe/Amsterdam")
# The dates input may name. Outside them a wall time cannot always be converted (the year 1
# minus Amsterdam's offset is before datetime.min: OverflowError), and nothing real is there.
EARLIEST_DATE = date(1900, 1, 1)
LATEST_DATE = date(2999, 12, 31)


def to_local(value: datetime) -> datetime:
    """An aware datetime shown in Europe/Amsterdam."""
    return value.astimezone(LOCAL_TZ)


def local_date(value: datetime) -> date:
    """The Europe/Amsterdam calendar date of an aware instant.

    The one definition of an instant's local date (and so of its local year and month):
    SQL computes it through db.local_date, which on SQLite calls this very function.
    """
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError("local_date needs an aware datetime")
    return value.astimezone(LOCAL_TZ).date()


def local_to_utc(value: datetime) -> datetime:
    """A wall-clock time in Europe/Amsterdam (naive or aware) as aware UTC."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=LOCAL_TZ)
    return value.astimezone(timezone.utc)


def local_day_bounds(day: date) -> tuple[datetime, datetime]:
    """UTC start and end of a calendar day in Europe/Amsterdam (23 or 25 hours on DST days)."""
    start = datetime.combine(day, time.min, LOCAL_TZ)
    end = datetime.combine(date.fromordinal(day.toordinal() + 1), time.min, LOCAL_TZ)
    return start.astimezone(timezone.utc), end.astimezone(timezone.utc)
