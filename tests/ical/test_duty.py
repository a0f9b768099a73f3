"""Weeks on duty in the on-call rota, as whole-week events in the expert's own feed."""

from __future__ import annotations

from datetime import date, timedelta

import icalendar

from duidingspool.db import utcnow
from duidingspool.extensions import db
from duidingspool.ical import services
from duidingspool.oncall import services as oncall
from duidingspool.timeutil import local_date
from tests.bookings.helpers import World
from tests.ical.helpers import booking_at, local


def _feed(user):
    _, token = services.create_feed(actor=user, scope="expert")
    db.session.commit()
    return f"/calendar/{token}.ics"


def _duty_events(data: bytes):
    """The whole-day events (bookings have times)."""
    calendar = icalendar.Calendar.from_ical(data)
    return [e for e in calendar.walk("VEVENT") if type(e.decoded("dtstart")) is date]


def test_expert_feed_has_one_all_week_event_per_duty_week_and_no_case_details(client, app):
    w = World()
    mine, other = w.expert(), w.expert()
    mine.user.locale = "en"
    booking_at(w, mine, local(2027, 2, 9))
    monday = oncall.week_of(local_date(utcnow()))
    oncall.set_pattern(actor=w.coordinator, starts_on=monday, expert_ids=[mine.id, other.id])
    oncall.set_override(actor=w.coordinator, week_start=monday + timedelta(days=14),
                        expert_id=other.id, kind="swap")
    url = _feed(mine.user)

    body = client.get(url).data
    duty = _duty_events(body)

    starts = sorted(e.decoded("dtstart") for e in duty)
    # Mine: this week, week +4, +6 ... (week +2 was swapped away), never the other's weeks.
    assert starts[:3] == [monday, monday + timedelta(days=28), monday + timedelta(days=42)]
    first = next(e for e in duty if e.decoded("dtstart") == monday)
    assert first.decoded("dtend") == monday + timedelta(days=7)
    assert str(first.get("transp")) == "TRANSPARENT"
    assert str(first.get("summary")).startswith("On call for urgent requests (week ")
    assert b"CT-" not in body and b"Duiding gevraagd" not in body
    other_duty = _duty_events(client.get(_feed(other.user)).data)
    assert monday + timedelta(days=14) in [e.decoded("dtstart") for e in other_duty]


def test_a_rota_change_changes_the_expert_feeds_etag(client, app):
    w = World()
    expert = w.expert()
    monday = oncall.week_of(local_date(utcnow()))
    oncall.set_pattern(actor=w.coordinator, starts_on=monday, expert_ids=[expert.id])
    url = _feed(expert.user)
    first = client.get(url)

    oncall.set_override(actor=w.coordinator, week_start=monday + timedelta(days=7),
                        expert_id=None, kind="holiday",
                        now=utcnow() + timedelta(seconds=2))
    db.session.commit()
    again = client.get(url, headers={"If-None-Match": first.headers["ETag"]})

    assert again.status_code == 200
    assert again.headers["ETag"] != first.headers["ETag"]
    assert len(_duty_events(again.data)) == len(_duty_events(first.data)) - 1
