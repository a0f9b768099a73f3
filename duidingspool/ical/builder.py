"""Bookings as iCalendar (RFC 5545) for feeds and iTIP (RFC 5546) e-mail: pure functions.

The builder takes plain event data and returns an `icalendar.Calendar`; it reads no request,
no database and no clock (the caller passes `now`). Text escaping and line folding are
icalendar's. Times are written with TZID=Europe/Amsterdam and a VTIMEZONE that icalendar
derives from zoneinfo, limited to the years the calendar needs and with one RDATE per line
(a folded RDATE list is misread by some parsers, e.g. vobject via dateutil).

What an event may say is fixed here: the case table's name, the request's reference, the
place and a link to the app. Never the question text or the case code.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from functools import lru_cache
from typing import Iterable
from zoneinfo import ZoneInfo

from icalendar import Calendar, Event, Timezone, vCalAddress, vDuration, vText

PRODID = "-//Duidingspool Oost-Nederland//Duidingspool//NL"
TZID = "Europe/Amsterdam"
LOCAL_TZ = ZoneInfo(TZID)

CONFIRMED = "CONFIRMED"
CANCELLED = "CANCELLED"


@dataclass(frozen=True)
class FeedEvent:
    """What a calendar may know about one booking."""

    uid: str
    starts_at: datetime  # aware UTC
    ends_at: datetime
    sequence: int
    cancelled: bool
    summary: str
    location: str
    url: str
    description: str
    last_modified: datetime  # aware UTC
    created: datetime | None = None
    # A whole-day event from the local date of starts_at to that of ends_at (exclusive),
    # free time (TRANSP:TRANSPARENT): a week on duty in the on-call rota.
    all_day: bool = False


@dataclass(frozen=True)
class Attendee:
    email: str
    name: str | None = None
    accepted: bool = False


def _utc(value: datetime) -> datetime:
    if value.tzinfo is None:
        raise ValueError("naive datetime")
    return value.astimezone(timezone.utc)


def _local(value: datetime) -> datetime:
    return _utc(value).astimezone(LOCAL_TZ)


@lru_cache(maxsize=32)
def _vtimezone_ical(first_year: int, last_year: int) -> bytes:
    tz = Timezone.from_tzinfo(LOCAL_TZ, tzid=TZID, first_date=date(first_year, 1, 1),
                              last_date=date(last_year + 1, 1, 1))
    for sub in tz.subcomponents:
        rdate = sub.get("RDATE")
        if rdate is None:
            continue
        values = [p.dt for prop in (rdate if isinstance(rdate, list) else [rdate])
                  for p in prop.dts]
        del sub["RDATE"]
        for value in values:
            sub.add("RDATE", value)
    return tz.to_ical()


def vtimezone(first_year: int, last_year: int) -> Timezone:
    """Europe/Amsterdam as a VTIMEZONE from 1 January `first_year` to the end of `last_year`."""
    return Timezone.from_ical(_vtimezone_ical(first_year, last_year))


def _years(events: list[FeedEvent], now: datetime) -> tuple[int, int]:
    years = [_local(now).year]
    for event in events:
        years.append(_local(event.starts_at).year)
        years.append(_local(event.ends_at).year)
    # A year's margin on each side: clients expand the zone around the events they show.
    return min(years) - 1, max(years) + 1


# Control characters (line breaks, tabs, NUL ...) and the Unicode line separators.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]+")


def one_line(text: str) -> str:
    """A label on one line: control characters become a space, runs of space one space.

    Names are refused with control characters on input, but one stored before that (or
    written by other means) must still give a valid calendar: an escaped line break in a
    SUMMARY or a NUL breaks some readers, and a line break in a parameter (CN) cannot be
    written at all."""
    return " ".join(_CONTROL.sub(" ", text).split())


def _event(data: FeedEvent, *, stamp: datetime) -> Event:
    event = Event()
    event.add("uid", data.uid)
    event.add("dtstamp", _utc(stamp))
    if data.all_day:
        event.add("dtstart", _local(data.starts_at).date())
        event.add("dtend", _local(data.ends_at).date())
    else:
        event.add("dtstart", _local(data.starts_at))
        event.add("dtend", _local(data.ends_at))
    event.add("sequence", data.sequence)
    event.add("status", CANCELLED if data.cancelled else CONFIRMED)
    event.add("summary", one_line(data.summary))
    if data.location and one_line(data.location):
        event.add("location", one_line(data.location))
    # Line breaks belong in a description; other control characters do not.
    event.add("description", re.sub(r"[\x00-\x09\x0b-\x1f\x7f-\x9f]", " ", data.description))
    event.add("url", data.url)
    if data.created is not None:
        event.add("created", _utc(data.created))
    event.add("last-modified", _utc(data.last_modified))
    event.add("transp", "TRANSPARENT" if data.cancelled or data.all_day else "OPAQUE")
    event.add("class", "PRIVATE")
    return event


def _calendar(method: str, events: list[FeedEvent], now: datetime) -> Calendar:
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", method)
    cal.add_component(vtimezone(*_years(events, now)))
    return cal


def build_feed(events: Iterable[FeedEvent], *, name: str, now: datetime,
               refresh: timedelta = timedelta(hours=1)) -> Calendar:
    """A subscription calendar (METHOD:PUBLISH) of `events`.

    DTSTAMP is each event's last modification, so the same data always renders to the
    same bytes (the feed's ETag promises exactly that); `now` only picks the VTIMEZONE's
    years for an empty feed.
    """
    events = list(events)
    cal = _calendar("PUBLISH", events, now)
    cal.add("x-wr-calname", one_line(name))
    cal.add("x-wr-timezone", TZID)
    cal.add("refresh-interval", refresh, parameters={"VALUE": "DURATION"})
    cal.add("x-published-ttl", vDuration(refresh))
    for data in events:
        cal.add_component(_event(data, stamp=data.last_modified))
    return cal


@lru_cache(maxsize=20000)
def _event_ical(data: FeedEvent) -> bytes:
    return _event(data, stamp=data.last_modified).to_ical()


def render_feed(events: Iterable[FeedEvent], *, name: str, now: datetime,
                refresh: timedelta = timedelta(hours=1)) -> bytes:
    """`build_feed(...).to_ical()`, byte for byte, with each event's serialisation memoised.

    icalendar spends about half a millisecond per event on typing, escaping and folding;
    a feed is fetched again and again with mostly unchanged events, and a FeedEvent is
    immutable and holds everything its text depends on, so its bytes are kept (bounded LRU).
    """
    events = list(events)
    head = _head_ical(name, _years(events, now), refresh)
    return head + b"".join(_event_ical(e) for e in events) + _END


_END = b"END:VCALENDAR\r\n"


@lru_cache(maxsize=256)
def _head_ical(name: str, years: tuple[int, int], refresh: timedelta) -> bytes:
    """The calendar's properties and VTIMEZONE, without the closing line."""
    head = build_feed([], name=name, now=datetime(years[0] + 1, 7, 1, tzinfo=timezone.utc),
                      refresh=refresh)
    head.subcomponents[:] = [vtimezone(*years)]
    return head.to_ical()[:-len(_END)]


def build_itip(event: FeedEvent, *, method: str, organizer_email: str, organizer_name: str,
               attendees: Iterable[Attendee], now: datetime) -> Calendar:
    """An iTIP message (METHOD:REQUEST or CANCEL) for one booking, to `attendees`."""
    if method not in ("REQUEST", "CANCEL"):
        raise ValueError(f"unsupported iTIP method {method!r}")
    cal = _calendar(method, [event], now)
    vevent = _event(event, stamp=now)
    organizer = vCalAddress(f"mailto:{organizer_email}")
    organizer.params["CN"] = vText(one_line(organizer_name))
    vevent.add("organizer", organizer)
    for person in attendees:
        address = vCalAddress(f"mailto:{person.email}")
        if person.name and one_line(person.name):
            address.params["CN"] = vText(one_line(person.name))
        address.params["ROLE"] = vText("REQ-PARTICIPANT")
        address.params["PARTSTAT"] = vText("ACCEPTED" if person.accepted else "NEEDS-ACTION")
        address.params["RSVP"] = vText("FALSE")
        vevent.add("attendee", address)
    cal.add_component(vevent)
    return cal
