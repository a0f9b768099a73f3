"""Bookings at given local times, and the same calendar read by three parsers."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import ics
import icalendar
import vobject

from duidingspool.bookings.models import BookingStatus
from duidingspool.extensions import db
from tests.bookings.helpers import World, direct_booking

AMS = ZoneInfo("Europe/Amsterdam")


def local(year, month, day, hour=14, minute=0) -> datetime:
    """A wall-clock time in Amsterdam as aware UTC."""
    return datetime(year, month, day, hour, minute, tzinfo=AMS).astimezone(timezone.utc)


def booking_at(world: World, expert, starts_at: datetime, *, hours: int = 2, **kw):
    """A confirmed booking of `expert` on a new session of the world's case table."""
    referral = world.request(starts_at=starts_at, hours=hours, **kw)
    return direct_booking(referral, expert, created_by=world.coordinator)


def cancel_directly(booking, *, at: datetime) -> None:
    booking.status = BookingStatus.CANCELLED
    booking.cancelled_at = at
    booking.sequence += 1
    booking.updated_at = at
    db.session.flush()


@dataclass(frozen=True)
class Seen:
    """What a parser read for one event."""

    start: datetime  # aware
    end: datetime
    sequence: int
    status: str
    summary: str


def read_icalendar(text: str) -> dict[str, Seen]:
    cal = icalendar.Calendar.from_ical(text)
    return {str(e["UID"]): Seen(e.decoded("DTSTART"), e.decoded("DTEND"), int(e["SEQUENCE"]),
                                str(e["STATUS"]), str(e["SUMMARY"]))
            for e in cal.walk("VEVENT")}


def read_vobject(text: str) -> dict[str, Seen]:
    cal = vobject.readOne(text)
    return {e.uid.value: Seen(e.dtstart.value, e.dtend.value, int(e.sequence.value),
                              e.status.value, e.summary.value)
            for e in cal.contents.get("vevent", [])}


def read_ics(text: str) -> dict[str, Seen]:
    cal = ics.Calendar(text)
    seen = {}
    for e in cal.events:
        sequence = [line.value for line in e.extra if line.name == "SEQUENCE"]
        seen[e.uid] = Seen(e.begin.datetime, e.end.datetime, int(sequence[0]), e.status, e.name)
    return seen


PARSERS = {"icalendar": read_icalendar, "vobject": read_vobject, "ics": read_ics}


def read_all(text: str) -> dict[str, dict[str, Seen]]:
    """The events as each parser reads them."""
    return {name: parse(text) for name, parse in PARSERS.items()}


def expected(booking) -> tuple:
    status = "CANCELLED" if booking.status == BookingStatus.CANCELLED else "CONFIRMED"
    return (booking.starts_at, booking.ends_at, booking.sequence, status)


def as_seen(seen: Seen) -> tuple:
    return (seen.start.astimezone(timezone.utc), seen.end.astimezone(timezone.utc),
            seen.sequence, seen.status)


def later(value: datetime, **kw) -> datetime:
    return value + timedelta(**kw)
